/*
 * q8_avx512_small.h - the AVX-512 products of the 32-element formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, MXFP4):
 * DEFINE_SMALL and what it builds on. Included by q8_avx512_q4q5.c and q8_avx512_q8.c (see q8_avx512.h for why the
 * level is several files; the method is described at the top of q8_avx512.c).
 */
#ifndef MOE4J_Q8_AVX512_SMALL_H
#define MOE4J_Q8_AVX512_SMALL_H

#include "q8_avx512.h"

/* ---- 32-element formats: groups of 16 blocks ------------------------------------------------------------------- */

/* v[i] holds the integer partial sums of blocks 2i (lanes 0-7) and 2i+1 (lanes 8-15); returns lane b = block b's sum.
 * Three levels of unpack-and-add pair up lanes of neighbouring registers; the last step leaves the blocks in the order
 * 0 2 4 6 1 3 5 7 8 10 12 14 9 11 13 15, which one permutation puts right. */
INLINE __m512i reduce_pairs(const __m512i v[8]) {
    __m512i w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]),
                                _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
    }
    const __m512i x0 = _mm512_add_epi32(_mm512_unpacklo_epi64(w[0], w[1]), _mm512_unpackhi_epi64(w[0], w[1]));
    const __m512i x1 = _mm512_add_epi32(_mm512_unpacklo_epi64(w[2], w[3]), _mm512_unpackhi_epi64(w[2], w[3]));
    const __m512i y = _mm512_add_epi32(_mm512_shuffle_i64x2(x0, x1, 0x88), _mm512_shuffle_i64x2(x0, x1, 0xDD));
    return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15), y);
}

/* Pair decoders: the 64 weight bytes of blocks a and b (32 each, element order), as unsigned bytes. */

/* Nibble formats (16 bytes of nibbles at qa / qb): lanes a, a, b, b shifted by 0, 4, 0, 4 and masked. */
INLINE __m512i pair_nibbles(const uint8_t *qa, const uint8_t *qb) {
    const __m512i a = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)qa));
    const __m512i z = _mm512_mask_broadcast_i32x4(a, 0xFF00, _mm_loadu_si128((const __m128i *)qb)); /* a a b b */
    const __m512i s = _mm512_mask_srli_epi16(z, 0xFF00FF00, z, 4); /* 128-bit lanes 1 and 3: high nibbles */
    return _mm512_and_si512(s, _mm512_set1_epi8(0x0F));
}

INLINE __m512i pair_q4_0(const uint8_t *a, const uint8_t *b) {
    return pair_nibbles(a + 2, b + 2);
}

INLINE __m512i pair_q4_1(const uint8_t *a, const uint8_t *b) {
    return pair_nibbles(a + 4, b + 4);
}

/* Q5: bit j of a block's qh is the 5th bit of its element j; one mask register spreads all 64 bits to bytes. */
INLINE __m512i pair_q5(const uint8_t *a, const uint8_t *b, int qh_at) {
    const uint64_t bits = (uint64_t)moe_rd_u32(a + qh_at) | ((uint64_t)moe_rd_u32(b + qh_at) << 32);
    const __m512i h = _mm512_movm_epi8(_cvtu64_mask64(bits));
    const __m512i z = pair_nibbles(a + qh_at + 4, b + qh_at + 4);
    return _mm512_ternarylogic_epi32(z, h, _mm512_set1_epi8(0x10), 0xF8); /* z | (h & 0x10) */
}

INLINE __m512i pair_q5_0(const uint8_t *a, const uint8_t *b) {
    return pair_q5(a, b, 2);
}

INLINE __m512i pair_q5_1(const uint8_t *a, const uint8_t *b) {
    return pair_q5(a, b, 4);
}

INLINE __m512i pair_q8_0(const uint8_t *a, const uint8_t *b) {
    const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(a + 2))),
                                         _mm256_loadu_si256((const __m256i *)(b + 2)), 1);
    return _mm512_xor_si512(z, _mm512_set1_epi8((char)0x80)); /* + 128 */
}

INLINE __m512i pair_iq4_nl(const uint8_t *a, const uint8_t *b) {
    return _mm512_shuffle_epi8(iq4_book_biased(), pair_nibbles(a + 2, b + 2));
}

/* MXFP4: E2M1 values doubled (-12..12), + 128, after the scale byte. */
INLINE __m512i pair_mxfp4(const uint8_t *a, const uint8_t *b) {
    const __m128i kv = _mm_loadu_si128((const __m128i *)moe_kvalues_mxfp4);
    const __m512i book = _mm512_broadcast_i32x4(_mm_xor_si128(kv, _mm_set1_epi8((char)0x80)));
    return _mm512_shuffle_epi8(book, pair_nibbles(a + 1, b + 1));
}

/* The f16 scales of a group's blocks without a gather: the group's bytes are read in 128-byte windows, and one
 * two-register word permutation per window picks the scale words that lie in it. Output words 0-15 are the f16 at
 * byte j*BB + at of block j, words 16-31 the one at j*BB + at2 (Q4_1/Q5_1's min; a copy of d for the others). */
typedef struct f16_windows {
    uint16_t idx[4][32]; /* per window: the source word of each output word (0 where it lies elsewhere) */
    uint32_t mask[4];    /* per window: the output words it provides */
} f16_windows;

#define FW_BYTE(BB, j, at, at2) ((j) < 16 ? (j) * (BB) + (at) : ((j) - 16) * (BB) + (at2))
#define FW_IN(BB, c, j, at, at2) (FW_BYTE(BB, j, at, at2) / 128 == (c))
#define FW_IDX(BB, c, j, at, at2) (FW_IN(BB, c, j, at, at2) ? (FW_BYTE(BB, j, at, at2) - 128 * (c)) / 2 : 0)
#define FW_BIT(BB, c, j, at, at2) ((uint32_t)FW_IN(BB, c, j, at, at2) << (j))
#define FW_8(M, BB, c, at, at2, j0)                                                                                    \
    M(BB, c, j0, at, at2), M(BB, c, j0 + 1, at, at2), M(BB, c, j0 + 2, at, at2), M(BB, c, j0 + 3, at, at2),           \
        M(BB, c, j0 + 4, at, at2), M(BB, c, j0 + 5, at, at2), M(BB, c, j0 + 6, at, at2), M(BB, c, j0 + 7, at, at2)
#define FW_ROW(BB, c, at, at2)                                                                                         \
    {FW_8(FW_IDX, BB, c, at, at2, 0), FW_8(FW_IDX, BB, c, at, at2, 8), FW_8(FW_IDX, BB, c, at, at2, 16),             \
     FW_8(FW_IDX, BB, c, at, at2, 24)}
#define FW_MASK8(BB, c, at, at2, j0)                                                                                   \
    (FW_BIT(BB, c, j0, at, at2) | FW_BIT(BB, c, j0 + 1, at, at2) | FW_BIT(BB, c, j0 + 2, at, at2) |                   \
     FW_BIT(BB, c, j0 + 3, at, at2) | FW_BIT(BB, c, j0 + 4, at, at2) | FW_BIT(BB, c, j0 + 5, at, at2) |               \
     FW_BIT(BB, c, j0 + 6, at, at2) | FW_BIT(BB, c, j0 + 7, at, at2))
#define FW_MASK(BB, c, at, at2)                                                                                        \
    (FW_MASK8(BB, c, at, at2, 0) | FW_MASK8(BB, c, at, at2, 8) | FW_MASK8(BB, c, at, at2, 16) |                       \
     FW_MASK8(BB, c, at, at2, 24))
#define FW_TABLE(BB, at, at2)                                                                                          \
    {{FW_ROW(BB, 0, at, at2), FW_ROW(BB, 1, at, at2), FW_ROW(BB, 2, at, at2), FW_ROW(BB, 3, at, at2)},                 \
     {FW_MASK(BB, 0, at, at2), FW_MASK(BB, 1, at, at2), FW_MASK(BB, 2, at, at2), FW_MASK(BB, 3, at, at2)}}

/* Windows needed: the last scale word of block 15 must lie inside them. */
#define FW_COUNT(BB, at2) ((15 * (BB) + (at2) + 1) / 128 + 1)

INLINE __mmask64 byte_mask(int64_t avail) {
    return avail >= 64 ? ~(__mmask64)0 : (avail <= 0 ? 0 : (((__mmask64)1 << avail) - 1));
}

/* Reads only the group's len bytes (masked loads do not fault on the bytes they skip); absent blocks give 0. */
INLINE __m512i group_f16(const uint8_t *g, int64_t len, const f16_windows *fw, int nw) {
    __m512i r = _mm512_setzero_si512();
    for (int c = 0; c < nw; c++) {
        const __m512i lo = _mm512_maskz_loadu_epi8(byte_mask(len - 128 * c), g + 128 * c);
        const __m512i hi = _mm512_maskz_loadu_epi8(byte_mask(len - 128 * c - 64), g + 128 * c + 64);
        const __m512i t = _mm512_permutex2var_epi16(lo, _mm512_loadu_si512(fw->idx[c]), hi);
        r = _mm512_mask_mov_epi16(r, fw->mask[c], t);
    }
    return r;
}

/* MXFP4's scales: ggml's E8M0 "half" (2^(e-128): the exponent field e - 1, or the subnormals 2^-128, 2^-127 for
 * e = 0, 1) of 16 dwords 0..255. */
INLINE __m512 e8m0_half_ps(__m512i e) {
    const __m512i normal = _mm512_slli_epi32(_mm512_sub_epi32(e, _mm512_set1_epi32(1)), 23);
    const __m512i tiny = _mm512_sllv_epi32(_mm512_set1_epi32(0x00200000), e);
    return _mm512_castsi512_ps(_mm512_mask_blend_epi32(_mm512_cmplt_epu32_mask(e, _mm512_set1_epi32(2)), normal, tiny));
}

/* The scale bytes of a group of blocks of an odd size (group_f16 with at = 0: word j holds block j's first byte in its
 * low half for even j, in its high half for odd j), as 16 dwords. */
INLINE __m512i group_bytes_odd(__m512i words) {
    const __m512i w = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(words));
    return _mm512_and_si512(_mm512_srlv_epi32(w, _mm512_set1_epi64(8LL << 32)), _mm512_set1_epi32(0xFF));
}

/*
 * One group of n_valid (1..16) blocks from block b0, for T tokens: acc[t] += the 16 block results of token t.
 * Missing blocks of a partial group read the last valid block's bytes; their activations are the row's zero padding
 * and their scales are gathered as 0, so they add exactly 0 to their lanes (which never hold -0).
 * corr_shift: isum = raw - (sum << corr_shift) (the weight offset k = 2^corr_shift), or -1 for none.
 */
#define DEFINE_SMALL(suffix, bytes, corr_shift, has_min, e8m0)                                                         \
    static const f16_windows fw_##suffix = FW_TABLE(bytes, 0, (has_min) ? 2 : 0);                                     \
    INLINE void group_##suffix(const uint8_t *w, int64_t b0, int n_valid, const uint8_t *xq, int64_t xs, int64_t np,  \
                               const int T, __m512 *acc) {                                                             \
        const uint8_t *last = w + (b0 + n_valid - 1) * (bytes);                                                        \
        const int pairs = (n_valid + 1) / 2; /* registers beyond hold zero products */                                \
        __m512i W[8];                                                                                                  \
        for (int i = 0; i < 8; i++) {                                                                                  \
            const uint8_t *pb = 2 * i + 1 < n_valid ? w + (b0 + 2 * i + 1) * (bytes) : last;                           \
            W[i] = i < pairs ? pair_##suffix(w + (b0 + 2 * i) * (bytes), pb) : _mm512_setzero_si512();                 \
        }                                                                                                              \
        const __m512i f16s_ = group_f16(w + b0 * (bytes), (int64_t)n_valid * (bytes), &fw_##suffix,                    \
                                        FW_COUNT(bytes, (has_min) ? 2 : 0));                                           \
        const __m512 dw = (e8m0) ? e8m0_half_ps(group_bytes_odd(f16s_))                                               \
                                 : _mm512_cvtph_ps(_mm512_castsi512_si256(f16s_));                                     \
        const __m512 mw = _mm512_cvtph_ps(_mm512_extracti64x4_epi64(f16s_, 1));                                        \
        _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                          \
            const uint8_t *xrow = xq + t * xs;                                                                         \
            const int8_t *q = (const int8_t *)xrow + 32 * b0;                                                          \
            __m512i V[8];                                                                                              \
            for (int i = 0; i < 8; i++) {                                                                              \
                V[i] = i < pairs ? _mm512_dpbusd_epi32(_mm512_setzero_si512(), W[i], _mm512_loadu_si512(q + 64 * i))  \
                                 : _mm512_setzero_si512();                                                             \
            }                                                                                                          \
            __m512i isum = reduce_pairs(V);                                                                            \
            if ((corr_shift) >= 0) {                                                                                   \
                const __m512i s = _mm512_loadu_si512(xrow + 40 * np + 4 * b0);                                         \
                isum = _mm512_sub_epi32(isum, _mm512_slli_epi32(s, (corr_shift) < 0 ? 0 : (corr_shift)));              \
            }                                                                                                          \
            const __m512 D = _mm512_mul_ps(dw, _mm512_loadu_ps((const float *)(xrow + 32 * np) + b0));                 \
            __m512 c = _mm512_mul_ps(D, _mm512_cvtepi32_ps(isum));                                                     \
            if (has_min) {                                                                                             \
                c = _mm512_add_ps(c, _mm512_mul_ps(mw, _mm512_loadu_ps((const float *)(xrow + 36 * np) + b0)));       \
            }                                                                                                          \
            acc[t] = _mm512_add_ps(acc[t], c);                                                                         \
        }                                                                                                              \
    }                                                                                                                  \
    INLINE void dot_##suffix##_t(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, float *out, int64_t os,  \
                                 const int T) {                                                                        \
        const int64_t np = moe_q8s_padded_blocks(nb);                                                                  \
        __m512 acc[DOT_MAX];                                                                                           \
        for (int t = 0; t < T; t++) {                                                                                  \
            acc[t] = _mm512_setzero_ps();                                                                              \
        }                                                                                                              \
        int64_t b0 = 0;                                                                                                \
        for (; b0 + 16 <= nb; b0 += 16) {                                                                              \
            group_##suffix(w, b0, 16, xq, xs, np, T, acc);                                                             \
        }                                                                                                              \
        switch (nb - b0) { /* the partial group; common widths (multiples of 128) get constant-size copies */       \
        case 0: break;                                                                                                 \
        case 4: group_##suffix(w, b0, 4, xq, xs, np, T, acc); break;                                                   \
        case 8: group_##suffix(w, b0, 8, xq, xs, np, T, acc); break;                                                   \
        case 12: group_##suffix(w, b0, 12, xq, xs, np, T, acc); break;                                                 \
        default: group_##suffix(w, b0, (int)(nb - b0), xq, xs, np, T, acc); break;                                     \
        }                                                                                                              \
        for (int t = 0; t < T; t++) {                                                                                  \
            out[t * os] = sum16(acc[t]);                                                                               \
        }                                                                                                              \
    }                                                                                                                  \
    /* Rows of at most 8 blocks, 16/P rows per group (P = nb rounded up to a power of two): slot s of the group is   \
     * block s % P of row s / P. Absent slots (blocks >= nb read block 0 against zero activations; rows >= R get zero \
     * weights) add nothing; each row's P lanes are then summed in the scalar tree's order (its other lanes are 0). */\
    INLINE void multirow_##suffix(const uint8_t *w, int64_t row_bytes, int64_t r0, int R, const int P, int nb,         \
                                  const uint8_t *xq, int64_t xs, int64_t np, const int T, float *out, int64_t os) {    \
        const uint8_t *base = w + r0 * row_bytes;                                                                      \
        __m512i W[8];                                                                                                  \
        for (int i = 0; i < 8; i++) {                                                                                  \
            const int ra = 2 * i / P, ba = 2 * i % P, rb = (2 * i + 1) / P, bb = (2 * i + 1) % P;                      \
            if (ra >= R) {                                                                                             \
                W[i] = _mm512_setzero_si512();                                                                         \
                continue;                                                                                              \
            }                                                                                                          \
            const uint8_t *pa = base + ra * row_bytes + (ba < nb ? ba : 0) * (bytes);                                  \
            const uint8_t *pb = rb < R ? base + rb * row_bytes + (bb < nb ? bb : 0) * (bytes) : pa;                    \
            W[i] = pair_##suffix(pa, pb);                                                                              \
            if (rb >= R) { /* P = 1: the pair's second row is past the matrix */                                       \
                W[i] = _mm512_maskz_mov_epi64(0x0F, W[i]);                                                             \
            }                                                                                                          \
        }                                                                                                              \
        const __m512i slot = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);                  \
        const __m512i blk = _mm512_and_si512(slot, _mm512_set1_epi32(P - 1));                                          \
        const __m512i row = _mm512_srli_epi32(slot, LOG2P(P));                                                         \
        const __mmask16 valid = _mm512_cmplt_epi32_mask(row, _mm512_set1_epi32(R)) &                                  \
                                _mm512_cmplt_epi32_mask(blk, _mm512_set1_epi32(nb));                                   \
        const __m512i offs = _mm512_add_epi32(_mm512_mullo_epi32(row, _mm512_set1_epi32((int)row_bytes)),              \
                                              _mm512_mullo_epi32(blk, _mm512_set1_epi32(bytes)));                      \
        const __m512i g = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), valid, offs, base, 1);                   \
        const __m512 dw = (e8m0) ? _mm512_maskz_mov_ps(valid, e8m0_half_ps(_mm512_and_si512(g, _mm512_set1_epi32(0xFF)))) \
                                 : _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));                                          \
        const __m512 mw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(g, 16)));                            \
        _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                          \
            const uint8_t *xrow = xq + t * xs;                                                                         \
            const int8_t *q = (const int8_t *)xrow;                                                                    \
            __m512i V[8];                                                                                              \
            for (int i = 0; i < 8; i++) {                                                                              \
                const __m512i x = P == 1 ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)q))              \
                                         : _mm512_loadu_si512(q + 32 * (2 * i % P));                                   \
                V[i] = 2 * i / P < R ? _mm512_dpbusd_epi32(_mm512_setzero_si512(), W[i], x) : _mm512_setzero_si512();  \
            }                                                                                                          \
            __m512i isum = reduce_pairs(V);                                                                            \
            if ((corr_shift) >= 0) {                                                                                   \
                const __m512i sum = _mm512_permutexvar_epi32(blk, _mm512_loadu_si512(xrow + 40 * np));                 \
                isum = _mm512_sub_epi32(isum, _mm512_slli_epi32(sum, (corr_shift) < 0 ? 0 : (corr_shift)));            \
            }                                                                                                          \
            const __m512 dx = _mm512_permutexvar_ps(blk, _mm512_loadu_ps((const float *)(xrow + 32 * np)));            \
            __m512 c = _mm512_mul_ps(_mm512_mul_ps(dw, dx), _mm512_cvtepi32_ps(isum));                                 \
            if (has_min) {                                                                                             \
                const __m512 sx = _mm512_permutexvar_ps(blk, _mm512_loadu_ps((const float *)(xrow + 36 * np)));        \
                c = _mm512_add_ps(c, _mm512_mul_ps(mw, sx));                                                           \
            }                                                                                                          \
            /* a lane starts at +0, as in the scalar level */                                                         \
            store_row_sums(_mm512_add_ps(_mm512_setzero_ps(), c), P, R, out + t * os + r0);                            \
        }                                                                                                              \
    }                                                                                                                  \
    INLINE void multirows_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int nb, const uint8_t *xq,     \
                                   int64_t xs, float *out, int64_t os, const int P, const int T) {                     \
        const int64_t np = moe_q8s_padded_blocks(nb);                                                                  \
        for (int64_t r0 = 0; r0 < n_rows; r0 += 16 / P) {                                                              \
            const int R = (int)(n_rows - r0 < 16 / P ? n_rows - r0 : 16 / P);                                          \
            multirow_##suffix(w, row_bytes, r0, R, P, nb, xq, xs, np, T, out, os);                                     \
        }                                                                                                              \
    }                                                                                                                  \
    INLINE void rows_##suffix##_t(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,  \
                                  int64_t xs, float *out, int64_t os, const int T) {                                   \
        switch (row_bytes <= INT32_MAX / 16 ? nb : 0) { /* the scale gather takes 32-bit offsets */                    \
        case 1: multirows_##suffix(w, row_bytes, n_rows, 1, xq, xs, out, os, 1, T); return;                            \
        case 2: multirows_##suffix(w, row_bytes, n_rows, 2, xq, xs, out, os, 2, T); return;                            \
        case 3: case 4: multirows_##suffix(w, row_bytes, n_rows, (int)nb, xq, xs, out, os, 4, T); return;              \
        case 5: case 6: case 7: case 8: multirows_##suffix(w, row_bytes, n_rows, (int)nb, xq, xs, out, os, 8, T); return; \
        default: break;                                                                                                \
        }                                                                                                              \
        for (int64_t r = 0; r < n_rows; r++) {                                                                         \
            dot_##suffix##_t(w + r * row_bytes, nb, xq, xs, out + r, os, T);                                           \
        }                                                                                                              \
    }                                                                                                                  \
    DEFINE_DOT_SWITCH(suffix, (void)0)

#endif /* MOE4J_Q8_AVX512_SMALL_H */
