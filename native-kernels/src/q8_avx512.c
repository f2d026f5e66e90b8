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
#include <pthread.h>

#include "internal.h"
#include "q8_blocks.h"
#include "quant_tables.h"

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

/* The public-table entry: T as a compile-time constant, so the token loops unroll and accumulators stay in registers. */
#define DEFINE_DOT_SWITCH(suffix, prepare)                                                                             \
    static void q8dot_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,     \
                               int64_t xs, int n_tok, float *out, int64_t os) {                                        \
        prepare;                                                                                                       \
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

DEFINE_SMALL(q4_0, BYTES_Q4_0, 3, 0, 0)
DEFINE_SMALL(q4_1, BYTES_Q4_1, -1, 1, 0)
DEFINE_SMALL(q5_0, BYTES_Q5_0, 4, 0, 0)
DEFINE_SMALL(q5_1, BYTES_Q5_1, -1, 1, 0)
DEFINE_SMALL(q8_0, BYTES_Q8_0, 7, 0, 0)
DEFINE_SMALL(iq4_nl, BYTES_IQ4_NL, 7, 0, 0)
DEFINE_SMALL(mxfp4, BYTES_MXFP4, 7, 0, 1)

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

DEFINE_K(iq2_xxs, BYTES_IQ2_XXS, iq2_xxs_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq2_xs, BYTES_IQ2_XS, iq2_xs_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq2_s, BYTES_IQ2_S, iq2_s_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq3_xxs, BYTES_IQ3_XXS, iq3_xxs_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq3_s, BYTES_IQ3_S, iq3_s_block, k_sums, 6, K_SCALED, prepare_luts())
DEFINE_K(iq1_s, BYTES_IQ1_S, iq1_s_block, iq1_s_sums, -1, K_IQ1, (void)0)
DEFINE_K(iq1_m, BYTES_IQ1_M, iq1_m_block, iq1_m_sums, -1, K_IQ1, (void)0)
DEFINE_K(tq1_0, BYTES_TQ1_0, tq1_0_block, tq_sums, 0, K_SCALED, (void)0)
DEFINE_K(tq2_0, BYTES_TQ2_0, tq2_0_block, tq_sums, 0, K_SCALED, (void)0)

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
