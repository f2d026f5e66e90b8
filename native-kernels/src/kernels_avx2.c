/*
 * kernels_avx2.c - the AVX2 level (AVX2 + FMA + F16C). Built with -mavx2 -mfma -mf16c -mbmi2 -ffp-contract=off.
 *
 * Same scheme as kernels_avx512.c with 256-bit vectors: quant payloads are widened to 8 int32 lanes, converted to f32
 * and scaled with exactly the operations of quant_blocks.h (bit-identical to the scalar level), then either stored
 * (dequantize) or multiply-added into f32 accumulators (dot). v[i] below always holds elements 8i..8i+7.
 */
#include <immintrin.h>

#include "internal.h"
#include "quant_blocks.h"

#define INLINE static inline __attribute__((always_inline))

INLINE float f16s(const uint8_t *p) {
    return _cvtsh_ss(moe_rd_u16(p));
}

/* Bytes 0..7 of v, signed / unsigned, as 8 floats. */
INLINE __m256 i8_to_ps(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v));
}

INLINE __m256 u8_to_ps(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v));
}

/* Bytes 8..15 moved down. */
INLINE __m128i hi64(__m128i v) {
    return _mm_unpackhi_epi64(v, v);
}

INLINE __m128i lo128(__m256i v) {
    return _mm256_castsi256_si128(v);
}

INLINE __m128i hi128(__m256i v) {
    return _mm256_extracti128_si256(v, 1);
}

INLINE __m256 fma_x(__m256 w, const float *x, __m256 acc) {
    return _mm256_fmadd_ps(w, _mm256_loadu_ps(x), acc);
}

INLINE float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 16 signed / unsigned bytes -> two vectors d*q (+ nothing else). */
INLINE void scale_i8x16(__m256 d, __m128i q, __m256 *v) {
    v[0] = _mm256_mul_ps(d, i8_to_ps(q));
    v[1] = _mm256_mul_ps(d, i8_to_ps(hi64(q)));
}

/* ---- 32-element blocks: v[0..3] ------------------------------------------------------------------------------------ */

INLINE void q4_0_block(const uint8_t *b, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(f16s(b));
    const __m128i q = _mm_loadu_si128((const __m128i *)(b + 2));
    const __m128i m4 = _mm_set1_epi8(0x0F), k8 = _mm_set1_epi8(8);
    scale_i8x16(d, _mm_sub_epi8(_mm_and_si128(q, m4), k8), v);
    scale_i8x16(d, _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), m4), k8), v + 2);
}

INLINE void q4_1_block(const uint8_t *b, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(f16s(b)), m = _mm256_set1_ps(f16s(b + 2));
    const __m128i q = _mm_loadu_si128((const __m128i *)(b + 4));
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(q, m4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);
    v[0] = _mm256_add_ps(_mm256_mul_ps(d, u8_to_ps(lo)), m);
    v[1] = _mm256_add_ps(_mm256_mul_ps(d, u8_to_ps(hi64(lo))), m);
    v[2] = _mm256_add_ps(_mm256_mul_ps(d, u8_to_ps(hi)), m);
    v[3] = _mm256_add_ps(_mm256_mul_ps(d, u8_to_ps(hi64(hi))), m);
}

/* The 5-bit values of Q5_0/Q5_1 as int32, group g = elements 8g..8g+7: nibble | bit (8g+i) of qh << 4. */
INLINE void q5_values(const uint8_t *qs, uint32_t qh, __m256i v[4]) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    const __m128i m4 = _mm_set1_epi8(0x0F);
    const __m128i lo = _mm_and_si128(q, m4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);
    const __m256i bits = _mm256_set1_epi32((int)qh);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i one = _mm256_set1_epi32(1);
    const __m128i nib[4] = {lo, hi64(lo), hi, hi64(hi)};
    for (int g = 0; g < 4; g++) {
        const __m256i shift = _mm256_add_epi32(lane, _mm256_set1_epi32(8 * g));
        const __m256i h = _mm256_slli_epi32(_mm256_and_si256(_mm256_srlv_epi32(bits, shift), one), 4);
        v[g] = _mm256_or_si256(_mm256_cvtepu8_epi32(nib[g]), h);
    }
}

INLINE void q5_0_block(const uint8_t *b, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(f16s(b));
    const __m256i k16 = _mm256_set1_epi32(16);
    __m256i q[4];
    q5_values(b + 6, moe_rd_u32(b + 2), q);
    for (int g = 0; g < 4; g++) {
        v[g] = _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_sub_epi32(q[g], k16)));
    }
}

INLINE void q5_1_block(const uint8_t *b, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(f16s(b)), m = _mm256_set1_ps(f16s(b + 2));
    __m256i q[4];
    q5_values(b + 8, moe_rd_u32(b + 4), q);
    for (int g = 0; g < 4; g++) {
        v[g] = _mm256_add_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(q[g])), m);
    }
}

INLINE void q8_0_block(const uint8_t *b, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(f16s(b));
    scale_i8x16(d, _mm_loadu_si128((const __m128i *)(b + 2)), v);
    scale_i8x16(d, _mm_loadu_si128((const __m128i *)(b + 18)), v + 2);
}

INLINE void iq4_nl_block(const uint8_t *b, __m256 v[4]) {
    const __m128i book = _mm_loadu_si128((const __m128i *)moe_kvalues_iq4nl);
    const __m256 d = _mm256_set1_ps(f16s(b));
    const __m128i q = _mm_loadu_si128((const __m128i *)(b + 2));
    const __m128i m4 = _mm_set1_epi8(0x0F);
    scale_i8x16(d, _mm_shuffle_epi8(book, _mm_and_si128(q, m4)), v);
    scale_i8x16(d, _mm_shuffle_epi8(book, _mm_and_si128(_mm_srli_epi16(q, 4), m4)), v + 2);
}

/* ---- 256-element super-blocks: decoders of 16 elements (v[0..1]) or 64 / 128 ---------------------------------- */

/* Q2_K sub-block s = 0..15 (see kernels_avx512.c for the index arithmetic). */
INLINE void q2_k_sub(const uint8_t *b, float d, float dmin, int s, __m256 v[2]) {
    const uint8_t sc = b[s];
    const __m256 dl = _mm256_set1_ps(d * (float)(sc & 0x0F)), ml = _mm256_set1_ps(dmin * (float)(sc >> 4));
    const __m128i q = _mm_loadu_si128((const __m128i *)(b + 16 + 32 * (s / 8) + 16 * (s % 2)));
    const __m128i bits = _mm_and_si128(_mm_srl_epi16(q, _mm_cvtsi32_si128(2 * ((s / 2) % 4))), _mm_set1_epi8(3));
    v[0] = _mm256_sub_ps(_mm256_mul_ps(dl, u8_to_ps(bits)), ml);
    v[1] = _mm256_sub_ps(_mm256_mul_ps(dl, u8_to_ps(hi64(bits))), ml);
}

INLINE void q3_k_sub(const uint8_t *b, float d, const int *scales, int s, __m256 v[2]) {
    const __m256 dl = _mm256_set1_ps(d * (float)scales[s]);
    const __m128i q = _mm_loadu_si128((const __m128i *)(b + 32 + 32 * (s / 8) + 16 * (s % 2)));
    const __m128i hm = _mm_loadu_si128((const __m128i *)(b + 16 * (s % 2)));
    const __m128i bits = _mm_and_si128(_mm_srl_epi16(q, _mm_cvtsi32_si128(2 * ((s / 2) % 4))), _mm_set1_epi8(3));
    const __m128i clear = _mm_cmpeq_epi8(_mm_and_si128(hm, _mm_set1_epi8((char)(1u << (s / 2)))), _mm_setzero_si128());
    const __m128i w = _mm_sub_epi8(bits, _mm_and_si128(clear, _mm_set1_epi8(4))); /* -4..3 */
    scale_i8x16(dl, w, v);
}

typedef struct k_scales {
    float d[8], m[8];
} k_scales;

INLINE void k4_scales(const uint8_t *b, k_scales *s) {
    uint8_t sm[16];
    moe_scale_min_k4_all(b + 4, sm);
    const __m128i q = _mm_loadu_si128((const __m128i *)sm);
    _mm256_storeu_ps(s->d, _mm256_mul_ps(_mm256_set1_ps(f16s(b)), u8_to_ps(q)));
    _mm256_storeu_ps(s->m, _mm256_mul_ps(_mm256_set1_ps(f16s(b + 2)), u8_to_ps(hi64(q))));
}

/* 32 unsigned byte values of sub-block k -> v[0..3] = dk*q - mk. */
INLINE void k_sub(__m256i q, const k_scales *s, int k, __m256 v[4]) {
    const __m256 d = _mm256_set1_ps(s->d[k]), m = _mm256_set1_ps(s->m[k]);
    const __m128i a = lo128(q), b = hi128(q);
    v[0] = _mm256_sub_ps(_mm256_mul_ps(d, u8_to_ps(a)), m);
    v[1] = _mm256_sub_ps(_mm256_mul_ps(d, u8_to_ps(hi64(a))), m);
    v[2] = _mm256_sub_ps(_mm256_mul_ps(d, u8_to_ps(b)), m);
    v[3] = _mm256_sub_ps(_mm256_mul_ps(d, u8_to_ps(hi64(b))), m);
}

/* Q4_K chunk c (64 elements) -> v[0..7]. */
INLINE void q4_k_chunk(const uint8_t *b, const k_scales *s, int c, __m256 v[8]) {
    const __m256i q = _mm256_loadu_si256((const __m256i *)(b + 16 + 32 * c));
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    k_sub(_mm256_and_si256(q, m4), s, 2 * c, v);
    k_sub(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), s, 2 * c + 1, v + 4);
}

/* Q5_K chunk c; qh_c = the 32 qh bytes shifted right by 2c. */
INLINE void q5_k_chunk(const uint8_t *b, const k_scales *s, __m256i qh_c, int c, __m256 v[8]) {
    const __m256i q = _mm256_loadu_si256((const __m256i *)(b + 48 + 32 * c));
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    const __m256i h_lo = _mm256_slli_epi16(_mm256_and_si256(qh_c, one), 4);
    const __m256i h_hi = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh_c, 1), one), 4);
    k_sub(_mm256_or_si256(_mm256_and_si256(q, m4), h_lo), s, 2 * c, v);
    k_sub(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 4), m4), h_hi), s, 2 * c + 1, v + 4);
}

/* Q6_K, half n, quarter g (q1..q4 of the spec, 32 elements) -> v[0..3]; ds = d * scales[]. */
INLINE void q6_k_quarter(const uint8_t *b, const float *ds, int n, int g, __m256 v[4]) {
    const __m256i l = _mm256_loadu_si256((const __m256i *)(b + 64 * n + 32 * (g % 2)));
    const __m256i h = _mm256_loadu_si256((const __m256i *)(b + 128 + 32 * n));
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3), k32 = _mm256_set1_epi8(32);
    const __m256i low = g < 2 ? _mm256_and_si256(l, m4) : _mm256_and_si256(_mm256_srli_epi16(l, 4), m4);
    const __m256i high = _mm256_and_si256(_mm256_srl_epi16(h, _mm_cvtsi32_si128(2 * g)), m3);
    const __m256i q = _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(high, 4)), k32);
    const __m256 s0 = _mm256_set1_ps(ds[8 * n + 2 * g]), s1 = _mm256_set1_ps(ds[8 * n + 2 * g + 1]);
    scale_i8x16(s0, lo128(q), v);
    scale_i8x16(s1, hi128(q), v + 2);
}

INLINE void q6_k_scales(const uint8_t *b, float *ds) {
    const float d = f16s(b + 208);
    const int8_t *sc = (const int8_t *)(b + 192);
    for (int k = 0; k < 16; k++) {
        ds[k] = d * (float)sc[k];
    }
}

INLINE void iq4_xs_sub(const uint8_t *b, float d, int ib, __m256 v[4]) {
    const __m128i book = _mm_loadu_si128((const __m128i *)moe_kvalues_iq4nl);
    const unsigned scales_h = moe_rd_u16(b + 2);
    const int ls = ((b[4 + ib / 2] >> (4 * (ib % 2))) & 0x0F) | (int)(((scales_h >> (2 * ib)) & 3) << 4);
    const __m256 dl = _mm256_set1_ps(d * (float)(ls - 32));
    const __m128i q = _mm_loadu_si128((const __m128i *)(b + 8 + 16 * ib));
    const __m128i m4 = _mm_set1_epi8(0x0F);
    scale_i8x16(dl, _mm_shuffle_epi8(book, _mm_and_si128(q, m4)), v);
    scale_i8x16(dl, _mm_shuffle_epi8(book, _mm_and_si128(_mm_srli_epi16(q, 4), m4)), v + 2);
}

/* ---- multi-token dots (small matmul batches): as in kernels_avx512.c, with up to 4 tokens (2 ymm accumulators each,
 * 8 of the 16 registers) ------------------------------------------------------------------------------------------ */
#define DOTN_MAX 4

#define DEFINE_DOTN_SWITCH(suffix)                                                                                     \
    static void dotn_##suffix(const void *row, int64_t n_blocks, const float *x, int64_t xs, int n_tok, float *out,   \
                              int64_t os) {                                                                            \
        switch (n_tok) {                                                                                               \
        case 1: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 1); break;                                            \
        case 2: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 2); break;                                            \
        case 3: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 3); break;                                            \
        case 4: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 4); break;                                            \
        default: break;                                                                                                \
        }                                                                                                              \
    }

#define DOTN_PROLOGUE                                                                                                  \
    __m256 acc0[DOTN_MAX], acc1[DOTN_MAX];                                                                             \
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                              \
        acc0[t] = _mm256_setzero_ps();                                                                                 \
        acc1[t] = _mm256_setzero_ps();                                                                                 \
    }
#define DOTN_EPILOGUE                                                                                                  \
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                              \
        out[t * os] = hsum(_mm256_add_ps(acc0[t], acc1[t]));                                                           \
    }
#define DOTN_FMA(k, v, xo)                                                                                             \
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                              \
        if ((k) % 2 == 0) {                                                                                            \
            acc0[t] = fma_x((v), x + t * xs + (xo) + 8 * (k), acc0[t]);                                                \
        } else {                                                                                                       \
            acc1[t] = fma_x((v), x + t * xs + (xo) + 8 * (k), acc1[t]);                                                \
        }                                                                                                              \
    }

/* ---- kernels from the decoders -------------------------------------------------------------------------------------- */

#define DEFINE_SMALL(suffix, decode, bytes)                                                                            \
    static void dq_##suffix(const void *src, int64_t n_blocks, float *dst) {                                           \
        const uint8_t *s = (const uint8_t *)src;                                                                       \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            __m256 v[4];                                                                                               \
            decode(s + i * (bytes), v);                                                                                \
            for (int k = 0; k < 4; k++) {                                                                              \
                _mm256_storeu_ps(dst + 32 * i + 8 * k, v[k]);                                                          \
            }                                                                                                          \
        }                                                                                                              \
    }                                                                                                                  \
    static float dot_##suffix(const void *row, int64_t n_blocks, const float *x) {                                     \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};         \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            __m256 v[4];                                                                                               \
            decode(s + i * (bytes), v);                                                                                \
            for (int k = 0; k < 4; k++) {                                                                              \
                acc[k] = fma_x(v[k], x + 32 * i + 8 * k, acc[k]);                                                      \
            }                                                                                                          \
        }                                                                                                              \
        return hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));                      \
    }                                                                                                                  \
    INLINE void dotn_##suffix##_t(const void *row, int64_t n_blocks, const float *x, int64_t xs, float *out,           \
                                  int64_t os, const int T) {                                                           \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        DOTN_PROLOGUE                                                                                                  \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            __m256 v[4];                                                                                               \
            decode(s + i * (bytes), v);                                                                                \
            DOTN_FMA(0, v[0], 32 * i)                                                                                  \
            DOTN_FMA(1, v[1], 32 * i)                                                                                  \
            DOTN_FMA(2, v[2], 32 * i)                                                                                  \
            DOTN_FMA(3, v[3], 32 * i)                                                                                  \
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

/* Super-blocks: decode_superblock(b, EMIT) calls EMIT(k, v) for the 32 vectors k = 0..31 in element order. */
#define DEFINE_SUPER(suffix, bytes, decode_superblock)                                                                 \
    static void dq_##suffix(const void *src, int64_t n_blocks, float *dst) {                                           \
        const uint8_t *s = (const uint8_t *)src;                                                                       \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            float *out = dst + 256 * i;                                                                                \
            decode_superblock(s + i * (bytes), EMIT_STORE);                                                            \
        }                                                                                                              \
    }                                                                                                                  \
    static float dot_##suffix(const void *row, int64_t n_blocks, const float *x) {                                     \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};         \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            const float *xb = x + 256 * i;                                                                             \
            decode_superblock(s + i * (bytes), EMIT_FMA);                                                              \
        }                                                                                                              \
        return hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));                      \
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

#define EMIT_STORE(k, v) _mm256_storeu_ps(out + 8 * (k), (v))
#define EMIT_FMA(k, v) (acc[(k) % 4] = fma_x((v), xb + 8 * (k), acc[(k) % 4]))
#define EMIT_FMA_N(k, v)                                                                                               \
    do {                                                                                                               \
        const __m256 ev_ = (v);                                                                                        \
        DOTN_FMA(k, ev_, xo)                                                                                           \
    } while (0)

/* Runs `decode(..., v_)` producing N vectors and emits them as vectors base..base+N-1. */
#define EMIT_N(EMIT, base, N, v_)                                                                                      \
    _Pragma("GCC unroll 8") for (int e_ = 0; e_ < (N); e_++) {                                                                                 \
        EMIT((base) + e_, v_[e_]);                                                                                     \
    }

#define SB_Q2_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        const float d_ = f16s((b) + 80), dmin_ = f16s((b) + 82);                                                       \
        _Pragma("GCC unroll 16") for (int s_ = 0; s_ < 16; s_++) {                                                                              \
            __m256 v_[2];                                                                                              \
            q2_k_sub((b), d_, dmin_, s_, v_);                                                                          \
            EMIT_N(EMIT, 2 * s_, 2, v_)                                                                                \
        }                                                                                                              \
    } while (0)

#define SB_Q3_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        const float d_ = f16s((b) + 108);                                                                              \
        int sc_[16];                                                                                                   \
        moe_q3_k_scales((b) + 96, sc_);                                                                                \
        _Pragma("GCC unroll 16") for (int s_ = 0; s_ < 16; s_++) {                                                                              \
            __m256 v_[2];                                                                                              \
            q3_k_sub((b), d_, sc_, s_, v_);                                                                            \
            EMIT_N(EMIT, 2 * s_, 2, v_)                                                                                \
        }                                                                                                              \
    } while (0)

#define SB_Q4_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        k_scales ks_;                                                                                                  \
        k4_scales((b), &ks_);                                                                                          \
        _Pragma("GCC unroll 16") for (int c_ = 0; c_ < 4; c_++) {                                                                               \
            __m256 v_[8];                                                                                              \
            q4_k_chunk((b), &ks_, c_, v_);                                                                             \
            EMIT_N(EMIT, 8 * c_, 8, v_)                                                                                \
        }                                                                                                              \
    } while (0)

#define SB_Q5_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        k_scales ks_;                                                                                                  \
        k4_scales((b), &ks_);                                                                                          \
        __m256i qh_ = _mm256_loadu_si256((const __m256i *)((b) + 16));                                                 \
        _Pragma("GCC unroll 16") for (int c_ = 0; c_ < 4; c_++) {                                                                               \
            __m256 v_[8];                                                                                              \
            q5_k_chunk((b), &ks_, qh_, c_, v_);                                                                        \
            qh_ = _mm256_srli_epi16(qh_, 2);                                                                           \
            EMIT_N(EMIT, 8 * c_, 8, v_)                                                                                \
        }                                                                                                              \
    } while (0)

#define SB_Q6_K(b, EMIT)                                                                                               \
    do {                                                                                                               \
        float ds_[16];                                                                                                 \
        q6_k_scales((b), ds_);                                                                                         \
        _Pragma("GCC unroll 16") for (int n_ = 0; n_ < 2; n_++) {                                                                               \
            _Pragma("GCC unroll 16") for (int g_ = 0; g_ < 4; g_++) {                                                                           \
                __m256 v_[4];                                                                                          \
                q6_k_quarter((b), ds_, n_, g_, v_);                                                                    \
                EMIT_N(EMIT, 16 * n_ + 4 * g_, 4, v_)                                                                  \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

#define SB_IQ4_XS(b, EMIT)                                                                                             \
    do {                                                                                                               \
        const float d_ = f16s(b);                                                                                      \
        _Pragma("GCC unroll 16") for (int ib_ = 0; ib_ < 8; ib_++) {                                                                            \
            __m256 v_[4];                                                                                              \
            iq4_xs_sub((b), d_, ib_, v_);                                                                              \
            EMIT_N(EMIT, 4 * ib_, 4, v_)                                                                               \
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

/* Runs the reference decoder `fn` on block b and emits its 32 vectors in element order. */
#define SB_VIA_REF(b, EMIT, fn)                                                                                        \
    do {                                                                                                               \
        _Alignas(32) float r_[256];                                                                                    \
        fn((b), r_);                                                                                                   \
        _Pragma("GCC unroll 32") for (int k_ = 0; k_ < 32; k_++) {                                                   \
            EMIT(k_, _mm256_load_ps(r_ + 8 * k_));                                                                      \
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

INLINE void mxfp4_block(const uint8_t *b, __m256 v[4]) {
    _Alignas(32) float r[32];
    moe_dq_mxfp4(b, r);
    for (int k = 0; k < 4; k++) {
        v[k] = _mm256_load_ps(r + 8 * k);
    }
}

DEFINE_SMALL(mxfp4, mxfp4_block, BYTES_MXFP4)

/* ---- F32 / F16 / BF16: 8 elements per vector, the tail one element at a time ------------------------------------ */

INLINE __m256 ld8_f32(const uint8_t *p) {
    return _mm256_loadu_ps((const float *)p);
}

INLINE __m256 ld8_f16(const uint8_t *p) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

INLINE __m256 ld8_bf16(const uint8_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}

INLINE float ld1_f32(const uint8_t *p) {
    float f;
    memcpy(&f, p, 4);
    return f;
}

INLINE float ld1_f16(const uint8_t *p) {
    return f16s(p);
}

INLINE float ld1_bf16(const uint8_t *p) {
    return moe_bf16_to_f32(moe_rd_u16(p));
}

#define DEFINE_PLAIN(suffix, esize)                                                                                    \
    static void dq_##suffix(const void *src, int64_t n, float *dst) {                                                  \
        const uint8_t *s = (const uint8_t *)src;                                                                       \
        int64_t i = 0;                                                                                                 \
        for (; i + 8 <= n; i += 8) {                                                                                   \
            _mm256_storeu_ps(dst + i, ld8_##suffix(s + (esize) * i));                                                  \
        }                                                                                                              \
        for (; i < n; i++) {                                                                                           \
            dst[i] = ld1_##suffix(s + (esize) * i);                                                                    \
        }                                                                                                              \
    }                                                                                                                  \
    static float dot_##suffix(const void *row, int64_t n, const float *x) {                                            \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(),                           \
               a3 = _mm256_setzero_ps();                                                                               \
        int64_t i = 0;                                                                                                 \
        for (; i + 32 <= n; i += 32) {                                                                                 \
            a0 = fma_x(ld8_##suffix(s + (esize) * i), x + i, a0);                                                      \
            a1 = fma_x(ld8_##suffix(s + (esize) * (i + 8)), x + i + 8, a1);                                            \
            a2 = fma_x(ld8_##suffix(s + (esize) * (i + 16)), x + i + 16, a2);                                          \
            a3 = fma_x(ld8_##suffix(s + (esize) * (i + 24)), x + i + 24, a3);                                          \
        }                                                                                                              \
        for (; i + 8 <= n; i += 8) {                                                                                   \
            a0 = fma_x(ld8_##suffix(s + (esize) * i), x + i, a0);                                                      \
        }                                                                                                              \
        float total = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));                               \
        for (; i < n; i++) {                                                                                           \
            total += ld1_##suffix(s + (esize) * i) * x[i];                                                             \
        }                                                                                                              \
        return total;                                                                                                  \
    }                                                                                                                  \
    INLINE void dotn_##suffix##_t(const void *row, int64_t n, const float *x, int64_t xs, float *out, int64_t os,      \
                                  const int T) {                                                                       \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        DOTN_PROLOGUE                                                                                                  \
        int64_t i = 0;                                                                                                 \
        for (; i + 16 <= n; i += 16) {                                                                                 \
            const __m256 v0 = ld8_##suffix(s + (esize) * i), v1 = ld8_##suffix(s + (esize) * (i + 8));                 \
            DOTN_FMA(0, v0, i)                                                                                         \
            DOTN_FMA(1, v1, i)                                                                                         \
        }                                                                                                              \
        for (; i + 8 <= n; i += 8) {                                                                                   \
            const __m256 v0 = ld8_##suffix(s + (esize) * i);                                                           \
            DOTN_FMA(0, v0, i)                                                                                         \
        }                                                                                                              \
        float tail[DOTN_MAX] = {0};                                                                                    \
        for (; i < n; i++) {                                                                                           \
            const float w = ld1_##suffix(s + (esize) * i);                                                             \
            for (int t = 0; t < T; t++) {                                                                              \
                tail[t] += w * x[t * xs + i];                                                                          \
            }                                                                                                          \
        }                                                                                                              \
        _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {                                                          \
            out[t * os] = hsum(_mm256_add_ps(acc0[t], acc1[t])) + tail[t];                                             \
        }                                                                                                              \
    }                                                                                                                  \
    DEFINE_DOTN_SWITCH(suffix)

DEFINE_PLAIN(f32, 4)
DEFINE_PLAIN(f16, 2)
DEFINE_PLAIN(bf16, 2)

/* ---- f32 tile product (matmul) ------------------------------------------------------------------------------------
 * Main register block: 2 rows x 6 tokens = 12 ymm accumulators + 2 weight vectors + 1 token vector (15 of 16
 * registers; named variables so they stay in registers). Leftover tokens use 2x3 and 2x1 blocks, a leftover row 1x1
 * dots.
 * All shapes accumulate each (row, token) sum in the same order, so grouping never changes a result. */

/* Lane mask for the last k_len % 8 elements (maskload reads nothing past the end). */
INLINE __m256i tail_mask(int64_t left) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(left < 8 ? left : 8)), lane);
}

INLINE void reduce_store(__m256 acc, float *out, int accumulate) {
    const float s = hsum(acc);
    *out = accumulate ? *out + s : s;
}

#define LOAD_FULL(p) _mm256_loadu_ps(p)
#define LOAD_TAIL(p) _mm256_maskload_ps((p), m)
#define ROW2_DECL(t) __m256 a0##t = _mm256_setzero_ps(), a1##t = a0##t;
#define ROW2_FMA(t, xv)                                                                                                \
    a0##t = _mm256_fmadd_ps(w0, xv, a0##t);                                                                            \
    a1##t = _mm256_fmadd_ps(w1, xv, a1##t);
#define ROW2_STORE(t)                                                                                                  \
    reduce_store(a0##t, y + (t) * ys, accumulate);                                                                     \
    reduce_store(a1##t, y + (t) * ys + 1, accumulate);

#define STEP_2x6(k, LOAD)                                                                                              \
    do {                                                                                                               \
        const __m256 w0 = LOAD(w + (k)), w1 = LOAD(w + ws + (k));                                                      \
        __m256 xv;                                                                                                     \
        xv = LOAD(x + (k));                                                                                            \
        ROW2_FMA(0, xv)                                                                                                \
        xv = LOAD(x + xs + (k));                                                                                       \
        ROW2_FMA(1, xv)                                                                                                \
        xv = LOAD(x + 2 * xs + (k));                                                                                   \
        ROW2_FMA(2, xv)                                                                                                \
        xv = LOAD(x + 3 * xs + (k));                                                                                   \
        ROW2_FMA(3, xv)                                                                                                \
        xv = LOAD(x + 4 * xs + (k));                                                                                   \
        ROW2_FMA(4, xv)                                                                                                \
        xv = LOAD(x + 5 * xs + (k));                                                                                   \
        ROW2_FMA(5, xv)                                                                                                \
    } while (0)

static void gemm_2x6(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                     int accumulate) {
    ROW2_DECL(0) ROW2_DECL(1) ROW2_DECL(2) ROW2_DECL(3) ROW2_DECL(4) ROW2_DECL(5)
    int64_t k = 0;
    for (; k + 8 <= k_len; k += 8) {
        STEP_2x6(k, LOAD_FULL);
    }
    if (k < k_len) {
        const __m256i m = tail_mask(k_len - k);
        STEP_2x6(k, LOAD_TAIL);
    }
    ROW2_STORE(0) ROW2_STORE(1) ROW2_STORE(2) ROW2_STORE(3) ROW2_STORE(4) ROW2_STORE(5)
}

#define STEP_2x3(k, LOAD)                                                                                              \
    do {                                                                                                               \
        const __m256 w0 = LOAD(w + (k)), w1 = LOAD(w + ws + (k));                                                      \
        __m256 xv;                                                                                                     \
        xv = LOAD(x + (k));                                                                                            \
        ROW2_FMA(0, xv)                                                                                                \
        xv = LOAD(x + xs + (k));                                                                                       \
        ROW2_FMA(1, xv)                                                                                                \
        xv = LOAD(x + 2 * xs + (k));                                                                                   \
        ROW2_FMA(2, xv)                                                                                                \
    } while (0)

static void gemm_2x3(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                     int accumulate) {
    ROW2_DECL(0) ROW2_DECL(1) ROW2_DECL(2)
    int64_t k = 0;
    for (; k + 8 <= k_len; k += 8) {
        STEP_2x3(k, LOAD_FULL);
    }
    if (k < k_len) {
        const __m256i m = tail_mask(k_len - k);
        STEP_2x3(k, LOAD_TAIL);
    }
    ROW2_STORE(0) ROW2_STORE(1) ROW2_STORE(2)
}

#define STEP_2x1(k, LOAD)                                                                                              \
    do {                                                                                                               \
        const __m256 w0 = LOAD(w + (k)), w1 = LOAD(w + ws + (k));                                                      \
        const __m256 xv = LOAD(x + (k));                                                                               \
        ROW2_FMA(0, xv)                                                                                                \
    } while (0)

static void gemm_2x1(const float *w, int64_t ws, const float *x, int64_t k_len, float *y, int accumulate) {
    const int64_t ys = 0;
    ROW2_DECL(0)
    int64_t k = 0;
    for (; k + 8 <= k_len; k += 8) {
        STEP_2x1(k, LOAD_FULL);
    }
    if (k < k_len) {
        const __m256i m = tail_mask(k_len - k);
        STEP_2x1(k, LOAD_TAIL);
    }
    ROW2_STORE(0)
}

static void gemm_1x1(const float *w, const float *x, int64_t k_len, float *y, int accumulate) {
    __m256 a = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 8 <= k_len; k += 8) {
        a = _mm256_fmadd_ps(LOAD_FULL(w + k), LOAD_FULL(x + k), a);
    }
    if (k < k_len) {
        const __m256i m = tail_mask(k_len - k);
        a = _mm256_fmadd_ps(LOAD_TAIL(w + k), LOAD_TAIL(x + k), a);
    }
    reduce_store(a, y, accumulate);
}

static void gemm_avx2(const float *w, int64_t w_stride, int n_rows, const float *x, int64_t x_stride, int64_t n_tok,
                      int64_t k_len, float *y, int64_t y_stride, int accumulate) {
    const int rows2 = n_rows / 2 * 2;
    int64_t t = 0;
    for (; t + 6 <= n_tok; t += 6) {
        for (int r = 0; r < rows2; r += 2) {
            gemm_2x6(w + r * w_stride, w_stride, x + t * x_stride, x_stride, k_len, y + t * y_stride + r, y_stride,
                     accumulate);
        }
    }
    for (; t + 3 <= n_tok; t += 3) {
        for (int r = 0; r < rows2; r += 2) {
            gemm_2x3(w + r * w_stride, w_stride, x + t * x_stride, x_stride, k_len, y + t * y_stride + r, y_stride,
                     accumulate);
        }
    }
    for (; t < n_tok; t++) {
        for (int r = 0; r < rows2; r += 2) {
            gemm_2x1(w + r * w_stride, w_stride, x + t * x_stride, k_len, y + t * y_stride + r, accumulate);
        }
    }
    for (t = 0; t < n_tok; t++) {
        for (int r = rows2; r < n_rows; r++) {
            gemm_1x1(w + r * w_stride, x + t * x_stride, k_len, y + t * y_stride + r, accumulate);
        }
    }
}

const moe_kernels moe_kernels_avx2 = {
    .level = MOE_CPU_AVX2,
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
    .gemm = gemm_avx2,
};
