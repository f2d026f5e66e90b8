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
 */
#include <immintrin.h>

#include "internal.h"
#include "q8_blocks.h"

#define INLINE static inline __attribute__((always_inline))
#define DOT_MAX 8 /* measured: fused groups of 8 tokens beat groups of 4 from 8 tokens on */

/* ---- helpers ----------------------------------------------------------------------------------------------------- */

INLINE float f16s(const uint8_t *p) {
    return _cvtsh_ss(moe_rd_u16(p));
}

/* The scalar level's moe_q8_sum16 tree: halves, quarters, pairs. */
INLINE float sum16(__m512 v) {
    const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
    const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

/* Rows that share a register, P lanes each (P = 1, 2, 4, 8; lane r*P + b holds block b of row r): each row's lanes
 * summed in moe_q8_sum16's order (its lanes beyond P being +0, which adds exactly), the first R rows' sums stored to
 * out[0..R). Lanes must never be -0 (they start at +0, as in the scalar level). */
INLINE void store_row_sums(__m512 v, const int P, int R, float *out) {
    if (P == 8) {
        v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, 0xB1)); /* l[i] + l[i+4] */
    }
    if (P >= 4) {
        v = _mm512_add_ps(v, _mm512_permute_ps(v, 0x4E)); /* s4[0] + s4[2], s4[1] + s4[3] */
    }
    if (P >= 2) {
        v = _mm512_add_ps(v, _mm512_permute_ps(v, 0xB1)); /* s2[0] + s2[1] */
    }
    const __mmask16 firsts = (__mmask16)(P == 1 ? 0xFFFF : P == 2 ? 0x5555 : P == 4 ? 0x1111 : 0x0101);
    _mm512_mask_storeu_ps(out, (__mmask16)((1u << R) - 1), _mm512_maskz_compress_ps(firsts, v));
}

/* log2 of P = 1, 2, 4, 8 */
#define LOG2P(P) ((P) == 1 ? 0 : (P) == 2 ? 1 : (P) == 4 ? 2 : 3)

/* Sums of the 16 lanes of a and of the 8 lanes of b (exact integer sums, any order). */
INLINE void hsum2(__m512i a, __m256i b, int32_t *sa, int32_t *sb) {
    const __m256i a8 = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
    __m256i s = _mm256_add_epi32(_mm256_permute2x128_si256(a8, b, 0x20), _mm256_permute2x128_si256(a8, b, 0x31));
    s = _mm256_add_epi32(s, _mm256_shuffle_epi32(s, 0x4E));
    s = _mm256_add_epi32(s, _mm256_shuffle_epi32(s, 0xB1));
    *sa = _mm256_cvtsi256_si32(s);
    *sb = _mm_cvtsi128_si32(_mm256_extracti128_si256(s, 1));
}

/* 16-bit shift counts: lo in the lower 256 bits, hi in the upper. */
INLINE __m512i shifts_halves(int lo, int hi) {
    return _mm512_inserti64x4(_mm512_set1_epi16((short)lo), _mm256_set1_epi16((short)hi), 1);
}

/* 16-bit shift counts per 128-bit lane: 0, 4, 0, 4 (low nibbles of a copy, high nibbles of the next). */
INLINE __m512i shifts_nibble_lanes(void) {
    const long long c4 = 0x0004000400040004LL;
    return _mm512_set_epi64(c4, c4, 0, 0, c4, c4, 0, 0);
}

/* The bytes of a 32-bit code book, 4 copies, plus 128 so that vpdpbusd can take them as unsigned. */
INLINE __m512i iq4_book_biased(void) {
    const __m128i kv = _mm_loadu_si128((const __m128i *)moe_kvalues_iq4nl);
    return _mm512_broadcast_i32x4(_mm_xor_si128(kv, _mm_set1_epi8((char)0x80)));
}

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

/*
 * One group of n_valid (1..16) blocks from block b0, for T tokens: acc[t] += the 16 block results of token t.
 * Missing blocks of a partial group read the last valid block's bytes; their activations are the row's zero padding
 * and their scales are gathered as 0, so they add exactly 0 to their lanes (which never hold -0).
 * corr_shift: isum = raw - (sum << corr_shift) (the weight offset k = 2^corr_shift), or -1 for none.
 */
#define DEFINE_SMALL(suffix, bytes, corr_shift, has_min)                                                               \
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
        const __m512 dw = _mm512_cvtph_ps(_mm512_castsi512_si256(f16s_));                                              \
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
        const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(g));                                                   \
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
    DEFINE_DOT_SWITCH(suffix)

/* The public-table entry: T as a compile-time constant, so the token loops unroll and accumulators stay in registers. */
#define DEFINE_DOT_SWITCH(suffix)                                                                                      \
    static void q8dot_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,     \
                               int64_t xs, int n_tok, float *out, int64_t os) {                                        \
        switch (n_tok) {                                                                                               \
        case 1: DOT_ROWS(suffix, 1); break;                                                                            \
        case 2: DOT_ROWS(suffix, 2); break;                                                                            \
        case 3: DOT_ROWS(suffix, 3); break;                                                                            \
        case 4: DOT_ROWS(suffix, 4); break;                                                                            \
        case 5: DOT_ROWS(suffix, 5); break;                                                                            \
        case 6: DOT_ROWS(suffix, 6); break;                                                                            \
        case 7: DOT_ROWS(suffix, 7); break;                                                                            \
        case 8: DOT_ROWS(suffix, 8); break;                                                                            \
        default: break;                                                                                                \
        }                                                                                                              \
    }
/* A loop over the rows inside each case: the per-call constants (masks, tables) are set up once per range. */
#define DOT_ROWS(suffix, T) rows_##suffix##_t(w, row_bytes, n_rows, nb, xq, xs, out, os, T)

DEFINE_SMALL(q4_0, BYTES_Q4_0, 3, 0)
DEFINE_SMALL(q4_1, BYTES_Q4_1, -1, 1)
DEFINE_SMALL(q5_0, BYTES_Q5_0, 4, 0)
DEFINE_SMALL(q5_1, BYTES_Q5_1, -1, 1)
DEFINE_SMALL(q8_0, BYTES_Q8_0, 7, 0)
DEFINE_SMALL(iq4_nl, BYTES_IQ4_NL, 7, 0)

/* ---- 256-element formats: one super-block at a time ------------------------------------------------------------ */

/* Everything of one super-block that does not depend on the token: 4 registers of 64 unsigned weight bytes (element
 * order), the 16-bit scale words that multiply their byte pairs, the 16 words that multiply the 16 bsums, and the f32
 * scales. corr_shift: isum = acc - (bsum term << corr_shift); without it the bsum term is the mins term. */
typedef struct k_block {
    __m512i W[4], S[4];
    __m256i bw; /* 16 words against the 16 bsums */
    float dw, dmin;
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

INLINE void k_flush(const k_batch *kb, int n, int64_t b0, const uint8_t *xq, int64_t xs, int64_t nb, const int T,
                    __m512 *acc) {
    const __mmask16 m = (__mmask16)(n == 16 ? 0xFFFF : (1u << n) - 1); /* absent lanes add +0 */
    const __m512 dw = _mm512_maskz_loadu_ps(m, kb->dw), dmin = _mm512_maskz_loadu_ps(m, kb->dmin);
    for (int t = 0; t < T; t++) {
        const __m512 dx = _mm512_maskz_loadu_ps(m, (const float *)(xq + t * xs + 256 * nb) + b0);
        const __m512 D = _mm512_mul_ps(dw, dx), M = _mm512_mul_ps(dmin, dx);
        const __m512 a = _mm512_mul_ps(D, _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, kb->isum[t])));
        const __m512 b = _mm512_mul_ps(M, _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, kb->bterm[t])));
        acc[t] = _mm512_add_ps(acc[t], _mm512_sub_ps(a, b));
    }
}

/* The K-quant dot: T tokens, one super-block at a time, f32 scaling every 16 super-blocks. */
#define DEFINE_K(suffix, bytes, decode, sums, corr_shift)                                                                    \
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
                k_flush(&kb, 16, b - 15, xq, xs, nb, T, acc);                                                          \
            }                                                                                                          \
        }                                                                                                              \
        if (nb & 15) {                                                                                                 \
            k_flush(&kb, (int)(nb & 15), nb & ~(int64_t)15, xq, xs, nb, T, acc);                                       \
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
            const __m512 D = _mm512_mul_ps(dw, dx), M = _mm512_mul_ps(dmin, dx);                                       \
            const __m512 a = _mm512_mul_ps(D, _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(valid, kb.isum[t])));       \
            const __m512 b = _mm512_mul_ps(M, _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(valid, kb.bterm[t])));      \
            store_row_sums(_mm512_add_ps(_mm512_setzero_ps(), _mm512_sub_ps(a, b)), P, R, out + t * os + r0);          \
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
    DEFINE_DOT_SWITCH(suffix)

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



DEFINE_K(q2_k, BYTES_Q2_K, q2_k_block, k_sums, -1)
DEFINE_K(q3_k, BYTES_Q3_K, q3_k_block, k_sums, 2)
DEFINE_K(q4_k, BYTES_Q4_K, q4_k_block, k_sums, -1)
DEFINE_K(q5_k, BYTES_Q5_K, q5_k_block, k_sums, -1)
DEFINE_K(q6_k, BYTES_Q6_K, q6_k_block, k_sums, 5)
DEFINE_K(iq4_xs, BYTES_IQ4_XS, iq4_xs_block, iq4_xs_sums, 7)

const moe_q8_kernels moe_q8_kernels_avx512 = {
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
