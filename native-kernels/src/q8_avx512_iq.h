/*
 * q8_avx512_iq.h - helpers of the AVX-512 i-quant and ternary products, shared by q8_avx512_iq23.c (IQ2_XXS, IQ2_XS,
 * IQ2_S, IQ3_XXS, IQ3_S) and q8_avx512_iq1tq.c (IQ1_S, IQ1_M, TQ1_0, TQ2_0).
 */
#ifndef MOE4J_Q8_AVX512_IQ_H
#define MOE4J_Q8_AVX512_IQ_H

#include <string.h>

#include "q8_avx512_k.h"

/* ---- i-quants and ternary formats (256 elements) -----------------------------------------------------------------
 * IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S: a weight is a grid magnitude (a table of 8- or 4-byte points, read with
 * gathers) times a sign, one bit per element (the 7-bit sign codes of IQ2_XXS / IQ2_XS / IQ3_XXS get their eighth bit,
 * the parity, computed). The signed weights + 64 are unsigned bytes for vpmaddubsw (at most 62 + 64, so a pair of
 * products stays below 2^15 and never saturates), vpdpwssd applies the sub-block scales (k_sums), and 64 times the
 * scaled bsums is taken off afterwards (corr_shift 6).
 * IQ1_S / IQ1_M: grid values -1, 0, 1 plus 1, the same sums, the +1 taken off with the scaled bsums inside the sums
 * function (the bsum term is the delta sum there): IQ1_S's delta sum comes from the bsums as well, IQ1_M's deltas change
 * every 8 elements, so a second weight vector (delta + 1) goes through the same sums.
 * TQ1_0 / TQ2_0: trits 0..2 (value + 1) straight into vpdpbusd; the +1 is the sum of all bsums (corr_shift 0). */

/* Word tables for vpermw: word g = g / 4, and g / 2. */
static const uint16_t words_div4[32] __attribute__((aligned(64))) = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3,
                                                                      4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7};
static const uint16_t words_div2[32] __attribute__((aligned(64))) = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7,
                                                                      8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15};

INLINE uint64_t rd_u64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* 16-bit lanes 0, s, 2s, 3s, 0, s, ... (shift counts for 4 fields per group of 4 words) and 0, s, 0, s, ... */
INLINE __m512i shifts_by4(int s) {
    const long long v = (long long)((uint64_t)(3 * s) << 48 | (uint64_t)(2 * s) << 32 | (uint64_t)s << 16);
    return _mm512_set1_epi64(v);
}

INLINE __m512i shifts_by2(int s) {
    return _mm512_set1_epi32((int)((uint32_t)s << 16));
}

/* 32 sign bytes from 32 7-bit sign codes (one per byte): bit 7 becomes the parity of bits 0-6, so that every code
 * has an even number of minus signs (ggml's ksigns_iq2xs). */
INLINE __m256i signs_from_codes(__m256i c) {
    const __m256i odd = _mm256_setr_epi8(0, -128, -128, 0, -128, 0, 0, -128, -128, 0, 0, -128, 0, -128, -128, 0, 0,
                                         -128, -128, 0, -128, 0, 0, -128, -128, 0, 0, -128, 0, -128, -128, 0);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    const __m256i lo = _mm256_shuffle_epi8(odd, _mm256_and_si256(c, m4));
    const __m256i hi = _mm256_shuffle_epi8(odd, _mm256_and_si256(_mm256_srli_epi16(c, 4), m4));
    return _mm256_ternarylogic_epi32(c, lo, hi, 0xF6); /* c | (lo ^ hi) */
}

/* The four 7-bit sign codes in bits 0-27 of each dword (IQ2_XXS, IQ3_XXS), one per byte. */
INLINE __m256i codes_from_aux(__m256i aux) {
    __m256i r = _mm256_and_si256(aux, _mm256_set1_epi32(0x7F));
    r = _mm256_ternarylogic_epi32(r, _mm256_slli_epi32(aux, 1), _mm256_set1_epi32(0x7F00), 0xF8); /* r | (b & c) */
    r = _mm256_ternarylogic_epi32(r, _mm256_slli_epi32(aux, 2), _mm256_set1_epi32(0x7F0000), 0xF8);
    return _mm256_ternarylogic_epi32(r, _mm256_slli_epi32(aux, 3), _mm256_set1_epi32(0x7F000000), 0xF8);
}

/* The 256 sign bits (32 bytes in element order) as the masks of the 4 chunks. */
INLINE void sign_masks(__m256i s, __mmask64 neg[4]) {
    const __m128i lo = _mm256_castsi256_si128(s), hi = _mm256_extracti128_si256(s, 1);
    neg[0] = _cvtu64_mask64((uint64_t)_mm_cvtsi128_si64(lo));
    neg[1] = _cvtu64_mask64((uint64_t)_mm_extract_epi64(lo, 1));
    neg[2] = _cvtu64_mask64((uint64_t)_mm_cvtsi128_si64(hi));
    neg[3] = _cvtu64_mask64((uint64_t)_mm_extract_epi64(hi, 1));
}

/* Grid magnitudes with their signs, + 64, as unsigned bytes: g + 64, or 64 - g where the sign bit is set. */
INLINE __m512i signed_biased(__m512i g, __mmask64 neg) {
    const __m512i k64 = _mm512_set1_epi8(64);
    return _mm512_mask_sub_epi8(_mm512_add_epi8(g, k64), neg, k64, g);
}

#ifndef GRID_GATHER
#define GRID_GATHER 0
#endif
/* The 8-byte points of 32 grid indices (16-bit lanes, element-group order) as 4 chunks. */
INLINE void gather_points(const uint64_t *grid, __m512i ix, __m512i g[4]) {
    if (GRID_GATHER) {
        const __m512i i0 = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(ix));
        const __m512i i1 = _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(ix, 1));
        g[0] = _mm512_i32gather_epi64(_mm512_castsi512_si256(i0), (const void *)grid, 8);
        g[1] = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(i0, 1), (const void *)grid, 8);
        g[2] = _mm512_i32gather_epi64(_mm512_castsi512_si256(i1), (const void *)grid, 8);
        g[3] = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(i1, 1), (const void *)grid, 8);
        return;
    }
    uint16_t i[32] __attribute__((aligned(64)));
    _mm512_store_si512(i, ix);
    for (int c = 0; c < 4; c++) {
        const uint16_t *p = i + 8 * c;
        g[c] = _mm512_set_epi64((long long)grid[p[7]], (long long)grid[p[6]], (long long)grid[p[5]], (long long)grid[p[4]],
                                (long long)grid[p[3]], (long long)grid[p[2]], (long long)grid[p[1]], (long long)grid[p[0]]);
    }
}

/* The 4-byte points of 16 grid indices (32-bit lanes) as one chunk. */
INLINE __m512i gather_points4(const uint32_t *grid, __m512i ix) {
    if (GRID_GATHER) {
        return _mm512_i32gather_epi32(ix, (const void *)grid, 4);
    }
    uint32_t i[16] __attribute__((aligned(64)));
    _mm512_store_si512(i, ix);
    return _mm512_set_epi32((int)grid[i[15]], (int)grid[i[14]], (int)grid[i[13]], (int)grid[i[12]], (int)grid[i[11]],
                            (int)grid[i[10]], (int)grid[i[9]], (int)grid[i[8]], (int)grid[i[7]], (int)grid[i[6]],
                            (int)grid[i[5]], (int)grid[i[4]], (int)grid[i[3]], (int)grid[i[2]], (int)grid[i[1]],
                            (int)grid[i[0]]);
}

/* Scales of 32-element sub-blocks (8 dwords, each < 2^15) into S (chunk c: sub-block 2c in the lower 16 words, 2c+1
 * in the upper) and bw (bsum k belongs to sub-block k / 2: both words of dword k / 2). */
INLINE void scales32(__m256i ls, k_block *k) {
    const __m256i w2 = _mm256_or_si256(ls, _mm256_slli_epi32(ls, 16));
    const __m512i z = _mm512_castsi256_si512(w2);
    for (int c = 0; c < 4; c++) {
        k->S[c] = _mm512_permutexvar_epi32(
            _mm512_inserti64x4(_mm512_set1_epi32(2 * c), _mm256_set1_epi32(2 * c + 1), 1), z);
    }
    k->bw = w2;
}

/* Scales of 16-element sub-blocks (16 bytes) into S and bw. */
INLINE void scales16(__m128i ls, k_block *k) {
    const __m512i t4 = _mm512_broadcast_i32x4(ls);
    for (int c = 0; c < 4; c++) {
        k->S[c] = words_by_lane(t4, c);
    }
    k->bw = words16(ls);
}

/* 16 nibble scales (8 bytes, low nibble first) as 2 * n + 1. */
INLINE __m128i nibble_scales(__m128i sc) {
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m128i n = _mm_unpacklo_epi8(_mm_and_si128(sc, m4), _mm_and_si128(_mm_srli_epi16(sc, 4), m4));
    return _mm_add_epi8(_mm_add_epi8(n, n), _mm_set1_epi8(1));
}

#endif /* MOE4J_Q8_AVX512_IQ_H */
