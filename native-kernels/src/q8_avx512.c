/*
 * q8_avx512.c - the AVX-512 level of the 8-bit-activation products (F/BW/VL/DQ + VNNI), bit-identical to q8_scalar.c.
 *
 * Integer dot products: vpdpbusd (unsigned byte x signed byte, four products per 32-bit lane) for the 32-element
 * formats and IQ4_XS; vpmaddubsw (pairs to 16 bits) + vpdpwssd (x 16-bit scale, to 32 bits) for the K-quants, which
 * applies the sub-block scales in the same instruction that widens. Signed weights are made unsigned by adding a
 * constant k (Q4_0: +8 is the stored nibble, Q8_0/IQ4: +128) and the exact k * sum(activation quants) is subtracted
 * from the integer sum afterwards, using the sums the quantizer stored.
 *
 * 32-element formats work on groups of 16 blocks: eight registers of two blocks each are reduced with a transposing
 * add tree into one register of 16 exact block sums, which are then scaled with 16-wide f32 operations - the same
 * operations, lane by lane, as the scalar level's per-block formula, so results are identical. The weight scales of a
 * group are picked out of its bytes with word permutations (cheaper than a gather). K-quants reduce each super-block's
 * integer sums to two scalars and scale 16 super-blocks at a time, again lane by lane as the scalar formula.
 *
 * Every weight row is decoded once per call of up to DOT_MAX tokens; the unpacked bytes stay in registers while the
 * tokens go by.
 *
 * This file holds the quantizers and the level's table; the products are in one file per format family, which compile
 * in parallel (q8_avx512.h says why and lists them).
 */
#include "q8_avx512.h"

/* ---- quantizers -------------------------------------------------------------------------------------------------- */

static void quantize_q8s(const float *x, int64_t nb, uint8_t *row) {
    const int64_t np = moe_q8s_padded_blocks(nb);
    int8_t *qs = (int8_t *)row;
    float *d_out = (float *)(row + 32 * np), *s_out = (float *)(row + 36 * np);
    int32_t *sum_out = (int32_t *)(row + 40 * np);
    moe_q8s_zero_padding(row, nb);
    const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    for (int64_t b = 0; b < nb; b++) {
        const __m512 v0 = _mm512_loadu_ps(x + 32 * b), v1 = _mm512_loadu_ps(x + 32 * b + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_and_ps(v0, abs_mask), _mm512_and_ps(v1, abs_mask)));
        const float d = amax / 127.0f;
        const __m512 id = _mm512_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        const __m512i q0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, id)); /* MXCSR default: round half to even */
        const __m512i q1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, id));
        const int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));
        _mm_storeu_si128((__m128i *)(qs + 32 * b), _mm512_cvtepi32_epi8(q0));
        _mm_storeu_si128((__m128i *)(qs + 32 * b + 16), _mm512_cvtepi32_epi8(q1));
        d_out[b] = _cvtsh_ss(_cvtss_sh(d, 0));
        s_out[b] = _cvtsh_ss(_cvtss_sh(d * (float)sum, 0));
        sum_out[b] = sum;
    }
}

static void quantize_q8k(const float *x, int64_t nb, uint8_t *row) {
    int8_t *qs = (int8_t *)row;
    float *d_out = (float *)(row + 256 * nb);
    int16_t *bsums = (int16_t *)(row + 260 * nb);
    moe_q8k_zero_padding(row, nb);
    const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 256 * b;
        __m512 m = _mm512_setzero_ps();
        for (int g = 0; g < 16; g++) {
            m = _mm512_max_ps(m, _mm512_and_ps(_mm512_loadu_ps(xb + 16 * g), abs_mask));
        }
        const float amax = _mm512_reduce_max_ps(m);
        if (amax == 0.0f) {
            memset(qs + 256 * b, 0, 256);
            memset(bsums + 16 * b, 0, 32);
            d_out[b] = 0.0f;
            continue;
        }
        int first = 0; /* the first element of largest magnitude sets the sign, as in the scalar scan */
        for (int g = 0; g < 16; g++) {
            const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_and_ps(_mm512_loadu_ps(xb + 16 * g), abs_mask),
                                                     _mm512_set1_ps(amax), _CMP_EQ_OQ);
            if (hit) {
                first = 16 * g + __builtin_ctz(hit);
                break;
            }
        }
        const float iscale = -127.0f / xb[first];
        const __m512 is = _mm512_set1_ps(iscale);
        const __m512i top = _mm512_set1_epi32(127);
        for (int g = 0; g < 16; g++) {
            const __m512i q = _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(is, _mm512_loadu_ps(xb + 16 * g))), top);
            _mm_storeu_si128((__m128i *)(qs + 256 * b + 16 * g), _mm512_cvtepi32_epi8(q));
            bsums[16 * b + g] = (int16_t)_mm512_reduce_add_epi32(q);
        }
        d_out[b] = 1.0f / iscale;
    }
}

/* The products are defined in the family files (q8_avx512_q4q5.c, q8_avx512_q8.c, q8_avx512_kq.c, q8_avx512_iq23.c,
 * q8_avx512_iq1tq.c), see q8_avx512.h. */
#define ROW(name, s) [MOE_T_##name] = moe_q8_avx512_dot_##s
const moe_q8_kernels moe_q8_kernels_avx512 = {
    .quantize = {quantize_q8s, quantize_q8k},
    .dot =
        {
            ROW(Q4_0, q4_0),
            ROW(Q4_1, q4_1),
            ROW(Q5_0, q5_0),
            ROW(Q5_1, q5_1),
            ROW(Q8_0, q8_0),
            ROW(Q2_K, q2_k),
            ROW(Q3_K, q3_k),
            ROW(Q4_K, q4_k),
            ROW(Q5_K, q5_k),
            ROW(Q6_K, q6_k),
            ROW(IQ4_NL, iq4_nl),
            ROW(IQ4_XS, iq4_xs),
            ROW(IQ2_XXS, iq2_xxs),
            ROW(IQ2_XS, iq2_xs),
            ROW(IQ2_S, iq2_s),
            ROW(IQ3_XXS, iq3_xxs),
            ROW(IQ3_S, iq3_s),
            ROW(IQ1_S, iq1_s),
            ROW(IQ1_M, iq1_m),
            ROW(TQ1_0, tq1_0),
            ROW(TQ2_0, tq2_0),
            ROW(MXFP4, mxfp4),
        },
    .dot_max = DOT_MAX,
};
#undef ROW
