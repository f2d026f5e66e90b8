/*
 * q8_avx2.c - the AVX2 level of the 8-bit-activation products, bit-identical to q8_scalar.c.
 *
 * Integer dot products with vpmaddubsw (unsigned byte x signed byte, pairs summed to 16 bits) and vpmaddwd (pairs of
 * 16-bit values times 16-bit weights summed to 32 bits: by 1 for a plain sum, by the sub-block scale for the
 * K-quants). vpmaddubsw saturates at 16 bits, so weights stay within 0..63 unsigned, or (Q8_0, IQ4_NL) are taken as
 * |w| with w's sign moved onto the activation (|w| <= 128, |x| <= 127: a pair is at most 32512).
 *
 * 32-element formats work on groups of 8 blocks whose exact integer sums end up in one 8-lane register (a transposing
 * add tree), then scaled with the scalar level's per-block formula 8 lanes wide; block b's result goes to lane b % 16,
 * kept in two registers. K-quants reduce each super-block to scalars and scale 16 super-blocks at a time.
 */
#include <immintrin.h>

#include "internal.h"
#include "q8_blocks.h"

#define INLINE static inline __attribute__((always_inline))
#define DOT_MAX 4

/* ---- helpers ----------------------------------------------------------------------------------------------------- */

INLINE float f16s(const uint8_t *p) {
    return _cvtsh_ss(moe_rd_u16(p));
}

/* moe_q8_sum16 of lanes 0-7 (lo) and 8-15 (hi). */
INLINE float sum16(__m256 lo, __m256 hi) {
    const __m256 s8 = _mm256_add_ps(lo, hi);
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

/* Rows that share a register, P lanes each (P = 1, 2, 4, 8; lane r*P + b holds block b of row r): each row's lanes
 * summed in moe_q8_sum16's order (its lanes beyond P being +0, which adds exactly); row r's sum ends in lane r*P.
 * Lanes must never be -0 (they start at +0, as in the scalar level). */
INLINE __m256 row_sums8(__m256 v, const int P) {
    if (P == 8) {
        v = _mm256_add_ps(v, _mm256_permute2f128_ps(v, v, 1)); /* l[i] + l[i+4] */
    }
    if (P >= 4) {
        v = _mm256_add_ps(v, _mm256_permute_ps(v, 0x4E)); /* s4[0] + s4[2], s4[1] + s4[3] */
    }
    if (P >= 2) {
        v = _mm256_add_ps(v, _mm256_permute_ps(v, 0xB1)); /* s2[0] + s2[1] */
    }
    return v;
}

/* Stores the sums of rows r < R of row_sums8(v, P) at out[row0 + r], where v covers rows row0 .. row0 + 8/P - 1. */
INLINE void store_rows8(__m256 v, const int P, int row0, int R, float *out) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    for (int r = row0; r < R && r < row0 + 8 / P; r++) {
        out[r] = lanes[(r - row0) * P];
    }
}

INLINE int32_t hsum8(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* 32-bit sums of 4 products of unsigned w and signed x bytes per lane. */
INLINE __m256i dot_u8s8(__m256i w, __m256i x) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(w, x), _mm256_set1_epi16(1));
}

/* The same for signed w: |w| times x with w's sign. */
INLINE __m256i dot_s8s8(__m256i w, __m256i x) {
    return dot_u8s8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

INLINE __m128i iq4_book(void) {
    return _mm_loadu_si128((const __m128i *)moe_kvalues_iq4nl);
}

/* ---- quantizers -------------------------------------------------------------------------------------------------- */

INLINE __m256 abs_ps(__m256 v) {
    return _mm256_and_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)));
}

INLINE float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

/* 8 int32 (each within int8) to 8 bytes at p. */
INLINE void store8_i8(int8_t *p, __m256i q) {
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64((__m128i *)p, _mm_packs_epi16(w, w));
}

static void quantize_q8s(const float *x, int64_t nb, uint8_t *row) {
    const int64_t np = moe_q8s_padded_blocks(nb);
    int8_t *qs = (int8_t *)row;
    float *d_out = (float *)(row + 32 * np), *s_out = (float *)(row + 36 * np);
    int32_t *sum_out = (int32_t *)(row + 40 * np);
    moe_q8s_zero_padding(row, nb);
    for (int64_t b = 0; b < nb; b++) {
        __m256 v[4], m = _mm256_setzero_ps();
        for (int i = 0; i < 4; i++) {
            v[i] = _mm256_loadu_ps(x + 32 * b + 8 * i);
            m = _mm256_max_ps(m, abs_ps(v[i]));
        }
        const float amax = hmax8(m);
        const float d = amax / 127.0f;
        const __m256 id = _mm256_set1_ps(amax != 0.0f ? 127.0f / amax : 0.0f);
        __m256i sum = _mm256_setzero_si256();
        for (int i = 0; i < 4; i++) {
            const __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], id)); /* MXCSR default: round half to even */
            sum = _mm256_add_epi32(sum, q);
            store8_i8(qs + 32 * b + 8 * i, q);
        }
        const int32_t s = hsum8(sum);
        d_out[b] = _cvtsh_ss(_cvtss_sh(d, 0));
        s_out[b] = _cvtsh_ss(_cvtss_sh(d * (float)s, 0));
        sum_out[b] = s;
    }
}

static void quantize_q8k(const float *x, int64_t nb, uint8_t *row) {
    int8_t *qs = (int8_t *)row;
    float *d_out = (float *)(row + 256 * nb);
    int16_t *bsums = (int16_t *)(row + 260 * nb);
    moe_q8k_zero_padding(row, nb);
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 256 * b;
        __m256 m = _mm256_setzero_ps();
        for (int g = 0; g < 32; g++) {
            m = _mm256_max_ps(m, abs_ps(_mm256_loadu_ps(xb + 8 * g)));
        }
        const float amax = hmax8(m);
        if (amax == 0.0f) {
            memset(qs + 256 * b, 0, 256);
            memset(bsums + 16 * b, 0, 32);
            d_out[b] = 0.0f;
            continue;
        }
        int first = 0; /* the first element of largest magnitude sets the sign, as in the scalar scan */
        for (int g = 0; g < 32; g++) {
            const int hit = _mm256_movemask_ps(_mm256_cmp_ps(abs_ps(_mm256_loadu_ps(xb + 8 * g)), _mm256_set1_ps(amax),
                                                             _CMP_EQ_OQ));
            if (hit) {
                first = 8 * g + __builtin_ctz((unsigned)hit);
                break;
            }
        }
        const float iscale = -127.0f / xb[first];
        const __m256 is = _mm256_set1_ps(iscale);
        const __m256i top = _mm256_set1_epi32(127);
        for (int g = 0; g < 16; g++) {
            const __m256i q0 = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(is, _mm256_loadu_ps(xb + 16 * g))), top);
            const __m256i q1 =
                _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(is, _mm256_loadu_ps(xb + 16 * g + 8))), top);
            store8_i8(qs + 256 * b + 16 * g, q0);
            store8_i8(qs + 256 * b + 16 * g + 8, q1);
            bsums[16 * b + g] = (int16_t)hsum8(_mm256_add_epi32(q0, q1));
        }
        d_out[b] = 1.0f / iscale;
    }
}

/* ---- 32-element formats: groups of 8 blocks ------------------------------------------------------------------- */

/* v[i] = 8 lanes of integer partial sums of block i; returns lane i = block i's sum. */
INLINE __m256i reduce8(const __m256i v[8]) {
    __m256i w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = _mm256_add_epi32(_mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]),
                                _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
    }
    /* w[i] 128-bit lane q = [v2i, v2i+1, v2i, v2i+1] partials of quad q */
    const __m256i x0 = _mm256_add_epi32(_mm256_unpacklo_epi64(w[0], w[1]), _mm256_unpackhi_epi64(w[0], w[1]));
    const __m256i x1 = _mm256_add_epi32(_mm256_unpacklo_epi64(w[2], w[3]), _mm256_unpackhi_epi64(w[2], w[3]));
    /* x0 lane q = [v0, v1, v2, v3] sums of quad q; x1 the same for v4..v7 */
    return _mm256_add_epi32(_mm256_permute2x128_si256(x0, x1, 0x20), _mm256_permute2x128_si256(x0, x1, 0x31));
}

/* Block decoders: the 32 weight bytes of one block in element order, and how to multiply them. */
INLINE __m256i nibbles(const uint8_t *q) {
    const __m128i v = _mm_loadu_si128((const __m128i *)q);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F));
}

INLINE __m256i q5_bits(const uint8_t *qh) {
    /* bit j of the LE word -> byte j: spread each byte of the word over 8 bytes, then test one bit per byte */
    const __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)moe_rd_u32(qh)),
                                          _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL,
                                                             0x0303030303030303LL));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(b, bit), bit), _mm256_set1_epi8(0x10));
}

INLINE __m256i blk_q4_0(const uint8_t *b, __m256i x) {
    return dot_u8s8(nibbles(b + 2), x);
}

INLINE __m256i blk_q4_1(const uint8_t *b, __m256i x) {
    return dot_u8s8(nibbles(b + 4), x);
}

INLINE __m256i blk_q5_0(const uint8_t *b, __m256i x) {
    return dot_u8s8(_mm256_or_si256(nibbles(b + 6), q5_bits(b + 2)), x);
}

INLINE __m256i blk_q5_1(const uint8_t *b, __m256i x) {
    return dot_u8s8(_mm256_or_si256(nibbles(b + 8), q5_bits(b + 4)), x);
}

INLINE __m256i blk_q8_0(const uint8_t *b, __m256i x) {
    return dot_s8s8(_mm256_loadu_si256((const __m256i *)(b + 2)), x);
}

INLINE __m256i blk_iq4_nl(const uint8_t *b, __m256i x) {
    const __m128i book = iq4_book();
    const __m256i idx = nibbles(b + 2);
    return dot_s8s8(_mm256_shuffle_epi8(_mm256_set_m128i(book, book), idx), x);
}

/* The f16 at byte `at` of 8 consecutive blocks, 0 for absent ones (j >= n). */
INLINE __m256 f16x8(const uint8_t *g, int bytes, int at, int n) {
    uint16_t h[8];
    for (int j = 0; j < 8; j++) {
        h[j] = j < n ? moe_rd_u16(g + j * bytes + at) : 0;
    }
    return _mm256_cvtph_ps(_mm_setr_epi16((short)h[0], (short)h[1], (short)h[2], (short)h[3], (short)h[4], (short)h[5],
                                          (short)h[6], (short)h[7]));
}

/*
 * One group of n_valid (1..8) blocks from block b0 (b0 a multiple of 8), for T tokens: the 8 block results of token t
 * go into acc[2t] (lanes 0-7) or acc[2t+1] (lanes 8-15). Absent blocks read the last valid block; their activations
 * are the row's zero padding and their scales 0, so they add +0. corr_shift: isum = raw - (sum << corr_shift).
 */
#define DEFINE_SMALL(suffix, bytes, corr_shift, has_min)                                                               \
    INLINE void group_##suffix(const uint8_t *w, int64_t b0, int n_valid, const uint8_t *xq, int64_t xs, int64_t np,  \
                               const int T, __m256 *acc) {                                                             \
        const uint8_t *g = w + b0 * (bytes);                                                                           \
        const __m256 dw = f16x8(g, bytes, 0, n_valid);                                                                 \
        const __m256 mw = has_min ? f16x8(g, bytes, 2, n_valid) : _mm256_setzero_ps();                                 \
        const int half = (int)((b0 >> 3) & 1);                                                                         \
        _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                          \
            const uint8_t *xrow = xq + t * xs;                                                                         \
            const int8_t *q = (const int8_t *)xrow + 32 * b0;                                                          \
            __m256i V[8];                                                                                              \
            for (int i = 0; i < 8; i++) {                                                                              \
                const uint8_t *blk = i < n_valid ? g + i * (bytes) : g + (n_valid - 1) * (bytes);                      \
                V[i] = blk_##suffix(blk, _mm256_loadu_si256((const __m256i *)(q + 32 * i)));                          \
            }                                                                                                          \
            __m256i isum = reduce8(V);                                                                                 \
            if ((corr_shift) >= 0) {                                                                                   \
                const __m256i s = _mm256_loadu_si256((const __m256i *)(xrow + 40 * np + 4 * b0));                      \
                isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(s, (corr_shift) < 0 ? 0 : (corr_shift)));              \
            }                                                                                                          \
            const __m256 D = _mm256_mul_ps(dw, _mm256_loadu_ps((const float *)(xrow + 32 * np) + b0));                 \
            __m256 c = _mm256_mul_ps(D, _mm256_cvtepi32_ps(isum));                                                     \
            if (has_min) {                                                                                             \
                c = _mm256_add_ps(c, _mm256_mul_ps(mw, _mm256_loadu_ps((const float *)(xrow + 36 * np) + b0)));       \
            }                                                                                                          \
            acc[2 * t + half] = _mm256_add_ps(acc[2 * t + half], c);                                                   \
        }                                                                                                              \
    }                                                                                                                  \
    INLINE void dot_##suffix##_t(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, float *out, int64_t os,  \
                                 const int T) {                                                                        \
        const int64_t np = moe_q8s_padded_blocks(nb);                                                                  \
        __m256 acc[2 * DOT_MAX];                                                                                       \
        for (int t = 0; t < 2 * T; t++) {                                                                              \
            acc[t] = _mm256_setzero_ps();                                                                              \
        }                                                                                                              \
        int64_t b0 = 0;                                                                                                \
        for (; b0 + 8 <= nb; b0 += 8) {                                                                                \
            group_##suffix(w, b0, 8, xq, xs, np, T, acc);                                                              \
        }                                                                                                              \
        if (b0 < nb) {                                                                                                 \
            group_##suffix(w, b0, (int)(nb - b0), xq, xs, np, T, acc);                                                 \
        }                                                                                                              \
        for (int t = 0; t < T; t++) {                                                                                  \
            out[t * os] = sum16(acc[2 * t], acc[2 * t + 1]);                                                           \
        }                                                                                                              \
    }                                                                                                                  \
    /* Rows of at most 4 blocks, 8/P rows per group (P = nb rounded up to a power of two): slot s is block s % P of   \
     * row s / P. Blocks >= nb read block 0 against zero activations; rows >= R get zero products. */                  \
    INLINE void multirow_##suffix(const uint8_t *w, int64_t row_bytes, int64_t r0, int R, const int P, int nb,         \
                                  const uint8_t *xq, int64_t xs, int64_t np, const int T, float *out, int64_t os) {    \
        const uint8_t *base = w + r0 * row_bytes;                                                                      \
        const uint8_t *ptr[8];                                                                                         \
        uint16_t h[8], hm[8];                                                                                          \
        for (int sl = 0; sl < 8; sl++) {                                                                               \
            const int rl = sl / P, b = sl % P, ok = rl < R && b < nb;                                                  \
            ptr[sl] = base + (rl < R ? rl : 0) * row_bytes + (b < nb ? b : 0) * (bytes);                               \
            h[sl] = ok ? moe_rd_u16(ptr[sl]) : 0;                                                                      \
            hm[sl] = ok && (has_min) ? moe_rd_u16(ptr[sl] + 2) : 0;                                                    \
        }                                                                                                              \
        const __m256 dw = _mm256_cvtph_ps(_mm_setr_epi16((short)h[0], (short)h[1], (short)h[2], (short)h[3],          \
                                                         (short)h[4], (short)h[5], (short)h[6], (short)h[7]));         \
        const __m256 mw = _mm256_cvtph_ps(_mm_setr_epi16((short)hm[0], (short)hm[1], (short)hm[2], (short)hm[3],      \
                                                         (short)hm[4], (short)hm[5], (short)hm[6], (short)hm[7]));     \
        const __m256i blk = _mm256_and_si256(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(P - 1));     \
        _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                          \
            const uint8_t *xrow = xq + t * xs;                                                                         \
            const int8_t *q = (const int8_t *)xrow;                                                                    \
            __m256i V[8];                                                                                              \
            for (int sl = 0; sl < 8; sl++) {                                                                           \
                V[sl] = sl / P < R ? blk_##suffix(ptr[sl], _mm256_loadu_si256((const __m256i *)(q + 32 * (sl % P))))   \
                                   : _mm256_setzero_si256();                                                           \
            }                                                                                                          \
            __m256i isum = reduce8(V);                                                                                 \
            if ((corr_shift) >= 0) {                                                                                   \
                const __m256i sum = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(xrow + 40 * np)), \
                                                                blk);                                                  \
                isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(sum, (corr_shift) < 0 ? 0 : (corr_shift)));            \
            }                                                                                                          \
            const __m256 dx = _mm256_permutevar8x32_ps(_mm256_loadu_ps((const float *)(xrow + 32 * np)), blk);         \
            __m256 c = _mm256_mul_ps(_mm256_mul_ps(dw, dx), _mm256_cvtepi32_ps(isum));                                 \
            if (has_min) {                                                                                             \
                const __m256 sx = _mm256_permutevar8x32_ps(_mm256_loadu_ps((const float *)(xrow + 36 * np)), blk);     \
                c = _mm256_add_ps(c, _mm256_mul_ps(mw, sx));                                                           \
            }                                                                                                          \
            /* a lane starts at +0, as in the scalar level */                                                         \
            store_rows8(row_sums8(_mm256_add_ps(_mm256_setzero_ps(), c), P), P, 0, R, out + t * os + r0);              \
        }                                                                                                              \
    }                                                                                                                  \
    INLINE void rows_##suffix##_t(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,  \
                                  int64_t xs, float *out, int64_t os, const int T) {                                   \
        const int P = nb == 1 ? 1 : nb == 2 ? 2 : 4;                                                                   \
        if (nb <= 4) {                                                                                                 \
            const int64_t np = moe_q8s_padded_blocks(nb);                                                              \
            for (int64_t r0 = 0; r0 < n_rows; r0 += 8 / P) {                                                           \
                const int R = (int)(n_rows - r0 < 8 / P ? n_rows - r0 : 8 / P);                                        \
                switch (P) {                                                                                           \
                case 1: multirow_##suffix(w, row_bytes, r0, R, 1, (int)nb, xq, xs, np, T, out, os); break;             \
                case 2: multirow_##suffix(w, row_bytes, r0, R, 2, (int)nb, xq, xs, np, T, out, os); break;             \
                default: multirow_##suffix(w, row_bytes, r0, R, 4, (int)nb, xq, xs, np, T, out, os); break;            \
                }                                                                                                      \
            }                                                                                                          \
            return;                                                                                                    \
        }                                                                                                              \
        for (int64_t r = 0; r < n_rows; r++) {                                                                         \
            dot_##suffix##_t(w + r * row_bytes, nb, xq, xs, out + r, os, T);                                           \
        }                                                                                                              \
    }                                                                                                                  \
    DEFINE_DOT_SWITCH(suffix)

#define DEFINE_DOT_SWITCH(suffix)                                                                                      \
    static void q8dot_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,     \
                               int64_t xs, int n_tok, float *out, int64_t os) {                                        \
        switch (n_tok) {                                                                                               \
        case 1: DOT_ROWS(suffix, 1); break;                                                                            \
        case 2: DOT_ROWS(suffix, 2); break;                                                                            \
        case 3: DOT_ROWS(suffix, 3); break;                                                                            \
        case 4: DOT_ROWS(suffix, 4); break;                                                                            \
        default: break;                                                                                                \
        }                                                                                                              \
    }
#define DOT_ROWS(suffix, T) rows_##suffix##_t(w, row_bytes, n_rows, nb, xq, xs, out, os, T)

DEFINE_SMALL(q4_0, BYTES_Q4_0, 3, 0)
DEFINE_SMALL(q4_1, BYTES_Q4_1, -1, 1)
DEFINE_SMALL(q5_0, BYTES_Q5_0, 4, 0)
DEFINE_SMALL(q5_1, BYTES_Q5_1, -1, 1)
DEFINE_SMALL(q8_0, BYTES_Q8_0, -1, 0)
DEFINE_SMALL(iq4_nl, BYTES_IQ4_NL, -1, 0)

/* ---- 256-element formats ----------------------------------------------------------------------------------------- */

/* One super-block: 8 registers of 32 weight values (element order, as bytes for vpmaddubsw: unsigned, or signed with
 * `sign` set), the 16-bit multiplier of each register's 16 pair sums (per 16-element half: S[i] lower and upper 128
 * bits), the 16 words against the bsums, and the f32 scales. */
typedef struct k_block {
    __m256i W[8], S[8];
    __m256i bw;
    float dw, dmin;
} k_block;

/* words: lower 128 bits = a, upper = b (scales of the two 16-element halves of a 32-element register) */
INLINE __m256i scale_pair(int a, int b) {
    return _mm256_set_m128i(_mm_set1_epi16((short)b), _mm_set1_epi16((short)a));
}

INLINE void k_sums(const k_block *k, const int8_t *q, const int16_t *bs, int sign, int32_t *isum, int32_t *bsum_term) {
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (int c = 0; c < 8; c += 2) {
        const __m256i x0 = _mm256_loadu_si256((const __m256i *)(q + 32 * c));
        const __m256i x1 = _mm256_loadu_si256((const __m256i *)(q + 32 * c + 32));
        const __m256i p0 = sign ? _mm256_maddubs_epi16(_mm256_sign_epi8(k->W[c], k->W[c]), _mm256_sign_epi8(x0, k->W[c]))
                                : _mm256_maddubs_epi16(k->W[c], x0);
        const __m256i p1 = sign ? _mm256_maddubs_epi16(_mm256_sign_epi8(k->W[c + 1], k->W[c + 1]),
                                                       _mm256_sign_epi8(x1, k->W[c + 1]))
                                : _mm256_maddubs_epi16(k->W[c + 1], x1);
        acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(p0, k->S[c]));
        acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(p1, k->S[c + 1]));
    }
    *isum = hsum8(_mm256_add_epi32(acc0, acc1));
    *bsum_term = hsum8(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)bs), k->bw));
}

INLINE void q2_k_block(const uint8_t *b, k_block *k) {
    for (int n = 0; n < 2; n++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(b + 16 + 32 * n));
        for (int j = 0; j < 4; j++) { /* 32 elements 128n + 32j + (0..31): bits 2j of the 32 bytes */
            k->W[4 * n + j] = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), _mm256_set1_epi8(3));
        }
    }
    for (int i = 0; i < 8; i++) {
        k->S[i] = scale_pair(b[2 * i] & 0x0F, b[2 * i + 1] & 0x0F);
    }
    const __m128i sc = _mm_loadu_si128((const __m128i *)b);
    k->bw = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(sc, 4), _mm_set1_epi8(0x0F)));
    k->dw = f16s(b + 80);
    k->dmin = f16s(b + 82);
}

INLINE void q3_k_block(const uint8_t *b, k_block *k) {
    const __m256i hm = _mm256_loadu_si256((const __m256i *)b);
    for (int n = 0; n < 2; n++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(b + 32 + 32 * n));
        for (int j = 0; j < 4; j++) {
            const __m256i v = _mm256_and_si256(_mm256_srli_epi16(q, 2 * j), _mm256_set1_epi8(3));
            /* hmask bit 4n + j set: the value is v, else v - 4; as u = v + 4*bit in 0..7 */
            const __m256i bit = _mm256_set1_epi8((char)(1 << (4 * n + j)));
            const __m256i h = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hm, bit), bit), _mm256_set1_epi8(4));
            k->W[4 * n + j] = _mm256_or_si256(v, h);
        }
    }
    /* moe_q3_k_scale_bytes in registers (a byte array read back as a vector would stall store forwarding) */
    const uint32_t a0 = moe_rd_u32(b + 96), a1 = moe_rd_u32(b + 100), a2 = moe_rd_u32(b + 104);
    const uint32_t f[4] = {
        (a0 & 0x0F0F0F0Fu) | ((a2 & 0x03030303u) << 4),
        (a1 & 0x0F0F0F0Fu) | (((a2 >> 2) & 0x03030303u) << 4),
        ((a0 >> 4) & 0x0F0F0F0Fu) | (((a2 >> 4) & 0x03030303u) << 4),
        ((a1 >> 4) & 0x0F0F0F0Fu) | (((a2 >> 6) & 0x03030303u) << 4),
    };
    for (int i = 0; i < 8; i++) { /* field k is byte k % 4 of word k / 4 */
        const int lo = (int)((f[i / 2] >> (16 * (i % 2))) & 0xFF), hi = (int)((f[i / 2] >> (16 * (i % 2) + 8)) & 0xFF);
        k->S[i] = scale_pair(lo - 32, hi - 32);
    }
    const __m128i fv = _mm_setr_epi32((int)f[0], (int)f[1], (int)f[2], (int)f[3]);
    k->bw = _mm256_sub_epi16(_mm256_cvtepu8_epi16(fv), _mm256_set1_epi16(32));
    k->dw = f16s(b + 108);
    k->dmin = 0.0f;
}

INLINE void q45_k_scales(const uint8_t *b, k_block *k) {
    /* moe_scale_min_k4_all in registers (a byte array read back as vectors would stall store forwarding): scales in
     * bytes 0-7, mins in 8-15 */
    const uint32_t a0 = moe_rd_u32(b + 4), a1 = moe_rd_u32(b + 8), a2 = moe_rd_u32(b + 12);
    const __m128i sm = _mm_setr_epi32((int)(a0 & 0x3F3F3F3Fu),
                                      (int)((a2 & 0x0F0F0F0Fu) | (((a0 >> 6) & 0x03030303u) << 4)),
                                      (int)(a1 & 0x3F3F3F3Fu),
                                      (int)(((a2 >> 4) & 0x0F0F0F0Fu) | (((a1 >> 6) & 0x03030303u) << 4)));
    const __m256i sm2 = _mm256_broadcastsi128_si256(sm);
    for (int i = 0; i < 8; i++) { /* register i = sub-block i (32 elements): scale byte i in every word */
        k->S[i] = _mm256_shuffle_epi8(sm2, _mm256_set1_epi16((short)(0x8000 | i)));
    }
    const __m128i mins = _mm_shuffle_epi8(sm, _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15));
    k->bw = _mm256_cvtepu8_epi16(mins);
    k->dw = f16s(b);
    k->dmin = f16s(b + 2);
}

INLINE void q4_k_block(const uint8_t *b, k_block *k) {
    for (int c = 0; c < 4; c++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(b + 16 + 32 * c));
        k->W[2 * c] = _mm256_and_si256(q, _mm256_set1_epi8(0x0F));
        k->W[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0F));
    }
    q45_k_scales(b, k);
}

INLINE void q5_k_block(const uint8_t *b, k_block *k) {
    const __m256i qh = _mm256_loadu_si256((const __m256i *)(b + 16));
    for (int c = 0; c < 4; c++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(b + 48 + 32 * c));
        const __m256i b0 = _mm256_set1_epi8((char)(1 << (2 * c))), b1 = _mm256_set1_epi8((char)(1 << (2 * c + 1)));
        const __m256i h0 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b0), b0), _mm256_set1_epi8(16));
        const __m256i h1 = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, b1), b1), _mm256_set1_epi8(16));
        k->W[2 * c] = _mm256_or_si256(_mm256_and_si256(q, _mm256_set1_epi8(0x0F)), h0);
        k->W[2 * c + 1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(0x0F)), h1);
    }
    q45_k_scales(b, k);
}

INLINE void q6_k_block(const uint8_t *b, k_block *k) {
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3);
    for (int n = 0; n < 2; n++) {
        const __m256i l0 = _mm256_loadu_si256((const __m256i *)(b + 64 * n));
        const __m256i l1 = _mm256_loadu_si256((const __m256i *)(b + 64 * n + 32));
        const __m256i h = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n));
        k->W[4 * n + 0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m3), 4));
        k->W[4 * n + 1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m3), 4));
        k->W[4 * n + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m3), 4));
        k->W[4 * n + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m3), 4));
    }
    const int8_t *sc = (const int8_t *)(b + 192);
    for (int i = 0; i < 8; i++) {
        k->S[i] = scale_pair(sc[2 * i], sc[2 * i + 1]);
    }
    k->bw = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
    k->dw = f16s(b + 208);
    k->dmin = 0.0f;
}

/* IQ4_XS: signed code book values (|w| <= 127), sign moved onto the activation. */
INLINE void iq4_xs_block(const uint8_t *b, k_block *k) {
    const __m128i book = iq4_book();
    /* the 8 scales ls - 32 as dwords: low 4 bits from nibble ib of scales_l, high 2 from bits 2ib of scales_h; then
     * each as two equal 16-bit words (the scale of bsums 2ib and 2ib+1, and a broadcastable word pair) */
    const __m256i sl = _mm256_set1_epi32((int)moe_rd_u32(b + 4)), sh = _mm256_set1_epi32(moe_rd_u16(b + 2));
    const __m256i lo = _mm256_and_si256(_mm256_srlv_epi32(sl, _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
                                        _mm256_set1_epi32(0x0F));
    const __m256i hi = _mm256_and_si256(_mm256_srlv_epi32(sh, _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
                                        _mm256_set1_epi32(3));
    const __m256i ls = _mm256_sub_epi32(_mm256_or_si256(lo, _mm256_slli_epi32(hi, 4)), _mm256_set1_epi32(32));
    const __m256i ls2 = _mm256_or_si256(_mm256_and_si256(ls, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(ls, 16));
    for (int ib = 0; ib < 8; ib++) {
        k->W[ib] = _mm256_shuffle_epi8(_mm256_set_m128i(book, book), nibbles(b + 8 + 16 * ib));
        k->S[ib] = _mm256_permutevar8x32_epi32(ls2, _mm256_set1_epi32(ib));
    }
    k->bw = ls2;
    k->dw = f16s(b);
    k->dmin = 0.0f;
}

/* 16 super-blocks' integer results scaled at once (the scalar per-block formula in 2 x 8 lanes). */
typedef struct k_batch {
    int32_t isum[DOT_MAX][16], bterm[DOT_MAX][16];
    float dw[16], dmin[16];
} k_batch;

INLINE void k_flush(k_batch *kb, int n, int64_t b0, const uint8_t *xq, int64_t xs, int64_t nb, const int T,
                    __m256 *acc) {
    for (int i = n; i < 16; i++) { /* absent lanes add +0 */
        kb->dw[i] = kb->dmin[i] = 0.0f;
        for (int t = 0; t < T; t++) {
            kb->isum[t][i] = kb->bterm[t][i] = 0;
        }
    }
    float dx[DOT_MAX][16];
    for (int t = 0; t < T; t++) {
        const float *src = (const float *)(xq + t * xs + 256 * nb) + b0;
        for (int i = 0; i < 16; i++) {
            dx[t][i] = i < n ? src[i] : 0.0f;
        }
    }
    for (int h = 0; h < 2; h++) {
        const __m256 dw = _mm256_loadu_ps(kb->dw + 8 * h), dmin = _mm256_loadu_ps(kb->dmin + 8 * h);
        for (int t = 0; t < T; t++) {
            const __m256 x = _mm256_loadu_ps(dx[t] + 8 * h);
            const __m256 D = _mm256_mul_ps(dw, x), M = _mm256_mul_ps(dmin, x);
            const __m256 a = _mm256_mul_ps(D, _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(kb->isum[t] + 8 * h))));
            const __m256 b =
                _mm256_mul_ps(M, _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(kb->bterm[t] + 8 * h))));
            acc[2 * t + h] = _mm256_add_ps(acc[2 * t + h], _mm256_sub_ps(a, b));
        }
    }
}

#define DEFINE_K(suffix, bytes, decode, sign, corr_shift)                                                              \
    INLINE void dot_##suffix##_t(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, float *out, int64_t os,  \
                                 const int T) {                                                                        \
        __m256 acc[2 * DOT_MAX];                                                                                       \
        for (int t = 0; t < 2 * T; t++) {                                                                              \
            acc[t] = _mm256_setzero_ps();                                                                              \
        }                                                                                                              \
        k_batch kb;                                                                                                    \
        for (int64_t b = 0; b < nb; b++) {                                                                             \
            k_block k;                                                                                                 \
            decode(w + b * (bytes), &k);                                                                               \
            kb.dw[b & 15] = k.dw;                                                                                      \
            kb.dmin[b & 15] = k.dmin;                                                                                  \
            _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                      \
                const uint8_t *xrow = xq + t * xs;                                                                     \
                int32_t isum, bterm;                                                                                   \
                k_sums(&k, (const int8_t *)xrow + 256 * b, (const int16_t *)(xrow + 260 * nb) + 16 * b, sign, &isum,   \
                       &bterm);                                                                                        \
                if ((corr_shift) >= 0) {                                                                               \
                    isum -= bterm * (1 << ((corr_shift) < 0 ? 0 : (corr_shift)));                                      \
                    bterm = 0;                                                                                         \
                }                                                                                                      \
                kb.isum[t][b & 15] = isum;                                                                             \
                kb.bterm[t][b & 15] = bterm;                                                                           \
            }                                                                                                          \
            if ((b & 15) == 15) {                                                                                      \
                k_flush(&kb, 16, b - 15, xq, xs, nb, T, acc);                                                          \
            }                                                                                                          \
        }                                                                                                              \
        if (nb & 15) {                                                                                                 \
            k_flush(&kb, (int)(nb & 15), nb & ~(int64_t)15, xq, xs, nb, T, acc);                                       \
        }                                                                                                              \
        for (int t = 0; t < T; t++) {                                                                                  \
            out[t * os] = sum16(acc[2 * t], acc[2 * t + 1]);                                                           \
        }                                                                                                              \
    }                                                                                                                  \
    /* Rows of at most 8 super-blocks share one f32 scaling: slot s (of 16) is super-block s % P of row r0 + s / P. */\
    INLINE void kmultirow_##suffix(const uint8_t *w, int64_t row_bytes, int64_t r0, int R, const int P, int nb,        \
                                   const uint8_t *xq, int64_t xs, const int T, float *out, int64_t os) {               \
        k_batch kb;                                                                                                    \
        memset(&kb, 0, sizeof kb); /* unused slots: scales and sums 0, adding exactly 0 */                           \
        for (int rl = 0; rl < R; rl++) {                                                                               \
            for (int b = 0; b < nb; b++) {                                                                             \
                const int slot = rl * P + b;                                                                           \
                k_block k;                                                                                             \
                decode(w + (r0 + rl) * row_bytes + b * (bytes), &k);                                                   \
                kb.dw[slot] = k.dw;                                                                                    \
                kb.dmin[slot] = k.dmin;                                                                                \
                _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                  \
                    const uint8_t *xrow = xq + t * xs;                                                                 \
                    int32_t isum, bterm;                                                                               \
                    k_sums(&k, (const int8_t *)xrow + 256 * b, (const int16_t *)(xrow + 260 * nb) + 16 * b, sign,      \
                           &isum, &bterm);                                                                             \
                    if ((corr_shift) >= 0) {                                                                           \
                        isum -= bterm * (1 << ((corr_shift) < 0 ? 0 : (corr_shift)));                                  \
                        bterm = 0;                                                                                     \
                    }                                                                                                  \
                    kb.isum[t][slot] = isum;                                                                           \
                    kb.bterm[t][slot] = bterm;                                                                         \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
        for (int t = 0; t < T; t++) {                                                                                  \
            const float *dxrow = (const float *)(xq + t * xs + 256 * nb);                                              \
            const __m256i have = _mm256_cmpgt_epi32(_mm256_set1_epi32(nb), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); \
            const __m256 dx8 = _mm256_maskload_ps(dxrow, have);                                                        \
            for (int h = 0; h < 2; h++) {                                                                              \
                const __m256i blk = _mm256_and_si256(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),                        \
                                                     _mm256_set1_epi32(P - 1)); /* slot 8h + i: block i % P */          \
                const __m256 dx = _mm256_permutevar8x32_ps(dx8, blk);                                                  \
                const __m256 D = _mm256_mul_ps(_mm256_loadu_ps(kb.dw + 8 * h), dx);                                    \
                const __m256 M = _mm256_mul_ps(_mm256_loadu_ps(kb.dmin + 8 * h), dx);                                  \
                const __m256 a = _mm256_mul_ps(                                                                        \
                    D, _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(kb.isum[t] + 8 * h))));                 \
                const __m256 bb = _mm256_mul_ps(                                                                       \
                    M, _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(kb.bterm[t] + 8 * h))));                \
                const __m256 v = row_sums8(_mm256_add_ps(_mm256_setzero_ps(), _mm256_sub_ps(a, bb)), P);               \
                store_rows8(v, P, h * (8 / P), R, out + t * os + r0);                                                  \
            }                                                                                                          \
        }                                                                                                              \
    }                                                                                                                  \
    INLINE void rows_##suffix##_t(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,  \
                                  int64_t xs, float *out, int64_t os, const int T) {                                   \
        if (nb <= 8) {                                                                                                 \
            const int P = nb == 1 ? 1 : nb == 2 ? 2 : nb <= 4 ? 4 : 8;                                                 \
            for (int64_t r0 = 0; r0 < n_rows; r0 += 16 / P) {                                                          \
                const int R = (int)(n_rows - r0 < 16 / P ? n_rows - r0 : 16 / P);                                      \
                switch (P) {                                                                                           \
                case 1: kmultirow_##suffix(w, row_bytes, r0, R, 1, (int)nb, xq, xs, T, out, os); break;                \
                case 2: kmultirow_##suffix(w, row_bytes, r0, R, 2, (int)nb, xq, xs, T, out, os); break;                \
                case 4: kmultirow_##suffix(w, row_bytes, r0, R, 4, (int)nb, xq, xs, T, out, os); break;                \
                default: kmultirow_##suffix(w, row_bytes, r0, R, 8, (int)nb, xq, xs, T, out, os); break;               \
                }                                                                                                      \
            }                                                                                                          \
            return;                                                                                                    \
        }                                                                                                              \
        for (int64_t r = 0; r < n_rows; r++) {                                                                         \
            dot_##suffix##_t(w + r * row_bytes, nb, xq, xs, out + r, os, T);                                           \
        }                                                                                                              \
    }                                                                                                                  \
    DEFINE_DOT_SWITCH(suffix)

DEFINE_K(q2_k, BYTES_Q2_K, q2_k_block, 0, -1)
DEFINE_K(q3_k, BYTES_Q3_K, q3_k_block, 0, 2)
DEFINE_K(q4_k, BYTES_Q4_K, q4_k_block, 0, -1)
DEFINE_K(q5_k, BYTES_Q5_K, q5_k_block, 0, -1)
DEFINE_K(q6_k, BYTES_Q6_K, q6_k_block, 0, 5)
DEFINE_K(iq4_xs, BYTES_IQ4_XS, iq4_xs_block, 1, -1)

const moe_q8_kernels moe_q8_kernels_avx2 = {
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
        },
    .dot_max = DOT_MAX,
};
