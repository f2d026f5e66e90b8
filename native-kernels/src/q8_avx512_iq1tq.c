/*
 * q8_avx512_iq1tq.c - the AVX-512 8-bit-activation products of IQ1_S, IQ1_M, TQ1_0 and TQ2_0 (DEFINE_K,
 * q8_avx512_k.h; how these formats are computed is said in q8_avx512_iq.h).
 */
#include "q8_avx512_iq.h"

/* IQ1_S: 32 index bytes, then 8 words: bits 3l..3l+2 extend index l of the record to 11 bits (2048 points of 8
 * values -1, 0, 1), bits 12-14 the scale, bit 15 the delta's sign. */
INLINE void iq1_s_block(const uint8_t *b, k_block *k) {
    const __m512i lo = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(b + 2)));
    const __m128i qh = _mm_loadu_si128((const __m128i *)(b + 34));
    const __m512i rep = _mm512_permutexvar_epi16(_mm512_load_si512(words_div4), _mm512_castsi128_si512(qh));
    /* index of group g = lo | ((qh >> 3 (g % 4)) & 7) << 8 */
    const __m512i hi = _mm512_slli_epi16(_mm512_srlv_epi16(rep, shifts_by4(3)), 8);
    const __m512i ix = _mm512_ternarylogic_epi32(lo, hi, _mm512_set1_epi16(0x700), 0xF8);
    __m512i g[4];
    gather_points(moe_iq1s_grid, ix, g);
    for (int c = 0; c < 4; c++) {
        k->W[c] = _mm512_add_epi8(g[c], _mm512_set1_epi8(1));
    }
    const __m256i q32 = _mm256_cvtepu16_epi32(qh);
    const __m256i ls = _mm256_add_epi32(_mm256_and_si256(_mm256_srli_epi32(q32, 11), _mm256_set1_epi32(14)),
                                        _mm256_set1_epi32(1));
    scales32(ls, k);
    /* ls * delta for the delta sum: negated where bit 15 is set */
    const __m256i lsd = _mm256_mask_sub_epi32(ls, _mm256_test_epi32_mask(q32, _mm256_set1_epi32(0x8000)),
                                              _mm256_setzero_si256(), ls);
    k->bw2 = _mm256_or_si256(_mm256_and_si256(lsd, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(lsd, 16));
    k->dw = f16s(b);
    k->dmin = 0.0f;
}

/* isum = sum(ls * grid * q) (the +1 of the weights taken off with the bsums), delta_sum = sum(ls * delta * bsum). */
INLINE void iq1_s_sums(const k_block *k, const int8_t *q, const int16_t *bs, int32_t *isum, int32_t *delta_sum) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    acc0 = _mm512_dpwssd_epi32(acc0, _mm512_maddubs_epi16(k->W[0], _mm512_loadu_si512(q)), k->S[0]);
    acc1 = _mm512_dpwssd_epi32(acc1, _mm512_maddubs_epi16(k->W[1], _mm512_loadu_si512(q + 64)), k->S[1]);
    acc0 = _mm512_dpwssd_epi32(acc0, _mm512_maddubs_epi16(k->W[2], _mm512_loadu_si512(q + 128)), k->S[2]);
    acc1 = _mm512_dpwssd_epi32(acc1, _mm512_maddubs_epi16(k->W[3], _mm512_loadu_si512(q + 192)), k->S[3]);
    const __m256i bsv = _mm256_loadu_si256((const __m256i *)bs);
    const __m512i acc = _mm512_add_epi32(acc0, acc1);
    hsum2(_mm512_mask_sub_epi32(acc, 0x00FF, acc, _mm512_castsi256_si512(_mm256_madd_epi16(bsv, k->bw))),
          _mm256_madd_epi16(bsv, k->bw2), isum, delta_sum);
}

/* IQ1_M: 32 index bytes; 16 bytes of a nibble per group of 8 (bits 0-2 extend the index to 11 bits, bit 3 the delta's
 * sign); 4 words whose bits 0-11 are four 3-bit scales (one per 16 elements) and bits 12-15 a quarter of the f16 d. */
INLINE void iq1_m_block(const uint8_t *b, k_block *k) {
    const __m512i lo = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)b));
    const __m512i qh = _mm512_castsi256_si512(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(b + 32))));
    const __m512i rep = _mm512_permutexvar_epi16(_mm512_load_si512(words_div2), qh); /* word g: qh[g / 2] */
    const __m512i nib = _mm512_and_si512(_mm512_srlv_epi16(rep, shifts_by2(4)), _mm512_set1_epi16(0x0F));
    __m512i g[4];
    gather_points(moe_iq1s_grid, _mm512_ternarylogic_epi32(lo, _mm512_slli_epi16(nib, 8), _mm512_set1_epi16(0x700),
                                                           0xF8), g);
    const uint32_t neg = (uint32_t)_mm512_test_epi16_mask(nib, _mm512_set1_epi16(8)); /* bit g: delta -1 */
    for (int c = 0; c < 4; c++) {
        k->W[c] = _mm512_add_epi8(g[c], _mm512_set1_epi8(1));
        /* delta + 1: 2 on the 8 elements of a group whose delta is +1, 0 where it is -1 */
        const uint64_t n8 = _pdep_u64((neg >> (8 * c)) & 0xFF, 0x0101010101010101ull) * 0xFF;
        k->W2[c] = _mm512_maskz_mov_epi8(_cvtu64_mask64(~n8), _mm512_set1_epi8(2));
    }
    const uint64_t sc = rd_u64(b + 48);
    const __m256i rep16 = _mm256_permutexvar_epi16(_mm512_castsi512_si256(_mm512_load_si512(words_div4)),
                                                   _mm256_set1_epi64x((long long)sc)); /* word k: sc[k / 4] */
    const __m256i f = _mm256_and_si256(_mm256_srlv_epi16(rep16, _mm512_castsi512_si256(shifts_by4(3))),
                                       _mm256_set1_epi16(7));
    const __m256i lsw = _mm256_add_epi16(_mm256_add_epi16(f, f), _mm256_set1_epi16(1));
    const __m512i t4 = _mm512_broadcast_i32x4(_mm256_cvtepi16_epi8(lsw));
    for (int c = 0; c < 4; c++) {
        k->S[c] = words_by_lane(t4, c);
    }
    k->bw = lsw;
    const uint16_t d = (uint16_t)(((sc >> 12) & 0x000F) | ((sc >> 24) & 0x00F0) | ((sc >> 36) & 0x0F00) |
                                  ((sc >> 48) & 0xF000));
    k->dw = _cvtsh_ss(d);
    k->dmin = 0.0f;
}

/* sumi1 = sum(ls * grid * q), sumi2 = sum(ls * delta * q), both from the +1-biased weight vectors minus the bsums. */
INLINE void iq1_m_sums(const k_block *k, const int8_t *q, const int16_t *bs, int32_t *sumi1, int32_t *sumi2) {
    __m512i a1 = _mm512_setzero_si512(), a2 = _mm512_setzero_si512();
    for (int c = 0; c < 4; c++) {
        const __m512i x = _mm512_loadu_si512(q + 64 * c);
        a1 = _mm512_dpwssd_epi32(a1, _mm512_maddubs_epi16(k->W[c], x), k->S[c]);
        a2 = _mm512_dpwssd_epi32(a2, _mm512_maddubs_epi16(k->W2[c], x), k->S[c]);
    }
    const __m512i m = _mm512_castsi256_si512(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bs), k->bw));
    a1 = _mm512_mask_sub_epi32(a1, 0x00FF, a1, m);
    a2 = _mm512_mask_sub_epi32(a2, 0x00FF, a2, m);
    hsum2(a1, _mm256_add_epi32(_mm512_castsi512_si256(a2), _mm512_extracti64x4_epi64(a2, 1)), sumi1, sumi2);
}

/* TQ2_0: 64 bytes of 2-bit trits (element 128 n + 32 l + k in bits 2l of byte 32 n + k), then the f16 d. */
INLINE void tq2_0_block(const uint8_t *b, k_block *k) {
    for (int n = 0; n < 2; n++) {
        const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 32 * n)));
        for (int jj = 0; jj < 2; jj++) {
            k->W[2 * n + jj] = _mm512_and_si512(_mm512_srlv_epi16(q, shifts_halves(4 * jj, 4 * jj + 2)),
                                                _mm512_set1_epi8(3));
        }
    }
    k->dw = f16s(b + 64);
    k->dmin = 0.0f;
}

/* Trits of bytes in the high halves of 16-bit lanes: the byte times 3^l (m) modulo 256, then the top of 3 times
 * that (ggml's ((uint8_t)(q * 3^l) * 3) >> 8). */
INLINE __m512i trits(__m512i x, __m512i m) {
    return _mm512_mulhi_epu16(_mm512_mullo_epi16(x, m), _mm512_set1_epi16(3));
}

/* Two vectors of 32 16-bit trits as one chunk of 64 bytes, in order. */
INLINE __m512i pack_trits(__m512i a, __m512i b) {
    return _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), _mm512_packus_epi16(a, b));
}

/* TQ1_0: 48 bytes of 5 trits (elements 32 l + m from byte m < 32, 160 + 16 l + m from byte 32 + m), 4 bytes of 4
 * trits (element 240 + 4 l + j from byte j), then the f16 d. */
INLINE void tq1_0_block(const uint8_t *b, k_block *k) {
    const __m128i q1 = _mm_loadu_si128((const __m128i *)(b + 32));
    const __m128i qh = _mm_set1_epi32((int)moe_rd_u32(b + 48));
    const __m512i x0 = _mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)b)), 8);
    const __m512i x1 = _mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm256_set_m128i(q1, q1)), 8);
    const __m512i x2 = _mm512_slli_epi16(_mm512_cvtepu8_epi16(_mm256_set_m128i(qh, q1)), 8);
    const __m512i p01 = _mm512_inserti64x4(_mm512_set1_epi16(1), _mm256_set1_epi16(3), 1);
    const __m512i p23 = _mm512_inserti64x4(_mm512_set1_epi16(9), _mm256_set1_epi16(27), 1);
    const __m512i p4q = _mm512_inserti64x4(_mm512_set1_epi16(81), _mm256_setr_epi16(1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9,
                                                                                    27, 27, 27, 27), 1);
    k->W[0] = pack_trits(trits(x0, _mm512_set1_epi16(1)), trits(x0, _mm512_set1_epi16(3)));
    k->W[1] = pack_trits(trits(x0, _mm512_set1_epi16(9)), trits(x0, _mm512_set1_epi16(27)));
    k->W[2] = pack_trits(trits(x0, _mm512_set1_epi16(81)), trits(x1, p01));
    k->W[3] = pack_trits(trits(x1, p23), trits(x2, p4q));
    k->dw = f16s(b + 52);
    k->dmin = 0.0f;
}

/* TQ1_0 / TQ2_0: raw = sum(trit * q); the bsum term is the sum of all q. */
INLINE void tq_sums(const k_block *k, const int8_t *q, const int16_t *bs, int32_t *isum, int32_t *bsum_term) {
    __m512i acc0 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), k->W[0], _mm512_loadu_si512(q));
    __m512i acc1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), k->W[1], _mm512_loadu_si512(q + 64));
    acc0 = _mm512_dpbusd_epi32(acc0, k->W[2], _mm512_loadu_si512(q + 128));
    acc1 = _mm512_dpbusd_epi32(acc1, k->W[3], _mm512_loadu_si512(q + 192));
    hsum2(_mm512_add_epi32(acc0, acc1), _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bs), _mm256_set1_epi16(1)),
          isum, bsum_term);
}

DEFINE_K(iq1_s, BYTES_IQ1_S, iq1_s_block, iq1_s_sums, -1, K_IQ1, (void)0)
DEFINE_K(iq1_m, BYTES_IQ1_M, iq1_m_block, iq1_m_sums, -1, K_IQ1, (void)0)
DEFINE_K(tq1_0, BYTES_TQ1_0, tq1_0_block, tq_sums, 0, K_SCALED, (void)0)
DEFINE_K(tq2_0, BYTES_TQ2_0, tq2_0_block, tq_sums, 0, K_SCALED, (void)0)
