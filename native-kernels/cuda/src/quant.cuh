/*
 * quant.cuh - device decoders of the weight types, in "units": a unit is UNIT consecutive elements of a row that one
 * thread decodes into registers (32 for the block formats, 1 for F32/F16/BF16).
 *
 * Values are those of ../../src/quant_blocks.h bit for bit: every product and difference is written with the _rn
 * intrinsics, which the compiler never contracts into an FMA, in the order of the C formulas. The dot products that
 * use them are free to fuse (their order differs from the CPU's anyway).
 *
 * Loads are 16-bit: every block format but MXFP4 keeps its fields 2-byte aligned and the ABI checks that rows are, so
 * their units need no byte loads, while none of the block sizes (18, 34, 210, 66, ... bytes) allows wider ones in
 * general. MXFP4's blocks are 17 bytes, so its decoder reads bytes (and its alignment in cuda_formats.def is 1).
 *
 * The i-quant grids and sign tables are libmoe4j's own (../../src/quant_tables.h, generated from gguf-py), included
 * here as device arrays: the CPU and the GPU decode with the very same data.
 *
 * A format is a qtype<MCT_NAME> specialization here plus its row in cuda_formats.def; dispatch_type and the geometry
 * checks at the end of this file are generated from the rows.
 */
#ifndef MOE4J_CUDA_QUANT_CUH
#define MOE4J_CUDA_QUANT_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "cuda_internal.h"
#include "launch.cuh"

/* The lookup tables as device data (global memory through the L1: the grid indices differ from lane to lane, which
 * constant memory would serialize). */
#define MOE_TABLE_QUALIFIER static __device__ const
#include "quant_tables.h"
#undef MOE_TABLE_QUALIFIER

namespace moe_cuda {

__device__ __forceinline__ uint32_t ld16(const uint8_t *p) {
    return __ldg(reinterpret_cast<const unsigned short *>(p));
}

/* IEEE half -> float; exact (the hardware conversion; a NaN's payload may differ from the CPU's). */
__device__ __forceinline__ float f16(uint32_t h) {
    return __half2float(__ushort_as_half(static_cast<unsigned short>(h)));
}

__device__ __forceinline__ float ld_f16(const uint8_t *p) {
    return f16(ld16(p));
}

/* A little-endian 32-bit field that is only 2-byte aligned (the i-quants' words sit 2 bytes into their blocks). */
__device__ __forceinline__ uint32_t ld32h(const uint8_t *p) {
    return ld16(p) | (ld16(p + 2) << 16);
}

__device__ __forceinline__ uint32_t ld8(const uint8_t *p) {
    return __ldg(p);
}

template <int T> struct qtype;

template <> struct qtype<MCT_F32> {
    static constexpr int UNIT = 1, UNITS = 1, BYTES = 4;
    __device__ static void decode(const uint8_t *b, int, float *y) {
        y[0] = __ldg(reinterpret_cast<const float *>(b));
    }
};

template <> struct qtype<MCT_F16> {
    static constexpr int UNIT = 1, UNITS = 1, BYTES = 2;
    __device__ static void decode(const uint8_t *b, int, float *y) {
        y[0] = ld_f16(b);
    }
};

template <> struct qtype<MCT_BF16> {
    static constexpr int UNIT = 1, UNITS = 1, BYTES = 2;
    __device__ static void decode(const uint8_t *b, int, float *y) {
        y[0] = __uint_as_float(ld16(b) << 16);
    }
};

/* Q4_0 {f16 d; u8 qs[16]}: y[j] = d*((qs[j]&15)-8), y[j+16] = d*((qs[j]>>4)-8). */
template <> struct qtype<MCT_Q4_0> {
    static constexpr int UNIT = 32, UNITS = 1, BYTES = 18;
    __device__ static void decode(const uint8_t *b, int, float *y) {
        const float d = ld_f16(b);
#pragma unroll
        for (int j = 0; j < 16; j += 2) {
            const uint32_t q = ld16(b + 2 + j);
            y[j] = __fmul_rn(d, (float)((int)(q & 0x0F) - 8));
            y[j + 16] = __fmul_rn(d, (float)((int)((q >> 4) & 0x0F) - 8));
            y[j + 1] = __fmul_rn(d, (float)((int)((q >> 8) & 0x0F) - 8));
            y[j + 17] = __fmul_rn(d, (float)((int)((q >> 12) & 0x0F) - 8));
        }
    }
};

/* Q8_0 {f16 d; i8 qs[32]}: y[j] = d*qs[j]. */
template <> struct qtype<MCT_Q8_0> {
    static constexpr int UNIT = 32, UNITS = 1, BYTES = 34;
    __device__ static void decode(const uint8_t *b, int, float *y) {
        const float d = ld_f16(b);
#pragma unroll
        for (int j = 0; j < 32; j += 2) {
            const uint32_t q = ld16(b + 2 + j);
            y[j] = __fmul_rn(d, (float)(int8_t)(q & 0xFF));
            y[j + 1] = __fmul_rn(d, (float)(int8_t)(q >> 8));
        }
    }
};

/* The 6-bit scale and min of sub-block k of Q4_K (get_scale_min_k4), from the 12 scale bytes at q. */
__device__ __forceinline__ void scale_min_k4(int k, const uint8_t *q, int *sc, int *m) {
    /* bytes k, k+4 and (k < 4 ? - : k-4, k+4) of the 12; read as 16-bit words */
    auto byte = [q](int i) { return (int)((ld16(q + (i & ~1)) >> (8 * (i & 1))) & 0xFF); };
    if (k < 4) {
        *sc = byte(k) & 63;
        *m = byte(k + 4) & 63;
    } else {
        *sc = (byte(k + 4) & 0x0F) | ((byte(k - 4) >> 6) << 4);
        *m = (byte(k + 4) >> 4) | ((byte(k) >> 6) << 4);
    }
}

/* Q4_K {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}: unit s (0..7) is elements 32s..32s+31, the low (s even) or high
 * nibbles of qs[32*(s/2) ..], y = d*sc_s * q - dmin*m_s. */
template <> struct qtype<MCT_Q4_K> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 144;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const float d = ld_f16(b), dmin = ld_f16(b + 2);
        int sc, m;
        scale_min_k4(s, b + 4, &sc, &m);
        const float dl = __fmul_rn(d, (float)sc), ml = __fmul_rn(dmin, (float)m);
        const uint8_t *q = b + 16 + 32 * (s >> 1);
        const int shift = 4 * (s & 1);
#pragma unroll
        for (int l = 0; l < 32; l += 2) {
            const uint32_t v = ld16(q + l) >> shift;
            y[l] = __fsub_rn(__fmul_rn(dl, (float)(v & 0x0F)), ml);
            y[l + 1] = __fsub_rn(__fmul_rn(dl, (float)((v >> 8) & 0x0F)), ml);
        }
    }
};

/* Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}: unit s (0..7) is elements 32s..32s+31 = quarter r = s%4 of half
 * n = s/4. Element l of it: low 4 bits from ql[64n + l + 32*(r&1)] (high nibble when r >= 2), 2 high bits from
 * qh[32n + l] at bit 2r, scale scales[8n + l/16 + 2r]; y = (d*scale)*(q-32). */
template <> struct qtype<MCT_Q6_K> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 210;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const int n = s >> 2, r = s & 3;
        const float d = ld_f16(b + 208);
        const uint8_t *L = b + 64 * n + 32 * (r & 1);
        const uint8_t *H = b + 128 + 32 * n;
        const uint32_t sw = ld16(b + 192 + 8 * n + 2 * r); /* scales 2r and 2r+1 of this half */
        const float d0 = __fmul_rn(d, (float)(int8_t)(sw & 0xFF));
        const float d1 = __fmul_rn(d, (float)(int8_t)(sw >> 8));
        const int lshift = 4 * (r >> 1), hshift = 2 * r;
#pragma unroll
        for (int l = 0; l < 32; l += 2) {
            const uint32_t lo = ld16(L + l) >> lshift, hi = ld16(H + l) >> hshift;
            const int q0 = (int)((lo & 0x0F) | ((hi & 3) << 4)) - 32;
            const int q1 = (int)(((lo >> 8) & 0x0F) | (((hi >> 8) & 3) << 4)) - 32;
            const float dl = l < 16 ? d0 : d1;
            y[l] = __fmul_rn(dl, (float)q0);
            y[l + 1] = __fmul_rn(dl, (float)q1);
        }
    }
};

/* ---- i-quants, ternary and MXFP4 ------------------------------------------------------------------------------------
 * The 256-element formats decode one 32-element sub-block per unit (UNITS = 8), which is also how their scales are
 * laid out. Scales are formed in libmoe4j's order (e.g. (d * (0.5 + s)) * 0.25), each element as scale * grid value,
 * then its sign; a sign is applied by negation, which is the exact value of the CPU's multiplication by -1. */

/* Byte j of a grid point (an unsigned magnitude). */
__device__ __forceinline__ float grid_u8(uint64_t point, int j) {
    return (float)(int)((point >> (8 * j)) & 0xFF);
}

/* y[j] = scale * grid byte j of point, negated where bit j of signs is set, for j < N (8 for 8-wide grids, 4 for the
 * 4-wide ones). */
template <int N>
__device__ __forceinline__ void signed_point(float *y, float scale, uint64_t point, uint32_t signs) {
#pragma unroll
    for (int j = 0; j < N; j++) {
        const float v = __fmul_rn(scale, grid_u8(point, j));
        y[j] = (signs >> j) & 1 ? -v : v;
    }
}

/* d * (0.5 + s) * k with the CPU's two roundings (k = 0.25 for the IQ2 formats, 0.5 for IQ3_XXS). */
__device__ __forceinline__ float half_odd_scale(float d, uint32_t s, float k) {
    return __fmul_rn(__fmul_rn(d, 0.5f + (float)s), k);
}

/* IQ2_XXS {f16 d; u8 qs[64]}: sub-block s is two LE words at qs + 8s: the first's bytes index 4 points of
 * moe_iq2xxs_grid, the second holds 4 seven-bit sign indices (moe_ksigns_iq2xs) and the scale in bits 28..31. */
template <> struct qtype<MCT_IQ2_XXS> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 66;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const uint8_t *q = b + 2 + 8 * s;
        const uint32_t idx = ld32h(q), aux = ld32h(q + 4);
        const float db = half_odd_scale(ld_f16(b), aux >> 28, 0.25f);
#pragma unroll
        for (int l = 0; l < 4; l++) {
            signed_point<8>(y + 8 * l, db, moe_iq2xxs_grid[(idx >> (8 * l)) & 0xFF],
                            moe_ksigns_iq2xs[(aux >> (7 * l)) & 127]);
        }
    }
};

/* IQ2_XS {f16 d; u16 qs[32]; u8 scales[8]}: each u16 is a 9-bit moe_iq2xs_grid index and a 7-bit sign index; scales[s]
 * holds the scales of the two halves of sub-block s (low nibble first). */
template <> struct qtype<MCT_IQ2_XS> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 74;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const float d = ld_f16(b);
        const uint32_t sc = ld8(b + 66 + s);
        const float db0 = half_odd_scale(d, sc & 0x0F, 0.25f), db1 = half_odd_scale(d, sc >> 4, 0.25f);
#pragma unroll
        for (int l = 0; l < 4; l++) {
            const uint32_t v = ld16(b + 2 + 2 * (4 * s + l));
            signed_point<8>(y + 8 * l, l < 2 ? db0 : db1, moe_iq2xs_grid[v & 511], moe_ksigns_iq2xs[v >> 9]);
        }
    }
};

/* IQ2_S {f16 d; u8 qs[32]; u8 signs[32]; u8 qh[8]; u8 scales[8]}: point k = 4s + l indexes moe_iq2s_grid with qs[k]
 * and bits 2l..2l+1 of qh[s] above it; signs[k] are its 8 signs; scales as IQ2_XS. */
template <> struct qtype<MCT_IQ2_S> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 82;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const float d = ld_f16(b);
        const uint32_t sc = ld8(b + 74 + s), qh = ld8(b + 66 + s);
        const uint32_t qs = ld32h(b + 2 + 4 * s), signs = ld32h(b + 34 + 4 * s);
        const float db0 = half_odd_scale(d, sc & 0x0F, 0.25f), db1 = half_odd_scale(d, sc >> 4, 0.25f);
#pragma unroll
        for (int l = 0; l < 4; l++) {
            const uint32_t point = ((qs >> (8 * l)) & 0xFF) | (((qh >> (2 * l)) & 3) << 8);
            signed_point<8>(y + 8 * l, l < 2 ? db0 : db1, moe_iq2s_grid[point], (signs >> (8 * l)) & 0xFF);
        }
    }
};

/* IQ3_XXS {f16 d; u8 qs[64]; u8 scales_and_signs[32]}: qs[8s + j] indexes the 4-wide moe_iq3xxs_grid; the LE word at
 * scales_and_signs + 4s holds 4 sign indices (one per 8 elements) and the scale in bits 28..31. */
template <> struct qtype<MCT_IQ3_XXS> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 98;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const uint32_t aux = ld32h(b + 66 + 4 * s);
        const float db = half_odd_scale(ld_f16(b), aux >> 28, 0.5f);
        const uint32_t q[2] = {ld32h(b + 2 + 8 * s), ld32h(b + 6 + 8 * s)};
#pragma unroll
        for (int l = 0; l < 4; l++) {
            const uint32_t signs = moe_ksigns_iq2xs[(aux >> (7 * l)) & 127];
            const uint32_t pair = q[l >> 1] >> (16 * (l & 1)); /* qs[8s + 2l], qs[8s + 2l + 1] */
            signed_point<4>(y + 8 * l, db, moe_iq3xxs_grid[pair & 0xFF], signs);
            signed_point<4>(y + 8 * l + 4, db, moe_iq3xxs_grid[(pair >> 8) & 0xFF], signs >> 4);
        }
    }
};

/* IQ3_S {f16 d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4]}: point j of sub-block s indexes the 4-wide
 * moe_iq3s_grid with qs[8s + j] and bit j of qh[s] as bit 8; signs[4s ..] hold one bit per element in order; the scale
 * is d * (1 + 2 * nibble s of scales). */
template <> struct qtype<MCT_IQ3_S> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 110;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const uint32_t sc = (ld8(b + 106 + (s >> 1)) >> (4 * (s & 1))) & 0x0F;
        const float db = __fmul_rn(ld_f16(b), (float)(int)(1 + 2 * sc));
        const uint32_t qh = ld8(b + 66 + s);
        const uint32_t q[2] = {ld32h(b + 2 + 8 * s), ld32h(b + 6 + 8 * s)};
        const uint32_t signs = ld32h(b + 74 + 4 * s);
#pragma unroll
        for (int l = 0; l < 4; l++) {
            const uint32_t pair = q[l >> 1] >> (16 * (l & 1));
            const uint32_t p1 = (pair & 0xFF) | (((qh >> (2 * l)) & 1) << 8);
            const uint32_t p2 = ((pair >> 8) & 0xFF) | (((qh >> (2 * l + 1)) & 1) << 8);
            const uint32_t sg = signs >> (8 * l);
            signed_point<4>(y + 8 * l, db, moe_iq3s_grid[p1], sg);
            signed_point<4>(y + 8 * l + 4, db, moe_iq3s_grid[p2], sg >> 4);
        }
    }
};

/* y[j] = scale * (element j of moe_iq1s_grid[point] + delta), j < 8: the IQ1 formats' shifted ternary points (the sum
 * is exact: -1, 0 or 1 plus or minus 1/8). */
__device__ __forceinline__ void shifted_point(float *y, float scale, uint32_t point, float delta) {
    const uint64_t g = moe_iq1s_grid[point];
#pragma unroll
    for (int j = 0; j < 8; j++) {
        y[j] = __fmul_rn(scale, __fadd_rn((float)(int)(int8_t)((g >> (8 * j)) & 0xFF), delta));
    }
}

/* IQ1_S {f16 d; u8 qs[32]; u16 qh[8]}: qh[s] holds the high 3 index bits of the 4 points of sub-block s (bits
 * 3l..3l+2, above qs[4s + l]), a 3-bit scale in bits 12..14 and the delta's sign in bit 15;
 * y = (d * (2 * scale + 1)) * (grid +- 1/8). */
template <> struct qtype<MCT_IQ1_S> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 50;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const uint32_t qh = ld16(b + 34 + 2 * s), qs = ld32h(b + 2 + 4 * s);
        const float dl = __fmul_rn(ld_f16(b), (float)(int)(2 * ((qh >> 12) & 7) + 1));
        const float delta = qh & 0x8000 ? -MOE_IQ1_DELTA : MOE_IQ1_DELTA;
#pragma unroll
        for (int l = 0; l < 4; l++) {
            shifted_point(y + 8 * l, dl, ((qs >> (8 * l)) & 0xFF) | (((qh >> (3 * l)) & 7) << 8), delta);
        }
    }
};

/* IQ1_M {u8 qs[32]; u8 qh[16]; u16 scales[4]}: the f16 super-block scale is the top nibbles of the four scale words
 * (word 0's lowest); nibble k of qh (k = 4s + l) gives point k's index bits 8..10 (bits 0..2) and its delta's sign
 * (bit 3); each half of sub-block s has a 3-bit scale, bits 6(s%2) and 6(s%2) + 3 of word s/2. */
template <> struct qtype<MCT_IQ1_M> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 56;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const uint32_t w0 = ld16(b + 48), w1 = ld16(b + 50), w2 = ld16(b + 52), w3 = ld16(b + 54);
        const float d = f16((w0 >> 12) | ((w1 >> 8) & 0x00F0) | ((w2 >> 4) & 0x0F00) | (w3 & 0xF000));
        const uint32_t w = ld16(b + 48 + 2 * (s >> 1)) >> (6 * (s & 1));
        const float dl1 = __fmul_rn(d, (float)(int)(2 * (w & 7) + 1));
        const float dl2 = __fmul_rn(d, (float)(int)(2 * ((w >> 3) & 7) + 1));
        const uint32_t qs = ld32h(b + 4 * s), qh = ld16(b + 32 + 2 * s);
#pragma unroll
        for (int l = 0; l < 4; l++) {
            const uint32_t h = (qh >> (4 * l)) & 0x0F;
            shifted_point(y + 8 * l, l < 2 ? dl1 : dl2, ((qs >> (8 * l)) & 0xFF) | ((h & 7) << 8),
                          h & 8 ? -MOE_IQ1_DELTA : MOE_IQ1_DELTA);
        }
    }
};

/* Trit n (0, 1 or 2) of a TQ1_0 byte: the byte is a base-3 fixed-point fraction, so multiplying by 3^n (mod 256)
 * moves trit n to the top and (x * 3) >> 8 reads it. */
__device__ __forceinline__ int trit(uint32_t packed, int n) {
    const uint32_t pow3 = n == 0 ? 1 : n == 1 ? 3 : n == 2 ? 9 : n == 3 ? 27 : 81;
    return (int)((((packed * pow3) & 0xFF) * 3) >> 8);
}

/* TQ1_0 {u8 qs[48]; u8 qh[4]; f16 d}: trit n of qs byte m (m < 32) is element 32n + m, of qs byte 32 + m (m < 16)
 * element 160 + 16n + m, of qh byte m element 240 + 4n + m (n < 4); y = (t - 1) * d. Units 0..4 are the five trits
 * of qs[0..32); unit 5 trits 0-1, unit 6 trits 2-3 of qs[32..48); unit 7 its trit 4 and then all of qh. */
template <> struct qtype<MCT_TQ1_0> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 54;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const float d = ld_f16(b + 52);
        auto put = [d](float *out, uint32_t byte, int n) { *out = __fmul_rn((float)(trit(byte, n) - 1), d); };
        if (s < 5) {
#pragma unroll
            for (int m = 0; m < 32; m += 2) {
                const uint32_t v = ld16(b + m);
                put(y + m, v & 0xFF, s);
                put(y + m + 1, v >> 8, s);
            }
            return;
        }
        const int n0 = s == 5 ? 0 : s == 6 ? 2 : 4; /* the first trit of qs[32..48) in this unit */
#pragma unroll
        for (int m = 0; m < 16; m += 2) {
            const uint32_t v = ld16(b + 32 + m);
            put(y + m, v & 0xFF, n0);
            put(y + m + 1, v >> 8, n0);
            if (s < 7) {
                put(y + 16 + m, v & 0xFF, n0 + 1);
                put(y + 16 + m + 1, v >> 8, n0 + 1);
            }
        }
        if (s == 7) {
            const uint32_t qh = ld32h(b + 48);
#pragma unroll
            for (int n = 0; n < 4; n++) {
#pragma unroll
                for (int m = 0; m < 4; m++) {
                    put(y + 16 + 4 * n + m, (qh >> (8 * m)) & 0xFF, n);
                }
            }
        }
    }
};

/* TQ2_0 {u8 qs[64]; f16 d}: bits 2l..2l+1 of byte 32j + m are element 128j + 32l + m, so unit s reads the 32 bytes of
 * half j = s/4 at shift 2(s%4); y = (q - 1) * d. */
template <> struct qtype<MCT_TQ2_0> {
    static constexpr int UNIT = 32, UNITS = 8, BYTES = 66;
    __device__ static void decode(const uint8_t *b, int s, float *y) {
        const float d = ld_f16(b + 64);
        const uint8_t *q = b + 32 * (s >> 2);
        const int shift = 2 * (s & 3);
#pragma unroll
        for (int m = 0; m < 32; m += 2) {
            const uint32_t v = ld16(q + m) >> shift;
            y[m] = __fmul_rn((float)((int)(v & 3) - 1), d);
            y[m + 1] = __fmul_rn((float)((int)((v >> 8) & 3) - 1), d);
        }
    }
};

/* Half the E8M0 scale e, 2^(e - 128), as an f32 bit pattern (subnormal for e < 2): ggml's GGML_E8M0_TO_FP32_HALF. */
__device__ __forceinline__ float e8m0_half(uint32_t e) {
    return __uint_as_float(e < 2 ? 0x00200000u << e : (e - 1) << 23);
}

/* MXFP4 {u8 e; u8 qs[16]} (17 bytes, so byte loads): y[j] = kv[qs[j] & 15] * d, y[j + 16] = kv[qs[j] >> 4] * d with kv
 * the doubled E2M1 values (moe_kvalues_mxfp4) and d = e8m0_half(e). */
template <> struct qtype<MCT_MXFP4> {
    static constexpr int UNIT = 32, UNITS = 1, BYTES = 17;
    __device__ static void decode(const uint8_t *b, int, float *y) {
        const float d = e8m0_half(ld8(b));
#pragma unroll
        for (int j = 0; j < 16; j++) {
            const uint32_t q = ld8(b + 1 + j);
            y[j] = __fmul_rn((float)moe_kvalues_mxfp4[q & 0x0F], d);
            y[j + 16] = __fmul_rn((float)moe_kvalues_mxfp4[q >> 4], d);
        }
    }
};

/* Decodes unit u of a row (u counts units from the start of the row). */
template <int T> __device__ __forceinline__ void decode_unit(const uint8_t *row, int64_t u, float *y) {
    using Q = qtype<T>;
    qtype<T>::decode(row + (u / Q::UNITS) * Q::BYTES, (int)(u % Q::UNITS), y);
}

/* The compile-time type index handed to dispatch_type's callback (read it as decltype(tag)::value). */
template <int T> struct type_tag {
    static constexpr int value = T;
};

/* Calls f(type_tag<ti>{}) for the runtime type index ti: how the launchers pick a kernel instantiation. */
template <class F> void dispatch_type(int ti, F &&f) {
    switch (ti) {
#define MOE_CUDA_FORMAT(NAME, ...)                                                                                     \
    case MCT_##NAME: f(type_tag<MCT_##NAME>{}); break;
#include "cuda_formats.def"
#undef MOE_CUDA_FORMAT
    default: break;
    }
}

/* Each decoder's geometry is its cuda_formats.def row's (and a unit never straddles blocks). */
#define MOE_CUDA_FORMAT(NAME, ID, ELEMS, BYTES_, ALIGN)                                                                \
    static_assert(qtype<MCT_##NAME>::UNIT * qtype<MCT_##NAME>::UNITS == (ELEMS) &&                                     \
                      qtype<MCT_##NAME>::BYTES == (BYTES_),                                                         \
                  "qtype<MCT_" #NAME "> disagrees with its row in cuda_formats.def");
#include "cuda_formats.def"
#undef MOE_CUDA_FORMAT

} // namespace moe_cuda

#endif /* MOE4J_CUDA_QUANT_CUH */
