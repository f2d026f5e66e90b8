/*
 * q8_avx512_k.h - the AVX-512 products of the 256-element formats: the super-block machinery and DEFINE_K, which each
 * format instantiates with its decoder and its sums. Included by q8_avx512_kq.c (K-quants, IQ4_XS) and, through
 * q8_avx512_iq.h, by the i-quant and ternary files (see q8_avx512.h for why the level is several files).
 */
#ifndef MOE4J_Q8_AVX512_K_H
#define MOE4J_Q8_AVX512_K_H

#include "q8_avx512.h"

/* ---- 256-element formats: one super-block at a time ------------------------------------------------------------ */

/* Everything of one super-block that does not depend on the token: 4 registers of 64 unsigned weight bytes (element
 * order), the 16-bit scale words that multiply their byte pairs, the 16 words that multiply the 16 bsums, and the f32
 * scales. corr_shift: isum = acc - (bsum term << corr_shift); without it the bsum term is the mins term. */
typedef struct k_block {
    __m512i W[4], S[4];
    __m256i bw; /* 16 words against the 16 bsums */
    float dw, dmin;
    __m512i W2[4]; /* IQ1_M: a second weight vector per chunk (the delta signs) */
    __m256i bw2;   /* IQ1_S: 16 words against the bsums for the delta sum */
} k_block;

/* A scale word per 16-bit lane from a byte table: 128-bit lane j of chunk k holds table byte k*4 + j (zero-extended),
 * for formats with 16-element sub-blocks (4 per 64-element chunk). */
INLINE __m512i words_by_lane(__m512i table4, int k) {
    const __m512i sel = _mm512_add_epi8(_mm512_set1_epi8((char)(4 * k)),
                                        _mm512_set_epi64(0x8003800380038003LL, 0x8003800380038003LL,
                                                         0x8002800280028002LL, 0x8002800280028002LL,
                                                         0x8001800180018001LL, 0x8001800180018001LL,
                                                         0x8000800080008000LL, 0x8000800080008000LL));
    return _mm512_shuffle_epi8(table4, sel); /* the 0x80 bytes (+4k stays >= 0x80) select zero */
}

/* One word per k of 16 from a 16-byte table t: word k = t[k] (zero-extended). */
INLINE __m256i words16(__m128i t) {
    return _mm256_cvtepu8_epi16(t);
}

/* Integer sums of one super-block with one token: acc = sum over chunks of (W * X) pairs times S, and bw . bsums. */
INLINE void k_sums(const k_block *k, const int8_t *q, const int16_t *bs, int32_t *isum, int32_t *bsum_term) {
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512(); /* two chains: half the latency */
    acc0 = _mm512_dpwssd_epi32(acc0, _mm512_maddubs_epi16(k->W[0], _mm512_loadu_si512(q)), k->S[0]);
    acc1 = _mm512_dpwssd_epi32(acc1, _mm512_maddubs_epi16(k->W[1], _mm512_loadu_si512(q + 64)), k->S[1]);
    acc0 = _mm512_dpwssd_epi32(acc0, _mm512_maddubs_epi16(k->W[2], _mm512_loadu_si512(q + 128)), k->S[2]);
    acc1 = _mm512_dpwssd_epi32(acc1, _mm512_maddubs_epi16(k->W[3], _mm512_loadu_si512(q + 192)), k->S[3]);
    hsum2(_mm512_add_epi32(acc0, acc1), _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bs), k->bw), isum,
          bsum_term);
}

INLINE void q2_k_block(const uint8_t *b, k_block *k) {
    const __m128i sc = _mm_loadu_si128((const __m128i *)b);
    const __m512i lo4 = _mm512_broadcast_i32x4(_mm_and_si128(sc, _mm_set1_epi8(0x0F)));
    for (int n = 0; n < 2; n++) {
        const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 16 + 32 * n)));
        for (int jj = 0; jj < 2; jj++) {
            const __m512i v = _mm512_srlv_epi16(q, shifts_halves(4 * jj, 4 * jj + 2));
            k->W[2 * n + jj] = _mm512_and_si512(v, _mm512_set1_epi8(3));
        }
    }
    for (int c = 0; c < 4; c++) {
        k->S[c] = words_by_lane(lo4, c);
    }
    k->bw = words16(_mm_and_si128(_mm_srli_epi16(sc, 4), _mm_set1_epi8(0x0F)));
    k->dw = f16s(b + 80);
    k->dmin = f16s(b + 82);
}

/* moe_q3_k_scale_bytes in registers (a byte array would be written with scalar stores and read back as a vector,
 * which stalls store forwarding): the 16 6-bit fields from a0 a1 a2, the three words of the 12 scale bytes. */
INLINE __m128i q3_k_fields(const uint8_t *scales) {
    const __m128i v = _mm_maskz_loadu_epi8(0x0FFF, scales); /* 12 bytes: the block may end 2 bytes later */
    const __m128i lo = _mm_and_si128(_mm_srlv_epi32(_mm_shuffle_epi32(v, 0x44), _mm_setr_epi32(0, 0, 4, 4)),
                                     _mm_set1_epi8(0x0F));                      /* a0, a1, a0>>4, a1>>4 */
    const __m128i hi = _mm_and_si128(_mm_srlv_epi32(_mm_shuffle_epi32(v, 0xAA), _mm_setr_epi32(0, 2, 4, 6)),
                                     _mm_set1_epi8(0x03));                      /* a2 >> 0, 2, 4, 6 */
    return _mm_or_si128(lo, _mm_slli_epi32(hi, 4));
}

/* Q3_K: u = 2-bit quant | hmask bit << 2 in 0..7, value u - 4; the bsum term is sum(scale * bsum), times 4. */
INLINE void q3_k_block(const uint8_t *b, k_block *k) {
    const __m512i hm = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)b));
    for (int n = 0; n < 2; n++) {
        const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 32 + 32 * n)));
        for (int jj = 0; jj < 2; jj++) {
            const __m512i v = _mm512_and_si512(_mm512_srlv_epi16(q, shifts_halves(4 * jj, 4 * jj + 2)),
                                               _mm512_set1_epi8(3));
            /* hmask bit p = 4n + j belongs to element group j of half n; move it to bit 2 */
            const int p = 4 * n + 2 * jj;
            const __m512i h = p == 0 ? _mm512_sllv_epi16(hm, shifts_halves(2, 1))
                                     : _mm512_srlv_epi16(hm, shifts_halves(p - 2, p - 1));
            k->W[2 * n + jj] = _mm512_ternarylogic_epi32(v, h, _mm512_set1_epi8(4), 0xF8);
        }
    }
    const __m128i f = q3_k_fields(b + 96);
    const __m512i f4 = _mm512_broadcast_i32x4(f);
    for (int c = 0; c < 4; c++) {
        k->S[c] = _mm512_sub_epi16(words_by_lane(f4, c), _mm512_set1_epi16(32));
    }
    k->bw = _mm256_sub_epi16(words16(f), _mm256_set1_epi16(32));
    k->dw = f16s(b + 108);
    k->dmin = 0.0f;
}

/* Q4_K / Q5_K: 8 sub-blocks of 32; chunk c's low nibbles are sub-block 2c, high nibbles 2c+1. */
/* moe_scale_min_k4_all in registers: scales in bytes 0-7, mins in 8-15, from the words a0 a1 a2 at q. */
INLINE __m128i k4_scale_mins(const uint8_t *q) {
    const __m128i v = _mm_loadu_si128((const __m128i *)q); /* 12 bytes used; the block goes on after them */
    const __m128i x = _mm_shuffle_epi32(v, 0x98);          /* a0 a2 a1 a2 */
    const __m128i y = _mm_shuffle_epi32(v, 0x50);          /* a0 a0 a1 a1 */
    const __m128i lo = _mm_and_si128(_mm_srlv_epi32(x, _mm_setr_epi32(0, 0, 0, 4)),
                                     _mm_setr_epi32(0x3F3F3F3F, 0x0F0F0F0F, 0x3F3F3F3F, 0x0F0F0F0F));
    const __m128i hi = _mm_and_si128(_mm_srli_epi32(y, 6), _mm_setr_epi32(0, 0x03030303, 0, 0x03030303));
    return _mm_or_si128(lo, _mm_slli_epi32(hi, 4));
}

INLINE void q45_k_scales(const uint8_t *b, k_block *k) {
    const __m128i smv = k4_scale_mins(b + 4);
    const __m512i t4 = _mm512_broadcast_i32x4(smv);
    for (int c = 0; c < 4; c++) { /* lower 256 bits: scale 2c, upper: scale 2c+1 */
        const __m512i sel = _mm512_inserti64x4(_mm512_set1_epi16((short)(0x8000 | (2 * c))),
                                               _mm256_set1_epi16((short)(0x8000 | (2 * c + 1))), 1);
        k->S[c] = _mm512_shuffle_epi8(t4, sel);
    }
    /* bsum k (16 elements) pairs with min k/2 (bytes 8..15 of sm) */
    const __m128i mins = _mm_shuffle_epi8(smv, _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15));
    k->bw = words16(mins);
    k->dw = f16s(b);
    k->dmin = f16s(b + 2);
}

INLINE void q4_k_block(const uint8_t *b, k_block *k) {
    for (int c = 0; c < 4; c++) {
        const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 16 + 32 * c)));
        k->W[c] = _mm512_and_si512(_mm512_srlv_epi16(q, shifts_halves(0, 4)), _mm512_set1_epi8(0x0F));
    }
    q45_k_scales(b, k);
}

INLINE void q5_k_block(const uint8_t *b, k_block *k) {
    const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 16)));
    for (int c = 0; c < 4; c++) {
        const __m512i q = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 48 + 32 * c)));
        const __m512i v = _mm512_and_si512(_mm512_srlv_epi16(q, shifts_halves(0, 4)), _mm512_set1_epi8(0x0F));
        /* qh bits 2c (low half) and 2c+1 (high half) moved to bit 4 */
        const __m512i h = c < 2 ? _mm512_sllv_epi16(qh, shifts_halves(4 - 2 * c, 3 - 2 * c))
                                : _mm512_srlv_epi16(qh, shifts_halves(2 * c - 4, 2 * c - 3));
        k->W[c] = _mm512_ternarylogic_epi32(v, h, _mm512_set1_epi8(0x10), 0xF8);
    }
    q45_k_scales(b, k);
}

/* Q6_K: value = 6-bit u - 32; the bsum term is sum(scale * bsum), times 32. */
INLINE void q6_k_block(const uint8_t *b, k_block *k) {
    for (int n = 0; n < 2; n++) {
        const __m512i L = _mm512_loadu_si512(b + 64 * n);
        const __m512i H = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n)));
        const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30);
        k->W[2 * n] = _mm512_ternarylogic_epi32(_mm512_and_si512(L, m4), _mm512_sllv_epi16(H, shifts_halves(4, 2)),
                                                m30, 0xF8);
        k->W[2 * n + 1] = _mm512_ternarylogic_epi32(_mm512_and_si512(_mm512_srli_epi16(L, 4), m4),
                                                    _mm512_srlv_epi16(H, shifts_halves(0, 2)), m30, 0xF8);
    }
    const __m128i sc = _mm_loadu_si128((const __m128i *)(b + 192));
    const __m512i sc4 = _mm512_broadcast_i32x4(sc);
    for (int c = 0; c < 4; c++) {
        /* the byte twice in a word, then an arithmetic shift: the sign-extended scale */
        const __m512i sel = _mm512_add_epi8(_mm512_set1_epi8((char)(4 * c)),
                                            _mm512_set_epi64(0x0303030303030303LL, 0x0303030303030303LL,
                                                             0x0202020202020202LL, 0x0202020202020202LL,
                                                             0x0101010101010101LL, 0x0101010101010101LL, 0, 0));
        k->S[c] = _mm512_srai_epi16(_mm512_shuffle_epi8(sc4, sel), 8);
    }
    k->bw = _mm256_cvtepi8_epi16(sc);
    k->dw = f16s(b + 208);
    k->dmin = 0.0f;
}

/* Integer results of up to 16 super-blocks, scaled together: the scalar level's per-block formula 16 lanes wide
 * (block b in lane b % 16, as there), so the f32 work is vector work and off the per-block dependency chain. */
typedef struct k_batch {
    int32_t isum[DOT_MAX][16], bterm[DOT_MAX][16];
    float dw[16], dmin[16];
} k_batch;

/* The per-block f32 formulas of the 256-element formats, 16 lanes wide (the scalar level's, lane by lane):
 *   K_MIN:    (dw*dx) * isum - (dmin*dx) * bterm   moe_q8_scaled_k (K-quants; bterm = 0 where there is no min)
 *   K_SCALED: (dw*dx) * isum                       moe_q8_scaled (i-quants with dw = 0.125 d or 0.25 d, TQ1_0, TQ2_0)
 *   K_IQ1:    (dw*dx) * (isum + 0.125 * bterm)     moe_q8_scaled_iq1 (IQ1_S, IQ1_M: bterm is the delta sum) */
enum { K_MIN, K_SCALED, K_IQ1 };

INLINE __m512 k_formula(const int kind, __m512 dw, __m512 dmin, __m512 dx, __m512i isum, __m512i bterm) {
    const __m512 D = _mm512_mul_ps(dw, dx);
    const __m512 a = _mm512_cvtepi32_ps(isum);
    if (kind == K_SCALED) {
        return _mm512_mul_ps(D, a);
    }
    if (kind == K_IQ1) {
        return _mm512_mul_ps(D, _mm512_add_ps(a, _mm512_mul_ps(_mm512_set1_ps(0.125f), _mm512_cvtepi32_ps(bterm))));
    }
    const __m512 M = _mm512_mul_ps(dmin, dx);
    return _mm512_sub_ps(_mm512_mul_ps(D, a), _mm512_mul_ps(M, _mm512_cvtepi32_ps(bterm)));
}

INLINE void k_flush(const k_batch *kb, int n, int64_t b0, const uint8_t *xq, int64_t xs, int64_t nb, const int T,
                    const int kind, __m512 *acc) {
    const __mmask16 m = (__mmask16)(n == 16 ? 0xFFFF : (1u << n) - 1); /* absent lanes add +0 */
    const __m512 dw = _mm512_maskz_loadu_ps(m, kb->dw), dmin = _mm512_maskz_loadu_ps(m, kb->dmin);
    for (int t = 0; t < T; t++) {
        const __m512 dx = _mm512_maskz_loadu_ps(m, (const float *)(xq + t * xs + 256 * nb) + b0);
        acc[t] = _mm512_add_ps(acc[t], k_formula(kind, dw, dmin, dx, _mm512_maskz_loadu_epi32(m, kb->isum[t]),
                                                 _mm512_maskz_loadu_epi32(m, kb->bterm[t])));
    }
}

/* The K-quant dot: T tokens, one super-block at a time, f32 scaling every 16 super-blocks. */
#define DEFINE_K(suffix, bytes, decode, sums, corr_shift, kind, prepare)                                                            \
    INLINE void dot_##suffix##_t(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, float *out, int64_t os,  \
                                 const int T) {                                                                        \
        __m512 acc[DOT_MAX];                                                                                           \
        for (int t = 0; t < T; t++) {                                                                                  \
            acc[t] = _mm512_setzero_ps();                                                                              \
        }                                                                                                              \
        k_batch kb;                                                                                                    \
        for (int64_t b = 0; b < nb; b++) {                                                                             \
            k_block k;                                                                                                 \
            decode(w + b * (bytes), &k);                                                                               \
            kb.dw[b & 15] = k.dw;                                                                                      \
            kb.dmin[b & 15] = k.dmin;                                                                                  \
            _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                      \
                const uint8_t *xrow = xq + t * xs;                                                                     \
                int32_t isum, bterm;                                                                                   \
                sums(&k, (const int8_t *)xrow + 256 * b, (const int16_t *)(xrow + 260 * nb) + 16 * b, &isum, &bterm);   \
                if ((corr_shift) >= 0) {                                                                               \
                    isum -= bterm * (1 << ((corr_shift) < 0 ? 0 : (corr_shift)));                                      \
                    bterm = 0;                                                                                         \
                }                                                                                                      \
                kb.isum[t][b & 15] = isum;                                                                             \
                kb.bterm[t][b & 15] = bterm;                                                                           \
            }                                                                                                          \
            if ((b & 15) == 15) {                                                                                      \
                k_flush(&kb, 16, b - 15, xq, xs, nb, T, kind, acc);                                                      \
            }                                                                                                          \
        }                                                                                                              \
        if (nb & 15) {                                                                                                 \
            k_flush(&kb, (int)(nb & 15), nb & ~(int64_t)15, xq, xs, nb, T, kind, acc);                                      \
        }                                                                                                              \
        for (int t = 0; t < T; t++) {                                                                                  \
            out[t * os] = sum16(acc[t]);                                                                               \
        }                                                                                                              \
    }                                                                                                                  \
    /* Rows of at most 8 super-blocks share one f32 scaling: slot s holds super-block s % P of row r0 + s / P. */    \
    INLINE void kmultirow_##suffix(const uint8_t *w, int64_t row_bytes, int64_t r0, int R, const int P, int nb,        \
                                   const uint8_t *xq, int64_t xs, const int T, float *out, int64_t os) {               \
        k_batch kb;                                                                                                    \
        __mmask16 valid = 0;                                                                                           \
        for (int rl = 0; rl < R; rl++) {                                                                               \
            for (int b = 0; b < nb; b++) {                                                                             \
                const int slot = rl * P + b;                                                                           \
                k_block k;                                                                                             \
                decode(w + (r0 + rl) * row_bytes + b * (bytes), &k);                                                   \
                kb.dw[slot] = k.dw;                                                                                    \
                kb.dmin[slot] = k.dmin;                                                                                \
                valid |= (__mmask16)(1u << slot);                                                                      \
                _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                  \
                    const uint8_t *xrow = xq + t * xs;                                                                 \
                    int32_t isum, bterm;                                                                               \
                    sums(&k, (const int8_t *)xrow + 256 * b, (const int16_t *)(xrow + 260 * nb) + 16 * b, &isum, &bterm); \
                    if ((corr_shift) >= 0) {                                                                           \
                        isum -= bterm * (1 << ((corr_shift) < 0 ? 0 : (corr_shift)));                                  \
                        bterm = 0;                                                                                     \
                    }                                                                                                  \
                    kb.isum[t][slot] = isum;                                                                           \
                    kb.bterm[t][slot] = bterm;                                                                         \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
        const __m512i blk = _mm512_and_si512(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),  \
                                             _mm512_set1_epi32(P - 1));                                                \
        const __m512 dw = _mm512_maskz_loadu_ps(valid, kb.dw), dmin = _mm512_maskz_loadu_ps(valid, kb.dmin);           \
        for (int t = 0; t < T; t++) {                                                                                  \
            const float *dxrow = (const float *)(xq + t * xs + 256 * nb);                                              \
            const __m512 dx = _mm512_maskz_mov_ps(valid, _mm512_permutexvar_ps(                                        \
                                  blk, _mm512_maskz_loadu_ps((__mmask16)((1u << nb) - 1), dxrow)));                     \
            const __m512 c = k_formula(kind, dw, dmin, dx, _mm512_maskz_loadu_epi32(valid, kb.isum[t]),                \
                                       _mm512_maskz_loadu_epi32(valid, kb.bterm[t]));                                  \
            store_row_sums(_mm512_add_ps(_mm512_setzero_ps(), c), P, R, out + t * os + r0);                            \
        }                                                                                                              \
    }                                                                                                                  \
    INLINE void kmultirows_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int nb, const uint8_t *xq,    \
                                    int64_t xs, float *out, int64_t os, const int P, const int T) {                    \
        for (int64_t r0 = 0; r0 < n_rows; r0 += 16 / P) {                                                              \
            const int R = (int)(n_rows - r0 < 16 / P ? n_rows - r0 : 16 / P);                                          \
            kmultirow_##suffix(w, row_bytes, r0, R, P, nb, xq, xs, T, out, os);                                        \
        }                                                                                                              \
    }                                                                                                                  \
    INLINE void rows_##suffix##_t(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,  \
                                  int64_t xs, float *out, int64_t os, const int T) {                                   \
        switch (nb) {                                                                                                  \
        case 1: kmultirows_##suffix(w, row_bytes, n_rows, 1, xq, xs, out, os, 1, T); return;                           \
        case 2: kmultirows_##suffix(w, row_bytes, n_rows, 2, xq, xs, out, os, 2, T); return;                           \
        case 3: case 4: kmultirows_##suffix(w, row_bytes, n_rows, (int)nb, xq, xs, out, os, 4, T); return;             \
        case 5: case 6: case 7: case 8: kmultirows_##suffix(w, row_bytes, n_rows, (int)nb, xq, xs, out, os, 8, T); return; \
        default: break;                                                                                                \
        }                                                                                                              \
        for (int64_t r = 0; r < n_rows; r++) {                                                                         \
            dot_##suffix##_t(w + r * row_bytes, nb, xq, xs, out + r, os, T);                                           \
        }                                                                                                              \
    }                                                                                                                  \
    DEFINE_DOT_SWITCH(suffix, prepare)

#endif /* MOE4J_Q8_AVX512_K_H */
