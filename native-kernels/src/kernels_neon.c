/*
 * kernels_neon.c - the AArch64 NEON levels of the f32-activation kernels. Compiled three times (CMakeLists.txt):
 * MOE_NEON_LEVEL = neon, neon_dotprod, neon_i8mm, with -march=armv8-a, armv8.2-a+dotprod, armv8.2-a+dotprod+i8mm and
 * -ffp-contract=off. The f32 arithmetic here needs nothing beyond base AArch64 NEON, so the three tables hold the same
 * code; they exist so that a context's f32 table and its 8-bit-activation table (q8_neon.c) name the same level.
 *
 * Same scheme as kernels_avx2.c with 128-bit vectors: a block is decoded in chunks of 32 elements, v[k] holding
 * elements 4k..4k+3 of the chunk (k = 0..7). Quant payloads are widened to int32 lanes, converted to f32 (exact) and
 * scaled with exactly the operations of quant_blocks.h, one rounding per vmulq/vaddq/vsubq and no fused operation
 * (this file is built with -ffp-contract=off), so dequantize is bit-identical to the scalar level. The chunks are then
 * stored (dequantize) or multiply-added into f32 accumulators with vfmaq_f32 (dot, multi-token dot), whose sums differ
 * from the scalar level's only in rounding order (within selftest.c's dot tolerance).
 *
 * Every block format is described by a `prep` function (per-block scales, computed once per block) and a `chunk`
 * function (the 32 values of chunk j as 8 vectors); DEFINE_BLOCKS builds dq_, dot_ and dotn_ from the two.
 */
#include <arm_neon.h>

#include "internal.h"
#include "neon_level.h"
#include "quant_blocks.h"

#define INLINE static inline __attribute__((always_inline))

/* The level this copy of the file is compiled for (the -march of CMakeLists.txt sets the feature macros). */
#if defined(__ARM_FEATURE_MATMUL_INT8)
#define NEON_LEVEL MOE_CPU_NEON_I8MM
#elif defined(__ARM_FEATURE_DOTPROD)
#define NEON_LEVEL MOE_CPU_NEON_DOTPROD
#else
#define NEON_LEVEL MOE_CPU_NEON
#endif

/* ---- helpers -------------------------------------------------------------------------------------------------------- */

/* One f16 at p (any alignment) as f32 by the hardware conversion: exact, the same value as moe_rd_f16. */
INLINE float f16s(const uint8_t *p) {
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(moe_rd_u16(p)))), 0);
}

/* 16 signed / unsigned bytes as 4 vectors of f32 (exact conversions). */
INLINE void s8_to_f32(int8x16_t q, float32x4_t f[4]) {
    const int16x8_t lo = vmovl_s8(vget_low_s8(q)), hi = vmovl_high_s8(q);
    f[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
    f[1] = vcvtq_f32_s32(vmovl_high_s16(lo));
    f[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
    f[3] = vcvtq_f32_s32(vmovl_high_s16(hi));
}

INLINE void u8_to_f32(uint8x16_t q, float32x4_t f[4]) {
    const uint16x8_t lo = vmovl_u8(vget_low_u8(q)), hi = vmovl_high_u8(q);
    f[0] = vcvtq_f32_u32(vmovl_u16(vget_low_u16(lo)));
    f[1] = vcvtq_f32_u32(vmovl_high_u16(lo));
    f[2] = vcvtq_f32_u32(vmovl_u16(vget_low_u16(hi)));
    f[3] = vcvtq_f32_u32(vmovl_high_u16(hi));
}

/* 16 signed bytes -> v[0..3] = d*q. */
INLINE void scale_s8(float32x4_t d, int8x16_t q, float32x4_t v[4]) {
    s8_to_f32(q, v);
    for (int k = 0; k < 4; k++) {
        v[k] = vmulq_f32(d, v[k]);
    }
}

/* 16 unsigned bytes -> v[0..3] = d*q + m (Q4_1, Q5_1). */
INLINE void scale_add_u8(float32x4_t d, float32x4_t m, uint8x16_t q, float32x4_t v[4]) {
    u8_to_f32(q, v);
    for (int k = 0; k < 4; k++) {
        v[k] = vaddq_f32(vmulq_f32(d, v[k]), m);
    }
}

/* 16 unsigned bytes -> v[0..3] = d*q - m (K-quants). */
INLINE void scale_sub_u8(float32x4_t d, float32x4_t m, uint8x16_t q, float32x4_t v[4]) {
    u8_to_f32(q, v);
    for (int k = 0; k < 4; k++) {
        v[k] = vsubq_f32(vmulq_f32(d, v[k]), m);
    }
}

/* Logical right shift of every byte by a run-time amount (a negative left shift: no immediate needed). */
INLINE uint8x16_t shr_u8(uint8x16_t q, int shift) {
    return vshlq_u8(q, vdupq_n_s8((int8_t)-shift));
}

INLINE uint8x16_t lo_nib(uint8x16_t q) {
    return vandq_u8(q, vdupq_n_u8(0x0F));
}

INLINE uint8x16_t hi_nib(uint8x16_t q) {
    return vshrq_n_u8(q, 4);
}

/* ---- 32-element blocks: one chunk (j is always 0) ------------------------------------------------------------------ */

typedef struct {
    float32x4_t d, m;
} p_dm;

INLINE void prep_q4_0(const uint8_t *b, p_dm *p) {
    p->d = vdupq_n_f32(f16s(b));
}

/* d*((q & 15) - 8) and d*((q >> 4) - 8): the subtraction is exact in int8, then one product. */
INLINE void chunk_q4_0(const uint8_t *b, const p_dm *p, int j, float32x4_t v[8]) {
    const uint8x16_t q = vld1q_u8(b + 2);
    const int8x16_t k8 = vdupq_n_s8(8);
    scale_s8(p->d, vsubq_s8(vreinterpretq_s8_u8(lo_nib(q)), k8), v);
    scale_s8(p->d, vsubq_s8(vreinterpretq_s8_u8(hi_nib(q)), k8), v + 4);
}

INLINE void prep_q4_1(const uint8_t *b, p_dm *p) {
    p->d = vdupq_n_f32(f16s(b));
    p->m = vdupq_n_f32(f16s(b + 2));
}

INLINE void chunk_q4_1(const uint8_t *b, const p_dm *p, int j, float32x4_t v[8]) {
    const uint8x16_t q = vld1q_u8(b + 4);
    scale_add_u8(p->d, p->m, lo_nib(q), v);
    scale_add_u8(p->d, p->m, hi_nib(q), v + 4);
}

/* The 5-bit values of Q5_0/Q5_1: nibbles | bit j of the LE uint32 qh << 4. Each byte of qh is spread over the 8 lanes
 * of its elements by a table lookup and tested against that lane's bit. */
INLINE void q5_values(const uint8_t *qs, uint32_t qh, uint8x16_t *lo, uint8x16_t *hi) {
    static const uint8_t spread_lo[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    static const uint8_t spread_hi[16] = {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
    static const uint8_t bit[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t h = vreinterpretq_u8_u32(vdupq_n_u32(qh));
    const uint8x16_t bits = vld1q_u8(bit), k16 = vdupq_n_u8(16);
    const uint8x16_t h_lo = vandq_u8(vtstq_u8(vqtbl1q_u8(h, vld1q_u8(spread_lo)), bits), k16);
    const uint8x16_t h_hi = vandq_u8(vtstq_u8(vqtbl1q_u8(h, vld1q_u8(spread_hi)), bits), k16);
    const uint8x16_t q = vld1q_u8(qs);
    *lo = vorrq_u8(lo_nib(q), h_lo);
    *hi = vorrq_u8(hi_nib(q), h_hi);
}

INLINE void prep_q5_0(const uint8_t *b, p_dm *p) {
    p->d = vdupq_n_f32(f16s(b));
}

INLINE void chunk_q5_0(const uint8_t *b, const p_dm *p, int j, float32x4_t v[8]) {
    uint8x16_t lo, hi;
    q5_values(b + 6, moe_rd_u32(b + 2), &lo, &hi);
    const int8x16_t k16 = vdupq_n_s8(16);
    scale_s8(p->d, vsubq_s8(vreinterpretq_s8_u8(lo), k16), v);
    scale_s8(p->d, vsubq_s8(vreinterpretq_s8_u8(hi), k16), v + 4);
}

INLINE void prep_q5_1(const uint8_t *b, p_dm *p) {
    p->d = vdupq_n_f32(f16s(b));
    p->m = vdupq_n_f32(f16s(b + 2));
}

INLINE void chunk_q5_1(const uint8_t *b, const p_dm *p, int j, float32x4_t v[8]) {
    uint8x16_t lo, hi;
    q5_values(b + 8, moe_rd_u32(b + 4), &lo, &hi);
    scale_add_u8(p->d, p->m, lo, v);
    scale_add_u8(p->d, p->m, hi, v + 4);
}

INLINE void prep_q8_0(const uint8_t *b, p_dm *p) {
    p->d = vdupq_n_f32(f16s(b));
}

INLINE void chunk_q8_0(const uint8_t *b, const p_dm *p, int j, float32x4_t v[8]) {
    scale_s8(p->d, vld1q_s8((const int8_t *)(b + 2)), v);
    scale_s8(p->d, vld1q_s8((const int8_t *)(b + 18)), v + 4);
}

/* IQ4_NL: the code book is one 16-byte table register, vqtbl1q_s8 looks up 16 nibbles at once. */
INLINE void prep_iq4_nl(const uint8_t *b, p_dm *p) {
    p->d = vdupq_n_f32(f16s(b));
}

INLINE void chunk_iq4_nl(const uint8_t *b, const p_dm *p, int j, float32x4_t v[8]) {
    const int8x16_t book = vld1q_s8(moe_kvalues_iq4nl);
    const uint8x16_t q = vld1q_u8(b + 2);
    scale_s8(p->d, vqtbl1q_s8(book, lo_nib(q)), v);
    scale_s8(p->d, vqtbl1q_s8(book, hi_nib(q)), v + 4);
}

/* MXFP4: the doubled E2M1 values are small integers (moe_kvalues_mxfp4), looked up like IQ4_NL; kv * d is the same
 * single rounding as the reference's (float)kv * d. */
INLINE void prep_mxfp4(const uint8_t *b, p_dm *p) {
    p->d = vdupq_n_f32(moe_e8m0_half(b[0]));
}

INLINE void chunk_mxfp4(const uint8_t *b, const p_dm *p, int j, float32x4_t v[8]) {
    const int8x16_t book = vld1q_s8(moe_kvalues_mxfp4);
    const uint8x16_t q = vld1q_u8(b + 1);
    scale_s8(p->d, vqtbl1q_s8(book, lo_nib(q)), v);
    scale_s8(p->d, vqtbl1q_s8(book, hi_nib(q)), v + 4);
}

/* ---- 256-element super-blocks: 8 chunks of 32 ---------------------------------------------------------------------- */

/* Q2_K: chunk j holds sub-blocks 2j and 2j+1 (16 elements each), the 2-bit fields at shift 2*(j%4) of the 32 bytes
 * qs[32*(j/4) ..]; x = dl*q - ml with dl = d*(sc & 15), ml = dmin*(sc >> 4) (scalar products, as the reference). */
typedef struct {
    float d, dmin;
} p_q2_k;

INLINE void prep_q2_k(const uint8_t *b, p_q2_k *p) {
    p->d = f16s(b + 80);
    p->dmin = f16s(b + 82);
}

INLINE void chunk_q2_k(const uint8_t *b, const p_q2_k *p, int j, float32x4_t v[8]) {
    const uint8_t *q = b + 16 + 32 * (j / 4);
    const int shift = 2 * (j % 4);
    const uint8x16_t m3 = vdupq_n_u8(3);
    for (int h = 0; h < 2; h++) {
        const uint8_t sc = b[2 * j + h];
        const float32x4_t dl = vdupq_n_f32(p->d * (float)(sc & 0x0F)), ml = vdupq_n_f32(p->dmin * (float)(sc >> 4));
        scale_sub_u8(dl, ml, vandq_u8(shr_u8(vld1q_u8(q + 16 * h), shift), m3), v + 4 * h);
    }
}

/* Q3_K: like Q2_K's layout; the high bit of element l of chunk j is bit j of hmask[l], and a clear bit subtracts 4. */
typedef struct {
    float d;
    int sc[16];
} p_q3_k;

INLINE void prep_q3_k(const uint8_t *b, p_q3_k *p) {
    p->d = f16s(b + 108);
    moe_q3_k_scales(b + 96, p->sc);
}

INLINE void chunk_q3_k(const uint8_t *b, const p_q3_k *p, int j, float32x4_t v[8]) {
    const uint8_t *q = b + 32 + 32 * (j / 4);
    const int shift = 2 * (j % 4);
    const uint8x16_t m3 = vdupq_n_u8(3), mbit = vdupq_n_u8((uint8_t)(1u << j)), k4 = vdupq_n_u8(4);
    for (int h = 0; h < 2; h++) {
        const uint8x16_t bits = vandq_u8(shr_u8(vld1q_u8(q + 16 * h), shift), m3);
        /* vtstq is all-ones where the bit is set; 4 where it is clear */
        const uint8x16_t minus = vbicq_u8(k4, vtstq_u8(vld1q_u8(b + 16 * h), mbit));
        const int8x16_t w = vsubq_s8(vreinterpretq_s8_u8(bits), vreinterpretq_s8_u8(minus)); /* -4..3 */
        scale_s8(vdupq_n_f32(p->d * (float)p->sc[2 * j + h]), w, v + 4 * h);
    }
}

/* Q4_K / Q5_K: the 8 sub-block scales d*sc and mins dmin*m, each one f32 product as in the reference. */
typedef struct {
    float d[8], m[8];
} p_k4;

INLINE void prep_k4(const uint8_t *b, p_k4 *p) {
    uint8_t sm[16];
    moe_scale_min_k4_all(b + 4, sm);
    float32x4_t f[4];
    u8_to_f32(vld1q_u8(sm), f);
    const float32x4_t d = vdupq_n_f32(f16s(b)), dmin = vdupq_n_f32(f16s(b + 2));
    vst1q_f32(p->d, vmulq_f32(d, f[0]));
    vst1q_f32(p->d + 4, vmulq_f32(d, f[1]));
    vst1q_f32(p->m, vmulq_f32(dmin, f[2]));
    vst1q_f32(p->m + 4, vmulq_f32(dmin, f[3]));
}

#define prep_q4_k prep_k4
#define prep_q5_k prep_k4

/* Q4_K chunk j: the low (j even) or high (j odd) nibbles of qs[32*(j/2) ..], sub-block j. */
INLINE void chunk_q4_k(const uint8_t *b, const p_k4 *p, int j, float32x4_t v[8]) {
    const uint8_t *q = b + 16 + 32 * (j / 2);
    const float32x4_t d = vdupq_n_f32(p->d[j]), m = vdupq_n_f32(p->m[j]);
    for (int h = 0; h < 2; h++) {
        const uint8x16_t qb = vld1q_u8(q + 16 * h);
        scale_sub_u8(d, m, (j % 2) ? hi_nib(qb) : lo_nib(qb), v + 4 * h);
    }
}

/* Q5_K chunk j: as Q4_K, plus 16 * bit j of qh[l]. */
INLINE void chunk_q5_k(const uint8_t *b, const p_k4 *p, int j, float32x4_t v[8]) {
    const uint8_t *q = b + 48 + 32 * (j / 2);
    const float32x4_t d = vdupq_n_f32(p->d[j]), m = vdupq_n_f32(p->m[j]);
    const uint8x16_t one = vdupq_n_u8(1);
    for (int h = 0; h < 2; h++) {
        const uint8x16_t qb = vld1q_u8(q + 16 * h);
        const uint8x16_t hb = vshlq_n_u8(vandq_u8(shr_u8(vld1q_u8(b + 16 + 16 * h), j), one), 4);
        scale_sub_u8(d, m, vorrq_u8((j % 2) ? hi_nib(qb) : lo_nib(qb), hb), v + 4 * h);
    }
}

/* Q6_K chunk j = 4n + g (q1..q4 of the reference for g = 0..3, half n): low bits from ql[64n + 32(g%2) ..] (low nibble
 * for g < 2, high otherwise), high bits at shift 2g of qh[128 + 32n ..]; scales ds[2j], ds[2j+1] = d*sc. */
typedef struct {
    float ds[16];
} p_q6_k;

INLINE void prep_q6_k(const uint8_t *b, p_q6_k *p) {
    const float d = f16s(b + 208);
    const int8_t *sc = (const int8_t *)(b + 192);
    for (int k = 0; k < 16; k++) {
        p->ds[k] = d * (float)sc[k];
    }
}

INLINE void chunk_q6_k(const uint8_t *b, const p_q6_k *p, int j, float32x4_t v[8]) {
    const int n = j / 4, g = j % 4;
    const uint8_t *L = b + 64 * n + 32 * (g % 2);
    const uint8_t *H = b + 128 + 32 * n;
    const uint8x16_t m3 = vdupq_n_u8(3);
    const int8x16_t k32 = vdupq_n_s8(32);
    for (int h = 0; h < 2; h++) {
        const uint8x16_t l = vld1q_u8(L + 16 * h);
        const uint8x16_t low = g < 2 ? lo_nib(l) : hi_nib(l);
        const uint8x16_t high = vandq_u8(shr_u8(vld1q_u8(H + 16 * h), 2 * g), m3);
        const int8x16_t q = vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(low, vshlq_n_u8(high, 4))), k32);
        scale_s8(vdupq_n_f32(p->ds[2 * j + h]), q, v + 4 * h);
    }
}

/* IQ4_XS chunk j = sub-block ib: IQ4_NL's code book with the 6-bit sub-block scale dl = d*(ls - 32). */
typedef struct {
    float d;
} p_iq4_xs;

INLINE void prep_iq4_xs(const uint8_t *b, p_iq4_xs *p) {
    p->d = f16s(b);
}

INLINE void chunk_iq4_xs(const uint8_t *b, const p_iq4_xs *p, int j, float32x4_t v[8]) {
    const int8x16_t book = vld1q_s8(moe_kvalues_iq4nl);
    const unsigned scales_h = moe_rd_u16(b + 2);
    const int ls = ((b[4 + j / 2] >> (4 * (j % 2))) & 0x0F) | (int)(((scales_h >> (2 * j)) & 3) << 4);
    const float32x4_t dl = vdupq_n_f32(p->d * (float)(ls - 32));
    const uint8x16_t q = vld1q_u8(b + 8 + 16 * j);
    scale_s8(dl, vqtbl1q_s8(book, lo_nib(q)), v);
    scale_s8(dl, vqtbl1q_s8(book, hi_nib(q)), v + 4);
}

/* ---- formats decoded by their reference decoder: the grid i-quants (IQ2_*, IQ3_*, IQ1_*), TQ1_0, TQ2_0 ---------------
 * prep runs the very quant_blocks.h decoder the scalar level uses (moe_dq_*) on the whole block, so these dequantize
 * bit-identically by construction; the chunks load from that buffer and the products use this level's vectors. Their
 * grids, sign tables and trits would make register decoders long for the f32 path, which only serves large batches and
 * tests; the hot path of these formats is the 8-bit-activation product (q8_neon_iq.c). */
typedef struct {
    float r[256];
} p_ref;

#define DEFINE_REF(suffix)                                                                                             \
    INLINE void prep_##suffix(const uint8_t *b, p_ref *p) {                                                            \
        moe_dq_##suffix(b, p->r);                                                                                      \
    }                                                                                                                  \
    INLINE void chunk_##suffix(const uint8_t *b, const p_ref *p, int j, float32x4_t v[8]) {                            \
        for (int k = 0; k < 8; k++) {                                                                                  \
            v[k] = vld1q_f32(p->r + 32 * j + 4 * k);                                                                   \
        }                                                                                                              \
    }

DEFINE_REF(iq2_xxs)
DEFINE_REF(iq2_xs)
DEFINE_REF(iq2_s)
DEFINE_REF(iq3_xxs)
DEFINE_REF(iq3_s)
DEFINE_REF(iq1_s)
DEFINE_REF(iq1_m)
DEFINE_REF(tq1_0)
DEFINE_REF(tq2_0)

/* ---- kernels from prep + chunk ----------------------------------------------------------------------------------------
 * dot: 4 accumulators (v[k] into acc[k % 4]) to hide the FMA latency. dotn: up to DOTN_MAX tokens, 2 accumulators per
 * token (16 of the 32 vector registers at 8 tokens), the chunk decoded once for all of them; T is a constant in each
 * instantiation (DEFINE_DOTN_SWITCH), so the accumulator arrays live in registers. */
#define DOTN_MAX 8

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
        case 7: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 7); break;                                            \
        case 8: dotn_##suffix##_t(row, n_blocks, x, xs, out, os, 8); break;                                            \
        default: break;                                                                                                \
        }                                                                                                              \
    }

#define DOTN_PROLOGUE                                                                                                  \
    float32x4_t acc0[DOTN_MAX], acc1[DOTN_MAX];                                                                        \
    _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                              \
        acc0[t] = vdupq_n_f32(0.0f);                                                                                   \
        acc1[t] = vdupq_n_f32(0.0f);                                                                                   \
    }

/* The 8 vectors of a chunk (elements xo .. xo+31 of the row) into every token's accumulators. */
#define DOTN_CHUNK(v, xo)                                                                                              \
    _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                              \
        const float *xt_ = x + t * xs + (xo);                                                                          \
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; k += 2) {                                                       \
            acc0[t] = vfmaq_f32(acc0[t], (v)[k], vld1q_f32(xt_ + 4 * k));                                              \
            acc1[t] = vfmaq_f32(acc1[t], (v)[k + 1], vld1q_f32(xt_ + 4 * k + 4));                                      \
        }                                                                                                              \
    }

#define DOT_SUM4(acc) vaddvq_f32(vaddq_f32(vaddq_f32((acc)[0], (acc)[1]), vaddq_f32((acc)[2], (acc)[3])))

/* dot_ and dotn_ of a format with blocks of `bytes` bytes and `chunks` chunks of 32 elements. */
#define DEFINE_DOTS(suffix, bytes, chunks, prep_t)                                                                     \
    static float dot_##suffix(const void *row, int64_t n_blocks, const float *x) {                                     \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        float32x4_t acc[4] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};             \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            const uint8_t *b = s + i * (bytes);                                                                        \
            prep_t p;                                                                                                  \
            prep_##suffix(b, &p);                                                                                      \
            for (int j = 0; j < (chunks); j++) {                                                                       \
                const float *xc = x + 32 * ((chunks) * i + j);                                                         \
                float32x4_t v[8];                                                                                      \
                chunk_##suffix(b, &p, j, v);                                                                           \
                _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) {                                                  \
                    acc[k % 4] = vfmaq_f32(acc[k % 4], v[k], vld1q_f32(xc + 4 * k));                                   \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
        return DOT_SUM4(acc);                                                                                          \
    }                                                                                                                  \
    INLINE void dotn_##suffix##_t(const void *row, int64_t n_blocks, const float *x, int64_t xs, float *out,           \
                                  int64_t os, const int T) {                                                           \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        DOTN_PROLOGUE                                                                                                  \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            const uint8_t *b = s + i * (bytes);                                                                        \
            prep_t p;                                                                                                  \
            prep_##suffix(b, &p);                                                                                      \
            for (int j = 0; j < (chunks); j++) {                                                                       \
                float32x4_t v[8];                                                                                      \
                chunk_##suffix(b, &p, j, v);                                                                           \
                DOTN_CHUNK(v, 32 * ((chunks) * i + j))                                                                 \
            }                                                                                                          \
        }                                                                                                              \
        _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                          \
            out[t * os] = vaddvq_f32(vaddq_f32(acc0[t], acc1[t]));                                                     \
        }                                                                                                              \
    }                                                                                                                  \
    DEFINE_DOTN_SWITCH(suffix)

/* dq_ of a format decoded in registers: the chunks stored in order. */
#define DEFINE_DQ(suffix, bytes, chunks, prep_t)                                                                       \
    static void dq_##suffix(const void *src, int64_t n_blocks, float *dst) {                                           \
        const uint8_t *s = (const uint8_t *)src;                                                                       \
        for (int64_t i = 0; i < n_blocks; i++) {                                                                       \
            const uint8_t *b = s + i * (bytes);                                                                        \
            prep_t p;                                                                                                  \
            prep_##suffix(b, &p);                                                                                      \
            for (int j = 0; j < (chunks); j++) {                                                                       \
                float32x4_t v[8];                                                                                      \
                chunk_##suffix(b, &p, j, v);                                                                           \
                for (int k = 0; k < 8; k++) {                                                                          \
                    vst1q_f32(dst + 32 * ((chunks) * i + j) + 4 * k, v[k]);                                            \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
    }

#define DEFINE_BLOCKS(suffix, bytes, chunks, prep_t)                                                                   \
    DEFINE_DQ(suffix, bytes, chunks, prep_t)                                                                           \
    DEFINE_DOTS(suffix, bytes, chunks, prep_t)

DEFINE_BLOCKS(q4_0, BYTES_Q4_0, 1, p_dm)
DEFINE_BLOCKS(q4_1, BYTES_Q4_1, 1, p_dm)
DEFINE_BLOCKS(q5_0, BYTES_Q5_0, 1, p_dm)
DEFINE_BLOCKS(q5_1, BYTES_Q5_1, 1, p_dm)
DEFINE_BLOCKS(q8_0, BYTES_Q8_0, 1, p_dm)
DEFINE_BLOCKS(iq4_nl, BYTES_IQ4_NL, 1, p_dm)
DEFINE_BLOCKS(mxfp4, BYTES_MXFP4, 1, p_dm)
DEFINE_BLOCKS(q2_k, BYTES_Q2_K, 8, p_q2_k)
DEFINE_BLOCKS(q3_k, BYTES_Q3_K, 8, p_q3_k)
DEFINE_BLOCKS(q4_k, BYTES_Q4_K, 8, p_k4)
DEFINE_BLOCKS(q5_k, BYTES_Q5_K, 8, p_k4)
DEFINE_BLOCKS(q6_k, BYTES_Q6_K, 8, p_q6_k)
DEFINE_BLOCKS(iq4_xs, BYTES_IQ4_XS, 8, p_iq4_xs)

/* The reference-decoded formats dequantize straight into dst with the reference decoder (no copy). */
#define DEFINE_REF_KERNELS(suffix, BYTES)                                                                              \
    MOE_DEFINE_DQ(dq_##suffix, moe_dq_##suffix, BYTES, QK_K)                                                           \
    DEFINE_DOTS(suffix, BYTES, 8, p_ref)

DEFINE_REF_KERNELS(iq2_xxs, BYTES_IQ2_XXS)
DEFINE_REF_KERNELS(iq2_xs, BYTES_IQ2_XS)
DEFINE_REF_KERNELS(iq2_s, BYTES_IQ2_S)
DEFINE_REF_KERNELS(iq3_xxs, BYTES_IQ3_XXS)
DEFINE_REF_KERNELS(iq3_s, BYTES_IQ3_S)
DEFINE_REF_KERNELS(iq1_s, BYTES_IQ1_S)
DEFINE_REF_KERNELS(iq1_m, BYTES_IQ1_M)
DEFINE_REF_KERNELS(tq1_0, BYTES_TQ1_0)
DEFINE_REF_KERNELS(tq2_0, BYTES_TQ2_0)

/* ---- F32 / F16 / BF16: 4 elements per vector, the tail one element at a time ------------------------------------- */

INLINE float32x4_t ld4_f32(const uint8_t *p) {
    return vld1q_f32((const float *)p);
}

/* vcvt_f32_f16 (FCVTL) is exact for every input and keeps a NaN's sign and payload with the quiet bit set, as the
 * reference decoder moe_f16_to_f32 does (selftest.c checks all 65536 patterns). */
INLINE float32x4_t ld4_f16(const uint8_t *p) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16((const uint16_t *)p)));
}

/* bf16 is the top half of an f32: widen each u16 and shift it up by 16. */
INLINE float32x4_t ld4_bf16(const uint8_t *p) {
    return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16((const uint16_t *)p), 16));
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
        for (; i + 4 <= n; i += 4) {                                                                                   \
            vst1q_f32(dst + i, ld4_##suffix(s + (esize) * i));                                                         \
        }                                                                                                              \
        for (; i < n; i++) {                                                                                           \
            dst[i] = ld1_##suffix(s + (esize) * i);                                                                    \
        }                                                                                                              \
    }                                                                                                                  \
    static float dot_##suffix(const void *row, int64_t n, const float *x) {                                            \
        const uint8_t *s = (const uint8_t *)row;                                                                       \
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;                                                 \
        int64_t i = 0;                                                                                                 \
        for (; i + 16 <= n; i += 16) {                                                                                 \
            a0 = vfmaq_f32(a0, ld4_##suffix(s + (esize) * i), vld1q_f32(x + i));                                       \
            a1 = vfmaq_f32(a1, ld4_##suffix(s + (esize) * (i + 4)), vld1q_f32(x + i + 4));                             \
            a2 = vfmaq_f32(a2, ld4_##suffix(s + (esize) * (i + 8)), vld1q_f32(x + i + 8));                             \
            a3 = vfmaq_f32(a3, ld4_##suffix(s + (esize) * (i + 12)), vld1q_f32(x + i + 12));                           \
        }                                                                                                              \
        for (; i + 4 <= n; i += 4) {                                                                                   \
            a0 = vfmaq_f32(a0, ld4_##suffix(s + (esize) * i), vld1q_f32(x + i));                                       \
        }                                                                                                              \
        float total = vaddvq_f32(vaddq_f32(vaddq_f32(a0, a1), vaddq_f32(a2, a3)));                                     \
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
        for (; i + 8 <= n; i += 8) {                                                                                   \
            const float32x4_t v0 = ld4_##suffix(s + (esize) * i), v1 = ld4_##suffix(s + (esize) * (i + 4));           \
            _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                      \
                acc0[t] = vfmaq_f32(acc0[t], v0, vld1q_f32(x + t * xs + i));                                           \
                acc1[t] = vfmaq_f32(acc1[t], v1, vld1q_f32(x + t * xs + i + 4));                                       \
            }                                                                                                          \
        }                                                                                                              \
        for (; i + 4 <= n; i += 4) {                                                                                   \
            const float32x4_t v0 = ld4_##suffix(s + (esize) * i);                                                      \
            _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                      \
                acc0[t] = vfmaq_f32(acc0[t], v0, vld1q_f32(x + t * xs + i));                                           \
            }                                                                                                          \
        }                                                                                                              \
        float tail[DOTN_MAX] = {0};                                                                                    \
        for (; i < n; i++) {                                                                                           \
            const float w = ld1_##suffix(s + (esize) * i);                                                             \
            for (int t = 0; t < T; t++) {                                                                              \
                tail[t] += w * x[t * xs + i];                                                                          \
            }                                                                                                          \
        }                                                                                                              \
        _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {                                                          \
            out[t * os] = vaddvq_f32(vaddq_f32(acc0[t], acc1[t])) + tail[t];                                           \
        }                                                                                                              \
    }                                                                                                                  \
    DEFINE_DOTN_SWITCH(suffix)

DEFINE_PLAIN(f32, 4)
DEFINE_PLAIN(f16, 2)
DEFINE_PLAIN(bf16, 2)

/* ---- f32 tile product (matmul) ---------------------------------------------------------------------------------------
 * y[t][r] = sum_k w[r][k] x[t][k] with w and x both contiguous along k, so each (row, token) pair gets one float32x4
 * accumulator over k in steps of 4 (lane-wise FMAs, reduced by vaddvq at the end), the register block reusing each
 * loaded weight vector for every token and each token vector for every row. Main block: 4 rows x 4 tokens = 16
 * accumulators + 4 weight vectors + 1 token vector (21 of the 32 registers); leftover tokens use 4x1 blocks, leftover
 * rows 1x4 and 1x1. The last k_len % 4 elements are read into zero-padded vectors (nothing past the end is read) and go
 * through the same FMAs. Every shape sums each (row, token) in exactly the same order, so how the rows and tokens are
 * grouped (which depends on the thread count through tensor.c's token slices) never changes a result. */

/* Up to 3 floats at p as a vector with zeros in the other lanes. */
INLINE float32x4_t load_tail(const float *p, int64_t left) {
    float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(buf, p, (size_t)left * sizeof(float));
    return vld1q_f32(buf);
}

INLINE void reduce_store(float32x4_t acc, float *out, int accumulate) {
    const float s = vaddvq_f32(acc);
    *out = accumulate ? *out + s : s;
}

/* One R x T register block (R, T constants at every call, so the loops unroll and acc stays in registers). */
INLINE void gemm_block(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                       int accumulate, const int R, const int T) {
    float32x4_t acc[4][4];
    _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {
        _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
            acc[r][t] = vdupq_n_f32(0.0f);
        }
    }
    int64_t k = 0;
    for (; k + 4 <= k_len; k += 4) {
        float32x4_t wv[4];
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {
            wv[r] = vld1q_f32(w + r * ws + k);
        }
        _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
            const float32x4_t xv = vld1q_f32(x + t * xs + k);
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {
                acc[r][t] = vfmaq_f32(acc[r][t], wv[r], xv);
            }
        }
    }
    if (k < k_len) {
        float32x4_t wv[4];
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {
            wv[r] = load_tail(w + r * ws + k, k_len - k);
        }
        _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
            const float32x4_t xv = load_tail(x + t * xs + k, k_len - k);
            _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {
                acc[r][t] = vfmaq_f32(acc[r][t], wv[r], xv);
            }
        }
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
        _Pragma("GCC unroll 4") for (int r = 0; r < R; r++) {
            reduce_store(acc[r][t], y + t * ys + r, accumulate);
        }
    }
}

static void gemm_4x4(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                     int accumulate) {
    gemm_block(w, ws, x, xs, k_len, y, ys, accumulate, 4, 4);
}

static void gemm_4x1(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                     int accumulate) {
    gemm_block(w, ws, x, xs, k_len, y, ys, accumulate, 4, 1);
}

static void gemm_1x4(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                     int accumulate) {
    gemm_block(w, ws, x, xs, k_len, y, ys, accumulate, 1, 4);
}

static void gemm_1x1(const float *w, int64_t ws, const float *x, int64_t xs, int64_t k_len, float *y, int64_t ys,
                     int accumulate) {
    gemm_block(w, ws, x, xs, k_len, y, ys, accumulate, 1, 1);
}

static void gemm_neon(const float *w, int64_t w_stride, int n_rows, const float *x, int64_t x_stride, int64_t n_tok,
                      int64_t k_len, float *y, int64_t y_stride, int accumulate) {
    const int rows4 = n_rows / 4 * 4;
    int64_t t = 0;
    for (; t + 4 <= n_tok; t += 4) {
        const float *xt = x + t * x_stride;
        float *yt = y + t * y_stride;
        for (int r = 0; r < rows4; r += 4) {
            gemm_4x4(w + r * w_stride, w_stride, xt, x_stride, k_len, yt + r, y_stride, accumulate);
        }
        for (int r = rows4; r < n_rows; r++) {
            gemm_1x4(w + r * w_stride, w_stride, xt, x_stride, k_len, yt + r, y_stride, accumulate);
        }
    }
    for (; t < n_tok; t++) {
        const float *xt = x + t * x_stride;
        float *yt = y + t * y_stride;
        for (int r = 0; r < rows4; r += 4) {
            gemm_4x1(w + r * w_stride, w_stride, xt, x_stride, k_len, yt + r, y_stride, accumulate);
        }
        for (int r = rows4; r < n_rows; r++) {
            gemm_1x1(w + r * w_stride, w_stride, xt, x_stride, k_len, yt + r, y_stride, accumulate);
        }
    }
}

const moe_kernels MOE_NEON_NAME(moe_kernels) = {
    .level = NEON_LEVEL,
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
    .gemm = gemm_neon,
};
