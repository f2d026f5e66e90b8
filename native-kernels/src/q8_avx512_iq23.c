/*
 * q8_avx512_iq23.c - the AVX-512 8-bit-activation products of IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and IQ3_S
 * (DEFINE_K of q8_avx512_k.h; how these formats are computed is said in q8_avx512_iq.h).
 */
#include <pthread.h>

#include "q8_avx512_iq.h"

/* The grids in the compact form the decoders look up 32 points at a time with word permutations of tables held in
 * registers (64 words each), rather than fetching 8- or 4-byte points one by one (gathers are slow): a point as the
 * ranks of its elements among the grid's magnitudes, 2 bits each for the IQ2 grids (8, 25, 43: 8 elements in a word),
 * 4 bits each for the IQ3 grids (8 magnitudes: 4 elements in a word). Made from quant_tables.h once, on first use. */
typedef struct grid_luts {
    uint16_t iq2xxs[256], iq2xs[512], iq2s[1024], iq3xxs[256], iq3s[512];
} grid_luts;

static grid_luts luts __attribute__((aligned(64)));
static pthread_once_t luts_once = PTHREAD_ONCE_INIT;

/* The magnitudes of the IQ3 grids in rank order. */
static const uint8_t iq3xxs_values[8] = {4, 12, 20, 28, 36, 44, 52, 62};
static const uint8_t iq3s_values[8] = {1, 3, 5, 7, 9, 11, 13, 15};

static uint16_t iq2_rank_word(uint64_t point) {
    uint16_t w = 0;
    for (int j = 0; j < 8; j++) {
        const unsigned v = (unsigned)(point >> (8 * j)) & 0xFF;
        w |= (uint16_t)((v == 25 ? 1u : v == 43 ? 2u : 0u) << (2 * j));
    }
    return w;
}

static uint16_t rank_word(uint32_t point, const uint8_t values[8]) {
    uint16_t w = 0;
    for (int j = 0; j < 4; j++) {
        for (unsigned r = 0; r < 8; r++) {
            w |= (uint16_t)(((point >> (8 * j)) & 0xFF) == values[r] ? r << (4 * j) : 0u);
        }
    }
    return w;
}

static void make_luts(void) {
    for (int i = 0; i < 256; i++) {
        luts.iq2xxs[i] = iq2_rank_word(moe_iq2xxs_grid[i]);
        luts.iq3xxs[i] = rank_word(moe_iq3xxs_grid[i], iq3xxs_values);
    }
    for (int i = 0; i < 512; i++) {
        luts.iq2xs[i] = iq2_rank_word(moe_iq2xs_grid[i]);
        luts.iq3s[i] = rank_word(moe_iq3s_grid[i], iq3s_values);
    }
    for (int i = 0; i < 1024; i++) {
        luts.iq2s[i] = iq2_rank_word(moe_iq2s_grid[i]);
    }
}

static void prepare_luts(void) {
    pthread_once(&luts_once, make_luts);
}

/* Words of a table of n (a multiple of 64) at 32 indices: one two-register permutation per 64 entries, then a blend
 * tree on the index bits above 6. */
INLINE __m512i lut_words(const uint16_t *t, const int n, __m512i ix) {
    __m512i r[16];
    for (int s = 0; s < n / 64; s++) {
        r[s] = _mm512_permutex2var_epi16(_mm512_load_si512(t + 64 * s), ix, _mm512_load_si512(t + 64 * s + 32));
    }
    for (int m = n / 64, bit = 64; m > 1; m /= 2, bit *= 2) {
        const __mmask32 hi = _mm512_test_epi16_mask(ix, _mm512_set1_epi16((short)bit));
        for (int i = 0; i < m / 2; i++) {
            r[i] = _mm512_mask_blend_epi16(hi, r[2 * i], r[2 * i + 1]);
        }
    }
    return r[0];
}

/* The order in which the decoders look up 32 points so that the byte interleavings of iq2_weights / iq3_weights leave
 * the weights in element order: IQ2 (8 elements a point): word position 8L + 2m + i holds point 8m + 2L + i; IQ3 (4
 * elements): position 8L + i holds point 4L + i, position 8L + 4 + i point 16 + 4L + i. */
static const uint16_t iq2_order[32] __attribute__((aligned(64))) = {0, 1, 8, 9, 16, 17, 24, 25, 2, 3, 10, 11, 18, 19, 26, 27,
                                                                    4, 5, 12, 13, 20, 21, 28, 29, 6, 7, 14, 15, 22, 23, 30, 31};
static const uint16_t iq3_order[32] __attribute__((aligned(64))) = {0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23,
                                                                    8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31};

INLINE __m512i in_order(const uint16_t order[32], __m512i ix) {
    return _mm512_permutexvar_epi16(_mm512_load_si512(order), ix);
}

/* IQ2 weights from the rank words of 32 points (looked up in iq2_order) and the sign masks of the 4 chunks: each
 * word's 2-bit ranks become nibbles of element pairs, then bytes of the +64-biased magnitudes (one table for the
 * first element of a pair, one for the second), 64 minus them where the sign is set. */
INLINE void iq2_weights(__m512i w, const __mmask64 neg[4], k_block *k) {
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    /* per word: lo bytes = pairs (0,1) (4,5), hi bytes = pairs (2,3) (6,7); interleaved: the 4 pairs in order */
    const __m512i lo = _mm512_and_si512(w, m4), hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
    const __m512i a = _mm512_unpacklo_epi8(lo, hi), b = _mm512_unpackhi_epi8(lo, hi);
    const __m512i first = _mm512_broadcast_i32x4(_mm_setr_epi8(72, 89, 107, 0, 72, 89, 107, 0, 72, 89, 107, 0, 72,
                                                               89, 107, 0));
    const __m512i second = _mm512_broadcast_i32x4(_mm_setr_epi8(72, 72, 72, 72, 89, 89, 89, 89, 107, 107, 107, 107,
                                                                0, 0, 0, 0));
    const __m512i ea = _mm512_shuffle_epi8(first, a), oa = _mm512_shuffle_epi8(second, a);
    const __m512i eb = _mm512_shuffle_epi8(first, b), ob = _mm512_shuffle_epi8(second, b);
    const __m512i c[4] = {_mm512_unpacklo_epi8(ea, oa), _mm512_unpackhi_epi8(ea, oa), _mm512_unpacklo_epi8(eb, ob),
                          _mm512_unpackhi_epi8(eb, ob)};
    for (int i = 0; i < 4; i++) {
        k->W[i] = _mm512_mask_sub_epi8(c[i], neg[i], _mm512_set1_epi8((char)128), c[i]);
    }
}

/* IQ2_XXS: 8 records of 8 bytes: 4 grid indices (256 points of 8) | 4 sign codes and the scale in the top 4 bits. */
INLINE void iq2_xxs_block(const uint8_t *b, k_block *k) {
    const __m512i v = _mm512_loadu_si512(b + 2);
    const __m256i idx = _mm512_cvtepi64_epi32(v);                       /* the even dwords: 32 index bytes */
    const __m256i aux = _mm512_cvtepi64_epi32(_mm512_srli_epi64(v, 32)); /* the odd dwords */
    __mmask64 neg[4];
    sign_masks(signs_from_codes(codes_from_aux(aux)), neg);
    iq2_weights(lut_words(luts.iq2xxs, 256, in_order(iq2_order, _mm512_cvtepu8_epi16(idx))), neg, k);
    scales32(_mm256_add_epi32(_mm256_slli_epi32(_mm256_srli_epi32(aux, 28), 1), _mm256_set1_epi32(1)), k);
    k->dw = 0.125f * f16s(b);
    k->dmin = 0.0f;
}

/* IQ2_XS: 32 words of a 9-bit grid index (512 points of 8) | sign code << 9; 8 bytes of two 4-bit scales. */
INLINE void iq2_xs_block(const uint8_t *b, k_block *k) {
    const __m512i v = _mm512_loadu_si512(b + 2);
    __mmask64 neg[4];
    sign_masks(signs_from_codes(_mm512_cvtepi16_epi8(_mm512_srli_epi16(v, 9))), neg);
    iq2_weights(lut_words(luts.iq2xs, 512, in_order(iq2_order, _mm512_and_si512(v, _mm512_set1_epi16(511)))), neg, k);
    scales16(nibble_scales(_mm_loadl_epi64((const __m128i *)(b + 66))), k);
    k->dw = 0.125f * f16s(b);
    k->dmin = 0.0f;
}

/* IQ2_S: 32 index bytes, 32 sign bytes, 8 bytes of 2-bit index extensions (4 per record), 8 bytes of scales. */
INLINE void iq2_s_block(const uint8_t *b, k_block *k) {
    const __m512i lo = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(b + 2)));
    const __m512i qh = _mm512_castsi128_si512(_mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(b + 66))));
    const __m512i rep = _mm512_permutexvar_epi16(_mm512_load_si512(words_div4), qh); /* word g: qh[g / 4] */
    /* index of group g = lo | ((qh >> 2 (g % 4)) & 3) << 8 */
    const __m512i hi = _mm512_slli_epi16(_mm512_srlv_epi16(rep, shifts_by4(2)), 8);
    const __m512i ix = _mm512_ternarylogic_epi32(lo, hi, _mm512_set1_epi16(0x300), 0xF8);
    const __mmask64 neg[4] = {_cvtu64_mask64(rd_u64(b + 34)), _cvtu64_mask64(rd_u64(b + 42)),
                              _cvtu64_mask64(rd_u64(b + 50)), _cvtu64_mask64(rd_u64(b + 58))};
    iq2_weights(lut_words(luts.iq2s, 1024, in_order(iq2_order, ix)), neg, k);
    scales16(nibble_scales(_mm_loadl_epi64((const __m128i *)(b + 74))), k);
    k->dw = 0.125f * f16s(b);
    k->dmin = 0.0f;
}

/* IQ3 weights from 64 rank words (4 elements each, 32 per vector, looked up in iq3_order) and the sign masks of the 4 chunks:
 * the nibbles spread to bytes, then the +64-biased magnitudes, or 64 minus them where the sign is set, by table. */
INLINE void iq3_weights(__m512i r0, __m512i r1, const uint8_t values[8], const __mmask64 neg[4], k_block *k) {
    const __m128i v = _mm_loadl_epi64((const __m128i *)values);
    const __m512i pos = _mm512_broadcast_i32x4(_mm_add_epi8(_mm_set1_epi8(64), v));
    const __m512i nega = _mm512_broadcast_i32x4(_mm_sub_epi8(_mm_set1_epi8(64), v));
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    for (int h = 0; h < 2; h++) {
        const __m512i w = h ? r1 : r0;
        /* per word: lo bytes n0 n2, hi bytes n1 n3; interleaved: n0 n1 n2 n3 (iq3_order puts the points so that the low
         * halves of the lanes make one chunk, the high halves the next) */
        const __m512i lo = _mm512_and_si512(w, m4), hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
        const __m512i c0 = _mm512_unpacklo_epi8(lo, hi), c1 = _mm512_unpackhi_epi8(lo, hi);
        k->W[2 * h] = _mm512_mask_shuffle_epi8(_mm512_shuffle_epi8(pos, c0), neg[2 * h], nega, c0);
        k->W[2 * h + 1] = _mm512_mask_shuffle_epi8(_mm512_shuffle_epi8(pos, c1), neg[2 * h + 1], nega, c1);
    }
}

/* IQ3_XXS: 64 grid indices (256 points of 4), then 8 dwords of 4 sign codes and the scale in the top 4 bits. */
INLINE void iq3_xxs_block(const uint8_t *b, k_block *k) {
    const __m256i aux = _mm256_loadu_si256((const __m256i *)(b + 66));
    __mmask64 neg[4];
    sign_masks(signs_from_codes(codes_from_aux(aux)), neg);
    const __m512i r0 = lut_words(luts.iq3xxs, 256, in_order(iq3_order, _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(b + 2)))));
    const __m512i r1 = lut_words(luts.iq3xxs, 256, in_order(iq3_order, _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(b + 34)))));
    iq3_weights(r0, r1, iq3xxs_values, neg, k);
    scales32(_mm256_add_epi32(_mm256_slli_epi32(_mm256_srli_epi32(aux, 28), 1), _mm256_set1_epi32(1)), k);
    k->dw = 0.25f * f16s(b);
    k->dmin = 0.0f;
}

/* IQ3_S: 64 index bytes, 8 bytes of index bit 8 (bit i of byte r: index i of record r), 32 sign bytes, 4 bytes of
 * two 4-bit scales. */
INLINE void iq3_s_block(const uint8_t *b, k_block *k) {
    const __m512i k256 = _mm512_set1_epi16(256);
    const __m512i l0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(b + 2)));
    const __m512i l1 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(b + 34)));
    const __m512i x0 = _mm512_mask_add_epi16(l0, _cvtu32_mask32(moe_rd_u32(b + 66)), l0, k256);
    const __m512i x1 = _mm512_mask_add_epi16(l1, _cvtu32_mask32(moe_rd_u32(b + 70)), l1, k256);
    const __mmask64 neg[4] = {_cvtu64_mask64(rd_u64(b + 74)), _cvtu64_mask64(rd_u64(b + 82)),
                              _cvtu64_mask64(rd_u64(b + 90)), _cvtu64_mask64(rd_u64(b + 98))};
    iq3_weights(lut_words(luts.iq3s, 512, in_order(iq3_order, x0)), lut_words(luts.iq3s, 512, in_order(iq3_order, x1)),
                iq3s_values, neg, k);
    const __m128i ls = nibble_scales(_mm_cvtsi32_si128((int)moe_rd_u32(b + 106)));
    scales32(_mm256_cvtepu8_epi32(ls), k);
    k->dw = f16s(b);
    k->dmin = 0.0f;
}

DEFINE_K(iq2_xxs, BYTES_IQ2_XXS, iq2_xxs_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq2_xs, BYTES_IQ2_XS, iq2_xs_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq2_s, BYTES_IQ2_S, iq2_s_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq3_xxs, BYTES_IQ3_XXS, iq3_xxs_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq3_s, BYTES_IQ3_S, iq3_s_block, k_sums, 6, K_SCALED, prepare_luts())
