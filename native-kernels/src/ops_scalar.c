/*
 * ops_scalar.c - the reference level of the row/element-wise ops: portable C, no explicit SIMD (and built with
 * -fno-tree-vectorize), libm's expf/sinf/cosf. The AVX2 and AVX-512 levels are tested against the Java copy of this.
 *
 * It also holds the pieces every level shares: the RoPE angle table (it must be bit-identical whatever the level,
 * because angle errors at large positions dwarf everything else), top-k selection, and the fully-masked softmax row.
 */
#include <math.h>
#include <stddef.h>

#include "ops_internal.h"

/* The angle table below must round every product on its own, as ggml's scalar code does on a build without FMA; a
 * compiler allowed to emit FMA here could fuse them (GCC contracts by default). CMakeLists.txt compiles this file with
 * -ffp-contract=off, which AArch64 (FMA always present) needs; on x86-64 no FMA may be enabled at all. */
#if defined(__FMA__)
#error "ops_scalar.c must be compiled without FMA (no -mfma / -march with FMA), see the RoPE angle notes"
#endif

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---- RoPE angles ------------------------------------------------------------------------------------------------
 * What is matched from ggml (ggml-cpu ops.cpp: ggml_compute_forward_rope_flt, ggml_rope_cache_init, rope_yarn,
 * rope_yarn_ramp; ggml.c: ggml_rope_yarn_corr_dim(s)), operation by operation, all in float:
 *   theta_scale = powf(freq_base, -2.0f / n_rot)
 *   theta of pair 0 = (float) position; theta of pair j+1 = theta of pair j * theta_scale  (a running product, not
 *       pos * powf(...) per pair: the rounding of this product is what ggml's numbers carry at large positions)
 *   theta_interp = freq_scale * theta_extrap
 *   ext_factor != 0:  y = ((float) j - low) / max(0.001f, high - low);  ramp = 1 - min(1, max(0, y))
 *                     mix = ramp * ext_factor;  theta = theta_interp * (1 - mix) + theta_extrap * mix
 *                     mscale = attn_factor * (1.0f + 0.1f * logf(1.0f / freq_scale))
 *   otherwise         theta = theta_interp;  mscale = attn_factor
 *   cos = cosf(theta) * mscale, sin = sinf(theta) * mscale
 *   corr_dim(beta) = n_rot * logf(n_ctx_orig / (beta * 2 * (float) M_PI)) / (2 * logf(freq_base))
 *   low = max(0, floorf(corr_dim(beta_fast))), high = min(n_rot - 1, ceilf(corr_dim(beta_slow)))
 * This file is compiled without FMA (checked above), so none of these products is fused. */

static float maxf(float a, float b) { return a > b ? a : b; }
static float minf(float a, float b) { return a < b ? a : b; }

static float yarn_corr_dim(int32_t n_rot, int32_t n_ctx_orig, float beta, float freq_base) {
    return (float) n_rot * logf((float) n_ctx_orig / (beta * 2.0f * (float) M_PI)) / (2.0f * logf(freq_base));
}

void moe_rope_angles_init(moe_rope_angles *a, int64_t n_rot, float freq_base, float freq_scale, float ext_factor,
                          float attn_factor, float beta_fast, float beta_slow, int32_t n_ctx_orig) {
    const int32_t n_dims = (int32_t) n_rot; /* ops.c has checked that n_rot fits */
    a->theta_scale = powf(freq_base, -2.0f / (float) n_dims);
    a->freq_scale = freq_scale;
    a->ext_factor = ext_factor;
    a->corr_low = 0.0f;
    a->corr_high = 0.0f;
    a->mscale = attn_factor;
    if (ext_factor != 0.0f) {
        a->mscale = attn_factor * (1.0f + 0.1f * logf(1.0f / freq_scale));
        a->corr_low = maxf(0.0f, floorf(yarn_corr_dim(n_dims, n_ctx_orig, beta_fast, freq_base)));
        a->corr_high = minf((float) (n_dims - 1), ceilf(yarn_corr_dim(n_dims, n_ctx_orig, beta_slow, freq_base)));
    }
}

void moe_rope_angles_fill(const moe_rope_angles *a, float *theta, int64_t pair0, int64_t count, float *cos_t,
                          float *sin_t) {
    float theta_extrap = *theta;
    for (int64_t j = 0; j < count; j++) {
        const float theta_interp = a->freq_scale * theta_extrap;
        float t = theta_interp;
        if (a->ext_factor != 0.0f) {
            const float y = ((float) (pair0 + j) - a->corr_low) / maxf(0.001f, a->corr_high - a->corr_low);
            const float ramp_mix = (1.0f - minf(1.0f, maxf(0.0f, y))) * a->ext_factor;
            t = theta_interp * (1.0f - ramp_mix) + theta_extrap * ramp_mix;
        }
        cos_t[j] = cosf(t) * a->mscale;
        sin_t[j] = sinf(t) * a->mscale;
        theta_extrap *= a->theta_scale;
    }
    *theta = theta_extrap;
}

/* ---- top-k ------------------------------------------------------------------------------------------------------
 * A bounded heap in idx itself (no allocation): O(n log k), then heapsort of the k survivors. */

/* The strict total order of the result: larger value first, NaN after every number, then lower index first. */
static int ranks_before(const float *x, int32_t i, int32_t j) {
    const float a = x[i], b = x[j];
    const int a_nan = isnan(a), b_nan = isnan(b);
    if (a_nan || b_nan) {
        return a_nan && b_nan ? i < j : b_nan;
    }
    if (a != b) {
        return a > b;
    }
    return i < j;
}

/* Heap of `size` indices whose root ranks last (the first to evict); restores the heap below pos. */
static void sift_down(const float *x, int32_t *h, int64_t size, int64_t pos) {
    for (;;) {
        int64_t worst = pos;
        const int64_t l = 2 * pos + 1, r = l + 1;
        if (l < size && ranks_before(x, h[worst], h[l])) {
            worst = l;
        }
        if (r < size && ranks_before(x, h[worst], h[r])) {
            worst = r;
        }
        if (worst == pos) {
            return;
        }
        const int32_t t = h[pos];
        h[pos] = h[worst];
        h[worst] = t;
        pos = worst;
    }
}

void moe_ops_topk_select(const float *x, int64_t n, int64_t k, int32_t *idx, float *val) {
    for (int64_t i = 0; i < k; i++) {
        idx[i] = (int32_t) i;
    }
    for (int64_t i = k / 2; i-- > 0;) {
        sift_down(x, idx, k, i);
    }
    for (int64_t i = k; i < n; i++) {
        if (ranks_before(x, (int32_t) i, idx[0])) {
            idx[0] = (int32_t) i;
            sift_down(x, idx, k, 0);
        }
    }
    /* Moving the current last-ranked to the end each time leaves idx best-first. */
    for (int64_t end = k - 1; end > 0; end--) {
        const int32_t t = idx[0];
        idx[0] = idx[end];
        idx[end] = t;
        sift_down(x, idx, end, 0);
    }
    if (val != NULL) {
        for (int64_t i = 0; i < k; i++) {
            val[i] = x[idx[i]];
        }
    }
}

void moe_ops_softmax_fully_masked(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        x[i] = isnan(x[i]) ? x[i] : 0.0f;
    }
}

/* ---- the scalar level ------------------------------------------------------------------------------------------- */

static void rmsnorm_row(const float *x, const float *weight, int64_t n, float eps, float *out) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        sum += (double) (x[i] * x[i]); /* squared in float, summed in double, as ggml does */
    }
    const float mean = (float) (sum / (double) n);
    const float scale = 1.0f / sqrtf(mean + eps);
    if (weight != NULL) {
        for (int64_t i = 0; i < n; i++) {
            out[i] = x[i] * scale * weight[i];
        }
    } else {
        for (int64_t i = 0; i < n; i++) {
            out[i] = x[i] * scale;
        }
    }
}

static void rope_norm(float *x, const float *cos_t, const float *sin_t, int64_t n_pairs) {
    for (int64_t j = 0; j < n_pairs; j++) {
        const float x0 = x[2 * j], x1 = x[2 * j + 1];
        x[2 * j] = x0 * cos_t[j] - x1 * sin_t[j];
        x[2 * j + 1] = x0 * sin_t[j] + x1 * cos_t[j];
    }
}

static void rope_neox(float *lo, float *hi, const float *cos_t, const float *sin_t, int64_t n_pairs) {
    for (int64_t j = 0; j < n_pairs; j++) {
        const float x0 = lo[j], x1 = hi[j];
        lo[j] = x0 * cos_t[j] - x1 * sin_t[j];
        hi[j] = x0 * sin_t[j] + x1 * cos_t[j];
    }
}

/* The softmax of one row, with or without an attention sink. has_sink is a constant at each call below, so the plain
 * softmax compiles to exactly the code it had before sinks existed. */
static inline void softmax_row_impl(float *x, int64_t n, float scale, int has_sink, float sink) {
    float max = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        x[i] *= scale;
        if (x[i] > max) { /* NaN never wins: a NaN row is reported through the sum below */
            max = x[i];
        }
    }
    if (has_sink) {
        max = max > sink ? max : sink; /* ggml's MAX(max, sink): a NaN sink makes max NaN, hence the row NaN */
    }
    if (max == -INFINITY) {
        moe_ops_softmax_fully_masked(x, n);
        return;
    }
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - max);
        sum += x[i];
    }
    if (has_sink) {
        sum += (double) expf(sink - max); /* the sink's mass, added after the row's as ggml does */
    }
    const float inv = (float) (1.0 / sum); /* ggml scales by the float of 1/sum, it does not divide */
    for (int64_t i = 0; i < n; i++) {
        x[i] *= inv;
    }
}

static void softmax_row(float *x, int64_t n, float scale) {
    softmax_row_impl(x, n, scale, 0, 0.0f);
}

static void softmax_sinks_row(float *x, int64_t n, float scale, float sink) {
    softmax_row_impl(x, n, scale, 1, sink);
}

static void swiglu(const float *gate, const float *up, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) {
        const float g = gate[i];
        out[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

/* ggml_compute_forward_swiglu_oai_f32 operation by operation: std::min(gate, limit) is (limit < gate ? limit : gate)
 * and std::clamp(up, -limit, limit) is (up < -limit ? -limit : limit < up ? limit : up), so NaN passes through both;
 * the exponent is alpha * (-g), one rounding, the same float as -(alpha * g). */
static void swiglu_oai(const float *gate, const float *up, int64_t n, float alpha, float limit, float *out) {
    for (int64_t i = 0; i < n; i++) {
        const float g = limit < gate[i] ? limit : gate[i];
        const float u = up[i] < -limit ? -limit : (limit < up[i] ? limit : up[i]);
        out[i] = g / (1.0f + expf(alpha * -g)) * (u + 1.0f);
    }
}

static void add(const float *a, const float *b, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) {
        out[i] = a[i] + b[i];
    }
}

static void scale(const float *x, int64_t n, float s, float *out) {
    for (int64_t i = 0; i < n; i++) {
        out[i] = x[i] * s;
    }
}

static void axpy(float a, const float *x, int64_t n, float *y) {
    for (int64_t i = 0; i < n; i++) {
        y[i] += a * x[i];
    }
}

const moe_ops_level moe_ops_level_scalar = {
    .rmsnorm_row = rmsnorm_row,
    .rope_norm = rope_norm,
    .rope_neox = rope_neox,
    .softmax_row = softmax_row,
    .softmax_sinks_row = softmax_sinks_row,
    .swiglu = swiglu,
    .swiglu_oai = swiglu_oai,
    .add = add,
    .scale = scale,
    .axpy = axpy,
};
