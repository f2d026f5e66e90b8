/*
 * quant.cuh - device decoders of the weight types, in "units": a unit is UNIT consecutive elements of a row that one
 * thread decodes into registers (32 for the block formats, 1 for F32/F16/BF16).
 *
 * Values are those of ../../src/quant_blocks.h bit for bit: every product and difference is written with the _rn
 * intrinsics, which the compiler never contracts into an FMA, in the order of the C formulas. The dot products that
 * use them are free to fuse (their order differs from the CPU's anyway).
 *
 * Loads are 16-bit: every block format keeps its fields 2-byte aligned and the ABI checks that rows are, so no unit
 * needs byte loads, while none of the block sizes (18, 34, 210 bytes) allows wider ones in general.
 */
#ifndef MOE4J_CUDA_QUANT_CUH
#define MOE4J_CUDA_QUANT_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "cuda_internal.h"
#include "launch.cuh"

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

/* Decodes unit u of a row (u counts units from the start of the row). */
template <int T> __device__ __forceinline__ void decode_unit(const uint8_t *row, int64_t u, float *y) {
    using Q = qtype<T>;
    qtype<T>::decode(row + (u / Q::UNITS) * Q::BYTES, (int)(u % Q::UNITS), y);
}

/* Calls f(std::integral_constant-like tag) for the runtime type index; used by the launchers. */
#define MOE_CUDA_DISPATCH_TYPE(ti, CALL)                                                                               \
    switch (ti) {                                                                                                      \
    case MCT_F32: CALL(MCT_F32); break;                                                                                \
    case MCT_F16: CALL(MCT_F16); break;                                                                                \
    case MCT_BF16: CALL(MCT_BF16); break;                                                                              \
    case MCT_Q4_0: CALL(MCT_Q4_0); break;                                                                              \
    case MCT_Q8_0: CALL(MCT_Q8_0); break;                                                                              \
    case MCT_Q4_K: CALL(MCT_Q4_K); break;                                                                              \
    case MCT_Q6_K: CALL(MCT_Q6_K); break;                                                                              \
    default: break;                                                                                                    \
    }

} // namespace moe_cuda

#endif /* MOE4J_CUDA_QUANT_CUH */
