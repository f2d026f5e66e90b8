/*
 * q8_avx512_kq.c - the AVX-512 8-bit-activation products of the K-quants (Q2_K .. Q6_K) and IQ4_XS (DEFINE_K,
 * q8_avx512_k.h).
 */
#include "q8_avx512_k.h"

/* IQ4_XS: code book values + 128 as unsigned bytes (vpdpbusd: no 16-bit pair limit), the 8 sub-block scales applied
 * to the 32-bit sums by vpmulld (S holds them as dwords); isum = sum(scale * raw) - 128 * sum(scale * bsums). */
INLINE void iq4_xs_block(const uint8_t *blk, k_block *k) {
    /* the 8 scales ls - 32: low 4 bits from nibble ib of scales_l, high 2 from bits 2ib of scales_h */
    const __m256i sl = _mm256_set1_epi32((int)moe_rd_u32(blk + 4)), sh = _mm256_set1_epi32(moe_rd_u16(blk + 2));
    const __m256i lo = _mm256_and_si256(_mm256_srlv_epi32(sl, _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
                                        _mm256_set1_epi32(0x0F));
    const __m256i hi = _mm256_and_si256(_mm256_srlv_epi32(sh, _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
                                        _mm256_set1_epi32(3));
    const __m512i lsv = _mm512_castsi256_si512(
        _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), _mm256_set1_epi32(32)));
    const __m512i book = iq4_book_biased();
    for (int c = 0; c < 4; c++) {
        const __m512i y = _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(blk + 8 + 32 * c)));
        const __m512i z = _mm512_shuffle_i64x2(y, y, 0x50); /* 16-byte lanes 0 0 1 1 */
        k->W[c] = _mm512_shuffle_epi8(book, _mm512_and_si512(_mm512_srlv_epi16(z, shifts_nibble_lanes()),
                                                              _mm512_set1_epi8(0x0F)));
        k->S[c] = _mm512_permutexvar_epi32(
            _mm512_inserti64x4(_mm512_set1_epi32(2 * c), _mm256_set1_epi32(2 * c + 1), 1), lsv);
    }
    /* word k of 16 = ls[k / 2] against bsum k */
    k->bw = _mm512_cvtepi32_epi16(
        _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7), lsv));
    k->dw = f16s(blk);
    k->dmin = 0.0f;
}

INLINE void iq4_xs_sums(const k_block *k, const int8_t *q, const int16_t *bs, int32_t *isum, int32_t *bsum_term) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    for (int c = 0; c < 4; c += 2) {
        const __m512i r0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), k->W[c], _mm512_loadu_si512(q + 64 * c));
        const __m512i r1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), k->W[c + 1], _mm512_loadu_si512(q + 64 * c + 64));
        acc0 = _mm512_add_epi32(acc0, _mm512_mullo_epi32(r0, k->S[c]));
        acc1 = _mm512_add_epi32(acc1, _mm512_mullo_epi32(r1, k->S[c + 1]));
    }
    hsum2(_mm512_add_epi32(acc0, acc1), _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bs), k->bw), isum,
          bsum_term);
}

DEFINE_K(q2_k, BYTES_Q2_K, q2_k_block, k_sums, -1, K_MIN, (void)0)
DEFINE_K(q3_k, BYTES_Q3_K, q3_k_block, k_sums, 2, K_MIN, (void)0)
DEFINE_K(q4_k, BYTES_Q4_K, q4_k_block, k_sums, -1, K_MIN, (void)0)
DEFINE_K(q5_k, BYTES_Q5_K, q5_k_block, k_sums, -1, K_MIN, (void)0)
DEFINE_K(q6_k, BYTES_Q6_K, q6_k_block, k_sums, 5, K_MIN, (void)0)
DEFINE_K(iq4_xs, BYTES_IQ4_XS, iq4_xs_block, iq4_xs_sums, 7, K_MIN, (void)0)
