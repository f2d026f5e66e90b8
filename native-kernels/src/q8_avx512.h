/*
 * q8_avx512.h - what the files of the AVX-512 level of the 8-bit-activation products share (q8_avx512.c and the
 * q8_avx512_<family>.c files it lists): the helpers every format uses, the per-format entry point's token switch, and
 * the declarations of the 22 entry points the table in q8_avx512.c points to.
 *
 * Why several files: every format's product is instantiated for 1..DOT_MAX tokens, each with its whole inner loop
 * unrolled and inlined (that is what keeps the accumulators in registers), so the level is 3.3 MB of code. As one file
 * it took about 3 minutes of CPU to compile (8 minutes of wall time on the 2-core CI machine under load) and could use
 * only one core; as six files of one format family each (32-element formats in two halves, K-quants, IQ2/IQ3, IQ1 and
 * the ternary formats) it compiles in parallel. Every function is still defined in one file with all it inlines, so
 * the machine code of each product is what it was in one file.
 */
#ifndef MOE4J_Q8_AVX512_H
#define MOE4J_Q8_AVX512_H

#include <immintrin.h>

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

/* The public-table entry: T as a compile-time constant, so the token loops unroll and accumulators stay in registers. */
#define DEFINE_DOT_SWITCH(suffix, prepare)                                                                             \
    MOE_Q8_AVX512_DOT(suffix) {                                                                                        \
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

/* The products of the table (moe_q8_dot_fn), one per format, each defined by DEFINE_SMALL / DEFINE_K in its family's
 * file. */
#define MOE_Q8_AVX512_DOT(suffix)                                                                                      \
    void moe_q8_avx512_dot_##suffix(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb,                   \
                                    const uint8_t *xq, int64_t xs, int n_tok, float *out, int64_t os)
MOE_Q8_AVX512_DOT(q4_0);
MOE_Q8_AVX512_DOT(q4_1);
MOE_Q8_AVX512_DOT(q5_0);
MOE_Q8_AVX512_DOT(q5_1);
MOE_Q8_AVX512_DOT(q8_0);
MOE_Q8_AVX512_DOT(iq4_nl);
MOE_Q8_AVX512_DOT(mxfp4);
MOE_Q8_AVX512_DOT(q2_k);
MOE_Q8_AVX512_DOT(q3_k);
MOE_Q8_AVX512_DOT(q4_k);
MOE_Q8_AVX512_DOT(q5_k);
MOE_Q8_AVX512_DOT(q6_k);
MOE_Q8_AVX512_DOT(iq4_xs);
MOE_Q8_AVX512_DOT(iq2_xxs);
MOE_Q8_AVX512_DOT(iq2_xs);
MOE_Q8_AVX512_DOT(iq2_s);
MOE_Q8_AVX512_DOT(iq3_xxs);
MOE_Q8_AVX512_DOT(iq3_s);
MOE_Q8_AVX512_DOT(iq1_s);
MOE_Q8_AVX512_DOT(iq1_m);
MOE_Q8_AVX512_DOT(tq1_0);
MOE_Q8_AVX512_DOT(tq2_0);

#endif /* MOE4J_Q8_AVX512_H */
