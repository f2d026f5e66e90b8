/*
 * k_matvec.cu - decode-time products (one vector per matrix) and dequantization.
 *
 * matvec: one warp per output row. Lane l decodes units l, l+32, ... of the row into registers and multiplies them
 * with x; the 32 partial sums meet in a shuffle reduction. Adjacent lanes read adjacent units, so a warp's loads
 * cover a contiguous stretch of the row. blockIdx.y selects a (matrix, vector) pair, which is how the experts chosen
 * for a token run in one launch.
 */
#include <cuda_runtime.h>

#include "quant.cuh"

namespace moe_cuda {
namespace {

constexpr int MV_WARPS = 4; /* rows per block */

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xFFFFFFFFu, v, o);
    }
    return v;
}

template <int T>
__global__ void __launch_bounds__(MV_WARPS * 32)
    matvec_kernel(const char *w, int64_t row_bytes, int64_t rows, int64_t n_units, int64_t expert_bytes,
                  const int32_t *expert, int64_t pair0, const float *x, const int64_t *x_off, float *y,
                  const int64_t *y_off) {
    using Q = qtype<T>;
    const int64_t p = pair0 + blockIdx.y;
    const int lane = threadIdx.x & 31;
    const int64_t r = (int64_t)blockIdx.x * MV_WARPS + (threadIdx.x >> 5);
    if (r >= rows) {
        return; /* a whole warp leaves together, so the shuffles below stay full-warp */
    }
    const uint8_t *row =
        reinterpret_cast<const uint8_t *>(w) + (expert != nullptr ? expert[p] * expert_bytes : 0) + r * row_bytes;
    const float *xv = x + (x_off != nullptr ? x_off[p] : 0);
    float acc0 = 0.0f, acc1 = 0.0f; /* two chains halve the FMA latency each lane waits on */
#pragma unroll 2
    for (int64_t u = lane; u < n_units; u += 32) {
        float v[Q::UNIT];
        decode_unit<T>(row, u, v);
        const float *xu = xv + u * Q::UNIT;
#pragma unroll
        for (int j = 0; j < Q::UNIT; j += 2) {
            acc0 = fmaf(v[j], __ldg(xu + j), acc0);
            if (j + 1 < Q::UNIT) {
                acc1 = fmaf(v[j + 1], __ldg(xu + j + 1), acc1);
            }
        }
    }
    const float sum = warp_sum(acc0 + acc1);
    if (lane == 0) {
        y[(y_off != nullptr ? y_off[p] : 0) + r] = sum;
    }
}

template <int T>
__global__ void dequant_rows_kernel(const char *src, int64_t row_bytes, int64_t units_per_row, const int32_t *ids,
                                    int64_t n_rows, float *dst) {
    using Q = qtype<T>;
    const int64_t total = units_per_row * n_rows;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t row = i / units_per_row, u = i % units_per_row;
        const int64_t from = ids != nullptr ? ids[row] : row;
        float v[Q::UNIT];
        decode_unit<T>(reinterpret_cast<const uint8_t *>(src) + from * row_bytes, u, v);
        float *out = dst + row * (units_per_row * Q::UNIT) + u * Q::UNIT;
#pragma unroll
        for (int j = 0; j < Q::UNIT; j++) {
            out[j] = v[j];
        }
    }
}

/* Blocks for a grid-stride loop over `work` items with `threads` per block: enough to fill any current GPU. */
unsigned grid_for(int64_t work, int threads) {
    const int64_t blocks = (work + threads - 1) / threads;
    return (unsigned)(blocks < 65536 ? blocks : 65536);
}

} // namespace
} // namespace moe_cuda

using namespace moe_cuda;

int moe_cuda_launch_matvec(void *stream, int ti, const char *w, int64_t row_bytes, int64_t rows, int64_t cols,
                           int64_t expert_bytes, const int32_t *expert, int64_t pairs, const float *x,
                           const int64_t *x_off, float *y, const int64_t *y_off) {
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    const unsigned blocks_x = (unsigned)((rows + MV_WARPS - 1) / MV_WARPS);
    for (int64_t p0 = 0; p0 < pairs; p0 += 65535) { /* gridDim.y is at most 65535 */
        const unsigned n = (unsigned)(pairs - p0 < 65535 ? pairs - p0 : 65535);
        const dim3 grid(blocks_x, n);
        dispatch_type(ti, [&](auto tag) {
            constexpr int T = decltype(tag)::value;
            MOE_CUDA_LAUNCH(matvec_kernel<T>, grid, MV_WARPS * 32, s, w, row_bytes, rows, cols / qtype<T>::UNIT,
                            expert_bytes, expert, p0, x, x_off, y, y_off);
        });
        const int st = moe_cuda_check(cudaGetLastError(), "matvec kernel launch");
        if (st != MOE_CUDA_OK) {
            return st;
        }
    }
    return MOE_CUDA_OK;
}

int moe_cuda_launch_dequant_rows(void *stream, int ti, const char *src, int64_t row_bytes, int64_t cols,
                                 const int32_t *ids, int64_t n_rows, float *dst) {
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    dispatch_type(ti, [&](auto tag) {
        constexpr int T = decltype(tag)::value;
        const int64_t upr = cols / qtype<T>::UNIT;
        MOE_CUDA_LAUNCH(dequant_rows_kernel<T>, grid_for(upr * n_rows, 256), 256, s, src, row_bytes, upr, ids, n_rows,
                        dst);
    });
    return moe_cuda_check(cudaGetLastError(), "dequantize kernel launch");
}
