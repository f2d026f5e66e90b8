/*
 * q8_scalar.c - the reference level of the 8-bit-activation products: q8_blocks.h's quantizers and integer sums, block
 * by block, with the per-type f32 formulas written out once (the SIMD levels reproduce them bit for bit).
 * Built with -fno-tree-vectorize -ffp-contract=off, like the other scalar kernels.
 */
#include "internal.h"
#include "q8_blocks.h"

/* ---- quantizers ------------------------------------------------------------------------------------------------ */

static void quantize_q8s(const float *x, int64_t nb, uint8_t *row) {
    moe_q8s_quantize_ref(x, nb, row);
}

static void quantize_q8k(const float *x, int64_t nb, uint8_t *row) {
    moe_q8k_quantize_ref(x, nb, row);
}

/* ---- dot products: one token at a time, block by block ------------------------------------------------------ */

static void row_q4_0(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8s_row v = moe_q8s_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q4_0;
            lanes[b & 15] += moe_q8_scaled(moe_rd_f16(blk), v.d[b], moe_isum_q4_0(blk, v.qs + 32 * b));
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q4_1(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8s_row v = moe_q8s_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q4_1;
            lanes[b & 15] += moe_q8_scaled_min(moe_rd_f16(blk), v.d[b], moe_isum_q4_1(blk, v.qs + 32 * b), moe_rd_f16(blk + 2),
                                        v.s[b]);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q5_0(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8s_row v = moe_q8s_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q5_0;
            const int32_t isum = moe_isum_q5(blk + 6, moe_rd_u32(blk + 2), v.qs + 32 * b, 16);
            lanes[b & 15] += moe_q8_scaled(moe_rd_f16(blk), v.d[b], isum);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q5_1(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8s_row v = moe_q8s_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q5_1;
            const int32_t isum = moe_isum_q5(blk + 8, moe_rd_u32(blk + 4), v.qs + 32 * b, 0);
            lanes[b & 15] += moe_q8_scaled_min(moe_rd_f16(blk), v.d[b], isum, moe_rd_f16(blk + 2), v.s[b]);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q8_0(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8s_row v = moe_q8s_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q8_0;
            lanes[b & 15] += moe_q8_scaled(moe_rd_f16(blk), v.d[b], moe_isum_q8_0(blk, v.qs + 32 * b));
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_iq4_nl(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8s_row v = moe_q8s_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_IQ4_NL;
            lanes[b & 15] += moe_q8_scaled(moe_rd_f16(blk), v.d[b], moe_isum_iq4_nl(blk, v.qs + 32 * b));
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q2_k(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8k_row v = moe_q8k_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q2_K;
            int32_t isum, summs;
            moe_isum_q2_k(blk, v.qs + 256 * b, v.bsums + 16 * b, &isum, &summs);
            lanes[b & 15] += moe_q8_scaled_k(moe_rd_f16(blk + 80), moe_rd_f16(blk + 82), v.d[b], isum, summs);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q3_k(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8k_row v = moe_q8k_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q3_K;
            lanes[b & 15] += moe_q8_scaled_k(moe_rd_f16(blk + 108), 0.0f, v.d[b], moe_isum_q3_k(blk, v.qs + 256 * b), 0);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q4_k(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8k_row v = moe_q8k_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q4_K;
            int32_t isum, summs;
            moe_isum_q45_k(blk, v.qs + 256 * b, v.bsums + 16 * b, 0, &isum, &summs);
            lanes[b & 15] += moe_q8_scaled_k(moe_rd_f16(blk), moe_rd_f16(blk + 2), v.d[b], isum, summs);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q5_k(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8k_row v = moe_q8k_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q5_K;
            int32_t isum, summs;
            moe_isum_q45_k(blk, v.qs + 256 * b, v.bsums + 16 * b, 1, &isum, &summs);
            lanes[b & 15] += moe_q8_scaled_k(moe_rd_f16(blk), moe_rd_f16(blk + 2), v.d[b], isum, summs);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_q6_k(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8k_row v = moe_q8k_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_Q6_K;
            lanes[b & 15] += moe_q8_scaled_k(moe_rd_f16(blk + 208), 0.0f, v.d[b], moe_isum_q6_k(blk, v.qs + 256 * b), 0);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_iq4_xs(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8k_row v = moe_q8k_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_IQ4_XS;
            lanes[b & 15] += moe_q8_scaled_k(moe_rd_f16(blk), 0.0f, v.d[b], moe_isum_iq4_xs(blk, v.qs + 256 * b), 0);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

/* ---- i-quant, ternary and MXFP4 formats (q8_blocks.h's per-block formulas) ------------------------------------ */

/* Q8_K formats whose block result is moe_q8_scaled(factor * fp16(d), dx, isum), d the f16 at byte d_at of the block. */
#define DEFINE_ROW_K_SCALED(suffix, bytes, d_at, factor, isum_fn)                                                      \
    static void row_##suffix(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out,       \
                             int64_t os) {                                                                             \
        for (int t = 0; t < n_tok; t++) {                                                                              \
            const q8k_row v = moe_q8k_view(xq + t * xs, nb);                                                           \
            float lanes[16] = {0};                                                                                     \
            for (int64_t b = 0; b < nb; b++) {                                                                         \
                const uint8_t *blk = w + b * (bytes);                                                                  \
                const float dw = (factor) * moe_rd_f16(blk + (d_at));                                                  \
                lanes[b & 15] += moe_q8_scaled(dw, v.d[b], isum_fn(blk, v.qs + 256 * b));                              \
            }                                                                                                          \
            out[t * os] = moe_q8_sum16(lanes);                                                                         \
        }                                                                                                              \
    }

DEFINE_ROW_K_SCALED(iq2_xxs, BYTES_IQ2_XXS, 0, 0.125f, moe_isum_iq2_xxs)
DEFINE_ROW_K_SCALED(iq2_xs, BYTES_IQ2_XS, 0, 0.125f, moe_isum_iq2_xs)
DEFINE_ROW_K_SCALED(iq2_s, BYTES_IQ2_S, 0, 0.125f, moe_isum_iq2_s)
DEFINE_ROW_K_SCALED(iq3_xxs, BYTES_IQ3_XXS, 0, 0.25f, moe_isum_iq3_xxs)
DEFINE_ROW_K_SCALED(iq3_s, BYTES_IQ3_S, 0, 1.0f, moe_isum_iq3_s)
DEFINE_ROW_K_SCALED(tq1_0, BYTES_TQ1_0, 52, 1.0f, moe_isum_tq1_0)
DEFINE_ROW_K_SCALED(tq2_0, BYTES_TQ2_0, 64, 1.0f, moe_isum_tq2_0)

static void row_iq1_s(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8k_row v = moe_q8k_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_IQ1_S;
            int32_t sumi, sumi1;
            moe_isum_iq1_s(blk, v.qs + 256 * b, v.bsums + 16 * b, &sumi, &sumi1);
            lanes[b & 15] += moe_q8_scaled_iq1(moe_rd_f16(blk), v.d[b], sumi, sumi1);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_iq1_m(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8k_row v = moe_q8k_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_IQ1_M;
            int32_t sumi1, sumi2;
            moe_isum_iq1_m(blk, v.qs + 256 * b, &sumi1, &sumi2);
            lanes[b & 15] += moe_q8_scaled_iq1(moe_iq1_m_scale(blk), v.d[b], sumi1, sumi2);
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

static void row_mxfp4(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os) {
    for (int t = 0; t < n_tok; t++) {
        const q8s_row v = moe_q8s_view(xq + t * xs, nb);
        float lanes[16] = {0};
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + b * BYTES_MXFP4;
            lanes[b & 15] += moe_q8_scaled(moe_e8m0_half(blk[0]), v.d[b], moe_isum_mxfp4(blk, v.qs + 32 * b));
        }
        out[t * os] = moe_q8_sum16(lanes);
    }
}

/* The table's entry: every row of a range. */
#define DEFINE_ROWS(suffix)                                                                                            \
    static void q8dot_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,     \
                               int64_t xs, int n_tok, float *out, int64_t os) {                                        \
        for (int64_t r = 0; r < n_rows; r++) {                                                                         \
            row_##suffix(w + r * row_bytes, nb, xq, xs, n_tok, out + r, os);                                           \
        }                                                                                                              \
    }

DEFINE_ROWS(q4_0)
DEFINE_ROWS(q4_1)
DEFINE_ROWS(q5_0)
DEFINE_ROWS(q5_1)
DEFINE_ROWS(q8_0)
DEFINE_ROWS(iq4_nl)
DEFINE_ROWS(q2_k)
DEFINE_ROWS(q3_k)
DEFINE_ROWS(q4_k)
DEFINE_ROWS(q5_k)
DEFINE_ROWS(q6_k)
DEFINE_ROWS(iq4_xs)
DEFINE_ROWS(iq2_xxs)
DEFINE_ROWS(iq2_xs)
DEFINE_ROWS(iq2_s)
DEFINE_ROWS(iq3_xxs)
DEFINE_ROWS(iq3_s)
DEFINE_ROWS(iq1_s)
DEFINE_ROWS(iq1_m)
DEFINE_ROWS(tq1_0)
DEFINE_ROWS(tq2_0)
DEFINE_ROWS(mxfp4)

const moe_q8_kernels moe_q8_kernels_scalar = {
    .quantize = {quantize_q8s, quantize_q8k},
    .dot =
        {
            MOE_Q8_ROW(Q4_0, q4_0),
            MOE_Q8_ROW(Q4_1, q4_1),
            MOE_Q8_ROW(Q5_0, q5_0),
            MOE_Q8_ROW(Q5_1, q5_1),
            MOE_Q8_ROW(Q8_0, q8_0),
            MOE_Q8_ROW(Q2_K, q2_k),
            MOE_Q8_ROW(Q3_K, q3_k),
            MOE_Q8_ROW(Q4_K, q4_k),
            MOE_Q8_ROW(Q5_K, q5_k),
            MOE_Q8_ROW(Q6_K, q6_k),
            MOE_Q8_ROW(IQ4_NL, iq4_nl),
            MOE_Q8_ROW(IQ4_XS, iq4_xs),
            MOE_Q8_ROW(IQ2_XXS, iq2_xxs),
            MOE_Q8_ROW(IQ2_XS, iq2_xs),
            MOE_Q8_ROW(IQ2_S, iq2_s),
            MOE_Q8_ROW(IQ3_XXS, iq3_xxs),
            MOE_Q8_ROW(IQ3_S, iq3_s),
            MOE_Q8_ROW(IQ1_S, iq1_s),
            MOE_Q8_ROW(IQ1_M, iq1_m),
            MOE_Q8_ROW(TQ1_0, tq1_0),
            MOE_Q8_ROW(TQ2_0, tq2_0),
            MOE_Q8_ROW(MXFP4, mxfp4),
        },
    .dot_max = 8,
};
