/*
 * ops_neon.c - the AArch64 NEON level of the row/element-wise ops, 4 floats per step (compiled once with
 * -march=armv8-a: the ops use no dotprod or i8mm instruction, so all three NEON levels share this table).
 *
 * Modeled on ops_avx2.c, with the same arithmetic: the exp polynomial of ops_internal.h (the same constants and
 * operation order, so this level agrees with the x86 SIMD levels), fused multiply-adds in the RoPE rotations and axpy,
 * rmsnorm's sum of squares and softmax's sum in double. The last n % 4 elements of a row go through the vector code
 * from a padded copy (NEON has no masked loads), so every element gets the same arithmetic wherever it sits in the
 * row; where the vector operation is a single IEEE operation (add, scale, axpy, the rmsnorm scaling, RoPE) a scalar
 * tail with the same operation gives the same result and is used instead.
 *
 * Differences from the scalar level, all within the tolerances OpsKernelTest and ops_selftest state: exp is the
 * polynomial instead of libm's expf; RoPE and axpy use fused multiply-adds; the double sums are added in another order.
 */
#include <arm_neon.h>
#include <math.h>
#include <string.h>

#include "ops_internal.h"

/* ---- helpers ------------------------------------------------------------------------------------------------------ */

/* The `left` (1..3) floats at p in the low lanes, `fill` in the others; nothing past p + left is read. */
static inline float32x4_t load_part(const float *p, int64_t left, float fill) {
    float buf[4] = {fill, fill, fill, fill};
    memcpy(buf, p, (size_t) left * sizeof(float));
    return vld1q_f32(buf);
}

/* Stores the low `left` lanes of v at p; nothing past p + left is written. */
static inline void store_part(float *p, int64_t left, float32x4_t v) {
    float buf[4];
    vst1q_f32(buf, v);
    memcpy(p, buf, (size_t) left * sizeof(float));
}

/* Lane i is all-ones when i < left (left in 0..4). */
static inline uint32x4_t tail_mask(int64_t left) {
    static const uint32_t lane[4] = {0, 1, 2, 3};
    return vcltq_u32(vld1q_u32(lane), vdupq_n_u32((uint32_t) left));
}

/* Adds the 4 floats of v, widened to double, to the two accumulators. */
static inline void add_widened(float32x4_t v, float64x2_t *lo, float64x2_t *hi) {
    *lo = vaddq_f64(*lo, vcvt_f64_f32(vget_low_f32(v)));
    *hi = vaddq_f64(*hi, vcvt_high_f64_f32(v));
}

/* e^x for 4 lanes, see ops_internal.h (the operations of ops_avx2.c's exp8). NaN stays NaN. */
static inline float32x4_t exp4(float32x4_t x) {
    /* vmaxq/vminq return NaN when an operand is NaN: +-inf is clamped and NaN passes through (restored below) */
    const float32x4_t xc = vminq_f32(vdupq_n_f32(MOE_EXP_MAX), vmaxq_f32(vdupq_n_f32(MOE_EXP_MIN), x));
    const float32x4_t n = vrndnq_f32(vmulq_f32(xc, vdupq_n_f32(MOE_EXP_LOG2E))); /* to nearest, ties to even */
    float32x4_t r = vfmsq_f32(xc, n, vdupq_n_f32(MOE_EXP_LN2_HI));                  /* xc - n*ln2_hi, fused */
    r = vfmsq_f32(r, n, vdupq_n_f32(MOE_EXP_LN2_LO));
    float32x4_t p = vfmaq_f32(vdupq_n_f32(MOE_EXP_C6), vdupq_n_f32(MOE_EXP_C7), r);
    p = vfmaq_f32(vdupq_n_f32(MOE_EXP_C5), p, r);
    p = vfmaq_f32(vdupq_n_f32(MOE_EXP_C4), p, r);
    p = vfmaq_f32(vdupq_n_f32(MOE_EXP_C3), p, r);
    p = vfmaq_f32(vdupq_n_f32(MOE_EXP_C2), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    /* 2^n as two normal powers of two, so results in the subnormal range are rounded once, at the last product.
     * n is an integer in [-150, 128] here (a NaN lane converts to 0 and is replaced below). */
    const int32x4_t ni = vcvtq_s32_f32(n);
    const int32x4_t n1 = vshrq_n_s32(ni, 1);
    const int32x4_t n2 = vsubq_s32(ni, n1);
    const float32x4_t s1 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n1, vdupq_n_s32(127)), 23));
    const float32x4_t s2 = vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(n2, vdupq_n_s32(127)), 23));
    const float32x4_t y = vmulq_f32(vmulq_f32(p, s1), s2);
    return vbslq_f32(vceqq_f32(xc, xc), y, xc); /* NaN lanes: xc itself */
}

/* ---- rmsnorm ------------------------------------------------------------------------------------------------------ */

static void rmsnorm_row(const float *x, const float *weight, int64_t n, float eps, float *out) {
    /* squared in float, summed in double (as ggml does), over two double accumulators of 2 lanes */
    float64x2_t lo = vdupq_n_f64(0.0), hi = vdupq_n_f64(0.0);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vld1q_f32(x + i);
        add_widened(vmulq_f32(v, v), &lo, &hi);
    }
    if (i < n) {
        const float32x4_t v = load_part(x + i, n - i, 0.0f); /* padding lanes add 0 */
        add_widened(vmulq_f32(v, v), &lo, &hi);
    }
    const double sum = vaddvq_f64(vaddq_f64(lo, hi));
    const float mean = (float) (sum / (double) n);
    const float sc = 1.0f / sqrtf(mean + eps);
    const float32x4_t vs = vdupq_n_f32(sc);
    for (i = 0; i + 4 <= n; i += 4) {
        float32x4_t v = vmulq_f32(vld1q_f32(x + i), vs);
        if (weight != NULL) {
            v = vmulq_f32(v, vld1q_f32(weight + i));
        }
        vst1q_f32(out + i, v);
    }
    for (; i < n; i++) { /* the same two products as the lanes */
        out[i] = weight != NULL ? x[i] * sc * weight[i] : x[i] * sc;
    }
}

/* ---- RoPE: both modes compute a' = fma(a, c, -(b s)) and b' = fma(b, c, a s) for a pair (a, b), as ops_avx2.c; the
 * scalar tail uses fmaf so it rounds like the vector lanes. ------------------------------------------------------- */

static void rope_norm(float *x, const float *cos_t, const float *sin_t, int64_t n_pairs) {
    int64_t j = 0;
    for (; j + 4 <= n_pairs; j += 4) {
        const float32x4_t c = vld1q_f32(cos_t + j), s = vld1q_f32(sin_t + j);
        float32x4x2_t v = vld2q_f32(x + 2 * j); /* val[0] = the a of 4 pairs, val[1] = their b */
        const float32x4_t a = v.val[0], b = v.val[1];
        v.val[0] = vfmaq_f32(vnegq_f32(vmulq_f32(b, s)), a, c);
        v.val[1] = vfmaq_f32(vmulq_f32(a, s), b, c);
        vst2q_f32(x + 2 * j, v);
    }
    for (; j < n_pairs; j++) {
        const float a = x[2 * j], b = x[2 * j + 1];
        x[2 * j] = fmaf(a, cos_t[j], -(b * sin_t[j]));
        x[2 * j + 1] = fmaf(b, cos_t[j], a * sin_t[j]);
    }
}

static void rope_neox(float *lo, float *hi, const float *cos_t, const float *sin_t, int64_t n_pairs) {
    int64_t j = 0;
    for (; j + 4 <= n_pairs; j += 4) {
        const float32x4_t c = vld1q_f32(cos_t + j), s = vld1q_f32(sin_t + j);
        const float32x4_t a = vld1q_f32(lo + j), b = vld1q_f32(hi + j);
        vst1q_f32(lo + j, vfmaq_f32(vnegq_f32(vmulq_f32(b, s)), a, c));
        vst1q_f32(hi + j, vfmaq_f32(vmulq_f32(a, s), b, c));
    }
    for (; j < n_pairs; j++) {
        const float a = lo[j], b = hi[j];
        lo[j] = fmaf(a, cos_t[j], -(b * sin_t[j]));
        hi[j] = fmaf(b, cos_t[j], a * sin_t[j]);
    }
}

/* ---- softmax ------------------------------------------------------------------------------------------------------ */

/* The softmax of one row, with or without an attention sink (see ops_scalar.c); has_sink is a constant at each call, so
 * the plain softmax keeps exactly its code. The sink's exponential is this level's exp, like the row's. */
static inline void softmax_row_impl(float *x, int64_t n, float scale, int has_sink, float sink) {
    const float32x4_t vscale = vdupq_n_f32(scale);
    float32x4_t vmax = vdupq_n_f32(-INFINITY);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const float32x4_t v = vmulq_f32(vld1q_f32(x + i), vscale);
        vst1q_f32(x + i, v);
        vmax = vbslq_f32(vcgtq_f32(v, vmax), v, vmax); /* NaN in v leaves vmax alone, like the scalar level */
    }
    if (i < n) {
        const float32x4_t v = vmulq_f32(load_part(x + i, n - i, -INFINITY), vscale); /* padding stays -inf */
        store_part(x + i, n - i, v);
        vmax = vbslq_f32(vcgtq_f32(v, vmax), v, vmax);
    }
    float max = vmaxvq_f32(vmax);
    if (has_sink) {
        max = max > sink ? max : sink; /* ggml's MAX(max, sink): a NaN sink makes max NaN, hence the row NaN */
    }
    if (max == -INFINITY) {
        moe_ops_softmax_fully_masked(x, n);
        return;
    }
    const float32x4_t bmax = vdupq_n_f32(max);
    float64x2_t sum_lo = vdupq_n_f64(0.0), sum_hi = vdupq_n_f64(0.0);
    for (i = 0; i + 4 <= n; i += 4) {
        const float32x4_t e = exp4(vsubq_f32(vld1q_f32(x + i), bmax));
        vst1q_f32(x + i, e);
        add_widened(e, &sum_lo, &sum_hi);
    }
    if (i < n) {
        /* padding lanes are zeroed before they reach the sum (whatever max is, NaN included) */
        const float32x4_t e = vreinterpretq_f32_u32(vandq_u32(
            vreinterpretq_u32_f32(exp4(vsubq_f32(load_part(x + i, n - i, 0.0f), bmax))), tail_mask(n - i)));
        store_part(x + i, n - i, e);
        add_widened(e, &sum_lo, &sum_hi);
    }
    double sum = vaddvq_f64(vaddq_f64(sum_lo, sum_hi));
    if (has_sink) {
        sum += (double) vgetq_lane_f32(exp4(vdupq_n_f32(sink - max)), 0); /* added last, as ggml does */
    }
    const float32x4_t inv = vdupq_n_f32((float) (1.0 / sum)); /* ggml scales by the float of 1/sum */
    for (i = 0; i + 4 <= n; i += 4) {
        vst1q_f32(x + i, vmulq_f32(vld1q_f32(x + i), inv));
    }
    for (; i < n; i++) { /* one product, as in the lanes */
        x[i] *= vgetq_lane_f32(inv, 0);
    }
}

static void softmax_row(float *x, int64_t n, float scale) {
    softmax_row_impl(x, n, scale, 0, 0.0f);
}

static void softmax_sinks_row(float *x, int64_t n, float scale, float sink) {
    softmax_row_impl(x, n, scale, 1, sink);
}

/* ---- SwiGLU ------------------------------------------------------------------------------------------------------- */

static inline float32x4_t swiglu4(float32x4_t g, float32x4_t u) {
    const float32x4_t e = exp4(vsubq_f32(vdupq_n_f32(0.0f), g));
    return vmulq_f32(vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), e)), u);
}

static void swiglu(const float *gate, const float *up, int64_t n, float *out) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        vst1q_f32(out + i, swiglu4(vld1q_f32(gate + i), vld1q_f32(up + i)));
    }
    if (i < n) {
        store_part(out + i, n - i, swiglu4(load_part(gate + i, n - i, 0.0f), load_part(up + i, n - i, 0.0f)));
    }
}

/* ggml_swiglu_oai for 4 lanes, the scalar level's operations in its order. The clamps are compare-and-select with the
 * scalar level's comparisons (limit < g ? limit : g, and so on), so a NaN gate or up passes through as in std::min /
 * std::clamp (vminq/vmaxq would also pass NaN, but the selects say exactly what the scalar code does). */
static inline float32x4_t swiglu_oai4(float32x4_t g, float32x4_t u, float32x4_t alpha, float32x4_t limit) {
    const float32x4_t neg_limit = vnegq_f32(limit);
    g = vbslq_f32(vcltq_f32(limit, g), limit, g);
    u = vbslq_f32(vcltq_f32(u, neg_limit), neg_limit, vbslq_f32(vcltq_f32(limit, u), limit, u));
    const float32x4_t e = exp4(vmulq_f32(alpha, vnegq_f32(g))); /* alpha * -g */
    const float32x4_t glu = vdivq_f32(g, vaddq_f32(vdupq_n_f32(1.0f), e));
    return vmulq_f32(glu, vaddq_f32(u, vdupq_n_f32(1.0f)));
}

static void swiglu_oai(const float *gate, const float *up, int64_t n, float alpha, float limit, float *out) {
    const float32x4_t va = vdupq_n_f32(alpha), vl = vdupq_n_f32(limit);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        vst1q_f32(out + i, swiglu_oai4(vld1q_f32(gate + i), vld1q_f32(up + i), va, vl));
    }
    if (i < n) {
        store_part(out + i, n - i,
                   swiglu_oai4(load_part(gate + i, n - i, 0.0f), load_part(up + i, n - i, 0.0f), va, vl));
    }
}

/* ---- element-wise: one IEEE operation per element, so the scalar tails round like the lanes --------------------- */

static void add(const float *a, const float *b, int64_t n, float *out) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        vst1q_f32(out + i, vaddq_f32(vld1q_f32(a + i), vld1q_f32(b + i)));
    }
    for (; i < n; i++) {
        out[i] = a[i] + b[i];
    }
}

static void scale(const float *x, int64_t n, float s, float *out) {
    const float32x4_t vs = vdupq_n_f32(s);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        vst1q_f32(out + i, vmulq_f32(vld1q_f32(x + i), vs));
    }
    for (; i < n; i++) {
        out[i] = x[i] * s;
    }
}

static void axpy(float a, const float *x, int64_t n, float *y) {
    const float32x4_t va = vdupq_n_f32(a);
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        vst1q_f32(y + i, vfmaq_f32(vld1q_f32(y + i), va, vld1q_f32(x + i)));
    }
    for (; i < n; i++) {
        y[i] = fmaf(a, x[i], y[i]);
    }
}

const moe_ops_level moe_ops_level_neon = {
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
