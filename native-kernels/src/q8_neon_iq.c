/* PLACEHOLDER (being replaced by NEON code): the scalar level's products for the i-quant grid and ternary formats. */
#include "internal.h"
#include "q8_blocks.h"
#include "q8_neon.h"

#define ROW_K_SCALED(suffix, bytes, d_at, factor, isum_fn)                                                             \
    Q8_NEON_DECLARE(suffix) {                                                                                          \
        for (int64_t r = 0; r < n_rows; r++)                                                                           \
            for (int t = 0; t < n_tok; t++) {                                                                          \
                const q8k_row v = moe_q8k_view(xq + t * xs, nb);                                                       \
                float lanes[16] = {0};                                                                                 \
                for (int64_t b = 0; b < nb; b++) {                                                                     \
                    const uint8_t *blk = w + r * row_bytes + b * (bytes);                                              \
                    lanes[b & 15] += moe_q8_scaled((factor) * moe_rd_f16(blk + (d_at)), v.d[b], isum_fn(blk, v.qs + 256 * b)); \
                }                                                                                                      \
                out[t * os + r] = moe_q8_sum16(lanes);                                                                 \
            }                                                                                                          \
    }
ROW_K_SCALED(iq2_xxs, BYTES_IQ2_XXS, 0, 0.125f, moe_isum_iq2_xxs)
ROW_K_SCALED(iq2_xs, BYTES_IQ2_XS, 0, 0.125f, moe_isum_iq2_xs)
ROW_K_SCALED(iq2_s, BYTES_IQ2_S, 0, 0.125f, moe_isum_iq2_s)
ROW_K_SCALED(iq3_xxs, BYTES_IQ3_XXS, 0, 0.25f, moe_isum_iq3_xxs)
ROW_K_SCALED(iq3_s, BYTES_IQ3_S, 0, 1.0f, moe_isum_iq3_s)
ROW_K_SCALED(tq1_0, BYTES_TQ1_0, 52, 1.0f, moe_isum_tq1_0)
ROW_K_SCALED(tq2_0, BYTES_TQ2_0, 64, 1.0f, moe_isum_tq2_0)

Q8_NEON_DECLARE(iq1_s) {
    for (int64_t r = 0; r < n_rows; r++)
        for (int t = 0; t < n_tok; t++) {
            const q8k_row v = moe_q8k_view(xq + t * xs, nb);
            float lanes[16] = {0};
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = w + r * row_bytes + b * BYTES_IQ1_S;
                int32_t sumi, sumi1;
                moe_isum_iq1_s(blk, v.qs + 256 * b, v.bsums + 16 * b, &sumi, &sumi1);
                lanes[b & 15] += moe_q8_scaled_iq1(moe_rd_f16(blk), v.d[b], sumi, sumi1);
            }
            out[t * os + r] = moe_q8_sum16(lanes);
        }
}

Q8_NEON_DECLARE(iq1_m) {
    for (int64_t r = 0; r < n_rows; r++)
        for (int t = 0; t < n_tok; t++) {
            const q8k_row v = moe_q8k_view(xq + t * xs, nb);
            float lanes[16] = {0};
            for (int64_t b = 0; b < nb; b++) {
                const uint8_t *blk = w + r * row_bytes + b * BYTES_IQ1_M;
                int32_t sumi1, sumi2;
                moe_isum_iq1_m(blk, v.qs + 256 * b, &sumi1, &sumi2);
                lanes[b & 15] += moe_q8_scaled_iq1(moe_iq1_m_scale(blk), v.d[b], sumi1, sumi2);
            }
            out[t * os + r] = moe_q8_sum16(lanes);
        }
}
