/*
 * quant_blocks.h - plain C decoders of one block of every supported weight type, following
 * shared/spec/quant-formats.md (plus Q4_1/Q5_0/Q5_1, which that file omits; their layouts are given below), and of the
 * i-quant, ternary and MXFP4 formats, whose definitions are ggml's dequantize_row_* (layouts below; their tables are in
 * quant_tables.h). The i-quant decoders are the Java reference's (dev.moe4j.internal.quant.ReferenceIQuant), operation
 * for operation, and that reference equals gguf-py's decoding bit for bit.
 *
 * These are the reference definition of every dequantized value: each formula is evaluated in f32 in the order written,
 * with one rounding per operation and no fused multiply-add (the kernel objects are built with -ffp-contract=off).
 * The scalar level uses these functions directly; the SIMD levels decode in registers and must reproduce these exact
 * values (test/selftest.c compares them bit for bit). The scale-unpacking helpers are shared by all levels.
 *
 * Included by the three kernel files; everything here is static inline.
 */
#ifndef MOE4J_QUANT_BLOCKS_H
#define MOE4J_QUANT_BLOCKS_H

#include <stdint.h>
#include <string.h>

#include "quant_tables.h"

/* Block sizes in bytes (elements: 32 for the small blocks and MXFP4, 256 = QK_K for K-quants, IQ4_XS, the lattice
 * i-quants and the ternary TQ formats). */
#define QK_SMALL 32
#define QK_K 256
#define BYTES_Q4_0 18
#define BYTES_Q4_1 20
#define BYTES_Q5_0 22
#define BYTES_Q5_1 24
#define BYTES_Q8_0 34
#define BYTES_Q2_K 84
#define BYTES_Q3_K 110
#define BYTES_Q4_K 144
#define BYTES_Q5_K 176
#define BYTES_Q6_K 210
#define BYTES_IQ4_NL 18
#define BYTES_IQ4_XS 136
#define BYTES_IQ2_XXS 66
#define BYTES_IQ2_XS 74
#define BYTES_IQ2_S 82
#define BYTES_IQ3_XXS 98
#define BYTES_IQ3_S 110
#define BYTES_IQ1_S 50
#define BYTES_IQ1_M 56
#define BYTES_TQ1_0 54
#define BYTES_TQ2_0 66
#define BYTES_MXFP4 17

/* The non-linear 4-bit code book of IQ4_NL / IQ4_XS. */
static const int8_t moe_kvalues_iq4nl[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                             1,    13,   25,  38,  53,  69,  89,  113};

static inline uint16_t moe_rd_u16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2); /* x86-64 only: little-endian like GGUF */
    return v;
}

static inline uint32_t moe_rd_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline float moe_bits_f32(uint32_t b) {
    float f;
    memcpy(&f, &b, 4);
    return f;
}

/* IEEE binary16 -> binary32, exact for every input: subnormals are normalized, inf stays inf, and a NaN keeps its sign
 * and payload with the quiet bit set (what the F16C instruction vcvtph2ps does, so all levels agree bit for bit). */
static inline float moe_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1Fu;
    uint32_t man = h & 0x3FFu;
    if (exp == 0x1F) {
        return moe_bits_f32(sign | 0x7F800000u | (man << 13) | (man ? 0x00400000u : 0));
    }
    if (exp == 0) {
        if (man == 0) {
            return moe_bits_f32(sign);
        }
        /* subnormal: man * 2^-24 is exact in f32 */
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    return moe_bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

/* bfloat16 -> binary32: the 16 bits are the top half of the f32. */
static inline float moe_bf16_to_f32(uint16_t h) {
    return moe_bits_f32((uint32_t)h << 16);
}

static inline float moe_rd_f16(const uint8_t *p) {
    return moe_f16_to_f32(moe_rd_u16(p));
}

/* ---- 32-element blocks --------------------------------------------------------------------------------------------- */

/* Q4_0 {f16 d; u8 qs[16]}: x[j] = d*((qs[j]&15)-8), x[j+16] = d*((qs[j]>>4)-8). */
static inline void moe_dq_q4_0(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)((qs[j] & 0x0F) - 8);
        y[j + 16] = d * (float)((qs[j] >> 4) - 8);
    }
}

/* Q4_1 {f16 d; f16 m; u8 qs[16]}: x = d*q + m, same nibble order as Q4_0. */
static inline void moe_dq_q4_1(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const float m = moe_rd_f16(b + 2);
    const uint8_t *qs = b + 4;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)(qs[j] & 0x0F) + m;
        y[j + 16] = d * (float)(qs[j] >> 4) + m;
    }
}

/* Q5_0 {f16 d; u8 qh[4]; u8 qs[16]}: the 5th bit of element j is bit j of the LE uint32 qh (j = 0..31), so
 * x[j] = d*((qs[j]&15 | bit j << 4) - 16) and x[j+16] = d*((qs[j]>>4 | bit (j+16) << 4) - 16). */
static inline void moe_dq_q5_0(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const uint32_t qh = moe_rd_u32(b + 2);
    const uint8_t *qs = b + 6;
    for (int j = 0; j < 16; j++) {
        int lo = (qs[j] & 0x0F) | (int)(((qh >> j) & 1u) << 4);
        int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
        y[j] = d * (float)(lo - 16);
        y[j + 16] = d * (float)(hi - 16);
    }
}

/* Q5_1 {f16 d; f16 m; u8 qh[4]; u8 qs[16]}: the Q5_0 bits, x = d*q + m. */
static inline void moe_dq_q5_1(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const float m = moe_rd_f16(b + 2);
    const uint32_t qh = moe_rd_u32(b + 4);
    const uint8_t *qs = b + 8;
    for (int j = 0; j < 16; j++) {
        int lo = (qs[j] & 0x0F) | (int)(((qh >> j) & 1u) << 4);
        int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
        y[j] = d * (float)lo + m;
        y[j + 16] = d * (float)hi + m;
    }
}

/* Q8_0 {f16 d; i8 qs[32]}: x[j] = d*qs[j]. */
static inline void moe_dq_q8_0(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const int8_t *qs = (const int8_t *)(b + 2);
    for (int j = 0; j < 32; j++) {
        y[j] = d * (float)qs[j];
    }
}

/* IQ4_NL {f16 d; u8 qs[16]}: x[j] = d*kv[qs[j]&15], x[j+16] = d*kv[qs[j]>>4]. */
static inline void moe_dq_iq4_nl(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < 16; j++) {
        y[j] = d * (float)moe_kvalues_iq4nl[qs[j] & 0x0F];
        y[j + 16] = d * (float)moe_kvalues_iq4nl[qs[j] >> 4];
    }
}

/* ---- 256-element super-blocks -------------------------------------------------------------------------------------- */

/* The 6-bit scale and min of sub-block k (0..7) of Q4_K / Q5_K (get_scale_min_k4). */
static inline void moe_scale_min_k4(int k, const uint8_t *q, int *sc, int *m) {
    if (k < 4) {
        *sc = q[k] & 63;
        *m = q[k + 4] & 63;
    } else {
        *sc = (q[k + 4] & 0x0F) | ((q[k - 4] >> 6) << 4);
        *m = (q[k + 4] >> 4) | ((q[k] >> 6) << 4);
    }
}

/* All 8 scales (bytes 0..7 of *out) and mins (bytes 8..15) of Q4_K/Q5_K at once, with 32-bit word operations:
 * the same values as moe_scale_min_k4 for k = 0..7. */
static inline void moe_scale_min_k4_all(const uint8_t *q, uint8_t out[16]) {
    const uint32_t a0 = moe_rd_u32(q), a1 = moe_rd_u32(q + 4), a2 = moe_rd_u32(q + 8);
    const uint32_t w[4] = {
        a0 & 0x3F3F3F3Fu,                                                    /* sc[0..3] */
        (a2 & 0x0F0F0F0Fu) | (((a0 >> 6) & 0x03030303u) << 4),               /* sc[4..7] */
        a1 & 0x3F3F3F3Fu,                                                    /* m[0..3]  */
        ((a2 >> 4) & 0x0F0F0F0Fu) | (((a1 >> 6) & 0x03030303u) << 4),        /* m[4..7]  */
    };
    memcpy(out, w, 16);
}

/* Q2_K {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}. */
static inline void moe_dq_q2_k(const uint8_t *b, float *y) {
    const uint8_t *scales = b;
    const uint8_t *qs = b + 16;
    const float d = moe_rd_f16(b + 80);
    const float dmin = moe_rd_f16(b + 82);
    int is = 0;
    for (int n = 0; n < 2; n++) {
        const uint8_t *q = qs + 32 * n;
        for (int j = 0; j < 4; j++) {
            const int shift = 2 * j;
            for (int half = 0; half < 2; half++) {
                const uint8_t s = scales[is++];
                const float dl = d * (float)(s & 0x0F);
                const float ml = dmin * (float)(s >> 4);
                for (int l = 0; l < 16; l++) {
                    *y++ = dl * (float)((q[l + 16 * half] >> shift) & 3) - ml;
                }
            }
        }
    }
}

/* The 16 6-bit scale fields of Q3_K as bytes 0..63 (the scale is the byte minus 32). */
static inline void moe_q3_k_scale_bytes(const uint8_t *scales, uint8_t out[16]) {
    const uint32_t a0 = moe_rd_u32(scales), a1 = moe_rd_u32(scales + 4), a2 = moe_rd_u32(scales + 8);
    const uint32_t w[4] = {
        (a0 & 0x0F0F0F0Fu) | (((a2 >> 0) & 0x03030303u) << 4),
        (a1 & 0x0F0F0F0Fu) | (((a2 >> 2) & 0x03030303u) << 4),
        ((a0 >> 4) & 0x0F0F0F0Fu) | (((a2 >> 4) & 0x03030303u) << 4),
        ((a1 >> 4) & 0x0F0F0F0Fu) | (((a2 >> 6) & 0x03030303u) << 4),
    };
    memcpy(out, w, 16); /* little-endian: byte k of the four words = field k */
}

/* The 16 signed scales of Q3_K. */
static inline void moe_q3_k_scales(const uint8_t *scales, int *out) {
    uint8_t bytes[16];
    moe_q3_k_scale_bytes(scales, bytes);
    for (int k = 0; k < 16; k++) {
        out[k] = (int)bytes[k] - 32;
    }
}

/* Q3_K {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}. */
static inline void moe_dq_q3_k(const uint8_t *b, float *y) {
    const uint8_t *hm = b;
    const uint8_t *qs = b + 32;
    const float d = moe_rd_f16(b + 108);
    int sc[16];
    moe_q3_k_scales(b + 96, sc);
    int is = 0;
    unsigned m = 1;
    for (int n = 0; n < 2; n++) {
        const uint8_t *q = qs + 32 * n;
        for (int j = 0; j < 4; j++) {
            const int shift = 2 * j;
            for (int half = 0; half < 2; half++) {
                const float dl = d * (float)sc[is++];
                for (int l = 16 * half; l < 16 * half + 16; l++) {
                    const int v = ((q[l] >> shift) & 3) - ((hm[l] & m) ? 0 : 4);
                    *y++ = dl * (float)v;
                }
            }
            m <<= 1;
        }
    }
}

/* Q4_K {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}. */
static inline void moe_dq_q4_k(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const float dmin = moe_rd_f16(b + 2);
    const uint8_t *scales = b + 4;
    const uint8_t *qs = b + 16;
    for (int c = 0; c < 4; c++) {
        int sc, m;
        moe_scale_min_k4(2 * c, scales, &sc, &m);
        const float d1 = d * (float)sc, m1 = dmin * (float)m;
        moe_scale_min_k4(2 * c + 1, scales, &sc, &m);
        const float d2 = d * (float)sc, m2 = dmin * (float)m;
        const uint8_t *q = qs + 32 * c;
        for (int l = 0; l < 32; l++) {
            y[64 * c + l] = d1 * (float)(q[l] & 0x0F) - m1;
            y[64 * c + 32 + l] = d2 * (float)(q[l] >> 4) - m2;
        }
    }
}

/* Q5_K {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}. */
static inline void moe_dq_q5_k(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const float dmin = moe_rd_f16(b + 2);
    const uint8_t *scales = b + 4;
    const uint8_t *qh = b + 16;
    const uint8_t *qs = b + 48;
    for (int c = 0; c < 4; c++) {
        int sc, m;
        moe_scale_min_k4(2 * c, scales, &sc, &m);
        const float d1 = d * (float)sc, m1 = dmin * (float)m;
        moe_scale_min_k4(2 * c + 1, scales, &sc, &m);
        const float d2 = d * (float)sc, m2 = dmin * (float)m;
        const uint8_t *q = qs + 32 * c;
        for (int l = 0; l < 32; l++) {
            const int lo = (q[l] & 0x0F) + 16 * ((qh[l] >> (2 * c)) & 1);
            const int hi = (q[l] >> 4) + 16 * ((qh[l] >> (2 * c + 1)) & 1);
            y[64 * c + l] = d1 * (float)lo - m1;
            y[64 * c + 32 + l] = d2 * (float)hi - m2;
        }
    }
}

/* Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: y = (d*scale)*q, q in -32..31. */
static inline void moe_dq_q6_k(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b + 208);
    for (int n = 0; n < 2; n++) {
        const uint8_t *L = b + 64 * n;
        const uint8_t *H = b + 128 + 32 * n;
        const int8_t *S = (const int8_t *)(b + 192 + 8 * n);
        float *o = y + 128 * n;
        for (int l = 0; l < 32; l++) {
            const int is = l / 16;
            const int q1 = ((L[l] & 0x0F) | (((H[l] >> 0) & 3) << 4)) - 32;
            const int q2 = ((L[l + 32] & 0x0F) | (((H[l] >> 2) & 3) << 4)) - 32;
            const int q3 = ((L[l] >> 4) | (((H[l] >> 4) & 3) << 4)) - 32;
            const int q4 = ((L[l + 32] >> 4) | (((H[l] >> 6) & 3) << 4)) - 32;
            o[l] = d * (float)S[is + 0] * (float)q1;
            o[l + 32] = d * (float)S[is + 2] * (float)q2;
            o[l + 64] = d * (float)S[is + 4] * (float)q3;
            o[l + 96] = d * (float)S[is + 6] * (float)q4;
        }
    }
}

/* IQ4_XS {f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]}. */
static inline void moe_dq_iq4_xs(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    const unsigned scales_h = moe_rd_u16(b + 2);
    const uint8_t *scales_l = b + 4;
    const uint8_t *qs = b + 8;
    for (int ib = 0; ib < 8; ib++) {
        const int ls = ((scales_l[ib / 2] >> (4 * (ib % 2))) & 0x0F) | (int)(((scales_h >> (2 * ib)) & 3) << 4);
        const float dl = d * (float)(ls - 32);
        const uint8_t *q = qs + 16 * ib;
        for (int j = 0; j < 16; j++) {
            y[32 * ib + j] = dl * (float)moe_kvalues_iq4nl[q[j] & 0x0F];
            y[32 * ib + 16 + j] = dl * (float)moe_kvalues_iq4nl[q[j] >> 4];
        }
    }
}

/* ---- lattice (i-quant), ternary and MXFP4 formats -------------------------------------------------------------------
 * Every i-quant block is 256 weights in 8 sub-blocks of 32; a group of 8 (or 4) weights is one point of a grid
 * (quant_tables.h) picked by an index, with per-weight signs and a per-sub-block scale. Each decoder evaluates ggml's
 * f32 formula in its order: the sub-block scale first, then (scale * grid element) * (+-1), or scale * (element + delta)
 * for IQ1_S/IQ1_M. */

/* y[j] = db * grid[j] * (bit j of signs ? -1 : 1) for the `width` elements of one grid point (bytes, little-endian). */
static inline void moe_iq_signed_point(float *y, float db, const uint8_t *grid, int width, unsigned signs) {
    for (int j = 0; j < width; j++) {
        y[j] = db * (float)grid[j] * ((signs & moe_kmask_iq2xs[j]) ? -1.0f : 1.0f);
    }
}

/* y[j] = dl * (iq1s_grid[point][j] + delta) for the 8 elements of one IQ1 grid point. */
static inline void moe_iq1_shifted_point(float *y, float dl, unsigned point, float delta) {
    const int8_t *g = (const int8_t *)(moe_iq1s_grid + point);
    for (int j = 0; j < 8; j++) {
        y[j] = dl * ((float)g[j] + delta);
    }
}

/* The sub-block scale d * (0.5 + s) * f of IQ2_XXS/IQ2_XS/IQ2_S (f = 0.25) and IQ3_XXS (f = 0.5). */
static inline float moe_iq_half_scale(float d, unsigned s, float f) {
    return d * (0.5f + (float)s) * f;
}

/* IQ2_XXS {f16 d; u16 qs[32]}: sub-block ib is the two LE uint32 at b + 2 + 8*ib. Bytes 0..3 of the first index 4
 * points of iq2xxs_grid; the second holds 4 seven-bit sign indices (bits 7l..7l+6, into ksigns_iq2xs) and a 4-bit scale
 * s in bits 28..31. x = d*(0.5 + s)*0.25 * grid * sign. */
static inline void moe_dq_iq2_xxs(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    for (int ib = 0; ib < 8; ib++) {
        const uint8_t *q = b + 2 + 8 * ib;
        const uint32_t aux = moe_rd_u32(q + 4);
        const float db = moe_iq_half_scale(d, aux >> 28, 0.25f);
        for (int l = 0; l < 4; l++) {
            const unsigned signs = moe_ksigns_iq2xs[(aux >> (7 * l)) & 127];
            moe_iq_signed_point(y + 32 * ib + 8 * l, db, (const uint8_t *)(moe_iq2xxs_grid + q[l]), 8, signs);
        }
    }
}

/* IQ2_XS {f16 d; u16 qs[32]; u8 scales[8]}: each LE uint16 of qs is a 9-bit iq2xs_grid index (low bits) and a 7-bit
 * sign index (high bits); scales[ib] holds the 4-bit scales of sub-block ib's two halves (low nibble first). */
static inline void moe_dq_iq2_xs(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    for (int ib = 0; ib < 8; ib++) {
        const unsigned sc = b[66 + ib];
        const float db0 = moe_iq_half_scale(d, sc & 0x0F, 0.25f), db1 = moe_iq_half_scale(d, sc >> 4, 0.25f);
        for (int l = 0; l < 4; l++) {
            const unsigned v = moe_rd_u16(b + 2 + 2 * (4 * ib + l));
            moe_iq_signed_point(y + 32 * ib + 8 * l, l < 2 ? db0 : db1, (const uint8_t *)(moe_iq2xs_grid + (v & 511)),
                                8, moe_ksigns_iq2xs[v >> 9]);
        }
    }
}

/* IQ2_S {f16 d; u8 qs[32]; u8 signs[32]; u8 qh[8]; u8 scales[8]}: point k = 4*ib + l indexes iq2s_grid with qs[k] plus
 * bits 2l..2l+1 of qh[ib] as bits 8..9; signs[k] holds its 8 signs outright; scales as IQ2_XS. */
static inline void moe_dq_iq2_s(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    for (int ib = 0; ib < 8; ib++) {
        const unsigned sc = b[74 + ib], qh = b[66 + ib];
        const float db0 = moe_iq_half_scale(d, sc & 0x0F, 0.25f), db1 = moe_iq_half_scale(d, sc >> 4, 0.25f);
        for (int l = 0; l < 4; l++) {
            const int k = 4 * ib + l;
            const unsigned point = b[2 + k] | (((qh >> (2 * l)) & 3u) << 8);
            moe_iq_signed_point(y + 32 * ib + 8 * l, l < 2 ? db0 : db1, (const uint8_t *)(moe_iq2s_grid + point), 8,
                                b[34 + k]);
        }
    }
}

/* IQ3_XXS {f16 d; u8 qs[64]; u8 scales_and_signs[32]}: qs[8*ib + j] indexes the 4-wide iq3xxs_grid; the LE uint32 at
 * b + 66 + 4*ib holds 4 seven-bit sign indices (one per 8 weights) and a 4-bit scale in bits 28..31.
 * x = d*(0.5 + s)*0.5 * grid * sign. */
static inline void moe_dq_iq3_xxs(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    for (int ib = 0; ib < 8; ib++) {
        const uint32_t aux = moe_rd_u32(b + 66 + 4 * ib);
        const float db = moe_iq_half_scale(d, aux >> 28, 0.5f);
        const uint8_t *q = b + 2 + 8 * ib;
        for (int l = 0; l < 4; l++) {
            const unsigned signs = moe_ksigns_iq2xs[(aux >> (7 * l)) & 127];
            float *o = y + 32 * ib + 8 * l;
            moe_iq_signed_point(o, db, (const uint8_t *)(moe_iq3xxs_grid + q[2 * l]), 4, signs);
            moe_iq_signed_point(o + 4, db, (const uint8_t *)(moe_iq3xxs_grid + q[2 * l + 1]), 4, signs >> 4);
        }
    }
}

/* IQ3_S {f16 d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4]}: point j of sub-block ib indexes the 4-wide iq3s_grid
 * with qs[8*ib + j] plus bit j of qh[ib] as bit 8; signs holds one bit per weight in order; scales a 4-bit s per
 * sub-block (low nibble first). x = d*(1 + 2s) * grid * sign. */
static inline void moe_dq_iq3_s(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    for (int ib = 0; ib < 8; ib++) {
        const unsigned sc = (b[106 + ib / 2] >> (4 * (ib % 2))) & 0x0F, qh = b[66 + ib];
        const float db = d * (float)(1 + 2 * (int)sc);
        const uint8_t *q = b + 2 + 8 * ib;
        for (int l = 0; l < 4; l++) {
            const unsigned p1 = q[2 * l] | (((qh >> (2 * l)) & 1u) << 8);
            const unsigned p2 = q[2 * l + 1] | (((qh >> (2 * l + 1)) & 1u) << 8);
            const unsigned signs = b[74 + 4 * ib + l];
            float *o = y + 32 * ib + 8 * l;
            moe_iq_signed_point(o, db, (const uint8_t *)(moe_iq3s_grid + p1), 4, signs);
            moe_iq_signed_point(o + 4, db, (const uint8_t *)(moe_iq3s_grid + p2), 4, signs >> 4);
        }
    }
}

/* IQ1_S {f16 d; u8 qs[32]; u16 qh[8]}: the LE uint16 qh[ib] holds the high 3 index bits of sub-block ib's 4 points of
 * the ternary iq1s_grid (bits 3l..3l+2, above qs[4*ib + l]), a 3-bit scale s in bits 12..14 and the delta's sign in bit
 * 15. x = d*(2s + 1) * (grid +- 0.125). */
static inline void moe_dq_iq1_s(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b);
    for (int ib = 0; ib < 8; ib++) {
        const unsigned qh = moe_rd_u16(b + 34 + 2 * ib);
        const float dl = d * (float)(2 * (int)((qh >> 12) & 7) + 1);
        const float delta = (qh & 0x8000) ? -MOE_IQ1_DELTA : MOE_IQ1_DELTA;
        for (int l = 0; l < 4; l++) {
            moe_iq1_shifted_point(y + 32 * ib + 8 * l, dl, b[2 + 4 * ib + l] | (((qh >> (3 * l)) & 7u) << 8), delta);
        }
    }
}

/* IQ1_M's f16 super-block scale: no field of its own, its 16 bits are the top nibbles of the four LE uint16 scale words
 * at b + 48 (word 0's nibble lowest). */
static inline float moe_iq1_m_scale(const uint8_t *b) {
    const unsigned s0 = moe_rd_u16(b + 48), s1 = moe_rd_u16(b + 50), s2 = moe_rd_u16(b + 52), s3 = moe_rd_u16(b + 54);
    return moe_f16_to_f32((uint16_t)((s0 >> 12) | ((s1 >> 8) & 0x00F0) | ((s2 >> 4) & 0x0F00) | (s3 & 0xF000)));
}

/* The 3-bit scale of half h (0, 1) of sub-block ib of IQ1_M: bits 6*(ib%2) + 3h of scale word ib/2. */
static inline int moe_iq1_m_sub_scale(const uint8_t *b, int ib, int h) {
    return (int)((moe_rd_u16(b + 48 + 2 * (ib / 2)) >> (6 * (ib % 2) + 3 * h)) & 7);
}

/* IQ1_M {u8 qs[32]; u8 qh[16]; u16 scales[4]}: point k = 4*ib + l takes nibble k of qh (byte k/2, low nibble first):
 * bits 0..2 are index bits 8..10 above qs[k], bit 3 the sign of its delta. Each half sub-block (16 weights) has a 3-bit
 * scale (moe_iq1_m_sub_scale). x = d*(2s + 1) * (grid +- 0.125). */
static inline void moe_dq_iq1_m(const uint8_t *b, float *y) {
    const float d = moe_iq1_m_scale(b);
    for (int ib = 0; ib < 8; ib++) {
        const float dl1 = d * (float)(2 * moe_iq1_m_sub_scale(b, ib, 0) + 1);
        const float dl2 = d * (float)(2 * moe_iq1_m_sub_scale(b, ib, 1) + 1);
        for (int l = 0; l < 4; l++) {
            const int k = 4 * ib + l;
            const unsigned h = (b[32 + k / 2] >> (4 * (k % 2))) & 0x0F;
            moe_iq1_shifted_point(y + 32 * ib + 8 * l, l < 2 ? dl1 : dl2, b[k] | ((h & 7u) << 8),
                                  (h & 8) ? -MOE_IQ1_DELTA : MOE_IQ1_DELTA);
        }
    }
}

/* Trit n (0, 1 or 2) of a TQ1_0 byte: the byte is its trits as a base-3 fraction scaled to 0..255, most significant
 * first, so multiplying by 3^n (mod 256) brings trit n to the top and *3 >> 8 reads it. */
static inline int moe_tq1_trit(unsigned byte, int n) {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    return (int)((((byte * pow3[n]) & 0xFFu) * 3u) >> 8);
}

/* TQ1_0 {u8 qs[48]; u8 qh[4]; f16 d}: 256 trits, five per qs byte and four per qh byte. Trit n of qs byte m (m < 32) is
 * element 32n + m; of qs byte 32 + m (m < 16) element 160 + 16n + m; of qh byte m element 240 + 4n + m. x = (t - 1)*d. */
static inline void moe_dq_tq1_0(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b + 52);
    for (int n = 0; n < 5; n++) {
        for (int m = 0; m < 32; m++) {
            y[32 * n + m] = (float)(moe_tq1_trit(b[m], n) - 1) * d;
        }
        for (int m = 0; m < 16; m++) {
            y[160 + 16 * n + m] = (float)(moe_tq1_trit(b[32 + m], n) - 1) * d;
        }
    }
    for (int n = 0; n < 4; n++) {
        for (int m = 0; m < 4; m++) {
            y[240 + 4 * n + m] = (float)(moe_tq1_trit(b[48 + m], n) - 1) * d;
        }
    }
}

/* TQ2_0 {u8 qs[64]; f16 d}: 2-bit codes; bits 2l..2l+1 of byte 32j + m are element 128j + 32l + m. x = (q - 1)*d. */
static inline void moe_dq_tq2_0(const uint8_t *b, float *y) {
    const float d = moe_rd_f16(b + 64);
    for (int j = 0; j < 2; j++) {
        for (int l = 0; l < 4; l++) {
            for (int m = 0; m < 32; m++) {
                y[128 * j + 32 * l + m] = (float)(((b[32 * j + m] >> (2 * l)) & 3) - 1) * d;
            }
        }
    }
}

/* Half of the E8M0 scale e, 2^(e - 128) as an f32, with ggml's bits: e = 0 and 1 give the subnormals 2^-128 and
 * 2^-127, and 255 is the ordinary 2^127 (not NaN). */
static inline float moe_e8m0_half(unsigned e) {
    return moe_bits_f32(e < 2 ? 0x00200000u << e : (e - 1) << 23);
}

/* MXFP4 {u8 e; u8 qs[16]}: 32 E2M1 codes in Q4_0's nibble order; x = kvalues_mxfp4[code] * e8m0_half(e). */
static inline void moe_dq_mxfp4(const uint8_t *b, float *y) {
    const float d = moe_e8m0_half(b[0]);
    const uint8_t *qs = b + 1;
    for (int j = 0; j < 16; j++) {
        y[j] = (float)moe_kvalues_mxfp4[qs[j] & 0x0F] * d;
        y[j + 16] = (float)moe_kvalues_mxfp4[qs[j] >> 4] * d;
    }
}

/* Defines `name`, a moe_dequant_fn that decodes n_blocks blocks of `bytes` bytes with the one-block decoder `fn`. */
#define MOE_DEFINE_DQ(name, fn, bytes, elems)                                                                          \
    static void name(const void *src, int64_t n_blocks, float *dst) {                                                  \
        const uint8_t *s_ = (const uint8_t *)src;                                                                      \
        for (int64_t i_ = 0; i_ < n_blocks; i_++) {                                                                    \
            fn(s_ + i_ * (bytes), dst + i_ * (elems));                                                                 \
        }                                                                                                              \
    }

#endif /* MOE4J_QUANT_BLOCKS_H */
