/*
 * ops.c - the moe_op_* entry points of moe4j.h: check every argument, then hand the work to the level of the context
 * (ops_scalar.c, ops_avx2.c, ops_avx512.c). Everything runs on the calling thread; these vectors are too small for
 * the worker pool to pay off.
 *
 * Choices the header leaves open, made here (and tested by OpsKernelTest):
 *   - every count must be >= 1 and every float parameter finite; eps >= 0; softmax scale > 0 (a non-positive scale
 *     would turn -inf masks into NaN or +inf); RoPE needs n_rot even and >= 2, positive freq_base and freq_scale, and
 *     with ext_factor != 0 also freq_base != 1, n_ctx_orig > 0 and positive betas (the YaRN ramp takes their logs);
 *   - RoPE strides must keep the rotated spans of different (token, head) pairs apart: heads inside tokens, tokens
 *     inside heads and interleavings that do not overlap are all accepted, overlaps are refused;
 *   - softmax of a row whose entries are all -inf gives 0 (there is nothing to attend to) rather than NaN; a NaN or
 *     +inf anywhere else in a row makes the whole row NaN, as in ggml;
 *   - softmax with sinks: the sinks are data, like x, so they are not checked for finiteness: a -inf sink is no sink, a
 *     row of -inf with a -inf sink gives 0 as above, a NaN or +inf sink makes its row NaN (ggml's arithmetic gives
 *     the same); the sinks must not overlap x, which is rewritten while they are read;
 *   - clamped SwiGLU: alpha finite, limit finite and >= 0 (a negative limit would make the clamp of up empty; ggml's
 *     std::clamp is undefined there);
 *   - top-k takes n <= INT32_MAX (the indices are int32); every other count is refused when the bytes it implies
 *     (rows times n, or the whole RoPE extent) would not fit in int64.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "ops_internal.h"

/* cos/sin of this many RoPE pairs are computed at a time, on the stack, then applied to every head of the token. */
#define ROPE_CHUNK_PAIRS 256

static const moe_ops_level *level_of(const moe_ctx *ctx) {
    return moe_ops_level_of(moe_ctx_level(ctx));
}

const moe_ops_level *moe_ops_level_of(int level) {
    switch (level) {
    case MOE_CPU_SCALAR:
        return &moe_ops_level_scalar;
#if MOE_HAVE_X86_LEVELS
    case MOE_CPU_AVX2:
        return &moe_ops_level_avx2;
    case MOE_CPU_AVX512:
        return &moe_ops_level_avx512;
#endif
#if MOE_HAVE_NEON_LEVELS
    case MOE_CPU_NEON:
    case MOE_CPU_NEON_DOTPROD:
    case MOE_CPU_NEON_I8MM:
        return &moe_ops_level_neon; /* the row ops use no dotprod or i8mm instruction */
#endif
    default:
        return NULL;
    }
}

/* Resolves the level or returns from the calling entry point with the right status. */
#define MOE_LEVEL_OR_RETURN(var, ctx)             \
    if ((ctx) == NULL) {                          \
        return MOE_ERR_INVALID_ARG;               \
    }                                             \
    const moe_ops_level *var = level_of(ctx);     \
    if (var == NULL) {                            \
        return MOE_ERR_UNSUPPORTED_CPU;           \
    }

/* The most floats one buffer can hold: its size in bytes must fit in int64. Counts beyond it cannot describe real
 * memory, and refusing them keeps callers whose own size checks overflow (n * 4 wrapping to a small number) safe. */
#define MAX_FLOATS (INT64_MAX / (int64_t) sizeof(float))

static int count_ok(int64_t n) {
    return n >= 1 && n <= MAX_FLOATS;
}

/* n_rows rows of n floats: both counts positive and n * n_rows floats possible. */
static int rows_ok(int64_t n, int64_t n_rows) {
    return n >= 1 && n_rows >= 1 && n_rows <= MAX_FLOATS / n;
}

/* a * b + c for non-negative operands, or -1 when it exceeds MAX_FLOATS. */
static int64_t mul_add_checked(int64_t a, int64_t b, int64_t c) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r) || r > MAX_FLOATS) {
        return -1;
    }
    return r;
}

/* The spans [t * token_stride + h * head_stride, + n_rot) for all tokens t and heads h are disjoint and their extent
 * is at most MAX_FLOATS. Axes of one element impose nothing on their stride. The test is sufficient, not necessary: the
 * smaller stride must clear one span, the larger one must clear the whole run along the smaller axis. */
static int rope_layout_ok(int64_t n_tokens, int64_t token_stride, int64_t n_heads, int64_t head_stride, int64_t n_rot) {
    int64_t count[2], stride[2];
    int axes = 0;
    if (n_tokens > 1) {
        count[axes] = n_tokens;
        stride[axes++] = token_stride;
    }
    if (n_heads > 1) {
        count[axes] = n_heads;
        stride[axes++] = head_stride;
    }
    if (axes == 0) {
        return 1;
    }
    if (axes == 2 && stride[0] > stride[1]) {
        const int64_t c = count[0], s = stride[0];
        count[0] = count[1];
        stride[0] = stride[1];
        count[1] = c;
        stride[1] = s;
    }
    if (stride[0] < n_rot) {
        return 0;
    }
    const int64_t run = mul_add_checked(count[0] - 1, stride[0], n_rot);
    if (run < 0) {
        return 0;
    }
    return axes == 1 || (stride[1] >= run && mul_add_checked(count[1] - 1, stride[1], run) >= 0);
}

MOE_API int moe_op_rmsnorm(const moe_ctx *ctx, const float *x, const float *weight, int64_t n, int64_t n_rows, float eps,
                           float *out) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (x == NULL || out == NULL || !rows_ok(n, n_rows) || !isfinite(eps) || eps < 0.0f) {
        return MOE_ERR_INVALID_ARG;
    }
    for (int64_t r = 0; r < n_rows; r++) {
        level->rmsnorm_row(x + r * n, weight, n, eps, out + r * n);
    }
    return MOE_OK;
}

MOE_API int moe_op_rope(const moe_ctx *ctx, float *x, int64_t n_tokens, int64_t token_stride, int64_t n_heads,
                        int64_t head_stride, int64_t n_rot, const int32_t *positions, int mode, float freq_base,
                        float freq_scale, float ext_factor, float attn_factor, float beta_fast, float beta_slow,
                        int32_t n_ctx_orig) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (x == NULL || positions == NULL || n_tokens < 1 || n_heads < 1 || n_rot < 2 || n_rot % 2 != 0
        || n_rot > INT32_MAX || (mode != 0 && mode != 2)) {
        return MOE_ERR_INVALID_ARG;
    }
    if (!isfinite(freq_base) || freq_base <= 0.0f || !isfinite(freq_scale) || freq_scale <= 0.0f
        || !isfinite(ext_factor) || !isfinite(attn_factor)) {
        return MOE_ERR_INVALID_ARG;
    }
    if (ext_factor != 0.0f && (freq_base == 1.0f || n_ctx_orig <= 0 || !isfinite(beta_fast) || beta_fast <= 0.0f
                               || !isfinite(beta_slow) || beta_slow <= 0.0f)) {
        return MOE_ERR_INVALID_ARG;
    }
    if (!rope_layout_ok(n_tokens, token_stride, n_heads, head_stride, n_rot)) {
        return MOE_ERR_INVALID_ARG;
    }

    moe_rope_angles angles;
    moe_rope_angles_init(&angles, n_rot, freq_base, freq_scale, ext_factor, attn_factor, beta_fast, beta_slow,
                         n_ctx_orig);
    const int64_t n_pairs = n_rot / 2;
    float cos_t[ROPE_CHUNK_PAIRS], sin_t[ROPE_CHUNK_PAIRS];
    for (int64_t t = 0; t < n_tokens; t++) {
        float theta = (float) positions[t]; /* the running extrapolated angle, see moe_rope_angles_fill */
        float *token = x + t * token_stride;
        for (int64_t p0 = 0; p0 < n_pairs; p0 += ROPE_CHUNK_PAIRS) {
            const int64_t count = n_pairs - p0 < ROPE_CHUNK_PAIRS ? n_pairs - p0 : ROPE_CHUNK_PAIRS;
            moe_rope_angles_fill(&angles, &theta, p0, count, cos_t, sin_t);
            for (int64_t h = 0; h < n_heads; h++) {
                float *head = token + h * head_stride;
                if (mode == 0) {
                    level->rope_norm(head + 2 * p0, cos_t, sin_t, count);
                } else {
                    level->rope_neox(head + p0, head + n_pairs + p0, cos_t, sin_t, count);
                }
            }
        }
    }
    return MOE_OK;
}

MOE_API int moe_op_softmax(const moe_ctx *ctx, float *x, int64_t n, int64_t n_rows, float scale) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (x == NULL || !rows_ok(n, n_rows) || !isfinite(scale) || scale <= 0.0f) {
        return MOE_ERR_INVALID_ARG;
    }
    for (int64_t r = 0; r < n_rows; r++) {
        level->softmax_row(x + r * n, n, scale);
    }
    return MOE_OK;
}

/* Whether n floats at a and m floats at b share memory (both counts checked, so the byte sizes fit). */
static int floats_overlap(const float *a, int64_t n, const float *b, int64_t m) {
    const uintptr_t a0 = (uintptr_t) a, b0 = (uintptr_t) b;
    return a0 < b0 + (uintptr_t) m * sizeof(float) && b0 < a0 + (uintptr_t) n * sizeof(float);
}

MOE_API int moe_op_softmax_sinks(const moe_ctx *ctx, float *x, int64_t n, int64_t n_rows, float scale,
                                 const float *sinks) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (x == NULL || sinks == NULL || !rows_ok(n, n_rows) || !isfinite(scale) || scale <= 0.0f
        || floats_overlap(x, n * n_rows, sinks, n_rows)) {
        return MOE_ERR_INVALID_ARG;
    }
    for (int64_t r = 0; r < n_rows; r++) {
        level->softmax_sinks_row(x + r * n, n, scale, sinks[r]);
    }
    return MOE_OK;
}

MOE_API int moe_op_swiglu(const moe_ctx *ctx, const float *gate, const float *up, int64_t n, float *out) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (gate == NULL || up == NULL || out == NULL || !count_ok(n)) {
        return MOE_ERR_INVALID_ARG;
    }
    level->swiglu(gate, up, n, out);
    return MOE_OK;
}

MOE_API int moe_op_swiglu_oai(const moe_ctx *ctx, const float *gate, const float *up, int64_t n, float alpha,
                              float limit, float *out) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (gate == NULL || up == NULL || out == NULL || !count_ok(n) || !isfinite(alpha) || !isfinite(limit)
        || limit < 0.0f) {
        return MOE_ERR_INVALID_ARG;
    }
    level->swiglu_oai(gate, up, n, alpha, limit, out);
    return MOE_OK;
}

MOE_API int moe_op_topk(const moe_ctx *ctx, const float *x, int64_t n, int64_t k, int32_t *idx, float *val) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    (void) level; /* one implementation for every level, see ops_internal.h */
    if (x == NULL || idx == NULL || n < 1 || n > INT32_MAX || k < 1 || k > n) {
        return MOE_ERR_INVALID_ARG;
    }
    moe_ops_topk_select(x, n, k, idx, val);
    return MOE_OK;
}

MOE_API int moe_op_add(const moe_ctx *ctx, const float *a, const float *b, int64_t n, float *out) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (a == NULL || b == NULL || out == NULL || !count_ok(n)) {
        return MOE_ERR_INVALID_ARG;
    }
    level->add(a, b, n, out);
    return MOE_OK;
}

MOE_API int moe_op_scale(const moe_ctx *ctx, const float *x, int64_t n, float s, float *out) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (x == NULL || out == NULL || !count_ok(n)) {
        return MOE_ERR_INVALID_ARG;
    }
    level->scale(x, n, s, out);
    return MOE_OK;
}

MOE_API int moe_op_axpy(const moe_ctx *ctx, float a, const float *x, int64_t n, float *y) {
    MOE_LEVEL_OR_RETURN(level, ctx);
    if (x == NULL || y == NULL || !count_ok(n)) {
        return MOE_ERR_INVALID_ARG;
    }
    level->axpy(a, x, n, y);
    return MOE_OK;
}
