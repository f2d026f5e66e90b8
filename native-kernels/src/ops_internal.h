/*
 * ops_internal.h - private contract between ops.c (argument checks, dispatch) and the three level files
 * ops_scalar.c, ops_avx2.c, ops_avx512.c, which each provide one moe_ops_level table.
 *
 * Level functions trust their arguments: ops.c has checked pointers, sizes and parameters before calling them.
 * They run on the calling thread and keep no state.
 */
#ifndef MOE4J_OPS_INTERNAL_H
#define MOE4J_OPS_INTERNAL_H

#include <stdint.h>

typedef struct moe_ops_level {
    /* One row: out = x * (1/sqrt(mean(x^2) + eps)) [* weight]; weight may be NULL; out may equal x.
     * The sum of squares is accumulated in double (as ggml's rms_norm does); the scale is a float. */
    void (*rmsnorm_row)(const float *x, const float *weight, int64_t n, float eps, float *out);

    /* NORM rotation of n_pairs adjacent pairs (x[2j], x[2j+1]) by angle j: cos_t[j], sin_t[j] (already scaled). */
    void (*rope_norm)(float *x, const float *cos_t, const float *sin_t, int64_t n_pairs);

    /* NEOX rotation of n_pairs pairs (lo[j], hi[j]) by angle j. */
    void (*rope_neox)(float *lo, float *hi, const float *cos_t, const float *sin_t, int64_t n_pairs);

    /* One row in place: x = softmax(x * scale). scale > 0 (checked by ops.c). */
    void (*softmax_row)(float *x, int64_t n, float scale);

    /* One row in place with an attention sink (ggml_soft_max_ext with sinks): m = max(max_i x_i*scale, sink) in ggml's
     * form (m > sink ? m : sink, so a NaN sink makes m NaN), x_i = exp(x_i*scale - m) * (float) (1 / (sum_i +
     * expf(sink - m))), the sum in double with the sink's term added last. A row with m = -inf goes through
     * moe_ops_softmax_fully_masked. scale > 0 (checked by ops.c); the sink is not scaled. */
    void (*softmax_sinks_row)(float *x, int64_t n, float scale, float sink);

    /* out = gate / (1 + exp(-gate)) * up; out may equal gate or up. */
    void (*swiglu)(const float *gate, const float *up, int64_t n, float *out);

    /* gpt-oss's clamped SwiGLU (ggml_swiglu_oai), in ggml's operation order: g = min(gate, limit) (NaN stays NaN),
     * u = clamp(up, -limit, limit), out = g / (1 + exp(alpha * -g)) * (u + 1). limit >= 0 and alpha finite (checked
     * by ops.c); out may equal gate or up. */
    void (*swiglu_oai)(const float *gate, const float *up, int64_t n, float alpha, float limit, float *out);

    void (*add)(const float *a, const float *b, int64_t n, float *out);
    void (*scale)(const float *x, int64_t n, float s, float *out);
    void (*axpy)(float a, const float *x, int64_t n, float *y);
} moe_ops_level;

extern const moe_ops_level moe_ops_level_scalar;
extern const moe_ops_level moe_ops_level_avx2;
extern const moe_ops_level moe_ops_level_avx512;
extern const moe_ops_level moe_ops_level_neon;

/* The table of a dispatch level (MOE_CPU_*), or NULL for an unknown level. */
const moe_ops_level *moe_ops_level_of(int level);

/* ---- pieces shared by every level (defined in ops_scalar.c) ------------------------------------------------------ */

/* Per-call constants of ggml_rope_ext's angle computation (see ops_scalar.c for what exactly is matched). */
typedef struct moe_rope_angles {
    float theta_scale; /* freq_base^(-2/n_rot), the per-pair factor of the incremental theta */
    float freq_scale;
    float ext_factor;
    float mscale;      /* attn_factor, times YaRN's 1 + 0.1 ln(1/freq_scale) when ext_factor != 0 */
    float corr_low;    /* YaRN ramp: pair index where extrapolation starts fading out */
    float corr_high;   /* ... and where interpolation is complete */
} moe_rope_angles;

void moe_rope_angles_init(moe_rope_angles *a, int64_t n_rot, float freq_base, float freq_scale, float ext_factor,
                          float attn_factor, float beta_fast, float beta_slow, int32_t n_ctx_orig);

/* Writes cos/sin (times mscale) for pairs [pair0, pair0 + count). *theta is the extrapolated angle of pair0 on entry
 * (the position, as a float, for pair 0) and that of pair0 + count on return, so a caller can fill a long head in
 * chunks and get exactly the numbers of one pass. */
void moe_rope_angles_fill(const moe_rope_angles *a, float *theta, int64_t pair0, int64_t count, float *cos_t,
                          float *sin_t);

/* Selection is comparison-bound and has no SIMD variant: every level uses this one. */
void moe_ops_topk_select(const float *x, int64_t n, int64_t k, int32_t *idx, float *val);

/* Softmax of a row with no entry above -inf (all masked, or only NaN next to masks): masked entries become 0 and NaN
 * stays NaN, instead of the NaN that exp(-inf - (-inf)) would spread over the row. Shared so every level agrees. */
void moe_ops_softmax_fully_masked(float *x, int64_t n);

/* ---- constants of the SIMD exp (ops_avx2.c, ops_avx512.c) -------------------------------------------------------
 * e^x = 2^n * e^r with n = round(x * log2 e) and r = x - n ln2 (ln2 split in a 15-bit head, exact in the product with
 * any |n| <= 256, and a tail), |r| <= ln2/2, e^r by its Taylor series to r^7: the truncation is below 0.1 ulp and the
 * result is within 1 ulp of e^x (0.93 ulp measured on every 7th float with a normal result; ops_selftest checks silu
 * to 1e-6). x is clamped to [MOE_EXP_MIN, MOE_EXP_MAX] first, so n stays in [-150, 128]: below the range e^x rounds
 * to 0, above it overflows to +inf, as expf does. */
#define MOE_EXP_MIN (-104.0f)
#define MOE_EXP_MAX 89.0f
#define MOE_EXP_LOG2E 1.44269504088896341f
#define MOE_EXP_LN2_HI 0.693145751953125f
#define MOE_EXP_LN2_LO 1.428606820309417232e-06f
#define MOE_EXP_C2 (1.0f / 2)
#define MOE_EXP_C3 (1.0f / 6)
#define MOE_EXP_C4 (1.0f / 24)
#define MOE_EXP_C5 (1.0f / 120)
#define MOE_EXP_C6 (1.0f / 720)
#define MOE_EXP_C7 (1.0f / 5040)

#endif /* MOE4J_OPS_INTERNAL_H */
