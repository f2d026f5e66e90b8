/*
 * q8_blocks.h - 8-bit activations as ggml's CPU backend makes them, and the reference arithmetic of the integer dot
 * products of every weight format with them. Included by the three q8_*.c level files; everything here is static inline.
 *
 * Which activation format a weight type uses (ggml's vec_dot_type):
 *   Q8_0 family, 32-element blocks: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, MXFP4. ggml pairs Q4_1/Q5_1 with Q8_1, whose
 *     quants and scale are the Q8_0 ones plus s = fp16(d * sum(q)); one row format carries both, so any of these seven
 *     weight types can use the same quantized activations.
 *   Q8_K family, 256-element super-blocks: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS,
 *     IQ3_S, IQ1_S, IQ1_M, TQ1_0, TQ2_0.
 *
 * Quantization (facts from ggml's x86 quantize_row_q8_0/q8_1 and quantize_row_q8_K_ref):
 *   Q8_0/Q8_1 block of 32: amax = max|x|, d = amax/127 (f32), stored as fp16(d) (round to nearest even);
 *     id = amax != 0 ? 127/amax : 0; q = round-half-even(x*id); s = fp16(d * sum(q)) with the f32 d.
 *   Q8_K super-block of 256: max = the first element of largest magnitude (with its sign); all zero -> d = 0, q = 0;
 *     iscale = -127/max; q = min(127, round-half-even(iscale*x)); d = 1/iscale kept in f32; bsums = sums of 16 quants.
 *
 * Row layouts (one token; the same for every level and for the Java reference dev.moe4j.internal.quant.ReferenceQ8).
 * Struct-of-arrays rather than ggml's interleaved blocks so that SIMD code loads quants and scales in whole vectors;
 * rows are padded to 64 bytes so that consecutive tokens start on cache lines. nb = blocks in the row.
 *   Q8_0 family: i8 qs[32*nb16] | f32 d[nb16] (fp16-rounded) | f32 s[nb16] (fp16-rounded) | i32 sum[nb16] (exact sum
 *     of q), nb16 = nb rounded up to a multiple of 16 with zeros in the extra blocks: SIMD code works on groups of 16
 *     blocks, and zero activations make the products of a partial group's missing blocks vanish.
 *   Q8_K family: i8 qs[256*nb] | f32 d[nb] | i16 bsums[16*nb]
 *
 * Dot products (the reference every level reproduces bit for bit): each weight block's integer sum is exact (int32),
 * then one f32 formula per block (below, per type, in ggml's scalar-reference form), and the block results are added
 * into 16 f32 lanes, block b into lane b % 16, each lane in block order; the 16 lanes are summed at the end in a fixed
 * tree (moe_q8_sum16). SIMD code computes 16 blocks' integer sums at once and scales them with the same f32 operations,
 * so every level returns the same float. It differs from ggml's SIMD code only in float summation order.
 *
 * The per-block formulas of the i-quant, ternary and MXFP4 formats (fp16(d) = the block's f16 scale, dx = the
 * activation block's d; the integer sums are moe_isum_* below, ggml's generic vec_dot sums):
 *   IQ2_XXS, IQ2_XS, IQ2_S: moe_q8_scaled(0.125f * fp16(d), dx, isum), isum = sum over sub-blocks of
 *     (2*ls + 1) * sum(grid * sign * q) (ls per 32 for IQ2_XXS, per 16 for IQ2_XS / IQ2_S);
 *   IQ3_XXS: moe_q8_scaled(0.25f * fp16(d), dx, isum), the same sum with ls per 32;
 *   IQ3_S: moe_q8_scaled(fp16(d), dx, isum), isum = sum of (2*s + 1) * sum(grid * sign * q) per 32;
 *   IQ1_S: moe_q8_scaled_iq1(fp16(d), dx, sumi, sumi1), sumi = sum of (2*s + 1) * sum(grid * q) per 32, sumi1 = sum of
 *     (2*s + 1) * (+-1) * (the sub-block's two bsums);
 *   IQ1_M: moe_q8_scaled_iq1(fp16(scale from the 4 scale words), dx, sumi1, sumi2), per half sub-block of 16:
 *     sumi1 += (2*s + 1) * sum(grid * q), sumi2 += (2*s + 1) * sum over its two points of (+-1) * sum(q of the point);
 *   TQ1_0, TQ2_0: moe_q8_scaled(fp16(d), dx, isum), isum = sum of (trit - 1) * q;
 *   MXFP4: moe_q8_scaled(e8m0_half(e), dx, isum), isum = sum of kvalues_mxfp4[code] * q.
 */
#ifndef MOE4J_Q8_BLOCKS_H
#define MOE4J_Q8_BLOCKS_H

#include <stdint.h>
#include <string.h>

#include "quant_blocks.h"

#define Q8S_BLOCK_BYTES 44  /* 32 quants + d + s + sum */
#define Q8K_BLOCK_BYTES 292 /* 256 quants + d + 16 bsums */

/* Blocks of a Q8_0-family row including the zero padding to a multiple of 16. */
static inline int64_t moe_q8s_padded_blocks(int64_t nb) {
    return (nb + 15) / 16 * 16;
}

/* Padded bytes of one token row of nb blocks (44 * 16 is a multiple of 64). */
static inline int64_t moe_q8s_row_bytes(int64_t nb) {
    return moe_q8s_padded_blocks(nb) * Q8S_BLOCK_BYTES;
}

static inline int64_t moe_q8k_row_bytes(int64_t nb) {
    return (nb * Q8K_BLOCK_BYTES + 63) / 64 * 64;
}

/* Views of one token row. */
typedef struct q8s_row {
    const int8_t *qs;
    const float *d, *s;
    const int32_t *sum;
} q8s_row;

typedef struct q8k_row {
    const int8_t *qs;
    const float *d;
    const int16_t *bsums;
} q8k_row;

static inline q8s_row moe_q8s_view(const uint8_t *row, int64_t nb) {
    const int64_t np = moe_q8s_padded_blocks(nb);
    q8s_row v;
    v.qs = (const int8_t *)row;
    v.d = (const float *)(row + 32 * np);
    v.s = (const float *)(row + 36 * np);
    v.sum = (const int32_t *)(row + 40 * np);
    return v;
}

/* Zeroes the padding blocks [nb, nb16) of a Q8_0-family row (every field). */
static inline void moe_q8s_zero_padding(uint8_t *row, int64_t nb) {
    const int64_t np = moe_q8s_padded_blocks(nb), extra = np - nb;
    if (extra > 0) {
        memset(row + 32 * nb, 0, (size_t)(32 * extra));
        memset(row + 32 * np + 4 * nb, 0, (size_t)(4 * extra));
        memset(row + 36 * np + 4 * nb, 0, (size_t)(4 * extra));
        memset(row + 40 * np + 4 * nb, 0, (size_t)(4 * extra));
    }
}

static inline q8k_row moe_q8k_view(const uint8_t *row, int64_t nb) {
    q8k_row v;
    v.qs = (const int8_t *)row;
    v.d = (const float *)(row + 256 * nb);
    v.bsums = (const int16_t *)(row + 260 * nb);
    return v;
}

/* ---- scalar conversions ------------------------------------------------------------------------------------------ */

/* binary32 -> binary16, round to nearest even, as F16C's vcvtps2ph with imm 0 (overflow -> inf, subnormal results
 * exact, NaN quieted with its sign and top payload bits). */
static inline uint16_t moe_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    const uint32_t ax = x & 0x7FFFFFFFu;
    if (ax >= 0x7F800000u) {
        return (uint16_t)(sign | 0x7C00u | (ax > 0x7F800000u ? 0x200u | ((ax >> 13) & 0x3FFu) : 0u));
    }
    if (ax >= 0x477FF000u) { /* >= 65520, the midpoint between 65504 and 2^16: rounds to infinity */
        return (uint16_t)(sign | 0x7C00u);
    }
    if (ax >= 0x38800000u) { /* >= 2^-14: a normal half; rebias the exponent, round the 13 dropped bits */
        uint32_t r = ax - 0x38000000u;
        r += 0x0FFFu + ((r >> 13) & 1u);
        return (uint16_t)(sign | (r >> 13));
    }
    /* a subnormal half (or zero): count units of 2^-24; the scaling is exact, the magic add rounds half to even */
    const float units = moe_bits_f32(ax) * 0x1p24f;
    const float rounded = (units + 0x1p23f) - 0x1p23f;
    return (uint16_t)(sign | (uint16_t)rounded);
}

/* round-half-even(v) for |v| < 2^22 (ggml's nearest_int): the add leaves the integer in the low mantissa bits. */
static inline int32_t moe_nearest_int(float v) {
    const float t = v + 12582912.0f; /* 1.5 * 2^23 */
    int32_t i;
    memcpy(&i, &t, 4);
    return (i & 0x007FFFFF) - 0x00400000;
}

/* The fixed summation of the 16 lanes: halves, quarters, pairs (what a 512-bit tree reduction does). */
static inline float moe_q8_sum16(const float *l) {
    float s8[8], s4[4];
    for (int i = 0; i < 8; i++) {
        s8[i] = l[i] + l[i + 8];
    }
    for (int i = 0; i < 4; i++) {
        s4[i] = s8[i] + s8[i + 4];
    }
    const float s2a = s4[0] + s4[2], s2b = s4[1] + s4[3];
    return s2a + s2b;
}

/* ---- per-block f32 formulas -------------------------------------------------------------------------------------
 * Used by every level (built with -ffp-contract=off, so never fused). D = dw * dx is the block's combined scale; the
 * result of block b goes into lane b % 16. */

/* c = D * isum (Q4_0, Q5_0, Q8_0, IQ4_NL) */
static inline float moe_q8_scaled(float dw, float dx, int32_t isum) {
    const float D = dw * dx;
    return D * (float)isum;
}

/* c = D * isum + m * s (Q4_1, Q5_1: ggml's (d*d8)*sumi + m*s8) */
static inline float moe_q8_scaled_min(float dw, float dx, int32_t isum, float mw, float s) {
    const float D = dw * dx;
    const float a = D * (float)isum;
    const float b = mw * s;
    return a + b;
}

/* c = (dw*dx) * isum - (dminw*dx) * summs (K-quants with mins; summs = 0 for the others) */
static inline float moe_q8_scaled_k(float dw, float dminw, float dx, int32_t isum, int32_t summs) {
    const float D = dw * dx, M = dminw * dx;
    const float a = D * (float)isum;
    const float b = M * (float)summs;
    return a - b;
}

/* c = (dw*dx) * (sumi + 0.125 * sumi1) (IQ1_S, IQ1_M: ggml's d * (sumi + IQ1_DELTA * sumi1), the delta term's sum
 * scaled in f32 and added to the converted integer sum) */
static inline float moe_q8_scaled_iq1(float dw, float dx, int32_t sumi, int32_t sumi1) {
    const float D = dw * dx;
    const float t = MOE_IQ1_DELTA * (float)sumi1;
    const float u = (float)sumi + t;
    return D * u;
}

/* ---- reference quantizers (one token row) ------------------------------------------------------------------------ */

static inline void moe_q8s_quantize_ref(const float *x, int64_t nb, uint8_t *row) {
    const int64_t np = moe_q8s_padded_blocks(nb);
    int8_t *qs = (int8_t *)row;
    float *d_out = (float *)(row + 32 * np), *s_out = (float *)(row + 36 * np);
    int32_t *sum_out = (int32_t *)(row + 40 * np);
    moe_q8s_zero_padding(row, nb);
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 32 * b;
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            const float a = xb[j] < 0 ? -xb[j] : xb[j];
            amax = a > amax ? a : amax;
        }
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int32_t sum = 0;
        for (int j = 0; j < 32; j++) {
            const int32_t q = moe_nearest_int(xb[j] * id);
            qs[32 * b + j] = (int8_t)q;
            sum += q;
        }
        d_out[b] = moe_f16_to_f32(moe_f32_to_f16(d));
        s_out[b] = moe_f16_to_f32(moe_f32_to_f16(d * (float)sum));
        sum_out[b] = sum;
    }
}

/* Zeroes the bytes after the last bsum up to the row's 64-byte multiple. */
static inline void moe_q8k_zero_padding(uint8_t *row, int64_t nb) {
    memset(row + Q8K_BLOCK_BYTES * nb, 0, (size_t)(moe_q8k_row_bytes(nb) - Q8K_BLOCK_BYTES * nb));
}

static inline void moe_q8k_quantize_ref(const float *x, int64_t nb, uint8_t *row) {
    moe_q8k_zero_padding(row, nb);
    int8_t *qs = (int8_t *)row;
    float *d_out = (float *)(row + 256 * nb);
    int16_t *bsums = (int16_t *)(row + 260 * nb);
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 256 * b;
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 256; j++) {
            const float a = xb[j] < 0 ? -xb[j] : xb[j];
            if (a > amax) {
                amax = a;
                max = xb[j];
            }
        }
        if (amax == 0.0f) {
            memset(qs + 256 * b, 0, 256);
            memset(bsums + 16 * b, 0, 32);
            d_out[b] = 0.0f;
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < 256; j++) {
            const int32_t q = moe_nearest_int(iscale * xb[j]);
            qs[256 * b + j] = (int8_t)(q < 127 ? q : 127);
        }
        for (int g = 0; g < 16; g++) {
            int32_t s = 0;
            for (int j = 0; j < 16; j++) {
                s += qs[256 * b + 16 * g + j];
            }
            bsums[16 * b + g] = (int16_t)s;
        }
        d_out[b] = 1.0f / iscale;
    }
}

/* ---- reference integer sums of one weight block with its activation quants -------------------------------------
 * q points at the block's activation quants (32 or 256). Values follow quant_blocks.h's decoders. */

static inline int32_t moe_isum_q4_0(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int j = 0; j < 16; j++) {
        s += ((b[2 + j] & 0x0F) - 8) * q[j] + ((b[2 + j] >> 4) - 8) * q[j + 16];
    }
    return s;
}

static inline int32_t moe_isum_q4_1(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int j = 0; j < 16; j++) {
        s += (b[4 + j] & 0x0F) * q[j] + (b[4 + j] >> 4) * q[j + 16];
    }
    return s;
}

/* The 5-bit values of a Q5_0/Q5_1 block (qh at b+qh_at, nibbles after it). */
static inline int32_t moe_isum_q5(const uint8_t *qs, uint32_t qh, const int8_t *q, int offset) {
    int32_t s = 0;
    for (int j = 0; j < 16; j++) {
        const int lo = (qs[j] & 0x0F) | (int)(((qh >> j) & 1u) << 4);
        const int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
        s += (lo - offset) * q[j] + (hi - offset) * q[j + 16];
    }
    return s;
}

static inline int32_t moe_isum_q8_0(const uint8_t *b, const int8_t *q) {
    const int8_t *w = (const int8_t *)(b + 2);
    int32_t s = 0;
    for (int j = 0; j < 32; j++) {
        s += w[j] * q[j];
    }
    return s;
}

static inline int32_t moe_isum_iq4_nl(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int j = 0; j < 16; j++) {
        s += moe_kvalues_iq4nl[b[2 + j] & 0x0F] * q[j] + moe_kvalues_iq4nl[b[2 + j] >> 4] * q[j + 16];
    }
    return s;
}

/* Q2_K: *isum = sum over the 16 sub-blocks of (scale & 15) * sum(q2 * x); *summs = sum of bsums[k] * (scale_k >> 4). */
static inline void moe_isum_q2_k(const uint8_t *b, const int8_t *q, const int16_t *bsums, int32_t *isum,
                                 int32_t *summs) {
    const uint8_t *sc = b;
    const uint8_t *qs = b + 16;
    int32_t s = 0, m = 0;
    for (int k = 0; k < 16; k++) {
        m += bsums[k] * (sc[k] >> 4);
    }
    int is = 0;
    for (int n = 0; n < 2; n++) {
        for (int j = 0; j < 4; j++) {
            for (int half = 0; half < 2; half++) {
                int32_t sub = 0;
                for (int l = 0; l < 16; l++) {
                    sub += ((qs[32 * n + 16 * half + l] >> (2 * j)) & 3) * q[16 * is + l];
                }
                s += (sc[is] & 0x0F) * sub;
                is++;
            }
        }
    }
    *isum = s;
    *summs = m;
}

static inline int32_t moe_isum_q3_k(const uint8_t *b, const int8_t *q) {
    const uint8_t *hm = b, *qs = b + 32;
    int sc[16];
    moe_q3_k_scales(b + 96, sc);
    int32_t s = 0;
    int is = 0;
    unsigned m = 1;
    for (int n = 0; n < 2; n++) {
        for (int j = 0; j < 4; j++) {
            for (int half = 0; half < 2; half++) {
                int32_t sub = 0;
                for (int l = 16 * half; l < 16 * half + 16; l++) {
                    const int v = ((qs[32 * n + l] >> (2 * j)) & 3) - ((hm[l] & m) ? 0 : 4);
                    sub += v * q[16 * is + l - 16 * half];
                }
                s += sc[is] * sub;
                is++;
            }
            m <<= 1;
        }
    }
    return s;
}

/* Q4_K / Q5_K: *isum = sum over the 8 sub-blocks of scale * sum(q * x); *summs = sum of bsums[k] * min_{k/2}. */
static inline void moe_isum_q45_k(const uint8_t *b, const int8_t *q, const int16_t *bsums, int five, int32_t *isum,
                                  int32_t *summs) {
    uint8_t sm[16];
    moe_scale_min_k4_all(b + 4, sm);
    const uint8_t *qh = b + 16;
    const uint8_t *qs = five ? b + 48 : b + 16;
    int32_t s = 0, m = 0;
    for (int k = 0; k < 16; k++) {
        m += bsums[k] * sm[8 + k / 2];
    }
    for (int c = 0; c < 4; c++) {
        int32_t lo = 0, hi = 0;
        for (int l = 0; l < 32; l++) {
            int vlo = qs[32 * c + l] & 0x0F, vhi = qs[32 * c + l] >> 4;
            if (five) {
                vlo += 16 * ((qh[l] >> (2 * c)) & 1);
                vhi += 16 * ((qh[l] >> (2 * c + 1)) & 1);
            }
            lo += vlo * q[64 * c + l];
            hi += vhi * q[64 * c + 32 + l];
        }
        s += sm[2 * c] * lo + sm[2 * c + 1] * hi;
    }
    *isum = s;
    *summs = m;
}

static inline int32_t moe_isum_q6_k(const uint8_t *b, const int8_t *q) {
    const int8_t *sc = (const int8_t *)(b + 192);
    int32_t s = 0;
    for (int n = 0; n < 2; n++) {
        const uint8_t *L = b + 64 * n, *H = b + 128 + 32 * n;
        const int8_t *qn = q + 128 * n;
        int32_t sub[8] = {0};
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            sub[is + 0] += (((L[l] & 0x0F) | (((H[l] >> 0) & 3) << 4)) - 32) * qn[l];
            sub[is + 2] += (((L[l + 32] & 0x0F) | (((H[l] >> 2) & 3) << 4)) - 32) * qn[l + 32];
            sub[is + 4] += (((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32) * qn[l + 64];
            sub[is + 6] += (((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32) * qn[l + 96];
        }
        for (int k = 0; k < 8; k++) {
            s += sc[8 * n + k] * sub[k];
        }
    }
    return s;
}

static inline int32_t moe_isum_iq4_xs(const uint8_t *b, const int8_t *q) {
    const unsigned scales_h = moe_rd_u16(b + 2);
    int32_t s = 0;
    for (int ib = 0; ib < 8; ib++) {
        const int ls = ((b[4 + ib / 2] >> (4 * (ib % 2))) & 0x0F) | (int)(((scales_h >> (2 * ib)) & 3) << 4);
        const uint8_t *qs = b + 8 + 16 * ib;
        int32_t sub = 0;
        for (int j = 0; j < 16; j++) {
            sub += moe_kvalues_iq4nl[qs[j] & 0x0F] * q[32 * ib + j] + moe_kvalues_iq4nl[qs[j] >> 4] * q[32 * ib + 16 + j];
        }
        s += (ls - 32) * sub;
    }
    return s;
}

/* ---- i-quant, ternary and MXFP4 integer sums (ggml's generic vec_dot sums; q = the block's 256 or 32 quants) --- */

/* sum over j < width of grid[j] * q[j] * (bit j of signs ? -1 : 1): one grid point against its activation quants. */
static inline int32_t moe_isum_signed_point(const uint8_t *grid, int width, unsigned signs, const int8_t *q) {
    int32_t s = 0;
    for (int j = 0; j < width; j++) {
        s += grid[j] * q[j] * ((signs & moe_kmask_iq2xs[j]) ? -1 : 1);
    }
    return s;
}

/* IQ2_XXS: sum over the 8 sub-blocks of (2*s + 1) * sum(grid * sign * q). */
static inline int32_t moe_isum_iq2_xxs(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int ib = 0; ib < 8; ib++) {
        const uint8_t *qs = b + 2 + 8 * ib;
        const uint32_t aux = moe_rd_u32(qs + 4);
        int32_t sub = 0;
        for (int l = 0; l < 4; l++) {
            sub += moe_isum_signed_point((const uint8_t *)(moe_iq2xxs_grid + qs[l]), 8,
                                         moe_ksigns_iq2xs[(aux >> (7 * l)) & 127], q + 32 * ib + 8 * l);
        }
        s += (int32_t)(2 * (aux >> 28) + 1) * sub;
    }
    return s;
}

/* IQ2_XS: per half sub-block (16 weights) (2*s + 1) * sum(grid * sign * q). */
static inline int32_t moe_isum_iq2_xs(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int ib = 0; ib < 8; ib++) {
        const unsigned sc = b[66 + ib];
        for (int h = 0; h < 2; h++) {
            int32_t sub = 0;
            for (int l = 2 * h; l < 2 * h + 2; l++) {
                const unsigned v = moe_rd_u16(b + 2 + 2 * (4 * ib + l));
                sub += moe_isum_signed_point((const uint8_t *)(moe_iq2xs_grid + (v & 511)), 8, moe_ksigns_iq2xs[v >> 9],
                                             q + 32 * ib + 8 * l);
            }
            s += (int32_t)(2 * ((sc >> (4 * h)) & 0x0F) + 1) * sub;
        }
    }
    return s;
}

/* IQ2_S: as IQ2_XS, with 10-bit indices and explicit sign bytes. */
static inline int32_t moe_isum_iq2_s(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int ib = 0; ib < 8; ib++) {
        const unsigned sc = b[74 + ib], qh = b[66 + ib];
        for (int h = 0; h < 2; h++) {
            int32_t sub = 0;
            for (int l = 2 * h; l < 2 * h + 2; l++) {
                const int k = 4 * ib + l;
                const unsigned point = b[2 + k] | (((qh >> (2 * l)) & 3u) << 8);
                sub += moe_isum_signed_point((const uint8_t *)(moe_iq2s_grid + point), 8, b[34 + k], q + 8 * k);
            }
            s += (int32_t)(2 * ((sc >> (4 * h)) & 0x0F) + 1) * sub;
        }
    }
    return s;
}

/* IQ3_XXS: sum over the 8 sub-blocks of (2*s + 1) * sum(grid * sign * q), 4-wide points. */
static inline int32_t moe_isum_iq3_xxs(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int ib = 0; ib < 8; ib++) {
        const uint32_t aux = moe_rd_u32(b + 66 + 4 * ib);
        const uint8_t *qs = b + 2 + 8 * ib;
        int32_t sub = 0;
        for (int l = 0; l < 4; l++) {
            const unsigned signs = moe_ksigns_iq2xs[(aux >> (7 * l)) & 127];
            const int8_t *ql = q + 32 * ib + 8 * l;
            sub += moe_isum_signed_point((const uint8_t *)(moe_iq3xxs_grid + qs[2 * l]), 4, signs, ql);
            sub += moe_isum_signed_point((const uint8_t *)(moe_iq3xxs_grid + qs[2 * l + 1]), 4, signs >> 4, ql + 4);
        }
        s += (int32_t)(2 * (aux >> 28) + 1) * sub;
    }
    return s;
}

/* IQ3_S: sum over the 8 sub-blocks of (2*s + 1) * sum(grid * sign * q). */
static inline int32_t moe_isum_iq3_s(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int ib = 0; ib < 8; ib++) {
        const unsigned sc = (b[106 + ib / 2] >> (4 * (ib % 2))) & 0x0F, qh = b[66 + ib];
        const uint8_t *qs = b + 2 + 8 * ib;
        int32_t sub = 0;
        for (int l = 0; l < 4; l++) {
            const unsigned p1 = qs[2 * l] | (((qh >> (2 * l)) & 1u) << 8);
            const unsigned p2 = qs[2 * l + 1] | (((qh >> (2 * l + 1)) & 1u) << 8);
            const unsigned signs = b[74 + 4 * ib + l];
            const int8_t *ql = q + 32 * ib + 8 * l;
            sub += moe_isum_signed_point((const uint8_t *)(moe_iq3s_grid + p1), 4, signs, ql);
            sub += moe_isum_signed_point((const uint8_t *)(moe_iq3s_grid + p2), 4, signs >> 4, ql + 4);
        }
        s += (int32_t)(2 * sc + 1) * sub;
    }
    return s;
}

/* sum over the 8 elements of one iq1s_grid point of grid[j] * q[j]. */
static inline int32_t moe_isum_iq1_point(unsigned point, const int8_t *q) {
    const int8_t *g = (const int8_t *)(moe_iq1s_grid + point);
    int32_t s = 0;
    for (int j = 0; j < 8; j++) {
        s += g[j] * q[j];
    }
    return s;
}

/* IQ1_S: *sumi = sum over sub-blocks of (2*s + 1) * sum(grid * q); *sumi1 = sum of (2*s + 1) * (+-1) * (bsums[2ib] +
 * bsums[2ib + 1]), the delta's sign from bit 15 of qh[ib]. */
static inline void moe_isum_iq1_s(const uint8_t *b, const int8_t *q, const int16_t *bsums, int32_t *sumi,
                                  int32_t *sumi1) {
    int32_t s = 0, s1 = 0;
    for (int ib = 0; ib < 8; ib++) {
        const unsigned qh = moe_rd_u16(b + 34 + 2 * ib);
        const int32_t ls = (int32_t)(2 * ((qh >> 12) & 7) + 1);
        int32_t sub = 0;
        for (int l = 0; l < 4; l++) {
            sub += moe_isum_iq1_point(b[2 + 4 * ib + l] | (((qh >> (3 * l)) & 7u) << 8), q + 32 * ib + 8 * l);
        }
        s += ls * sub;
        const int32_t pair = bsums[2 * ib] + bsums[2 * ib + 1];
        s1 += (qh & 0x8000) ? -ls * pair : ls * pair;
    }
    *sumi = s;
    *sumi1 = s1;
}

/* IQ1_M: per half sub-block of 16 with scale (2*s + 1): *sumi1 += scale * sum(grid * q), *sumi2 += scale * sum over
 * its two points of (+-1) * sum(q of the point), the sign from bit 3 of the point's qh nibble. */
static inline void moe_isum_iq1_m(const uint8_t *b, const int8_t *q, int32_t *sumi1, int32_t *sumi2) {
    int32_t s1 = 0, s2 = 0;
    for (int ib = 0; ib < 8; ib++) {
        for (int h = 0; h < 2; h++) {
            const int32_t ls = 2 * moe_iq1_m_sub_scale(b, ib, h) + 1;
            int32_t grid_sum = 0, delta_sum = 0;
            for (int l = 2 * h; l < 2 * h + 2; l++) {
                const int k = 4 * ib + l;
                const unsigned nib = (b[32 + k / 2] >> (4 * (k % 2))) & 0x0F;
                const int8_t *qk = q + 8 * k;
                grid_sum += moe_isum_iq1_point(b[k] | ((nib & 7u) << 8), qk);
                int32_t qsum = 0;
                for (int j = 0; j < 8; j++) {
                    qsum += qk[j];
                }
                delta_sum += (nib & 8) ? -qsum : qsum;
            }
            s1 += ls * grid_sum;
            s2 += ls * delta_sum;
        }
    }
    *sumi1 = s1;
    *sumi2 = s2;
}

/* TQ1_0: sum of (trit - 1) * q in the element order of moe_dq_tq1_0. */
static inline int32_t moe_isum_tq1_0(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int n = 0; n < 5; n++) {
        for (int m = 0; m < 32; m++) {
            s += (moe_tq1_trit(b[m], n) - 1) * q[32 * n + m];
        }
        for (int m = 0; m < 16; m++) {
            s += (moe_tq1_trit(b[32 + m], n) - 1) * q[160 + 16 * n + m];
        }
    }
    for (int n = 0; n < 4; n++) {
        for (int m = 0; m < 4; m++) {
            s += (moe_tq1_trit(b[48 + m], n) - 1) * q[240 + 4 * n + m];
        }
    }
    return s;
}

/* TQ2_0: sum of (code - 1) * q in the element order of moe_dq_tq2_0. */
static inline int32_t moe_isum_tq2_0(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int j = 0; j < 2; j++) {
        for (int l = 0; l < 4; l++) {
            for (int m = 0; m < 32; m++) {
                s += (((b[32 * j + m] >> (2 * l)) & 3) - 1) * q[128 * j + 32 * l + m];
            }
        }
    }
    return s;
}

/* MXFP4: sum of kvalues_mxfp4[code] * q, Q4_0's nibble order. */
static inline int32_t moe_isum_mxfp4(const uint8_t *b, const int8_t *q) {
    int32_t s = 0;
    for (int j = 0; j < 16; j++) {
        s += moe_kvalues_mxfp4[b[1 + j] & 0x0F] * q[j] + moe_kvalues_mxfp4[b[1 + j] >> 4] * q[j + 16];
    }
    return s;
}

#endif /* MOE4J_Q8_BLOCKS_H */
