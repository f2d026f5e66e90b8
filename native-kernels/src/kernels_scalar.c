/*
 * kernels_scalar.c - the reference level: portable C, no explicit SIMD, built with -fno-tree-vectorize.
 *
 * Dot products dequantize one block into a buffer (exactly the quant_blocks.h values), sum that block's products in
 * f32 in element order, and add the block sums in block order. F32/F16/BF16 rows are summed the same way in groups of
 * 32 elements. The SIMD levels are tested against this level.
 */
#include "internal.h"
#include "quant_blocks.h"

/* ---- dequantize -------------------------------------------------------------------------------------------------- */

static void dq_f32(const void *src, int64_t n_blocks, float *dst) {
    memcpy(dst, src, (size_t)n_blocks * sizeof(float));
}

static void dq_f16(const void *src, int64_t n_blocks, float *dst) {
    const uint8_t *s = (const uint8_t *)src;
    for (int64_t i = 0; i < n_blocks; i++) {
        dst[i] = moe_rd_f16(s + 2 * i);
    }
}

static void dq_bf16(const void *src, int64_t n_blocks, float *dst) {
    const uint8_t *s = (const uint8_t *)src;
    for (int64_t i = 0; i < n_blocks; i++) {
        dst[i] = moe_bf16_to_f32(moe_rd_u16(s + 2 * i));
    }
}

MOE_DEFINE_DQ(dq_q4_0, moe_dq_q4_0, BYTES_Q4_0, QK_SMALL)
MOE_DEFINE_DQ(dq_q4_1, moe_dq_q4_1, BYTES_Q4_1, QK_SMALL)
MOE_DEFINE_DQ(dq_q5_0, moe_dq_q5_0, BYTES_Q5_0, QK_SMALL)
MOE_DEFINE_DQ(dq_q5_1, moe_dq_q5_1, BYTES_Q5_1, QK_SMALL)
MOE_DEFINE_DQ(dq_q8_0, moe_dq_q8_0, BYTES_Q8_0, QK_SMALL)
MOE_DEFINE_DQ(dq_iq4_nl, moe_dq_iq4_nl, BYTES_IQ4_NL, QK_SMALL)
MOE_DEFINE_DQ(dq_q2_k, moe_dq_q2_k, BYTES_Q2_K, QK_K)
MOE_DEFINE_DQ(dq_q3_k, moe_dq_q3_k, BYTES_Q3_K, QK_K)
MOE_DEFINE_DQ(dq_q4_k, moe_dq_q4_k, BYTES_Q4_K, QK_K)
MOE_DEFINE_DQ(dq_q5_k, moe_dq_q5_k, BYTES_Q5_K, QK_K)
MOE_DEFINE_DQ(dq_q6_k, moe_dq_q6_k, BYTES_Q6_K, QK_K)
MOE_DEFINE_DQ(dq_iq4_xs, moe_dq_iq4_xs, BYTES_IQ4_XS, QK_K)
MOE_DEFINE_DQ(dq_iq2_xxs, moe_dq_iq2_xxs, BYTES_IQ2_XXS, QK_K)
MOE_DEFINE_DQ(dq_iq2_xs, moe_dq_iq2_xs, BYTES_IQ2_XS, QK_K)
MOE_DEFINE_DQ(dq_iq2_s, moe_dq_iq2_s, BYTES_IQ2_S, QK_K)
MOE_DEFINE_DQ(dq_iq3_xxs, moe_dq_iq3_xxs, BYTES_IQ3_XXS, QK_K)
MOE_DEFINE_DQ(dq_iq3_s, moe_dq_iq3_s, BYTES_IQ3_S, QK_K)
MOE_DEFINE_DQ(dq_iq1_s, moe_dq_iq1_s, BYTES_IQ1_S, QK_K)
MOE_DEFINE_DQ(dq_iq1_m, moe_dq_iq1_m, BYTES_IQ1_M, QK_K)
MOE_DEFINE_DQ(dq_tq1_0, moe_dq_tq1_0, BYTES_TQ1_0, QK_K)
MOE_DEFINE_DQ(dq_tq2_0, moe_dq_tq2_0, BYTES_TQ2_0, QK_K)
MOE_DEFINE_DQ(dq_mxfp4, moe_dq_mxfp4, BYTES_MXFP4, QK_SMALL)

/* ---- dot products ------------------------------------------------------------------------------------------------ */

/* Sum of w[i]*x[i] over n elements in order, in f32. */
static float dot_seq(const float *w, const float *x, int64_t n) {
    float s = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        s += w[i] * x[i];
    }
    return s;
}

/* F32/F16/BF16: decode up to 32 elements at a time and sum per group of 32. */
#define DEFINE_DOT_PLAIN(name, decode_group)                                                                           \
    static float name(const void *row, int64_t n, const float *x) {                                                    \
        const uint8_t *r = (const uint8_t *)row;                                                                       \
        float buf[32];                                                                                                 \
        float total = 0.0f;                                                                                            \
        for (int64_t i = 0; i < n; i += 32) {                                                                          \
            const int64_t len = n - i < 32 ? n - i : 32;                                                               \
            decode_group(r, i, len, buf);                                                                              \
            total += dot_seq(buf, x + i, len);                                                                         \
        }                                                                                                              \
        return total;                                                                                                  \
    }

#define GROUP_F32(r, i, len, buf) dq_f32((r) + 4 * (i), (len), (buf))
#define GROUP_F16(r, i, len, buf) dq_f16((r) + 2 * (i), (len), (buf))
#define GROUP_BF16(r, i, len, buf) dq_bf16((r) + 2 * (i), (len), (buf))

DEFINE_DOT_PLAIN(dot_f32, GROUP_F32)
DEFINE_DOT_PLAIN(dot_f16, GROUP_F16)
DEFINE_DOT_PLAIN(dot_bf16, GROUP_BF16)

/* Block formats: decode a block, sum its products, add the block sum. */
#define DEFINE_DOT_BLOCKS(name, fn, bytes, elems)                                                                      \
    static float name(const void *row, int64_t n_blocks, const float *x) {                                             \
        const uint8_t *r = (const uint8_t *)row;                                                                       \
        float buf[elems];                                                                                              \
        float total = 0.0f;                                                                                            \
        for (int64_t b = 0; b < n_blocks; b++) {                                                                       \
            fn(r + b * (bytes), buf);                                                                                  \
            total += dot_seq(buf, x + b * (elems), (elems));                                                           \
        }                                                                                                              \
        return total;                                                                                                  \
    }

DEFINE_DOT_BLOCKS(dot_q4_0, moe_dq_q4_0, BYTES_Q4_0, QK_SMALL)
DEFINE_DOT_BLOCKS(dot_q4_1, moe_dq_q4_1, BYTES_Q4_1, QK_SMALL)
DEFINE_DOT_BLOCKS(dot_q5_0, moe_dq_q5_0, BYTES_Q5_0, QK_SMALL)
DEFINE_DOT_BLOCKS(dot_q5_1, moe_dq_q5_1, BYTES_Q5_1, QK_SMALL)
DEFINE_DOT_BLOCKS(dot_q8_0, moe_dq_q8_0, BYTES_Q8_0, QK_SMALL)
DEFINE_DOT_BLOCKS(dot_iq4_nl, moe_dq_iq4_nl, BYTES_IQ4_NL, QK_SMALL)
DEFINE_DOT_BLOCKS(dot_q2_k, moe_dq_q2_k, BYTES_Q2_K, QK_K)
DEFINE_DOT_BLOCKS(dot_q3_k, moe_dq_q3_k, BYTES_Q3_K, QK_K)
DEFINE_DOT_BLOCKS(dot_q4_k, moe_dq_q4_k, BYTES_Q4_K, QK_K)
DEFINE_DOT_BLOCKS(dot_q5_k, moe_dq_q5_k, BYTES_Q5_K, QK_K)
DEFINE_DOT_BLOCKS(dot_q6_k, moe_dq_q6_k, BYTES_Q6_K, QK_K)
DEFINE_DOT_BLOCKS(dot_iq4_xs, moe_dq_iq4_xs, BYTES_IQ4_XS, QK_K)
DEFINE_DOT_BLOCKS(dot_iq2_xxs, moe_dq_iq2_xxs, BYTES_IQ2_XXS, QK_K)
DEFINE_DOT_BLOCKS(dot_iq2_xs, moe_dq_iq2_xs, BYTES_IQ2_XS, QK_K)
DEFINE_DOT_BLOCKS(dot_iq2_s, moe_dq_iq2_s, BYTES_IQ2_S, QK_K)
DEFINE_DOT_BLOCKS(dot_iq3_xxs, moe_dq_iq3_xxs, BYTES_IQ3_XXS, QK_K)
DEFINE_DOT_BLOCKS(dot_iq3_s, moe_dq_iq3_s, BYTES_IQ3_S, QK_K)
DEFINE_DOT_BLOCKS(dot_iq1_s, moe_dq_iq1_s, BYTES_IQ1_S, QK_K)
DEFINE_DOT_BLOCKS(dot_iq1_m, moe_dq_iq1_m, BYTES_IQ1_M, QK_K)
DEFINE_DOT_BLOCKS(dot_tq1_0, moe_dq_tq1_0, BYTES_TQ1_0, QK_K)
DEFINE_DOT_BLOCKS(dot_tq2_0, moe_dq_tq2_0, BYTES_TQ2_0, QK_K)
DEFINE_DOT_BLOCKS(dot_mxfp4, moe_dq_mxfp4, BYTES_MXFP4, QK_SMALL)

/* ---- multi-token dots: decode a block once, one block sum per token ------------------------------------------------ */

#define DOTN_MAX 8

#define DEFINE_DOTN_BLOCKS(name, fn, bytes, elems)                                                                     \
    static void name(const void *row, int64_t n_blocks, const float *x, int64_t xs, int n_tok, float *out,            \
                     int64_t os) {                                                                                     \
        const uint8_t *r = (const uint8_t *)row;                                                                       \
        float buf[elems];                                                                                              \
        float total[DOTN_MAX] = {0};                                                                                   \
        for (int64_t b = 0; b < n_blocks; b++) {                                                                       \
            fn(r + b * (bytes), buf);                                                                                  \
            for (int t = 0; t < n_tok; t++) {                                                                          \
                total[t] += dot_seq(buf, x + t * xs + b * (elems), (elems));                                           \
            }                                                                                                          \
        }                                                                                                              \
        for (int t = 0; t < n_tok; t++) {                                                                              \
            out[t * os] = total[t];                                                                                    \
        }                                                                                                              \
    }

DEFINE_DOTN_BLOCKS(dotn_q4_0, moe_dq_q4_0, BYTES_Q4_0, QK_SMALL)
DEFINE_DOTN_BLOCKS(dotn_q4_1, moe_dq_q4_1, BYTES_Q4_1, QK_SMALL)
DEFINE_DOTN_BLOCKS(dotn_q5_0, moe_dq_q5_0, BYTES_Q5_0, QK_SMALL)
DEFINE_DOTN_BLOCKS(dotn_q5_1, moe_dq_q5_1, BYTES_Q5_1, QK_SMALL)
DEFINE_DOTN_BLOCKS(dotn_q8_0, moe_dq_q8_0, BYTES_Q8_0, QK_SMALL)
DEFINE_DOTN_BLOCKS(dotn_iq4_nl, moe_dq_iq4_nl, BYTES_IQ4_NL, QK_SMALL)
DEFINE_DOTN_BLOCKS(dotn_q2_k, moe_dq_q2_k, BYTES_Q2_K, QK_K)
DEFINE_DOTN_BLOCKS(dotn_q3_k, moe_dq_q3_k, BYTES_Q3_K, QK_K)
DEFINE_DOTN_BLOCKS(dotn_q4_k, moe_dq_q4_k, BYTES_Q4_K, QK_K)
DEFINE_DOTN_BLOCKS(dotn_q5_k, moe_dq_q5_k, BYTES_Q5_K, QK_K)
DEFINE_DOTN_BLOCKS(dotn_q6_k, moe_dq_q6_k, BYTES_Q6_K, QK_K)
DEFINE_DOTN_BLOCKS(dotn_iq4_xs, moe_dq_iq4_xs, BYTES_IQ4_XS, QK_K)
DEFINE_DOTN_BLOCKS(dotn_iq2_xxs, moe_dq_iq2_xxs, BYTES_IQ2_XXS, QK_K)
DEFINE_DOTN_BLOCKS(dotn_iq2_xs, moe_dq_iq2_xs, BYTES_IQ2_XS, QK_K)
DEFINE_DOTN_BLOCKS(dotn_iq2_s, moe_dq_iq2_s, BYTES_IQ2_S, QK_K)
DEFINE_DOTN_BLOCKS(dotn_iq3_xxs, moe_dq_iq3_xxs, BYTES_IQ3_XXS, QK_K)
DEFINE_DOTN_BLOCKS(dotn_iq3_s, moe_dq_iq3_s, BYTES_IQ3_S, QK_K)
DEFINE_DOTN_BLOCKS(dotn_iq1_s, moe_dq_iq1_s, BYTES_IQ1_S, QK_K)
DEFINE_DOTN_BLOCKS(dotn_iq1_m, moe_dq_iq1_m, BYTES_IQ1_M, QK_K)
DEFINE_DOTN_BLOCKS(dotn_tq1_0, moe_dq_tq1_0, BYTES_TQ1_0, QK_K)
DEFINE_DOTN_BLOCKS(dotn_tq2_0, moe_dq_tq2_0, BYTES_TQ2_0, QK_K)
DEFINE_DOTN_BLOCKS(dotn_mxfp4, moe_dq_mxfp4, BYTES_MXFP4, QK_SMALL)

#define DEFINE_DOTN_PLAIN(name, decode_group)                                                                          \
    static void name(const void *row, int64_t n, const float *x, int64_t xs, int n_tok, float *out, int64_t os) {      \
        const uint8_t *r = (const uint8_t *)row;                                                                       \
        float buf[32];                                                                                                 \
        float total[DOTN_MAX] = {0};                                                                                   \
        for (int64_t i = 0; i < n; i += 32) {                                                                          \
            const int64_t len = n - i < 32 ? n - i : 32;                                                               \
            decode_group(r, i, len, buf);                                                                              \
            for (int t = 0; t < n_tok; t++) {                                                                          \
                total[t] += dot_seq(buf, x + t * xs + i, len);                                                         \
            }                                                                                                          \
        }                                                                                                              \
        for (int t = 0; t < n_tok; t++) {                                                                              \
            out[t * os] = total[t];                                                                                    \
        }                                                                                                              \
    }

DEFINE_DOTN_PLAIN(dotn_f32, GROUP_F32)
DEFINE_DOTN_PLAIN(dotn_f16, GROUP_F16)
DEFINE_DOTN_PLAIN(dotn_bf16, GROUP_BF16)

/* ---- f32 tile product -------------------------------------------------------------------------------------------- */

static void gemm_scalar(const float *w, int64_t w_stride, int n_rows, const float *x, int64_t x_stride,
                        int64_t n_tok, int64_t k_len, float *y, int64_t y_stride, int accumulate) {
    for (int64_t t = 0; t < n_tok; t++) {
        const float *xt = x + t * x_stride;
        for (int r = 0; r < n_rows; r++) {
            const float *wr = w + r * w_stride;
            float total = 0.0f;
            for (int64_t k = 0; k < k_len; k += 32) {
                total += dot_seq(wr + k, xt + k, k_len - k < 32 ? k_len - k : 32);
            }
            float *out = y + t * y_stride + r;
            *out = accumulate ? *out + total : total;
        }
    }
}

const moe_kernels moe_kernels_scalar = {
    .level = MOE_CPU_SCALAR,
    .fmt =
        {
            MOE_F32_ROW(F32, f32),
            MOE_F32_ROW(F16, f16),
            MOE_F32_ROW(BF16, bf16),
            MOE_F32_ROW(Q4_0, q4_0),
            MOE_F32_ROW(Q4_1, q4_1),
            MOE_F32_ROW(Q5_0, q5_0),
            MOE_F32_ROW(Q5_1, q5_1),
            MOE_F32_ROW(Q8_0, q8_0),
            MOE_F32_ROW(Q2_K, q2_k),
            MOE_F32_ROW(Q3_K, q3_k),
            MOE_F32_ROW(Q4_K, q4_k),
            MOE_F32_ROW(Q5_K, q5_k),
            MOE_F32_ROW(Q6_K, q6_k),
            MOE_F32_ROW(IQ4_NL, iq4_nl),
            MOE_F32_ROW(IQ4_XS, iq4_xs),
            MOE_F32_ROW(IQ2_XXS, iq2_xxs),
            MOE_F32_ROW(IQ2_XS, iq2_xs),
            MOE_F32_ROW(IQ2_S, iq2_s),
            MOE_F32_ROW(IQ3_XXS, iq3_xxs),
            MOE_F32_ROW(IQ3_S, iq3_s),
            MOE_F32_ROW(IQ1_S, iq1_s),
            MOE_F32_ROW(IQ1_M, iq1_m),
            MOE_F32_ROW(TQ1_0, tq1_0),
            MOE_F32_ROW(TQ2_0, tq2_0),
            MOE_F32_ROW(MXFP4, mxfp4),
        },
    .dotn_max = DOTN_MAX,
    .gemm = gemm_scalar,
};
