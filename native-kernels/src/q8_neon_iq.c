/*
 * q8_neon_iq.c - the AArch64 NEON levels of the 8-bit-activation products of the i-quant grid formats (IQ2_XXS,
 * IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M) and the ternary formats (TQ1_0, TQ2_0), bit-identical to q8_scalar.c.
 * Compiled once per NEON level (neon_level.h, CMakeLists.txt).
 *
 * Each weight block is decoded ONCE into 16 vectors of 16 signed bytes (its 256 weights without the f16 scale, in
 * element order) and the sub-block scales 2s + 1 as int32 vectors, then reused by every token (n_tok <= 8):
 *   - grid formats: points are loaded by index from quant_tables.h's grids (two 8-byte points, or four 4-byte points,
 *     make one vector, as llama.cpp's NEON code builds them) and signed either by multiplying with a +-1 byte vector
 *     (moe_ksigns64_iq2xs, for the 7-bit sign indices of IQ2_XXS / IQ2_XS / IQ3_XXS) or by a conditional negation
 *     under a bit-test mask (the explicit sign bytes of IQ2_S / IQ3_S);
 *   - IQ1_S / IQ1_M: the -1/0/1 grid points as they are; IQ1_S's delta term comes from the activations' bsums, IQ1_M's
 *     from a second set of +-1 vectors (the delta's sign per 8-weight point) dotted with the activations;
 *   - TQ2_0: 2-bit fields by shift and mask; TQ1_0: the base-3 digits exactly as moe_tq1_trit reads them (multiply by
 *     3^n mod 256, then (y * 3) >> 8 computed as ((y + (y >> 1)) / 2) >> 6 with a halving add that cannot overflow).
 *
 * Per token, each 16-weight group's exact dot product with the activations is an int32x4 (SDOT with dotprod; without
 * it SMULL/SMULL2 to 16 bits, |w| <= 62 and |x| <= 127 so a product fits, then pairwise-accumulated to 32 bits). The
 * groups' vectors are reduced four at a time to one lane per group (two pairwise adds), multiplied by the scales and
 * summed: the same integer as the scalar level's moe_isum_* (integer sums are exact in any order, and nothing
 * overflows int32: |isum| <= 62 * 31 * 127 * 256 < 2^26). The f32 part is the scalar level's: q8_blocks.h's per-block
 * formula with the same operands, block b added to lane b % 16 of the token's lanes, moe_q8_sum16 at the end. The
 * i8mm level uses the dotprod code (SMMLA would pair two rows or tokens; not done here).
 */
#include <arm_neon.h>

#include "internal.h"
#include "q8_blocks.h"
#include "q8_neon.h"
#include "quant_tables.h"

#define INLINE static inline __attribute__((always_inline))

/* ---- integer helpers --------------------------------------------------------------------------------------------- */

/* acc + the products of a and b, four consecutive bytes' products summed into each 32-bit lane (the lane split differs
 * between the two paths; only the total matters). */
INLINE int32x4_t dot16(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
    return vpadalq_s16(acc, vmull_high_s8(a, b));
#endif
}

/* {sum of a, sum of b, sum of c, sum of d}: two rounds of pairwise adds. */
INLINE int32x4_t hsum4(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
    return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
}

/* sum over the 16 groups g of 16 weights of ls[g] * dot(w[g], q[16g..]): scales per 16 (ls holds 16 int32). */
INLINE int32_t isum_per16(const int8x16_t *w, const int32x4_t *ls, const int8_t *q) {
    const int32x4_t z = vdupq_n_s32(0);
    int32x4_t acc = z;
    for (int j = 0; j < 4; j++) {
        int32x4_t s[4];
        for (int i = 0; i < 4; i++) {
            s[i] = dot16(z, w[4 * j + i], vld1q_s8(q + 64 * j + 16 * i));
        }
        acc = vmlaq_s32(acc, hsum4(s[0], s[1], s[2], s[3]), ls[j]);
    }
    return vaddvq_s32(acc);
}

/* sum over the 8 sub-blocks i of 32 weights of ls[i] * dot(w[2i..2i+1], q[32i..]): scales per 32 (ls holds 8). */
INLINE int32_t isum_per32(const int8x16_t *w, const int32x4_t *ls, const int8_t *q) {
    const int32x4_t z = vdupq_n_s32(0);
    int32x4_t acc = z;
    for (int j = 0; j < 2; j++) {
        int32x4_t s[4];
        for (int i = 0; i < 4; i++) {
            const int k = 4 * j + i;
            s[i] = dot16(dot16(z, w[2 * k], vld1q_s8(q + 32 * k)), w[2 * k + 1], vld1q_s8(q + 32 * k + 16));
        }
        acc = vmlaq_s32(acc, hsum4(s[0], s[1], s[2], s[3]), ls[j]);
    }
    return vaddvq_s32(acc);
}

/* sum of w * q over the 256 weights (the ternary formats: no sub-block scales). */
INLINE int32_t isum_unit(const int8x16_t *w, const int8_t *q) {
    int32x4_t acc0 = vdupq_n_s32(0), acc1 = acc0;
    for (int g = 0; g < 16; g += 2) { /* two chains, so consecutive dots need not wait for each other */
        acc0 = dot16(acc0, w[g], vld1q_s8(q + 16 * g));
        acc1 = dot16(acc1, w[g + 1], vld1q_s8(q + 16 * g + 16));
    }
    return vaddvq_s32(vaddq_s32(acc0, acc1));
}

/* ---- decoding helpers -------------------------------------------------------------------------------------------- */

/* Two 8-byte grid points side by side (grid bytes are unsigned magnitudes < 64, or IQ1's -1/0/1 bytes). */
INLINE int8x16_t grid8x2(uint64_t a, uint64_t b) {
    return vcombine_s8(vcreate_s8(a), vcreate_s8(b));
}

/* Four 4-byte grid points side by side. */
INLINE int8x16_t grid4x4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    return vcombine_s8(vcreate_s8(a | (uint64_t)b << 32), vcreate_s8(c | (uint64_t)d << 32));
}

/* The +-1 factors of two 7-bit sign indices (ksigns_iq2xs, bytes 0..7 then 8..15). */
INLINE int8x16_t ksigns2(unsigned i0, unsigned i1) {
    return grid8x2(moe_ksigns64_iq2xs[i0], moe_ksigns64_iq2xs[i1]);
}

/* w with byte j negated where bit j % 8 of sign byte s0 (j < 8) or s1 (j >= 8) is set: the bit test gives an all-ones
 * mask m, and (w ^ m) - m is -w under it (two's complement) and w elsewhere. */
INLINE int8x16_t apply_sign_bits(int8x16_t w, unsigned s0, unsigned s1) {
    static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t s = vcombine_u8(vdup_n_u8((uint8_t)s0), vdup_n_u8((uint8_t)s1));
    const int8x16_t m = vreinterpretq_s8_u8(vtstq_u8(s, vld1q_u8(bits)));
    return vsubq_s8(veorq_s8(w, m), m);
}

/* A decoded weight block: w[g] holds weights 16g..16g+15 (signed, without the f16 scale); ls the sub-block scales
 * 2s + 1 (16 of them per 16 weights, or the first 8 per 32 weights); e (IQ1_M only) the delta's +-1 per weight; sls
 * (IQ1_S only) the 8 scales with the delta's sign. */
typedef struct iq_block {
    int8x16_t w[16];
    int8x16_t e[16];
    int32x4_t ls[4];
    int32x4_t sls[2];
} iq_block;

/* ---- per-format decoders ----------------------------------------------------------------------------------------- */

/* IQ2_XXS {f16 d; u16 qs[32]}: per 32 weights 4 index bytes into iq2xxs_grid, then a word of 4 seven-bit sign indices
 * and the scale in bits 28..31. */
INLINE void dec_iq2_xxs(const uint8_t *b, iq_block *k) {
    int32_t ls[8];
    for (int ib = 0; ib < 8; ib++) {
        const uint8_t *qs = b + 2 + 8 * ib;
        const uint32_t aux = moe_rd_u32(qs + 4);
        for (int h = 0; h < 2; h++) {
            const int l = 2 * h;
            k->w[2 * ib + h] = vmulq_s8(grid8x2(moe_iq2xxs_grid[qs[l]], moe_iq2xxs_grid[qs[l + 1]]),
                                        ksigns2((aux >> (7 * l)) & 127, (aux >> (7 * l + 7)) & 127));
        }
        ls[ib] = (int32_t)(2 * (aux >> 28) + 1);
    }
    k->ls[0] = vld1q_s32(ls);
    k->ls[1] = vld1q_s32(ls + 4);
}

/* IQ2_XS {f16 d; u16 qs[32]; u8 scales[8]}: each word a 9-bit iq2xs_grid index and a 7-bit sign index; 4-bit scales
 * per 16 weights (low nibble first). */
INLINE void dec_iq2_xs(const uint8_t *b, iq_block *k) {
    int32_t ls[16];
    for (int g = 0; g < 16; g++) {
        const unsigned v0 = moe_rd_u16(b + 4 * g + 2), v1 = moe_rd_u16(b + 4 * g + 4);
        k->w[g] = vmulq_s8(grid8x2(moe_iq2xs_grid[v0 & 511], moe_iq2xs_grid[v1 & 511]), ksigns2(v0 >> 9, v1 >> 9));
        ls[g] = (int32_t)(2 * ((b[66 + g / 2] >> (4 * (g % 2))) & 0x0F) + 1);
    }
    for (int j = 0; j < 4; j++) {
        k->ls[j] = vld1q_s32(ls + 4 * j);
    }
}

/* IQ2_S {f16 d; u8 qs[32]; u8 signs[32]; u8 qh[8]; u8 scales[8]}: point p = qs[p] with bits 2l..2l+1 of qh[p / 4]
 * (l = p % 4) as bits 8..9 into iq2s_grid; signs[p] its 8 sign bits; scales as IQ2_XS. */
INLINE void dec_iq2_s(const uint8_t *b, iq_block *k) {
    int32_t ls[16];
    for (int g = 0; g < 16; g++) {
        const int p = 2 * g; /* the group's first point; the second is p + 1, both of sub-block g / 2 */
        const unsigned qh = b[66 + g / 2] >> (4 * (g % 2));
        const unsigned i0 = b[2 + p] | ((qh & 3u) << 8), i1 = b[3 + p] | (((qh >> 2) & 3u) << 8);
        k->w[g] = apply_sign_bits(grid8x2(moe_iq2s_grid[i0], moe_iq2s_grid[i1]), b[34 + p], b[35 + p]);
        ls[g] = (int32_t)(2 * ((b[74 + g / 2] >> (4 * (g % 2))) & 0x0F) + 1);
    }
    for (int j = 0; j < 4; j++) {
        k->ls[j] = vld1q_s32(ls + 4 * j);
    }
}

/* IQ3_XXS {f16 d; u8 qs[64]; u32 scales_and_signs[8]}: per 32 weights 8 indices of 4-wide iq3xxs_grid points, then a
 * word of 4 seven-bit sign indices (one per 8 weights) and the scale in bits 28..31. */
INLINE void dec_iq3_xxs(const uint8_t *b, iq_block *k) {
    int32_t ls[8];
    for (int ib = 0; ib < 8; ib++) {
        const uint8_t *qs = b + 2 + 8 * ib;
        const uint32_t aux = moe_rd_u32(b + 66 + 4 * ib);
        for (int h = 0; h < 2; h++) {
            const uint8_t *q4 = qs + 4 * h;
            const int l = 2 * h;
            k->w[2 * ib + h] = vmulq_s8(grid4x4(moe_iq3xxs_grid[q4[0]], moe_iq3xxs_grid[q4[1]],
                                                moe_iq3xxs_grid[q4[2]], moe_iq3xxs_grid[q4[3]]),
                                        ksigns2((aux >> (7 * l)) & 127, (aux >> (7 * l + 7)) & 127));
        }
        ls[ib] = (int32_t)(2 * (aux >> 28) + 1);
    }
    k->ls[0] = vld1q_s32(ls);
    k->ls[1] = vld1q_s32(ls + 4);
}

/* IQ3_S {f16 d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4]}: 4-wide point j of sub-block ib is qs[8ib + j] with
 * bit j of qh[ib] as bit 8 into iq3s_grid; one sign bit per weight in order; a 4-bit scale per 32 (low nibble
 * first). */
INLINE void dec_iq3_s(const uint8_t *b, iq_block *k) {
    int32_t ls[8];
    for (int ib = 0; ib < 8; ib++) {
        const uint8_t *qs = b + 2 + 8 * ib;
        const unsigned qh = b[66 + ib];
        for (int h = 0; h < 2; h++) {
            const int j = 4 * h;
            const int8x16_t g = grid4x4(moe_iq3s_grid[qs[j] | (((qh >> j) & 1u) << 8)],
                                        moe_iq3s_grid[qs[j + 1] | (((qh >> (j + 1)) & 1u) << 8)],
                                        moe_iq3s_grid[qs[j + 2] | (((qh >> (j + 2)) & 1u) << 8)],
                                        moe_iq3s_grid[qs[j + 3] | (((qh >> (j + 3)) & 1u) << 8)]);
            k->w[2 * ib + h] = apply_sign_bits(g, b[74 + 4 * ib + 2 * h], b[75 + 4 * ib + 2 * h]);
        }
        ls[ib] = (int32_t)(2 * ((b[106 + ib / 2] >> (4 * (ib % 2))) & 0x0F) + 1);
    }
    k->ls[0] = vld1q_s32(ls);
    k->ls[1] = vld1q_s32(ls + 4);
}

/* IQ1_S {f16 d; u8 qs[32]; u16 qh[8]}: point l of sub-block ib is qs[4ib + l] with bits 3l..3l+2 of qh[ib] as bits
 * 8..10 into iq1s_grid; the scale in bits 12..14, the delta's sign in bit 15. */
INLINE void dec_iq1_s(const uint8_t *b, iq_block *k) {
    int32_t ls[8], sls[8];
    for (int ib = 0; ib < 8; ib++) {
        const unsigned qh = moe_rd_u16(b + 34 + 2 * ib);
        const uint8_t *qs = b + 2 + 4 * ib;
        for (int h = 0; h < 2; h++) {
            const int l = 2 * h;
            k->w[2 * ib + h] = grid8x2(moe_iq1s_grid[qs[l] | (((qh >> (3 * l)) & 7u) << 8)],
                                       moe_iq1s_grid[qs[l + 1] | (((qh >> (3 * l + 3)) & 7u) << 8)]);
        }
        ls[ib] = (int32_t)(2 * ((qh >> 12) & 7) + 1);
        sls[ib] = (qh & 0x8000) ? -ls[ib] : ls[ib];
    }
    k->ls[0] = vld1q_s32(ls);
    k->ls[1] = vld1q_s32(ls + 4);
    k->sls[0] = vld1q_s32(sls);
    k->sls[1] = vld1q_s32(sls + 4);
}

/* IQ1_M {u8 qs[32]; u8 qh[16]; u16 scales[4]}: nibble p of qh (byte p / 2, low first) holds point p's index bits
 * 8..10 above qs[p] and in bit 3 its delta's sign; a 3-bit scale per 16 weights (moe_iq1_m_sub_scale). */
INLINE void dec_iq1_m(const uint8_t *b, iq_block *k) {
    int32_t ls[16];
    for (int g = 0; g < 16; g++) {
        const unsigned nib = b[32 + g]; /* group g = points 2g (low nibble) and 2g + 1 (high nibble) */
        k->w[g] = grid8x2(moe_iq1s_grid[b[2 * g] | ((nib & 7u) << 8)],
                          moe_iq1s_grid[b[2 * g + 1] | (((nib >> 4) & 7u) << 8)]);
        k->e[g] = vcombine_s8(vdup_n_s8((nib & 0x08) ? -1 : 1), vdup_n_s8((nib & 0x80) ? -1 : 1));
        ls[g] = 2 * moe_iq1_m_sub_scale(b, g / 2, g % 2) + 1;
    }
    for (int j = 0; j < 4; j++) {
        k->ls[j] = vld1q_s32(ls + 4 * j);
    }
}

/* TQ2_0 {u8 qs[64]; f16 d}: weight 128n + 32l + m is bits 2l..2l+1 of qs[32n + m], minus 1. */
INLINE void dec_tq2_0(const uint8_t *b, iq_block *k) {
    const uint8x16_t three = vdupq_n_u8(3);
    const int8x16_t one = vdupq_n_s8(1);
    for (int n = 0; n < 2; n++) {
        const uint8x16_t x0 = vld1q_u8(b + 32 * n), x1 = vld1q_u8(b + 32 * n + 16);
        for (int l = 0; l < 4; l++) {
            const int8x16_t sh = vdupq_n_s8((int8_t)(-2 * l)); /* a negative USHL count shifts right */
            k->w[8 * n + 2 * l] = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(vshlq_u8(x0, sh), three)), one);
            k->w[8 * n + 2 * l + 1] = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(vshlq_u8(x1, sh), three)), one);
        }
    }
}

/* moe_tq1_trit's digit minus 1 of bytes already multiplied by 3^n mod 256: (y * 3) >> 8 = floor(3y / 256), computed
 * as ((y + (y >> 1)) >> 1) >> 6 (floor of floors of exact quotients), the first add halving in wider precision. */
INLINE int8x16_t tq1_digits(uint8x16_t y) {
    const uint8x16_t t = vshrq_n_u8(vhaddq_u8(y, vshrq_n_u8(y, 1)), 6);
    return vsubq_s8(vreinterpretq_s8_u8(t), vdupq_n_s8(1));
}

/* TQ1_0 {u8 qs[48]; u8 qh[4]; f16 d}: trit n of qs byte m < 32 is weight 32n + m, of qs byte 32 + m weight
 * 160 + 16n + m, of qh byte m (n < 4) weight 240 + 4n + m; each minus 1. */
INLINE void dec_tq1_0(const uint8_t *b, iq_block *k) {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    static const uint8_t pow3_qh[16] = {1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27};
    const uint8x16_t x0 = vld1q_u8(b), x1 = vld1q_u8(b + 16), x2 = vld1q_u8(b + 32);
    for (int n = 0; n < 5; n++) {
        const uint8x16_t p = vdupq_n_u8(pow3[n]);
        k->w[2 * n] = tq1_digits(vmulq_u8(x0, p));
        k->w[2 * n + 1] = tq1_digits(vmulq_u8(x1, p));
        k->w[10 + n] = tq1_digits(vmulq_u8(x2, p));
    }
    /* the 4 qh bytes repeated 4 times, lane 4n + m = byte m times 3^n */
    const uint8x16_t h = vreinterpretq_u8_u32(vdupq_n_u32(moe_rd_u32(b + 48)));
    k->w[15] = tq1_digits(vmulq_u8(h, vld1q_u8(pow3_qh)));
}

/* ---- the products ------------------------------------------------------------------------------------------------ */

enum { F_IQ2_XXS, F_IQ2_XS, F_IQ2_S, F_IQ3_XXS, F_IQ3_S, F_IQ1_S, F_IQ1_M, F_TQ1_0, F_TQ2_0 };

/* Rows r < n_rows of format fmt (a constant: every switch below folds) against n_tok tokens. Row by row, block by
 * block: decode the block once, then for each token its exact integer sum(s) and the scalar level's f32 formula into
 * lane b % 16 of that token's lanes (tokens' lanes kept apart, so each token's float is the scalar level's). */
INLINE void iq_rows(const int fmt, const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t nb, const uint8_t *xq,
                    int64_t xs, int n_tok, float *out, int64_t os) {
    int64_t bytes = 0;
    switch (fmt) {
    case F_IQ2_XXS: bytes = BYTES_IQ2_XXS; break;
    case F_IQ2_XS: bytes = BYTES_IQ2_XS; break;
    case F_IQ2_S: bytes = BYTES_IQ2_S; break;
    case F_IQ3_XXS: bytes = BYTES_IQ3_XXS; break;
    case F_IQ3_S: bytes = BYTES_IQ3_S; break;
    case F_IQ1_S: bytes = BYTES_IQ1_S; break;
    case F_IQ1_M: bytes = BYTES_IQ1_M; break;
    case F_TQ1_0: bytes = BYTES_TQ1_0; break;
    case F_TQ2_0: bytes = BYTES_TQ2_0; break;
    }
    q8k_row v[Q8_NEON_DOT_MAX];
    for (int t = 0; t < n_tok; t++) {
        v[t] = moe_q8k_view(xq + t * xs, nb);
    }
    for (int64_t r = 0; r < n_rows; r++) {
        float lanes[Q8_NEON_DOT_MAX][16];
        for (int t = 0; t < n_tok; t++) { /* +0 lanes for the tokens in use only */
            memset(lanes[t], 0, sizeof lanes[t]);
        }
        for (int64_t b = 0; b < nb; b++) {
            const uint8_t *blk = w + r * row_bytes + b * bytes;
            iq_block k;
            float dw = 0.0f; /* the weight factor of the block's formula, the scalar level's expression */
            switch (fmt) {
            case F_IQ2_XXS: dec_iq2_xxs(blk, &k); dw = 0.125f * moe_rd_f16(blk); break;
            case F_IQ2_XS: dec_iq2_xs(blk, &k); dw = 0.125f * moe_rd_f16(blk); break;
            case F_IQ2_S: dec_iq2_s(blk, &k); dw = 0.125f * moe_rd_f16(blk); break;
            case F_IQ3_XXS: dec_iq3_xxs(blk, &k); dw = 0.25f * moe_rd_f16(blk); break;
            case F_IQ3_S: dec_iq3_s(blk, &k); dw = 1.0f * moe_rd_f16(blk); break;
            case F_IQ1_S: dec_iq1_s(blk, &k); dw = moe_rd_f16(blk); break;
            case F_IQ1_M: dec_iq1_m(blk, &k); dw = moe_iq1_m_scale(blk); break;
            case F_TQ1_0: dec_tq1_0(blk, &k); dw = 1.0f * moe_rd_f16(blk + 52); break;
            case F_TQ2_0: dec_tq2_0(blk, &k); dw = 1.0f * moe_rd_f16(blk + 64); break;
            }
            for (int t = 0; t < n_tok; t++) {
                const int8_t *q = v[t].qs + 256 * b;
                float c = 0.0f;
                switch (fmt) {
                case F_IQ2_XXS:
                case F_IQ3_XXS:
                case F_IQ3_S: c = moe_q8_scaled(dw, v[t].d[b], isum_per32(k.w, k.ls, q)); break;
                case F_IQ2_XS:
                case F_IQ2_S: c = moe_q8_scaled(dw, v[t].d[b], isum_per16(k.w, k.ls, q)); break;
                case F_TQ1_0:
                case F_TQ2_0: c = moe_q8_scaled(dw, v[t].d[b], isum_unit(k.w, q)); break;
                case F_IQ1_S: {
                    /* the delta term: sub-block ib's two bsums (pairwise-added to 32 bits) times its signed scale */
                    const int16_t *bs = v[t].bsums + 16 * b;
                    const int32x4_t p = vmulq_s32(vpaddlq_s16(vld1q_s16(bs)), k.sls[0]);
                    const int32_t sumi1 = vaddvq_s32(vmlaq_s32(p, vpaddlq_s16(vld1q_s16(bs + 8)), k.sls[1]));
                    c = moe_q8_scaled_iq1(dw, v[t].d[b], isum_per32(k.w, k.ls, q), sumi1);
                    break;
                }
                case F_IQ1_M:
                    c = moe_q8_scaled_iq1(dw, v[t].d[b], isum_per16(k.w, k.ls, q), isum_per16(k.e, k.ls, q));
                    break;
                }
                lanes[t][b & 15] += c;
            }
        }
        for (int t = 0; t < n_tok; t++) {
            out[t * os + r] = moe_q8_sum16(lanes[t]);
        }
    }
}

#define DEFINE_IQ_PRODUCT(suffix, fmt)                                                                                 \
    Q8_NEON_DECLARE(suffix) {                                                                                          \
        iq_rows(fmt, w, row_bytes, n_rows, nb, xq, xs, n_tok, out, os);                                                \
    }

DEFINE_IQ_PRODUCT(iq2_xxs, F_IQ2_XXS)
DEFINE_IQ_PRODUCT(iq2_xs, F_IQ2_XS)
DEFINE_IQ_PRODUCT(iq2_s, F_IQ2_S)
DEFINE_IQ_PRODUCT(iq3_xxs, F_IQ3_XXS)
DEFINE_IQ_PRODUCT(iq3_s, F_IQ3_S)
DEFINE_IQ_PRODUCT(iq1_s, F_IQ1_S)
DEFINE_IQ_PRODUCT(iq1_m, F_IQ1_M)
DEFINE_IQ_PRODUCT(tq1_0, F_TQ1_0)
DEFINE_IQ_PRODUCT(tq2_0, F_TQ2_0)
