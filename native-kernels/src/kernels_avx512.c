/*
 * kernels_avx512.c - the AVX-512 level (F/BW/VL/DQ; the CPU also has VNNI and BF16, which these f32 kernels do not
 * need). Built with -mavx512f -mavx512bw -mavx512vl -mavx512dq ... -ffp-contract=off.
 *
 * Every format is decoded in 512-bit registers: the quant payload is widened to 16 int32 lanes and converted to f32,
 * then scaled with exactly the operations of quant_blocks.h (same order, one rounding each, so the values equal the
 * scalar level's bit for bit). dequantize stores those vectors; dot products multiply-add them straight into f32
 * accumulators, so a weight row is read once and never written out. Activations stay f32 (no int8 requantization:
 * the results differ from a plain f32 dot product only in summation order).
 */
#include <immintrin.h>

#include "internal.h"
#include "quant_blocks.h"

#define INLINE static inline __attribute__((always_inline))

INLINE float f16s(const uint8_t *p) {
    return _cvtsh_ss(moe_rd_u16(p));
}

INLINE __m512 i8_to_ps(__m128i v) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(v));
}

INLINE __m512 u8_to_ps(__m128i v) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v));
}

INLINE __m128i lo128(__m256i v) {
    return _mm256_castsi256_si128(v);
}

INLINE __m128i hi128(__m256i v) {
    return _mm256_extracti128_si256(v, 1);
}

INLINE __m512 fma_x(__m512 w, const float *x, __m512 acc) {
    return _mm512_fmadd_ps(w, _mm512_loadu_ps(x), acc);
}

/* 4-bit formats are decoded through a 16-entry table: the block's 16 possible values are computed once per block
 * (table[q] = the spec formula applied to q, with the same operations as the scalar code) and each nibble selects its
 * value with vpermps, which reads only the low 4 bits of every index lane - so a byte widened to 32 bits indexes its
 * low nibble directly, and the same bytes shifted right by 4 index their high nibble. */
INLINE __m512 nibble_values(void) {
    return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* The 16 bytes q as 32 table lookups: v[0] = table[q[j] & 15], v[1] = table[q[j] >> 4], j = 0..15. */
INLINE void lookup_nibbles(__m128i q, __m512 table, __m512 v[2]) {
    const __m512i idx = _mm512_cvtepu8_epi32(q);
    v[0] = _mm512_permutexvar_ps(idx, table);
    v[1] = _mm512_permutexvar_ps(_mm512_srli_epi32(idx, 4), table);
}

/* The IQ4_NL / IQ4_XS code book as floats. */
INLINE __m512 iq4_book(void) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)moe_kvalues_iq4nl)));
}

/* ---- block decoders: v[i] holds elements 16i..16i+15 of the block --------------------------------------------- */

INLINE void q4_0_block(const uint8_t *b, __m512 v[2]) {
    /* table[q] = d * (q - 8) */
    const __m512 table = _mm512_mul_ps(_mm512_set1_ps(f16s(b)), _mm512_sub_ps(nibble_values(), _mm512_set1_ps(8.0f)));
    lookup_nibbles(_mm_loadu_si128((const __m128i *)(b + 2)), table, v);
}

INLINE void q4_1_block(const uint8_t *b, __m512 v[2]) {
    /* table[q] = d * q + m */
    const __m512 table =
        _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(f16s(b)), nibble_values()), _mm512_set1_ps(f16s(b + 2)));
    lookup_nibbles(_mm_loadu_si128((const __m128i *)(b + 4)), table, v);
}

/* The 5-bit values of Q5_0/Q5_1 as int32: nibble + 16 where the element's bit of qh is set (bit j for element j). */
INLINE void q5_values(const uint8_t *qs, uint32_t qh, __m512i v[2]) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m512i k16 = _mm512_set1_epi32(16);
    const __m512i lo = _mm512_cvtepu8_epi32(_mm_and_si128(q, m4));
    const __m512i hi = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(q, 4), m4));
    v[0] = _mm512_mask_add_epi32(lo, (__mmask16)(qh & 0xFFFF), lo, k16);
    v[1] = _mm512_mask_add_epi32(hi, (__mmask16)(qh >> 16), hi, k16);
}

INLINE void q5_0_block(const uint8_t *b, __m512 v[2]) {
    const __m512 d = _mm512_set1_ps(f16s(b));
    const __m512i k16 = _mm512_set1_epi32(16);
    __m512i q[2];
    q5_values(b + 6, moe_rd_u32(b + 2), q);
    v[0] = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(q[0], k16)));
    v[1] = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(q[1], k16)));
}

INLINE void q5_1_block(const uint8_t *b, __m512 v[2]) {
    const __m512 d = _mm512_set1_ps(f16s(b)), m = _mm512_set1_ps(f16s(b + 2));
    __m512i q[2];
    q5_values(b + 8, moe_rd_u32(b + 4), q);
    v[0] = _mm512_add_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(q[0])), m);
    v[1] = _mm512_add_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(q[1])), m);
}

INLINE void q8_0_block(const uint8_t *b, __m512 v[2]) {
    const __m512 d = _mm512_set1_ps(f16s(b));
    v[0] = _mm512_mul_ps(d, i8_to_ps(_mm_loadu_si128((const __m128i *)(b + 2))));
    v[1] = _mm512_mul_ps(d, i8_to_ps(_mm_loadu_si128((const __m128i *)(b + 18))));
}

/* IQ4_NL: the 16-entry code book is a byte shuffle. */
INLINE void iq4_nl_block(const uint8_t *b, __m512 v[2]) {
    /* table[q] = d * kvalues[q] */
    const __m512 table = _mm512_mul_ps(_mm512_set1_ps(f16s(b)), iq4_book());
    lookup_nibbles(_mm_loadu_si128((const __m128i *)(b + 2)), table, v);
}

/* Q2_K and Q3_K are decoded through tables too. Sub-block s (16 elements, s = 8n + 2j + half in the spec's traversal)
 * reads bytes qs[32n + 16half + l] at bit 2j: the 16 bytes of a (n, half) pair are widened once and shifted right by
 * 2j, so the index's low 2 bits are the quant; the tables repeat every 4 (Q2_K) or 8 (Q3_K) entries so the bits above
 * do not matter. */

/* Q2_K: dl[s] = d * (scale & 15), ml[s] = dmin * (scale >> 4) for all 16 sub-blocks; table[i] = dl*(i&3) - ml. */
INLINE void q2_k_superblock_tables(const uint8_t *b, __m512 *dl, __m512 *ml) {
    const __m512i sc = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)b));
    const __m512i m4 = _mm512_set1_epi32(0x0F);
    *dl = _mm512_mul_ps(_mm512_set1_ps(f16s(b + 80)), _mm512_cvtepi32_ps(_mm512_and_si512(sc, m4)));
    *ml = _mm512_mul_ps(_mm512_set1_ps(f16s(b + 82)), _mm512_cvtepi32_ps(_mm512_srli_epi32(sc, 4)));
}

INLINE __m512 lane(__m512 v, int i) {
    return _mm512_permutexvar_ps(_mm512_set1_epi32(i), v);
}

INLINE __m512 q2_k_sub(__m512i qw, __m512 dl, __m512 ml, int s) {
    const __m512 rep4 = _mm512_setr_ps(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);
    const __m512 table = _mm512_sub_ps(_mm512_mul_ps(lane(dl, s), rep4), lane(ml, s));
    const __m512i idx = _mm512_srl_epi32(qw, _mm_cvtsi32_si128(2 * ((s / 2) % 4)));
    return _mm512_permutexvar_ps(idx, table);
}

/* Q3_K: dl[s] = d * (scale_s - 32); table[i] = dl * ((i & 7) - 4), index = 2-bit quant | hmask bit << 2. */
INLINE __m512 q3_k_superblock_scales(const uint8_t *b) {
    uint8_t sc[16];
    moe_q3_k_scale_bytes(b + 96, sc);
    const __m512i v = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)sc)), _mm512_set1_epi32(32));
    return _mm512_mul_ps(_mm512_set1_ps(f16s(b + 108)), _mm512_cvtepi32_ps(v));
}

/* qw: widened quant bytes of (n, half); hw4: widened hmask bytes of `half`, shifted left by 2. */
INLINE __m512 q3_k_sub(__m512i qw, __m512i hw4, __m512 dl, int s) {
    const __m512 rep8 = _mm512_setr_ps(-4, -3, -2, -1, 0, 1, 2, 3, -4, -3, -2, -1, 0, 1, 2, 3);
    const __m512 table = _mm512_mul_ps(lane(dl, s), rep8);
    const __m512i q = _mm512_srl_epi32(qw, _mm_cvtsi32_si128(2 * ((s / 2) % 4)));
    const __m512i h = _mm512_srl_epi32(hw4, _mm_cvtsi32_si128(s / 2)); /* hmask bit s/2 now at bit 2 */
    /* bits 0-1 from q, bits 2+ from h: ternary-logic "C ? A : B" with A = q, B = h, C = 3 */
    const __m512i idx = _mm512_ternarylogic_epi32(q, h, _mm512_set1_epi32(3), 0xE4);
    return _mm512_permutexvar_ps(idx, table);
}

/* Q4_K/Q5_K scales and mins of the 8 sub-blocks, already multiplied by d and dmin. */
typedef struct k_scales {
    float d[8], m[8]; /* contiguous: filled by one 16-lane store */
} k_scales;

INLINE void k4_scales(const uint8_t *b, k_scales *s) {
    uint8_t sm[16];
    moe_scale_min_k4_all(b + 4, sm);
    const __m512 dd = _mm512_insertf32x8(_mm512_set1_ps(f16s(b)), _mm256_set1_ps(f16s(b + 2)), 1); /* d x8, dmin x8 */
    _mm512_storeu_ps(s->d, _mm512_mul_ps(dd, u8_to_ps(_mm_loadu_si128((const __m128i *)sm))));
}

/* Q4_K/Q5_K chunk c (64 elements) from its 32 low and 32 high 5-bit values (bytes). */
INLINE void k_chunk(__m256i lo, __m256i hi, const k_scales *s, int c, __m512 v[4]) {
    const __m512 d1 = _mm512_set1_ps(s->d[2 * c]), m1 = _mm512_set1_ps(s->m[2 * c]);
    const __m512 d2 = _mm512_set1_ps(s->d[2 * c + 1]), m2 = _mm512_set1_ps(s->m[2 * c + 1]);
    v[0] = _mm512_sub_ps(_mm512_mul_ps(d1, u8_to_ps(lo128(lo))), m1);
    v[1] = _mm512_sub_ps(_mm512_mul_ps(d1, u8_to_ps(hi128(lo))), m1);
    v[2] = _mm512_sub_ps(_mm512_mul_ps(d2, u8_to_ps(lo128(hi))), m2);
    v[3] = _mm512_sub_ps(_mm512_mul_ps(d2, u8_to_ps(hi128(hi))), m2);
}

/* Q4_K chunk c: 32 bytes whose low nibbles are sub-block 2c and high nibbles sub-block 2c+1; table_k[q] = d_k*q - m_k. */
INLINE void q4_k_chunk(const uint8_t *b, const k_scales *s, int c, __m512 v[4]) {
    const __m512 n = nibble_values();
    const __m512 t1 = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(s->d[2 * c]), n), _mm512_set1_ps(s->m[2 * c]));
    const __m512 t2 =
        _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(s->d[2 * c + 1]), n), _mm512_set1_ps(s->m[2 * c + 1]));
    const __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(b + 16 + 32 * c)));
    const __m512i i1 = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(b + 16 + 32 * c + 16)));
    v[0] = _mm512_permutexvar_ps(i0, t1);
    v[1] = _mm512_permutexvar_ps(i1, t1);
    v[2] = _mm512_permutexvar_ps(_mm512_srli_epi32(i0, 4), t2);
    v[3] = _mm512_permutexvar_ps(_mm512_srli_epi32(i1, 4), t2);
}

/* qh_c = the 32 qh bytes shifted right by 2c (bits 0 and 1 of each byte are then clean of the neighbour byte). */
INLINE void q5_k_chunk(const uint8_t *b, const k_scales *s, __m256i qh_c, int c, __m512 v[4]) {
    const __m256i q = _mm256_loadu_si256((const __m256i *)(b + 48 + 32 * c));
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    const __m256i h_lo = _mm256_slli_epi16(_mm256_and_si256(qh_c, one), 4);
    const __m256i h_hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh_c, 1), one), 4);
    const __m256i lo = _mm256_or_si256(_mm256_and_si256(q, m4), h_lo);
    const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), h_hi);
    k_chunk(lo, hi, s, c, v);
}

/* Q6_K half n (128 elements): v[k] = elements 16k..16k+15 of the half, with scale ds[8n + k] = d * scales[8n + k]. */
INLINE void q6_k_half(const uint8_t *b, const float *ds, int n, __m512 v[8]) {
    const __m256i l0 = _mm256_loadu_si256((const __m256i *)(b + 64 * n));
    const __m256i l1 = _mm256_loadu_si256((const __m256i *)(b + 64 * n + 32));
    const __m256i h = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n));
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3), k32 = _mm256_set1_epi8(32);
#define Q6(lowbits, hshift)                                                                                            \
    _mm256_sub_epi8(                                                                                                   \
        _mm256_or_si256(lowbits, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, hshift), m3), 4)), k32)
    const __m256i q1 = Q6(_mm256_and_si256(l0, m4), 0);
    const __m256i q2 = Q6(_mm256_and_si256(l1, m4), 2);
    const __m256i q3 = Q6(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), 4);
    const __m256i q4 = Q6(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), 6);
#undef Q6
    const float *s = ds + 8 * n;
    v[0] = _mm512_mul_ps(_mm512_set1_ps(s[0]), i8_to_ps(lo128(q1)));
    v[1] = _mm512_mul_ps(_mm512_set1_ps(s[1]), i8_to_ps(hi128(q1)));
    v[2] = _mm512_mul_ps(_mm512_set1_ps(s[2]), i8_to_ps(lo128(q2)));
    v[3] = _mm512_mul_ps(_mm512_set1_ps(s[3]), i8_to_ps(hi128(q2)));
    v[4] = _mm512_mul_ps(_mm512_set1_ps(s[4]), i8_to_ps(lo128(q3)));
    v[5] = _mm512_mul_ps(_mm512_set1_ps(s[5]), i8_to_ps(hi128(q3)));
    v[6] = _mm512_mul_ps(_mm512_set1_ps(s[6]), i8_to_ps(lo128(q4)));
    v[7] = _mm512_mul_ps(_mm512_set1_ps(s[7]), i8_to_ps(hi128(q4)));
}

INLINE void q6_k_scales(const uint8_t *b, float *ds) {
    const float d = f16s(b + 208);
    const int8_t *sc = (const int8_t *)(b + 192);
    for (int k = 0; k < 16; k++) {
        ds[k] = d * (float)sc[k];
    }
}

/* IQ4_XS sub-block ib (32 elements). */
/* IQ4_XS sub-block ib (32 elements): table[q] = (d * (ls - 32)) * kvalues[q]. */
INLINE void iq4_xs_sub(const uint8_t *b, float d, int ib, __m512 v[2]) {
    const unsigned scales_h = moe_rd_u16(b + 2);
    const int ls = ((b[4 + ib / 2] >> (4 * (ib % 2))) & 0x0F) | (int)(((scales_h >> (2 * ib)) & 3) << 4);
    const __m512 table = _mm512_mul_ps(_mm512_set1_ps(d * (float)(ls - 32)), iq4_book());
    lookup_nibbles(_mm_loadu_si128((const __m128i *)(b + 8 + 16 * ib)), table, v);
}

/* ---- multi-token dots (small matmul batches) -----------------------------------------------------------------------
 * dotn decodes a row once and multiply-adds every decoded vector into the accumulators of up to DOTN_MAX tokens (two
 * per token, so even two tokens have four independent FMA chains). The body is an always-inline function of a
 * compile-time token count T; DEFINE_DOTN_SWITCH instantiates it for T = 1..DOTN_MAX. */
#define DOTN_MAX 6 /* measured: fused dots beat the tile path up to 6 tokens */

#define DEFINE_DOTN_SWITCH(suffix)                                                                                     \
    static void dotn_##suffix(const void *row, int64_t n_blocks, const float *x, int64_t xs, int n_tok, float *out,   \
                              int64_t os) {                                                                            \
        switch (n_tok) {                                                                                               \
        case 1: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 1); break;                                            \
        case 2: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 2); break;                                            \
        case 3: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 3); break;                                            \
        case 4: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 4); break;                                            \
        case 5: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 5); break;                                            \
        case 6: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 6); break;                                            \
        default: break;                                                                                                \
        }                                                                                                              \
    }

#define DOTN_PROLOGUE                                                                                                  \
    __m512 acc0[DOTN_MAX], acc1[DOTN_MAX];                                                                             \
    _Pragma("GCC unroll 6") for (int t = 0; t < T; t++) {                                                              \
        acc0[t] = _mm512_setzero_ps();                                                                                 \
        acc1[t] = _mm512_setzero_ps();                                                                                 \
    }
#define DOTN_EPILOGUE                                                                                                  \
    _Pragma("GCC unroll 6") for (int t = 0; t < T; t++) {                                                              \
        out[t * os] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[t], acc1[t]));                                           \
    }
/* vector k (elements 16k..16k+15 from xo) into every token */
#define DOTN_FMA(k, v, xo)                                                                                             \
    _Pragma("GCC unroll 6") for (int t = 0; t < T; t++) {                                                              \
        if ((k) % 2 == 0) {                                                                                            \
            acc0[t] = fma_x((v), x + t * xs + (xo) + 16 * (k), acc0[t]);                                               \
        } else {                                                                                                       \
            acc1[t] = fma_x((v), x + t * xs + (xo) + 16 * (k), acc1[t]);                                               \
        }                                                                                                              \
    }

/* ---- 32-element formats: dequantize and dot from one block decoder --------------------------------------------- */

#define DEFINE_SMALL(suffix, decode, bytes)                                                                            \
    static void dq_##suffix(const void *src, int64_t n_blocks, float *dst) {                                           \
        const uint8_t *s = (const uint8_t *)src;                                                                       \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            __m512 v[2];                                                                                               \
            decode(s + i * (bytes), v);                                                                                \
            _mm512_storeu_ps(dst + 32 * i, v[0]);                                                                      \
            _mm512_storeu_ps(dst + 32 * i + 16, v[1]);                                                                 \
        }                                                                                                              \
    }                                                                                                                  \
    static float dot_##suffix(const void *row, int64_t n_blocks, const float *x) {                                     \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(),                           \
               a3 = _mm512_setzero_ps();                                                                               \
        int64_t i = 0;                                                                                                 \
        for (; i + 1 < n_blocks; i += 2) { /* two blocks per step: four independent accumulators */                   \
            __m512 v[2], u[2];                                                                                         \
            decode(s + i * (bytes), v);                                                                                \
            decode(s + (i + 1) * (bytes), u);                                                                          \
            a0 = fma_x(v[0], x + 32 * i, a0);                                                                          \
            a1 = fma_x(v[1], x + 32 * i + 16, a1);                                                                     \
            a2 = fma_x(u[0], x + 32 * i + 32, a2);                                                                     \
            a3 = fma_x(u[1], x + 32 * i + 48, a3);                                                                     \
        }                                                                                                              \
        if (i < n_blocks) {                                                                                            \
            __m512 v[2];                                                                                               \
            decode(s + i * (bytes), v);                                                                                \
            a0 = fma_x(v[0], x + 32 * i, a0);                                                                          \
            a1 = fma_x(v[1], x + 32 * i + 16, a1);                                                                     \
        }                                                                                                              \
        return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));                      \
    }                                                                                                                  \
    INLINE void dotn_##suffix##_t(const void *row, int64_t n_blocks, const float *x, int64_t xs, float *out,           \
                                  int64_t os, const int T) {                                                           \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        DOTN_PROLOGUE                                                                                                  \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            __m512 v[2];                                                                                               \
            decode(s + i * (bytes), v);                                                                                \
            DOTN_FMA(0, v[0], 32 * i)                                                                                  \
            DOTN_FMA(1, v[1], 32 * i)                                                                                  \
        }                                                                                                              \
        DOTN_EPILOGUE                                                                                                  \
    }                                                                                                                  \
    DEFINE_DOTN_SWITCH(suffix)

DEFINE_SMALL(q4_0, q4_0_block, BYTES_Q4_0)
DEFINE_SMALL(q4_1, q4_1_block, BYTES_Q4_1)
DEFINE_SMALL(q5_0, q5_0_block, BYTES_Q5_0)
DEFINE_SMALL(q5_1, q5_1_block, BYTES_Q5_1)
DEFINE_SMALL(q8_0, q8_0_block, BYTES_Q8_0)
DEFINE_SMALL(iq4_nl, iq4_nl_block, BYTES_IQ4_NL)

/* ---- 256-element formats: a super-block is decoded as 16 vectors; `emit(k, v)` consumes vector k --------------- */

#define DEFINE_SUPER(suffix, bytes, decode_superblock)                                                                 \
    static void dq_##suffix(const void *src, int64_t n_blocks, float *dst) {                                           \
        const uint8_t *s = (const uint8_t *)src;                                                                       \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            float *out = dst + 256 * i;                                                                                \
            (void)out;                                                                                                 \
            decode_superblock(s + i * (bytes), EMIT_STORE);                                                            \
        }                                                                                                              \
    }                                                                                                                  \
    static float dot_##suffix(const void *row, int64_t n_blocks, const float *x) {                                     \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};         \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            const float *xb = x + 256 * i;                                                                             \
            (void)xb;                                                                                                  \
            decode_superblock(s + i * (bytes), EMIT_FMA);                                                              \
        }                                                                                                              \
        return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));      \
    }                                                                                                                  \
    INLINE void dotn_##suffix##_t(const void *row, int64_t n_blocks, const float *x, int64_t xs, float *out,           \
                                  int64_t os, const int T) {                                                           \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        DOTN_PROLOGUE                                                                                                  \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            const int64_t xo = 256 * i;                                                                                \
            decode_superblock(s + i * (bytes), EMIT_FMA_N);                                                            \
        }                                                                                                              \
        DOTN_EPILOGUE                                                                                                  \
    }                                                                                                                  \
    DEFINE_DOTN_SWITCH(suffix)

#define EMIT_STORE(k, v) _mm512_storeu_ps(out + 16 * (k), (v))
#define EMIT_FMA(k, v) (acc[(k) % 4] = fma_x((v), xb + 16 * (k), acc[(k) % 4]))
#define EMIT_FMA_N(k, v)                                                                                               \
    do {                                                                                                               \
        const __m512 ev_ = (v);                                                                                        \
        DOTN_FMA(k, ev_, xo)                                                                                           \
    } while (0)

#define SB_Q2_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        __m512 dl_, ml_;                                                                                               \
        q2_k_superblock_tables((b), &dl_, &ml_);                                                                       \
        _Pragma("GCC unroll 16") for (int p_ = 0; p_ < 4; p_++) { /* p = 2n + half */                                                           \
            const __m512i qw_ = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)((b) + 16 + 16 * p_)));          \
            _Pragma("GCC unroll 16") for (int j_ = 0; j_ < 4; j_++) {                                                                           \
                const int s_ = 8 * (p_ / 2) + 2 * j_ + p_ % 2;                                                         \
                EMIT(s_, q2_k_sub(qw_, dl_, ml_, s_));                                                                 \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

#define SB_Q3_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        const __m512 dl_ = q3_k_superblock_scales(b);                                                                  \
        _Pragma("GCC unroll 16") for (int p_ = 0; p_ < 4; p_++) { /* p = 2n + half */                                                           \
            const __m512i qw_ = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)((b) + 32 + 16 * p_)));          \
            const __m512i hw4_ = _mm512_slli_epi32(                                                                    \
                _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)((b) + 16 * (p_ % 2)))), 2);                     \
            _Pragma("GCC unroll 16") for (int j_ = 0; j_ < 4; j_++) {                                                                           \
                const int s_ = 8 * (p_ / 2) + 2 * j_ + p_ % 2;                                                         \
                EMIT(s_, q3_k_sub(qw_, hw4_, dl_, s_));                                                                \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

#define SB_Q4_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        k_scales ks_;                                                                                                  \
        k4_scales((b), &ks_);                                                                                          \
        _Pragma("GCC unroll 16") for (int c_ = 0; c_ < 4; c_++) {                                                                               \
            __m512 v_[4];                                                                                              \
            q4_k_chunk((b), &ks_, c_, v_);                                                                             \
            _Pragma("GCC unroll 16") for (int k_ = 0; k_ < 4; k_++) {                                                                           \
                EMIT(4 * c_ + k_, v_[k_]);                                                                             \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

#define SB_Q5_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        k_scales ks_;                                                                                                  \
        k4_scales((b), &ks_);                                                                                          \
        __m256i qh_ = _mm256_loadu_si256((const __m256i *)((b) + 16));                                                 \
        _Pragma("GCC unroll 16") for (int c_ = 0; c_ < 4; c_++) {                                                                               \
            __m512 v_[4];                                                                                              \
            q5_k_chunk((b), &ks_, qh_, c_, v_);                                                                        \
            qh_ = _mm256_srli_epi16(qh_, 2);                                                                           \
            _Pragma("GCC unroll 16") for (int k_ = 0; k_ < 4; k_++) {                                                                           \
                EMIT(4 * c_ + k_, v_[k_]);                                                                             \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

#define SB_Q6_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        float ds_[16];                                                                                                 \
        q6_k_scales((b), ds_);                                                                                         \
        _Pragma("GCC unroll 16") for (int n_ = 0; n_ < 2; n_++) {                                                                               \
            __m512 v_[8];                                                                                              \
            q6_k_half((b), ds_, n_, v_);                                                                               \
            _Pragma("GCC unroll 16") for (int k_ = 0; k_ < 8; k_++) {                                                                           \
                EMIT(8 * n_ + k_, v_[k_]);                                                                             \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

#define SB_IQ4_XS(b, EMIT)                                                                                             \
    do {                                                                                                               \
        const float d_ = f16s(b);                                                                                      \
        _Pragma("GCC unroll 16") for (int ib_ = 0; ib_ < 8; ib_++) {                                                                            \
            __m512 v_[2];                                                                                              \
            iq4_xs_sub((b), d_, ib_, v_);                                                                              \
            EMIT(2 * ib_, v_[0]);                                                                                      \
            EMIT(2 * ib_ + 1, v_[1]);                                                                                  \
        }                                                                                                              \
    } while (0)

DEFINE_SUPER(q2_k, BYTES_Q2_K, SB_Q2_K)
DEFINE_SUPER(q3_k, BYTES_Q3_K, SB_Q3_K)
DEFINE_SUPER(q4_k, BYTES_Q4_K, SB_Q4_K)
DEFINE_SUPER(q5_k, BYTES_Q5_K, SB_Q5_K)
DEFINE_SUPER(q6_k, BYTES_Q6_K, SB_Q6_K)
DEFINE_SUPER(iq4_xs, BYTES_IQ4_XS, SB_IQ4_XS)

/* ---- formats decoded by their reference decoder (quant_blocks.h): the i-quants, TQ1_0, TQ2_0, MXFP4 -----------------
 * A block is decoded into an aligned stack buffer by the very function the scalar level uses (so dequantize is
 * bit-identical by construction) and the products multiply-add from there with this level's vectors. Their grids, sign
 * tables and trits would make register decoders long for the f32 path, which only serves large batches and tests; the
 * hot path of these formats is the 8-bit-activation product (q8_*.c). */

/* Runs the reference decoder `fn` on block b and emits its 16 vectors in element order. */
#define SB_VIA_REF(b, EMIT, fn)                                                                                        \
    do {                                                                                                               \
        _Alignas(64) float r_[256];                                                                                    \
        fn((b), r_);                                                                                                   \
        _Pragma("GCC unroll 32") for (int k_ = 0; k_ < 16; k_++) {                                                   \
            EMIT(k_, _mm512_load_ps(r_ + 16 * k_));                                                                      \
        }                                                                                                              \
    } while (0)
#define SB_IQ2_XXS(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_iq2_xxs)
#define SB_IQ2_XS(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_iq2_xs)
#define SB_IQ2_S(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_iq2_s)
#define SB_IQ3_XXS(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_iq3_xxs)
#define SB_IQ3_S(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_iq3_s)
#define SB_IQ1_S(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_iq1_s)
#define SB_IQ1_M(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_iq1_m)
#define SB_TQ1_0(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_tq1_0)
#define SB_TQ2_0(b, EMIT) SB_VIA_REF(b, EMIT, moe_dq_tq2_0)

DEFINE_SUPER(iq2_xxs, BYTES_IQ2_XXS, SB_IQ2_XXS)
DEFINE_SUPER(iq2_xs, BYTES_IQ2_XS, SB_IQ2_XS)
DEFINE_SUPER(iq2_s, BYTES_IQ2_S, SB_IQ2_S)
DEFINE_SUPER(iq3_xxs, BYTES_IQ3_XXS, SB_IQ3_XXS)
DEFINE_SUPER(iq3_s, BYTES_IQ3_S, SB_IQ3_S)
DEFINE_SUPER(iq1_s, BYTES_IQ1_S, SB_IQ1_S)
DEFINE_SUPER(iq1_m, BYTES_IQ1_M, SB_IQ1_M)
DEFINE_SUPER(tq1_0, BYTES_TQ1_0, SB_TQ1_0)
DEFINE_SUPER(tq2_0, BYTES_TQ2_0, SB_TQ2_0)

INLINE void mxfp4_block(const uint8_t *b, __m512 v[2]) {
    _Alignas(64) float r[32];
    moe_dq_mxfp4(b, r);
    for (int k = 0; k < 2; k++) {
        v[k] = _mm512_load_ps(r + 16 * k);
    }
}

DEFINE_SMALL(mxfp4, mxfp4_block, BYTES_MXFP4)

/* ---- F32 / F16 / BF16: one element per "block"; the tail is handled with masked loads ---------------------------- */

INLINE __m512 ld_f32(const uint8_t *p, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, p);
}

INLINE __m512 ld_f16(const uint8_t *p, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
}

INLINE __m512 ld_bf16(const uint8_t *p, __mmask16 m) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

INLINE __mmask16 tail_mask(int64_t left) {
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
}

#define DEFINE_PLAIN(suffix, load, esize)                                                                              \
    static void dq_##suffix(const void *src, int64_t n, float *dst) {                                                  \
        const uint8_t *s = (const uint8_t *)src;                                                                       \
        for (int64_t i = 0; i < n; i += 16) {                                                                          \
            const __mmask16 m = tail_mask(n - i);                                                                      \
            _mm512_mask_storeu_ps(dst + i, m, load(s + (esize) * i, m));                                               \
        }                                                                                                              \
    }                                                                                                                  \
    static float dot_##suffix(const void *row, int64_t n, const float *x) {                                            \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        const __mmask16 all = 0xFFFF;                                                                                  \
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(),                           \
               a3 = _mm512_setzero_ps();                                                                               \
        int64_t i = 0;                                                                                                 \
        for (; i + 64 <= n; i += 64) {                                                                                 \
            a0 = fma_x(load(s + (esize) * i, all), x + i, a0);                                                         \
            a1 = fma_x(load(s + (esize) * (i + 16), all), x + i + 16, a1);                                             \
            a2 = fma_x(load(s + (esize) * (i + 32), all), x + i + 32, a2);                                             \
            a3 = fma_x(load(s + (esize) * (i + 48), all), x + i + 48, a3);                                             \
        }                                                                                                              \
        for (; i < n; i += 16) {                                                                                       \
            const __mmask16 m = tail_mask(n - i);                                                                      \
            a0 = _mm512_fmadd_ps(load(s + (esize) * i, m), _mm512_maskz_loadu_ps(m, x + i), a0);                       \
        }                                                                                                              \
        return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));                      \
    }                                                                                                                  \
    INLINE void dotn_##suffix##_t(const void *row, int64_t n, const float *x, int64_t xs, float *out, int64_t os,      \
                                  const int T) {                                                                       \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        DOTN_PROLOGUE                                                                                                  \
        int64_t i = 0;                                                                                                 \
        for (; i + 32 <= n; i += 32) {                                                                                 \
            const __m512 v0 = load(s + (esize) * i, (__mmask16)0xFFFF);                                                \
            const __m512 v1 = load(s + (esize) * (i + 16), (__mmask16)0xFFFF);                                         \
            DOTN_FMA(0, v0, i)                                                                                         \
            DOTN_FMA(1, v1, i)                                                                                         \
        }                                                                                                              \
        for (; i < n; i += 16) {                                                                                       \
            const __mmask16 m = tail_mask(n - i);                                                                      \
            const __m512 v = load(s + (esize) * i, m);                                                                 \
            _Pragma("GCC unroll 6") for (int t = 0; t < T; t++) {                                                      \
                acc0[t] = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m, x + t * xs + i), acc0[t]);                       \
            }                                                                                                          \
        }                                                                                                              \
        DOTN_EPILOGUE                                                                                                  \
    }                                                                                                                  \
    DEFINE_DOTN_SWITCH(suffix)

DEFINE_PLAIN(f32, ld_f32, 4)
DEFINE_PLAIN(f16, ld_f16, 2)
DEFINE_PLAIN(bf16, ld_bf16, 2)

/* ---- f32 tile product (matmul) ------------------------------------------------------------------------------------
 * The main register block is 4 rows x 6 tokens: 24 zmm accumulators (named variables, so they stay in registers), each
 * loaded weight vector used 6 times and each token vector 4 times. Leftover tokens go through 4x3 and 4x1 blocks, leftover
 * rows (only at the end of a matrix) through 1x1 dots. Every (row, token) sum is accumulated in the same order by all
 * three block shapes, so the result does not depend on how rows and tokens were grouped. */

INLINE float reduce_store(__m512 acc, float *out, int accumulate) {
    const float s = _mm512_reduce_add_ps(acc);
    *out = accumulate ? *out + s : s;
    return s;
}

#define ROW4_FMA(t, xv)                                                                                                \
    a0##t = _mm512_fmadd_ps(w0, xv, a0##t);                                                                            \
    a1##t = _mm512_fmadd_ps(w1, xv, a1##t);                                                                            \
    a2##t = _mm512_fmadd_ps(w2, xv, a2##t);                                                                            \
    a3##t = _mm512_fmadd_ps(w3, xv, a3##t);
#define ROW4_DECL(t) __m512 a0##t = _mm512_setzero_ps(), a1##t = a0##t, a2##t = a0##t, a3##t = a0##t;
#define ROW4_STORE(t)                                                                                                  \
    reduce_store(a0##t, y + (t) * ys + 0, accumulate);                                                                 \
    reduce_store(a1##t, y + (t) * ys + 1, accumulate);                                                                 \
    reduce_store(a2##t, y + (t) * ys + 2, accumulate);                                                                 \
    reduce_store(a3##t, y + (t) * ys + 3, accumulate);

/* One k step of 16 (m = lane mask; all ones except at the tail). */
#define STEP_4x6(k, m)                                                                                                 \
    do {                                                                                                               \
        const __m512 w0 = _mm512_maskz_loadu_ps(m, w + (k));                                                           \
        const __m512 w1 = _mm512_maskz_loadu_ps(m, w + ws + (k));                                                      \
        const __m512 w2 = _mm512_maskz_loadu_ps(m, w + 2 * ws + (k));                                                  \
        const __m512 w3 = _mm512_maskz_loadu_ps(m, w + 3 * ws + (k));                                                  \
        __m512 xv;                                                                                                     \
        xv = _mm512_maskz_loadu_ps(m, x + (k));                                                                        \
        ROW4_FMA(0, xv)                                                                                                \
        xv = _mm512_maskz_loadu_ps(m, x + xs + (k));                                                                   \
        ROW4_FMA(1, xv)                                                                                                \
        xv = _mm512_maskz_loadu_ps(m, x + 2 * xs + (k));                                                               \
        ROW4_FMA(2, xv)                                                                                                \
        xv = _mm512_maskz_loadu_ps(m, x + 3 * xs + (k));                                                               \
        ROW4_FMA(3, xv)                                                                                                \
        xv = _mm512_maskz_loadu_ps(m, x + 4 * xs + (k));                                                               \
        ROW4_FMA(4, xv)                                                                                                \
        xv = _mm512_maskz_loadu_ps(m, x + 5 * xs + (k));                                                               \
        ROW4_FMA(5, xv)                                                                                                \
    } while (0)

static void gemm_4x6(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                     int accumulate) {
    ROW4_DECL(0) ROW4_DECL(1) ROW4_DECL(2) ROW4_DECL(3) ROW4_DECL(4) ROW4_DECL(5)
    int64_t k = 0;
    for (; k + 16 <= k_len; k += 16) {
        STEP_4x6(k, (__mmask16)0xFFFF);
    }
    if (k < k_len) {
        const __mmask16 m = tail_mask(k_len - k);
        STEP_4x6(k, m);
    }
    ROW4_STORE(0) ROW4_STORE(1) ROW4_STORE(2) ROW4_STORE(3) ROW4_STORE(4) ROW4_STORE(5)
}

#define STEP_4x3(k, m)                                                                                                 \
    do {                                                                                                               \
        const __m512 w0 = _mm512_maskz_loadu_ps(m, w + (k));                                                           \
        const __m512 w1 = _mm512_maskz_loadu_ps(m, w + ws + (k));                                                      \
        const __m512 w2 = _mm512_maskz_loadu_ps(m, w + 2 * ws + (k));                                                  \
        const __m512 w3 = _mm512_maskz_loadu_ps(m, w + 3 * ws + (k));                                                  \
        __m512 xv;                                                                                                     \
        xv = _mm512_maskz_loadu_ps(m, x + (k));                                                                        \
        ROW4_FMA(0, xv)                                                                                                \
        xv = _mm512_maskz_loadu_ps(m, x + xs + (k));                                                                   \
        ROW4_FMA(1, xv)                                                                                                \
        xv = _mm512_maskz_loadu_ps(m, x + 2 * xs + (k));                                                               \
        ROW4_FMA(2, xv)                                                                                                \
    } while (0)

static void gemm_4x3(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                     int accumulate) {
    ROW4_DECL(0) ROW4_DECL(1) ROW4_DECL(2)
    int64_t k = 0;
    for (; k + 16 <= k_len; k += 16) {
        STEP_4x3(k, (__mmask16)0xFFFF);
    }
    if (k < k_len) {
        const __mmask16 m = tail_mask(k_len - k);
        STEP_4x3(k, m);
    }
    ROW4_STORE(0) ROW4_STORE(1) ROW4_STORE(2)
}

#define STEP_4x1(k, m)                                                                                                 \
    do {                                                                                                               \
        const __m512 w0 = _mm512_maskz_loadu_ps(m, w + (k));                                                           \
        const __m512 w1 = _mm512_maskz_loadu_ps(m, w + ws + (k));                                                      \
        const __m512 w2 = _mm512_maskz_loadu_ps(m, w + 2 * ws + (k));                                                  \
        const __m512 w3 = _mm512_maskz_loadu_ps(m, w + 3 * ws + (k));                                                  \
        const __m512 xv = _mm512_maskz_loadu_ps(m, x + (k));                                                           \
        ROW4_FMA(0, xv)                                                                                                \
    } while (0)

static void gemm_4x1(const float *w, int64_t ws, const float *x, int64_t k_len, float *y, int accumulate) {
    const int64_t ys = 0;
    ROW4_DECL(0)
    int64_t k = 0;
    for (; k + 16 <= k_len; k += 16) {
        STEP_4x1(k, (__mmask16)0xFFFF);
    }
    if (k < k_len) {
        const __mmask16 m = tail_mask(k_len - k);
        STEP_4x1(k, m);
    }
    ROW4_STORE(0)
}

static void gemm_1x1(const float *w, const float *x, int64_t k_len, float *y, int accumulate) {
    __m512 a = _mm512_setzero_ps();
    for (int64_t k = 0; k < k_len; k += 16) {
        const __mmask16 m = tail_mask(k_len - k);
        a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + k), _mm512_maskz_loadu_ps(m, x + k), a);
    }
    reduce_store(a, y, accumulate);
}

static void gemm_avx512(const float *w, int64_t w_stride, int n_rows, const float *x, int64_t x_stride, int64_t n_tok,
                        int64_t k_len, float *y, int64_t y_stride, int accumulate) {
    const int rows4 = n_rows / 4 * 4;
    int64_t t = 0;
    for (; t + 6 <= n_tok; t += 6) {
        for (int r = 0; r < rows4; r += 4) {
            gemm_4x6(w + r * w_stride, w_stride, x + t * x_stride, x_stride, k_len, y + t * y_stride + r, y_stride,
                     accumulate);
        }
    }
    for (; t + 3 <= n_tok; t += 3) {
        for (int r = 0; r < rows4; r += 4) {
            gemm_4x3(w + r * w_stride, w_stride, x + t * x_stride, x_stride, k_len, y + t * y_stride + r, y_stride,
                     accumulate);
        }
    }
    for (; t < n_tok; t++) {
        for (int r = 0; r < rows4; r += 4) {
            gemm_4x1(w + r * w_stride, w_stride, x + t * x_stride, k_len, y + t * y_stride + r, accumulate);
        }
    }
    for (t = 0; t < n_tok; t++) {
        for (int r = rows4; r < n_rows; r++) {
            gemm_1x1(w + r * w_stride, x + t * x_stride, k_len, y + t * y_stride + r, accumulate);
        }
    }
}

const moe_kernels moe_kernels_avx512 = {
    .level = MOE_CPU_AVX512,
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
    .gemm = gemm_avx512,
};
