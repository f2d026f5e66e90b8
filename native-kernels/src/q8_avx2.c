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
#include "quant_tables.h"

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

/* The 16 bits at byte `at` of 8 consecutive blocks, 0 for absent ones (j >= n). */
INLINE __m128i raw16x8(const uint8_t *g, int bytes, int at, int n) {
    uint16_t h[8];
    for (int j = 0; j < 8; j++) {
        h[j] = j < n ? moe_rd_u16(g + j * bytes + at) : 0;
    }
    return _mm_setr_epi16((short)h[0], (short)h[1], (short)h[2], (short)h[3], (short)h[4], (short)h[5], (short)h[6],
                          (short)h[7]);
}

/* Block scales from their raw 16 bits: an f16, or (MXFP4) an E8M0 exponent e in the low byte, read as ggml's
 * GGML_E8M0_TO_FP32_HALF: 2^(e-128), the f32 subnormals 2^-128 and 2^-127 for e < 2. */
INLINE __m256 scale_f16(__m128i h) {
    return _mm256_cvtph_ps(h);
}

INLINE __m256 scale_e8m0(__m128i h) {
    const __m256i e = _mm256_and_si256(_mm256_cvtepu16_epi32(h), _mm256_set1_epi32(0xFF));
    const __m256i normal = _mm256_slli_epi32(_mm256_sub_epi32(e, _mm256_set1_epi32(1)), 23);
    const __m256i sub = _mm256_sllv_epi32(_mm256_set1_epi32(0x00200000), e);
    const __m256i small = _mm256_cmpgt_epi32(_mm256_set1_epi32(2), e);
    return _mm256_castsi256_ps(_mm256_blendv_epi8(normal, sub, small));
}

INLINE __m256 f16x8(const uint8_t *g, int bytes, int at, int n) {
    return scale_f16(raw16x8(g, bytes, at, n));
}

/*
 * One group of n_valid (1..8) blocks from block b0 (b0 a multiple of 8), for T tokens: the 8 block results of token t
 * go into acc[2t] (lanes 0-7) or acc[2t+1] (lanes 8-15). Absent blocks read the last valid block; their activations
 * are the row's zero padding and their scales 0, so they add +0. corr: isum = raw - corr * sum (weights stored with
 * an offset of corr to make them unsigned; 0: none). scale: the block scale's decoder.
 */
#define DEFINE_SMALL(suffix, bytes, corr, has_min, scale)                                                              \
    INLINE void group_##suffix(const uint8_t *w, int64_t b0, int n_valid, const uint8_t *xq, int64_t xs, int64_t np,  \
                               const int T, __m256 *acc) {                                                             \
        const uint8_t *g = w + b0 * (bytes);                                                                           \
        const __m256 dw = scale(raw16x8(g, bytes, 0, n_valid));                                                        \
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
            if ((corr) != 0) {                                                                                         \
                const __m256i s = _mm256_loadu_si256((const __m256i *)(xrow + 40 * np + 4 * b0));                      \
                isum = _mm256_sub_epi32(isum, _mm256_mullo_epi32(s, _mm256_set1_epi32(corr)));                         \
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
        const __m256 dw = scale(_mm_setr_epi16((short)h[0], (short)h[1], (short)h[2], (short)h[3], (short)h[4],        \
                                                (short)h[5], (short)h[6], (short)h[7]));                               \
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
            if ((corr) != 0) {                                                                                         \
                const __m256i sum = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(xrow + 40 * np)), \
                                                                blk);                                                  \
                isum = _mm256_sub_epi32(isum, _mm256_mullo_epi32(sum, _mm256_set1_epi32(corr)));                       \
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

DEFINE_SMALL(q4_0, BYTES_Q4_0, 8, 0, scale_f16)
DEFINE_SMALL(q4_1, BYTES_Q4_1, 0, 1, scale_f16)
DEFINE_SMALL(q5_0, BYTES_Q5_0, 16, 0, scale_f16)
DEFINE_SMALL(q5_1, BYTES_Q5_1, 0, 1, scale_f16)
DEFINE_SMALL(q8_0, BYTES_Q8_0, 0, 0, scale_f16)
DEFINE_SMALL(iq4_nl, BYTES_IQ4_NL, 0, 0, scale_f16)

/* MXFP4: the doubled E2M1 values (kvalues_mxfp4, |w| <= 12) plus 12, unsigned for vpmaddubsw (0..24); the 12 * sum(q)
 * this adds comes off with the row's exact block sums. */
INLINE __m256i blk_mxfp4(const uint8_t *b, __m256i x) {
    const __m128i book = _mm_add_epi8(_mm_loadu_si128((const __m128i *)moe_kvalues_mxfp4), _mm_set1_epi8(12));
    return dot_u8s8(_mm256_shuffle_epi8(_mm256_set_m128i(book, book), nibbles(b + 1)), x);
}

DEFINE_SMALL(mxfp4, BYTES_MXFP4, 12, 0, scale_e8m0)

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

/* ---- i-quants and ternary formats: 256-element super-blocks ----------------------------------------------------
 *
 * A format's decoder hands out a super-block as 8 registers of 32 weight bytes in element order, each with the 16-bit
 * multipliers of its two 16-element halves (the sub-block scales, or 1) for vpmaddwd, plus one word per bsum (16
 * elements) whose products with the bsums are subtracted from the sum.
 *   Grid formats with signs (IQ2_*, IQ3_*) give the unsigned grid magnitudes and a mask of the negative elements. For
 *   one token the signs go onto the activations (vpsignb); for several, once onto the weights, stored as w + o with o
 *   the grid's largest value (w + o <= 124, so a vpmaddubsw pair stays below 2^15) and corrected by the bsums:
 *   sum(s * w * q) = sum(s * (w + o) * q) - sum(o * s * bsum).
 *   IQ1_S / IQ1_M give 8*g + delta + 9 (0..18, see below), corrected with 9 * s.
 *   TQ1_0 / TQ2_0 give trit + 0..2 (value trit - 1, or 0..3 for TQ2_0's unused code 3) with multipliers 1: their
 *   products are summed in 16 bits and the bsums subtracted once.
 * Every integer is exact, so the block sums equal the scalar reference's however they are grouped.
 *
 * IQ1_S / IQ1_M: the reference is (dw*dx) * ((float)sumi + 0.125f * (float)sumi1) with sumi the grid sum and sumi1 the
 * delta sum. Both are integers with |8*sumi + sumi1| <= 256 * 9 * 127 * 15 < 2^24, so the bracket is exactly
 * (8*sumi + sumi1) / 8, no rounding anywhere; the kernels sum T = 8*sumi + sumi1 directly (weight 8*g + delta per
 * element, g in {-1, 0, 1}, delta = +-1) and evaluate (dw*dx) * (0.125f * (float)T), the same float.
 *
 * Grid indices that take arithmetic to assemble are built for the whole super-block in vectors and read back one by
 * one; per-register sign bytes and scales are read with one broadcast each (cheaper than a shuffle per register).
 */

/* A super-block being decoded. */
typedef struct iq_state {
    _Alignas(32) uint16_t idx[64]; /* grid indices in point order (formats whose indices need assembling) */
    _Alignas(32) uint32_t sg[8];   /* register i's 4 sign bytes (byte g: elements 8g..8g+7), or IQ1 offsets */
    _Alignas(32) uint32_t sc[8];   /* register i's multipliers: the first half's word low, the second's high */
    __m256i bw;                    /* words against the 16 bsums, subtracted */
    float dw;
} iq_state;

/* After a decoder's stores: makes the compiler read the state back from memory (one broadcast load per register)
 * instead of extracting each element from the stored vectors with shuffles. */
INLINE void iq_state_done(iq_state *s) {
    __asm__("" : "+m"(*s));
}

INLINE void store8(uint32_t *p, __m256i v) {
    _mm256_store_si256((__m256i *)p, v);
}

INLINE void store16(uint16_t *p, __m256i v) {
    _mm256_store_si256((__m256i *)p, v);
}

/* 4 points of an 8-wide grid (32 bytes) and 8 points of a 4-wide one. */
INLINE __m256i grid8x4(const uint64_t *t, unsigned a, unsigned b, unsigned c, unsigned d) {
    return _mm256_setr_epi64x((long long)t[a], (long long)t[b], (long long)t[c], (long long)t[d]);
}

INLINE __m256i grid4x8(const uint32_t *t, unsigned a, unsigned b, unsigned c, unsigned d, unsigned e, unsigned f,
                       unsigned g, unsigned h) {
    return _mm256_setr_epi32((int)t[a], (int)t[b], (int)t[c], (int)t[d], (int)t[e], (int)t[f], (int)t[g], (int)t[h]);
}

/* The 4 seven-bit sign fields in bits 0-27 of every dword, one per byte. */
INLINE __m256i sign_fields(__m256i u) {
    const __m256i a = _mm256_and_si256(u, _mm256_set1_epi32(0x7F));
    const __m256i b = _mm256_and_si256(_mm256_slli_epi32(u, 1), _mm256_set1_epi32(0x7F00));
    const __m256i c = _mm256_and_si256(_mm256_slli_epi32(u, 2), _mm256_set1_epi32(0x7F0000));
    const __m256i d = _mm256_and_si256(_mm256_slli_epi32(u, 3), _mm256_set1_epi32(0x7F000000));
    return _mm256_or_si256(_mm256_or_si256(a, b), _mm256_or_si256(c, d));
}

/* ksigns_iq2xs of every byte (7 bits, bit 7 clear): bit 7 becomes the parity of bits 0-6, so that the number of minus
 * signs is even. Folding by 4, 2 and 1 leaves a byte's parity in its bit 0 (right shifts bring in only bits of the
 * same byte there). */
INLINE __m256i even_signs(__m256i v) {
    __m256i x = _mm256_xor_si256(v, _mm256_srli_epi16(v, 4));
    x = _mm256_xor_si256(x, _mm256_srli_epi16(x, 2));
    x = _mm256_xor_si256(x, _mm256_srli_epi16(x, 1));
    return _mm256_or_si256(v, _mm256_slli_epi16(_mm256_and_si256(x, _mm256_set1_epi8(1)), 7));
}

/* Byte g of the dword d, repeated over bytes 8g..8g+7. */
INLINE __m256i spread4(uint32_t d) {
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3,
                                            3, 3, 3, 3, 3, 3);
    return _mm256_shuffle_epi8(_mm256_set1_epi32((int)d), spread);
}

/* Sign bytes d (byte g: elements 8g..8g+7, bit j for element 8g + j) as a byte mask, -1 where negative. */
INLINE __m256i sign_mask(uint32_t d) {
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread4(d), bit), bit);
}

/* Multipliers from a dword of two words: both halves the same (a 32-element scale), or one per 16-element half. */
INLINE __m256i scale32(uint32_t d) {
    return _mm256_set1_epi32((int)d);
}

INLINE __m256i scale16(uint32_t d) {
    const __m256i halves = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
                                            2, 3, 2, 3, 2, 3);
    return _mm256_shuffle_epi8(_mm256_set1_epi32((int)d), halves);
}

/* 2 * ls + 1 of 8 bytes of two 4-bit scales each (low nibble first), as 16 words. */
INLINE __m256i nibble_scales16(const uint8_t *p) {
    const __m128i v = _mm_loadl_epi64((const __m128i *)p);
    const __m128i m = _mm_set1_epi8(0x0F);
    const __m128i ls = _mm_unpacklo_epi8(_mm_and_si128(v, m), _mm_and_si128(_mm_srli_epi16(v, 4), m));
    return _mm256_or_si256(_mm256_slli_epi16(_mm256_cvtepu8_epi16(ls), 1), _mm256_set1_epi16(1));
}

/* 2 * ls + 1 of 32-element scales ls (dwords), in both words. */
INLINE __m256i odd_scales32(__m256i ls) {
    const __m256i L = _mm256_or_si256(_mm256_slli_epi32(ls, 1), _mm256_set1_epi32(1));
    return _mm256_or_si256(L, _mm256_slli_epi32(L, 16));
}

/* The sign-and-scale words of IQ2_XXS / IQ3_XXS (4 seven-bit sign fields, the scale in bits 28-31) into the state. */
INLINE void xxs_signs_scales(__m256i u, int o, iq_state *s) {
    store8(s->sg, even_signs(sign_fields(u)));
    const __m256i sc = odd_scales32(_mm256_srli_epi32(u, 28));
    store8(s->sc, sc);
    s->bw = _mm256_mullo_epi16(sc, _mm256_set1_epi16((short)o));
}

/* 16-bit words from 16 bytes. */
INLINE __m256i words(const uint8_t *p) {
    return _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p));
}

/* The 8 bytes at p broadcast, and in word k byte pat[k] (0x80: zero) via pshufb. */
INLINE __m256i bcast8_shuffle(const uint8_t *p, __m256i pat) {
    return _mm256_shuffle_epi8(_mm256_broadcastsi128_si256(_mm_loadl_epi64((const __m128i *)p)), pat);
}

/* IQ2_XXS {f16 d; u16 qs[32]}: per 32 elements 4 index bytes, then a word of 4 seven-bit sign fields and the 4-bit
 * scale in bits 28-31; values 0.125 * d * (2*ls+1) * grid * sign, grid entries 8..43. */
INLINE void iqprep_iq2_xxs(const uint8_t *b, iq_state *s) {
    const __m256 lo = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(b + 2)));
    const __m256 hi = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(b + 34)));
    /* the odd dwords of the 64 bytes: sign-and-scale words 0 1 4 5 | 2 3 6 7, then in order */
    const __m256i u = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))),
                                               _MM_SHUFFLE(3, 1, 2, 0));
    xxs_signs_scales(u, 43, s);
    s->dw = 0.125f * f16s(b);
}

INLINE void iqreg_iq2_xxs(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    const uint8_t *p = b + 2 + 8 * i;
    *G = grid8x4(moe_iq2xxs_grid, p[0], p[1], p[2], p[3]);
    *M = sign_mask(s->sg[i]);
    *S = scale32(s->sc[i]);
}

/* IQ2_XS {f16 d; u16 qs[32]; u8 scales[8]}: each word a 9-bit index and a 7-bit sign field; 4-bit scales per 16. */
INLINE void iqprep_iq2_xs(const uint8_t *b, iq_state *s) {
    const __m256i q0 = _mm256_loadu_si256((const __m256i *)(b + 2)), q1 = _mm256_loadu_si256((const __m256i *)(b + 34));
    store16(s->idx, _mm256_and_si256(q0, _mm256_set1_epi16(511)));
    store16(s->idx + 16, _mm256_and_si256(q1, _mm256_set1_epi16(511)));
    const __m256i f0 = even_signs(_mm256_srli_epi16(q0, 9)), f1 = even_signs(_mm256_srli_epi16(q1, 9));
    /* packing interleaves the 128-bit halves: entries 0-7 16-23 | 8-15 24-31 */
    store8(s->sg, _mm256_permute4x64_epi64(_mm256_packus_epi16(f0, f1), _MM_SHUFFLE(3, 1, 2, 0)));
    const __m256i sc = nibble_scales16(b + 66);
    store8(s->sc, sc);
    s->bw = _mm256_mullo_epi16(sc, _mm256_set1_epi16(43));
    s->dw = 0.125f * f16s(b);
}

INLINE void iqreg_iq2_xs(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    const uint16_t *x = s->idx + 4 * i;
    *G = grid8x4(moe_iq2xs_grid, x[0], x[1], x[2], x[3]);
    *M = sign_mask(s->sg[i]);
    *S = scale16(s->sc[i]);
}

/* IQ2_S {f16 d; u8 qs[32]; u8 signs[32]; u8 qh[8]; u8 scales[8]}: index 4i + l is qs[4i + l] with bits 2l, 2l+1 of
 * qh[i] as bits 8-9; plain sign bytes; 4-bit scales per 16. */
INLINE void iqprep_iq2_s(const uint8_t *b, iq_state *s) {
    /* word k of each half: qh[k / 4] (of indices 0-15, then 16-31) times 2^(8 - 2(k % 4)), bits 8-9 kept */
    const __m256i pat = _mm256_setr_epi8(0, -128, 0, -128, 0, -128, 0, -128, 1, -128, 1, -128, 1, -128, 1, -128, 2, -128,
                                         2, -128, 2, -128, 2, -128, 3, -128, 3, -128, 3, -128, 3, -128);
    const __m256i mul = _mm256_setr_epi16(256, 64, 16, 4, 256, 64, 16, 4, 256, 64, 16, 4, 256, 64, 16, 4);
    const __m256i m = _mm256_set1_epi16(0x300);
    const __m256i h0 = _mm256_and_si256(_mm256_mullo_epi16(bcast8_shuffle(b + 66, pat), mul), m);
    const __m256i h1 = _mm256_and_si256(
        _mm256_mullo_epi16(bcast8_shuffle(b + 66, _mm256_add_epi16(pat, _mm256_set1_epi16(4))), mul), m);
    store16(s->idx, _mm256_or_si256(words(b + 2), h0));
    store16(s->idx + 16, _mm256_or_si256(words(b + 18), h1));
    const __m256i sc = nibble_scales16(b + 74);
    store8(s->sc, sc);
    s->bw = _mm256_mullo_epi16(sc, _mm256_set1_epi16(43));
    s->dw = 0.125f * f16s(b);
}

INLINE void iqreg_iq2_s(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    const uint16_t *x = s->idx + 4 * i;
    *G = grid8x4(moe_iq2s_grid, x[0], x[1], x[2], x[3]);
    *M = sign_mask(moe_rd_u32(b + 34 + 4 * i));
    *S = scale16(s->sc[i]);
}

/* IQ3_XXS {f16 d; u8 qs[64]; u32 signs_scales[8]}: 8 indices of 4-wide points per 32 elements, then the sign-and-scale
 * words as in IQ2_XXS; grid entries 4..62. */
INLINE void iqprep_iq3_xxs(const uint8_t *b, iq_state *s) {
    xxs_signs_scales(_mm256_loadu_si256((const __m256i *)(b + 66)), 62, s);
    s->dw = 0.25f * f16s(b);
}

INLINE void iqreg_iq3_xxs(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    const uint8_t *p = b + 2 + 8 * i;
    *G = grid4x8(moe_iq3xxs_grid, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
    *M = sign_mask(s->sg[i]);
    *S = scale32(s->sc[i]);
}

/* IQ3_S {f16 d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4]}: index 8i + k is qs[8i + k] with bit k of qh[i] as
 * bit 8; plain sign bytes; a 4-bit scale per 32; grid entries 1..15. */
INLINE void iqprep_iq3_s(const uint8_t *b, iq_state *s) {
    /* word k of vector j: qh[2j + k / 8] times 2^(8 - k % 8), bit 8 kept */
    const __m256i pat = _mm256_setr_epi8(0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 0, -128, 1, -128,
                                         1, -128, 1, -128, 1, -128, 1, -128, 1, -128, 1, -128, 1, -128);
    const __m256i mul = _mm256_setr_epi16(256, 128, 64, 32, 16, 8, 4, 2, 256, 128, 64, 32, 16, 8, 4, 2);
    for (int j = 0; j < 4; j++) {
        const __m256i h = _mm256_mullo_epi16(bcast8_shuffle(b + 66, _mm256_add_epi16(pat, _mm256_set1_epi16(2 * j))), mul);
        store16(s->idx + 16 * j, _mm256_or_si256(words(b + 2 + 16 * j), _mm256_and_si256(h, _mm256_set1_epi16(0x100))));
    }
    const __m256i ls = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)moe_rd_u32(b + 106)),
                                                          _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28)),
                                        _mm256_set1_epi32(0x0F));
    const __m256i sc = odd_scales32(ls);
    store8(s->sc, sc);
    s->bw = _mm256_mullo_epi16(sc, _mm256_set1_epi16(15));
    s->dw = f16s(b);
}

INLINE void iqreg_iq3_s(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    const uint16_t *x = s->idx + 8 * i;
    *G = grid4x8(moe_iq3s_grid, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
    *M = sign_mask(moe_rd_u32(b + 74 + 4 * i));
    *S = scale32(s->sc[i]);
}

/* 8*g + 9 + delta from grid bytes g in {-1, 0, 1}: vpshufb maps 0 and 1 to 8 and 16 and a byte with its top bit set
 * (-1) to 0, which is 8*g + 8; the offset bytes add 1 + delta (0 or 2). */
INLINE __m256i iq1_weights(__m256i g, __m256i off) {
    const __m256i map = _mm256_setr_epi8(8, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 16, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0, 0, 0, 0, 0, 0);
    return _mm256_add_epi8(_mm256_shuffle_epi8(map, g), off);
}

/* IQ1_S {f16 d; u8 qs[32]; u16 qh[8]}: index 4i + l is qs[4i + l] with bits 3l..3l+2 of qh[i] as bits 8-10; a 3-bit
 * scale in bits 12-14 of qh[i], the delta sign in bit 15. */
INLINE void iqprep_iq1_s(const uint8_t *b, iq_state *s) {
    /* word k of each half: qh[k / 4] (of indices 0-15, then 16-31) shifted right by 3(k % 4), as (qh << 4) * 2^(12 -
     * 3(k % 4)) >> 16 (bits 12-15 are not index bits) */
    const __m256i pat = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 4, 5, 4, 5, 4, 5, 4, 5, 6, 7, 6,
                                         7, 6, 7, 6, 7);
    const __m256i mul = _mm256_setr_epi16(4096, 512, 64, 8, 4096, 512, 64, 8, 4096, 512, 64, 8, 4096, 512, 64, 8);
    const __m128i qh = _mm_loadu_si128((const __m128i *)(b + 34));
    const __m256i q4 = _mm256_broadcastsi128_si256(_mm_slli_epi16(qh, 4));
    for (int j = 0; j < 2; j++) {
        const __m256i h = _mm256_mulhi_epu16(_mm256_shuffle_epi8(q4, _mm256_add_epi8(pat, _mm256_set1_epi8((char)(8 * j)))), mul);
        store16(s->idx + 16 * j, _mm256_or_si256(words(b + 2 + 16 * j),
                                                 _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi16(7)), 8)));
    }
    const __m256i h = _mm256_cvtepu16_epi32(qh);
    const __m256i sc = odd_scales32(_mm256_and_si256(_mm256_srli_epi32(h, 12), _mm256_set1_epi32(7)));
    store8(s->sc, sc);
    s->bw = _mm256_mullo_epi16(sc, _mm256_set1_epi16(9));
    /* 1 + delta: 0 where bit 15 is set, else 2, in every byte */
    const __m256i off = _mm256_andnot_si256(_mm256_srai_epi32(_mm256_slli_epi32(h, 16), 31), _mm256_set1_epi8(2));
    store8(s->sg, off);
    s->dw = f16s(b);
}

INLINE void iqreg_iq1_s(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    const uint16_t *x = s->idx + 4 * i;
    *G = iq1_weights(grid8x4(moe_iq1s_grid, x[0], x[1], x[2], x[3]), _mm256_set1_epi32((int)s->sg[i]));
    *M = _mm256_setzero_si256();
    *S = scale32(s->sc[i]);
}

/* IQ1_M {u8 qs[32]; u8 qh[16]; u16 scales[4]}: nibble g of qh (g = 4i + l) holds index g's bits 8-10 and its delta
 * sign (bit 3); 3-bit scales per 16 elements, 12 to a word, the f16 scale in the words' top nibbles. */
INLINE void iqprep_iq1_m(const uint8_t *b, iq_state *s) {
    const __m128i v = _mm_loadu_si128((const __m128i *)(b + 32));
    const __m128i m = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(v, m), hi = _mm_and_si128(_mm_srli_epi16(v, 4), m);
    const __m256i nib = _mm256_set_m128i(_mm_unpackhi_epi8(lo, hi), _mm_unpacklo_epi8(lo, hi)); /* byte g: nibble g */
    /* indices: qs bytes interleaved with the nibbles' low 3 bits, in-lane (0-7 16-23 | 8-15 24-31), then in order */
    const __m256i qs = _mm256_loadu_si256((const __m256i *)b);
    const __m256i h3 = _mm256_and_si256(nib, _mm256_set1_epi8(7));
    const __m256i i0 = _mm256_unpacklo_epi8(qs, h3), i1 = _mm256_unpackhi_epi8(qs, h3);
    store16(s->idx, _mm256_permute2x128_si256(i0, i1, 0x20));
    store16(s->idx + 16, _mm256_permute2x128_si256(i0, i1, 0x31));
    /* 1 + delta: 0 where bit 3 is set, else 2 */
    store8(s->sg, _mm256_sub_epi8(_mm256_set1_epi8(2), _mm256_srli_epi16(_mm256_and_si256(nib, _mm256_set1_epi8(8)), 2)));
    /* scale k (16 elements) is bits 3(k % 4).. of word k / 4; dword i = scales 2i, 2i+1 = word i / 2 >> 6(i % 2) */
    const __m256i w = _mm256_permutevar8x32_epi32(_mm256_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)(b + 48))),
                                                  _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
    const __m256i t = _mm256_srlv_epi32(w, _mm256_setr_epi32(0, 6, 0, 6, 0, 6, 0, 6));
    const __m256i ls = _mm256_or_si256(_mm256_and_si256(t, _mm256_set1_epi32(7)),
                                       _mm256_and_si256(_mm256_slli_epi32(t, 13), _mm256_set1_epi32(0x70000)));
    const __m256i sc = _mm256_or_si256(_mm256_slli_epi16(ls, 1), _mm256_set1_epi16(1));
    store8(s->sc, sc);
    s->bw = _mm256_mullo_epi16(sc, _mm256_set1_epi16(9));
    const unsigned s0 = moe_rd_u16(b + 48), s1 = moe_rd_u16(b + 50), s2 = moe_rd_u16(b + 52), s3 = moe_rd_u16(b + 54);
    s->dw = _cvtsh_ss((unsigned short)((s0 >> 12) | ((s1 >> 8) & 0x00F0u) | ((s2 >> 4) & 0x0F00u) | (s3 & 0xF000u)));
}

INLINE void iqreg_iq1_m(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    const uint16_t *x = s->idx + 4 * i;
    *G = iq1_weights(grid8x4(moe_iq1s_grid, x[0], x[1], x[2], x[3]), spread4(s->sg[i]));
    *M = _mm256_setzero_si256();
    *S = scale16(s->sc[i]);
}

/* Trits of bytes v: (v * 3) >> 8 = [v >= 86] + [v >= 171], by signed compares of v ^ 0x80. */
INLINE __m256i trits(__m256i v) {
    const __m256i f = _mm256_xor_si256(v, _mm256_set1_epi8((char)0x80));
    const __m256i a = _mm256_cmpgt_epi8(f, _mm256_set1_epi8((char)(85 ^ 0x80)));
    const __m256i c = _mm256_cmpgt_epi8(f, _mm256_set1_epi8((char)(170 ^ 0x80)));
    return _mm256_sub_epi8(_mm256_setzero_si256(), _mm256_add_epi8(a, c));
}

/* Bytes times 3 and times 9, modulo 256 (for 9: the 16-bit shift's carries into a byte's low 3 bits are masked). */
INLINE __m256i mul3_u8(__m256i v) {
    return _mm256_add_epi8(v, _mm256_add_epi8(v, v));
}

INLINE __m256i mul9_u8(__m256i v) {
    return _mm256_add_epi8(_mm256_and_si256(_mm256_slli_epi16(v, 3), _mm256_set1_epi8((char)0xF8)), v);
}

/* TQ1_0 {u8 qs[48]; u8 qh[4]; f16 d}: trit l of byte x is ((uint8_t)(x * 3^l) * 3) >> 8; elements 32l + m: trit l of
 * qs[m] (l < 5); 160 + 16l + m: trit l of qs[32 + m]; 240 + 4l + j: trit l of qh[j] (l < 4). */
INLINE void iqprep_tq1_0(const uint8_t *b, iq_state *s) {
    s->bw = _mm256_set1_epi16(1);
    s->dw = f16s(b + 52);
}

INLINE void iqreg_tq1_0(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    *M = _mm256_setzero_si256();
    *S = _mm256_set1_epi16(1);
    if (i < 5) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)b);
        const __m256i v = i == 0 ? q : i == 1 ? mul3_u8(q) : i == 2 ? mul9_u8(q) : i == 3 ? mul3_u8(mul9_u8(q))
                                                                                        : mul9_u8(mul9_u8(q));
        *G = trits(v);
        return;
    }
    const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(b + 32)));
    if (i == 5) { /* x1 | x3 */
        *G = trits(_mm256_blend_epi32(q, mul3_u8(q), 0xF0));
    } else if (i == 6) { /* x9 | x27 */
        const __m256i q9 = mul9_u8(q);
        *G = trits(_mm256_blend_epi32(q9, mul3_u8(q9), 0xF0));
    } else { /* x81 | qh[j] * 3^l at byte 4l + j: 16-bit products, low bytes kept */
        const __m128i qh = _mm_cvtepu8_epi16(_mm_set1_epi32((int)moe_rd_u32(b + 48)));
        const __m128i m = _mm_set1_epi16(0xFF);
        const __m128i h01 = _mm_and_si128(_mm_mullo_epi16(qh, _mm_setr_epi16(1, 1, 1, 1, 3, 3, 3, 3)), m);
        const __m128i h23 = _mm_and_si128(_mm_mullo_epi16(qh, _mm_setr_epi16(9, 9, 9, 9, 27, 27, 27, 27)), m);
        *G = trits(_mm256_set_m128i(_mm_packus_epi16(h01, h23), _mm256_castsi256_si128(mul9_u8(mul9_u8(q)))));
    }
}

/* TQ2_0 {u8 qs[64]; f16 d}: element 128n + 32l + m is bits 2l of qs[32n + m], value - 1. */
INLINE void iqprep_tq2_0(const uint8_t *b, iq_state *s) {
    s->bw = _mm256_set1_epi16(1);
    s->dw = f16s(b + 64);
}

INLINE void iqreg_tq2_0(const uint8_t *b, const iq_state *s, int i, __m256i *G, __m256i *M, __m256i *S) {
    const __m256i q = _mm256_loadu_si256((const __m256i *)(b + 32 * (i >> 2)));
    *G = _mm256_and_si256(_mm256_srli_epi16(q, 2 * (i & 3)), _mm256_set1_epi8(3));
    *M = _mm256_setzero_si256();
    *S = _mm256_set1_epi16(1);
}

/* The per-block formula on 8 lanes: (dw*dx) * (float)isum, or for IQ1 (dw*dx) * (0.125f * (float)T). */
#define IQ_PLAIN 0
#define IQ_DELTA 1

INLINE __m256 iq_formula(__m256 dw, __m256 dx, __m256i isum, const int form) {
    const __m256 D = _mm256_mul_ps(dw, dx);
    __m256 v = _mm256_cvtepi32_ps(isum);
    if (form == IQ_DELTA) {
        v = _mm256_mul_ps(_mm256_set1_ps(0.125f), v);
    }
    return _mm256_mul_ps(D, v);
}

/* Magnitudes g with the signs of mask m, plus o: (g ^ m) - m is -g where m = -1. */
INLINE __m256i signed_plus(__m256i g, __m256i m, int o) {
    return _mm256_add_epi8(_mm256_sub_epi8(_mm256_xor_si256(g, m), m), _mm256_set1_epi8((char)o));
}

/* What a decoder's registers are (see the section's comment). */
#define IQ_SIGNED 0 /* magnitudes and a sign mask; o = the largest magnitude */
#define IQ_OFFSET 1 /* unsigned weights already offset; the bsum words correct them */
#define IQ_UNIT 2   /* unsigned weights, multipliers and bsum words 1 */

/*
 * Groups of 8 super-blocks: each block's products with a token are summed in a register of 8 partial sums, and one
 * transposing add tree (reduce8) turns the 8 registers into the 8 blocks' integer sums, scaled by the per-block formula
 * 8 lanes wide. IQ_UNIT products are summed in 16 bits (at most 8 * 2 * 3 * 127 per word) and the bsums subtracted
 * there. form: IQ_PLAIN or IQ_DELTA.
 */
#define DEFINE_IQ(suffix, bytes, kind, o, form)                                                                           \
    /* Blocks blk[i] (activation block bi[i]) against T tokens; those with bit i of `valid` clear give 0 and scale 0. \
     * isum[t] = the 8 integer sums with token t; *dw = the 8 weight scales. */                                        \
    INLINE void iqgroup_##suffix(const uint8_t *const *blk, const int64_t *bi, unsigned valid, int64_t nb,             \
                                 const uint8_t *xq, int64_t xs, const int T, __m256i *isum, __m256 *dw) {              \
        __m256i V[DOT_MAX][8];                                                                                         \
        float d[8];                                                                                                    \
        for (int k = 0; k < 8; k++) {                                                                                  \
            if (!((valid >> k) & 1u)) {                                                                                \
                d[k] = 0.0f;                                                                                           \
                for (int t = 0; t < T; t++) {                                                                          \
                    V[t][k] = _mm256_setzero_si256();                                                                  \
                }                                                                                                      \
                continue;                                                                                              \
            }                                                                                                          \
            const uint8_t *b = blk[k];                                                                                 \
            const int8_t *q = (const int8_t *)xq + 256 * bi[k];                                                        \
            iq_state st;                                                                                               \
            iqprep_##suffix(b, &st);                                                                                   \
            iq_state_done(&st);                                                                                        \
            __m256i acc[DOT_MAX];                                                                                      \
            for (int t = 0; t < T; t++) {                                                                              \
                acc[t] = _mm256_setzero_si256();                                                                       \
            }                                                                                                          \
            _Pragma("GCC unroll 8") for (int i = 0; i < 8; i++) {                                                      \
                __m256i G, M, S;                                                                                       \
                iqreg_##suffix(b, &st, i, &G, &M, &S);                                                                 \
                if ((kind) == IQ_SIGNED && T == 1) { /* the signs onto the activations */                             \
                    const __m256i x = _mm256_loadu_si256((const __m256i *)(q + 32 * i));                               \
                    const __m256i p = _mm256_maddubs_epi16(G, _mm256_sign_epi8(x, _mm256_or_si256(M, _mm256_set1_epi8(1)))); \
                    acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(p, S));                                        \
                    continue;                                                                                          \
                }                                                                                                      \
                const __m256i W = (kind) == IQ_SIGNED ? signed_plus(G, M, o) : G;                                      \
                _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                  \
                    const __m256i p = _mm256_maddubs_epi16(W, _mm256_loadu_si256((const __m256i *)(q + t * xs + 32 * i))); \
                    acc[t] = (kind) == IQ_UNIT ? _mm256_add_epi16(acc[t], p)                                           \
                                               : _mm256_add_epi32(acc[t], _mm256_madd_epi16(p, S));                    \
                }                                                                                                      \
            }                                                                                                          \
            _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                      \
                const __m256i bs = _mm256_loadu_si256((const __m256i *)(xq + t * xs + 260 * nb + 32 * bi[k]));         \
                if ((kind) == IQ_UNIT) {                                                                               \
                    V[t][k] = _mm256_madd_epi16(_mm256_sub_epi16(acc[t], bs), _mm256_set1_epi16(1));                   \
                } else if ((kind) == IQ_OFFSET || T > 1) {                                                             \
                    V[t][k] = _mm256_sub_epi32(acc[t], _mm256_madd_epi16(bs, st.bw));                                  \
                } else {                                                                                               \
                    V[t][k] = acc[t];                                                                                  \
                }                                                                                                      \
            }                                                                                                          \
            d[k] = st.dw;                                                                                              \
        }                                                                                                              \
        for (int t = 0; t < T; t++) {                                                                                  \
            isum[t] = reduce8(V[t]);                                                                                   \
        }                                                                                                              \
        *dw = _mm256_loadu_ps(d);                                                                                      \
    }                                                                                                                  \
    INLINE void dot_##suffix##_t(const uint8_t *w, int64_t nb, const uint8_t *xq, int64_t xs, float *out, int64_t os,  \
                                 const int T) {                                                                        \
        __m256 acc[2 * DOT_MAX];                                                                                       \
        for (int t = 0; t < 2 * T; t++) {                                                                              \
            acc[t] = _mm256_setzero_ps();                                                                              \
        }                                                                                                              \
        for (int64_t b0 = 0; b0 < nb; b0 += 8) {                                                                       \
            const int n = nb - b0 < 8 ? (int)(nb - b0) : 8;                                                            \
            const uint8_t *blk[8];                                                                                     \
            int64_t bi[8];                                                                                             \
            for (int k = 0; k < 8; k++) {                                                                              \
                blk[k] = w + (b0 + (k < n ? k : 0)) * (bytes); /* blocks >= n are not read */                          \
                bi[k] = b0 + k;                                                                                        \
            }                                                                                                          \
            __m256i isum[DOT_MAX];                                                                                     \
            __m256 dw;                                                                                                 \
            iqgroup_##suffix(blk, bi, (1u << n) - 1, nb, xq, xs, T, isum, &dw);                                        \
            const __m256i have = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));  \
            const int half = (int)((b0 >> 3) & 1);                                                                     \
            for (int t = 0; t < T; t++) {                                                                              \
                const __m256 dx = _mm256_maskload_ps((const float *)(xq + t * xs + 256 * nb) + b0, have);              \
                acc[2 * t + half] = _mm256_add_ps(acc[2 * t + half], iq_formula(dw, dx, isum[t], form));               \
            }                                                                                                          \
        }                                                                                                              \
        for (int t = 0; t < T; t++) {                                                                                  \
            out[t * os] = sum16(acc[2 * t], acc[2 * t + 1]);                                                           \
        }                                                                                                              \
    }                                                                                                                  \
    /* Rows of at most 8 super-blocks share the lanes: slot s (of 16) is super-block s % P of row r0 + s / P. */      \
    INLINE void iqmultirow_##suffix(const uint8_t *w, int64_t row_bytes, int64_t r0, int R, const int P, int nb,       \
                                    const uint8_t *xq, int64_t xs, const int T, float *out, int64_t os) {              \
        const __m256i have = _mm256_cmpgt_epi32(_mm256_set1_epi32(nb), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));     \
        const __m256i lane_blk = _mm256_and_si256(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(P - 1)); \
        for (int h = 0; h < 2; h++) {                                                                                  \
            const uint8_t *blk[8];                                                                                     \
            int64_t bi[8];                                                                                             \
            unsigned valid = 0;                                                                                        \
            for (int k = 0; k < 8; k++) {                                                                              \
                const int s = 8 * h + k, rl = s / P, b = s % P;                                                        \
                blk[k] = w + (r0 + (rl < R ? rl : 0)) * row_bytes + (b < nb ? b : 0) * (bytes);                        \
                bi[k] = b < nb ? b : 0;                                                                                \
                valid |= (unsigned)(rl < R && b < nb) << k;                                                            \
            }                                                                                                          \
            if (valid == 0) {                                                                                          \
                break;                                                                                                 \
            }                                                                                                          \
            __m256i isum[DOT_MAX];                                                                                     \
            __m256 dw;                                                                                                 \
            iqgroup_##suffix(blk, bi, valid, nb, xq, xs, T, isum, &dw);                                                \
            for (int t = 0; t < T; t++) {                                                                              \
                const __m256 dx8 = _mm256_maskload_ps((const float *)(xq + t * xs + 256 * nb), have);                  \
                const __m256 c = iq_formula(dw, _mm256_permutevar8x32_ps(dx8, lane_blk), isum[t], form);               \
                /* a lane starts at +0, as in the scalar level */                                                     \
                store_rows8(row_sums8(_mm256_add_ps(_mm256_setzero_ps(), c), P), P, h * (8 / P), R, out + t * os + r0); \
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
                case 1: iqmultirow_##suffix(w, row_bytes, r0, R, 1, (int)nb, xq, xs, T, out, os); break;               \
                case 2: iqmultirow_##suffix(w, row_bytes, r0, R, 2, (int)nb, xq, xs, T, out, os); break;               \
                case 4: iqmultirow_##suffix(w, row_bytes, r0, R, 4, (int)nb, xq, xs, T, out, os); break;               \
                default: iqmultirow_##suffix(w, row_bytes, r0, R, 8, (int)nb, xq, xs, T, out, os); break;              \
                }                                                                                                      \
            }                                                                                                          \
            return;                                                                                                    \
        }                                                                                                              \
        for (int64_t r = 0; r < n_rows; r++) {                                                                         \
            dot_##suffix##_t(w + r * row_bytes, nb, xq, xs, out + r, os, T);                                           \
        }                                                                                                              \
    }                                                                                                                  \
    DEFINE_DOT_SWITCH(suffix)

DEFINE_IQ(iq2_xxs, BYTES_IQ2_XXS, IQ_SIGNED, 43, IQ_PLAIN)
DEFINE_IQ(iq2_xs, BYTES_IQ2_XS, IQ_SIGNED, 43, IQ_PLAIN)
DEFINE_IQ(iq2_s, BYTES_IQ2_S, IQ_SIGNED, 43, IQ_PLAIN)
DEFINE_IQ(iq3_xxs, BYTES_IQ3_XXS, IQ_SIGNED, 62, IQ_PLAIN)
DEFINE_IQ(iq3_s, BYTES_IQ3_S, IQ_SIGNED, 15, IQ_PLAIN)
DEFINE_IQ(iq1_s, BYTES_IQ1_S, IQ_OFFSET, 0, IQ_DELTA)
DEFINE_IQ(iq1_m, BYTES_IQ1_M, IQ_OFFSET, 0, IQ_DELTA)
DEFINE_IQ(tq1_0, BYTES_TQ1_0, IQ_UNIT, 0, IQ_PLAIN)
DEFINE_IQ(tq2_0, BYTES_TQ2_0, IQ_UNIT, 0, IQ_PLAIN)

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
            MOE_Q8_ROW(IQ2_XXS, iq2_xxs),
            MOE_Q8_ROW(IQ2_XS, iq2_xs),
            MOE_Q8_ROW(IQ2_S, iq2_s),
            MOE_Q8_ROW(IQ3_XXS, iq3_xxs),
            MOE_Q8_ROW(IQ3_S, iq3_s),
            MOE_Q8_ROW(IQ1_S, iq1_s),
            MOE_Q8_ROW(IQ1_M, iq1_m),
            MOE_Q8_ROW(TQ1_0, tq1_0),
            MOE_Q8_ROW(TQ2_0, tq2_0),
            MOE_Q8_ROW(MXFP4, mxfp4),
        },
    .dot_max = DOT_MAX,
};
