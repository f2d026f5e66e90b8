/*
 * k_gemm.cu - products of one matrix with many vectors (prefill), and the grouped form for experts.
 *
 * A block computes a tile of TR rows x TT vectors. For each slice of KC columns it decodes the TR x KC weights once
 * into shared memory (dequantized in registers by the unit decoders, so each weight byte is read once per tile of
 * vectors), stages the TT x KC activations next to them, and each of its 256 threads accumulates 4 rows x 2 vectors
 * in registers (f32 FMA). An "item" is a group of up to TT vectors that use the same matrix: for a plain matmul the
 * items are consecutive slices of the tokens, for the experts they are the tokens routed to one expert, so a block
 * never mixes experts and every expert's weights are read once per TT tokens that chose it.
 *
 * This is the straightforward SIMT form (no tensor cores): enough to make prefill compute-bound rather than
 * weight-bound, and exact in f32. A tensor-core path would trade that exactness for speed; measure first.
 */
#include <cuda_runtime.h>

#include "quant.cuh"

namespace moe_cuda {
namespace {

constexpr int TR = 64;              /* rows per tile */
constexpr int TT = MOE_CUDA_TILE_T; /* vectors per tile */
constexpr int KC = 64;              /* columns per slice: two 32-element units, a multiple of every UNIT */
constexpr int THREADS = 256;
static_assert(TR * TT / THREADS == 8, "each thread owns 4 rows x 2 vectors");

template <int T>
__global__ void __launch_bounds__(THREADS)
    gemm_kernel(const char *w, int64_t row_bytes, int64_t rows, int64_t cols, int64_t expert_bytes, int64_t tile0,
                const int32_t *item_expert, const int32_t *item_first, const int32_t *item_count, int64_t n_vectors,
                const float *x, const int64_t *x_off, int64_t x_stride, float *y, const int64_t *y_off,
                int64_t y_stride) {
    using Q = qtype<T>;
    static_assert(KC % Q::UNIT == 0, "a slice holds whole units");
    /* Rows padded to a multiple of 4 floats (float4/float2 reads stay aligned); the pad also spreads the banks. */
    __shared__ __align__(16) float ws[KC][TR + 4];
    __shared__ __align__(16) float xs[KC][TT + 4];

    const int tid = threadIdx.x;
    const int64_t item = blockIdx.x;
    const int64_t r0 = (tile0 + blockIdx.y) * TR;
    const int64_t first = item_first != nullptr ? item_first[item] : item * TT;
    const int64_t left = n_vectors - first;
    const int count = item_count != nullptr ? item_count[item] : (int)(left < TT ? left : TT);
    const uint8_t *mat =
        reinterpret_cast<const uint8_t *>(w) + (item_expert != nullptr ? item_expert[item] * expert_bytes : 0);

    /* Activation loading: thread -> (vector lt, 8 consecutive columns from lk). */
    const int lt = tid / (KC / 8), lk = (tid % (KC / 8)) * 8;
    const float *xrow = nullptr;
    if (lt < count) {
        const int64_t j = first + lt;
        xrow = x + (x_off != nullptr ? x_off[j] : j * x_stride);
    }

    const int ty = tid / 16, tx = tid % 16; /* output: rows 4ty..4ty+3, vectors 2tx, 2tx+1 */
    float acc[4][2] = {};

    for (int64_t k0 = 0; k0 < cols; k0 += KC) {
#pragma unroll
        for (int j = 0; j < 8; j++) {
            const int64_t k = k0 + lk + j;
            xs[lk + j][lt] = (xrow != nullptr && k < cols) ? __ldg(xrow + k) : 0.0f;
        }
        if (Q::UNIT == 1) {
            /* element-wise types: 16 elements per thread, consecutive threads on consecutive columns */
#pragma unroll 4
            for (int i = tid; i < TR * KC; i += THREADS) {
                const int rr = i / KC, kk = i % KC;
                const int64_t r = r0 + rr, k = k0 + kk;
                float v = 0.0f;
                if (r < rows && k < cols) {
                    Q::decode(mat + r * row_bytes + k * Q::BYTES, 0, &v);
                }
                ws[kk][rr] = v;
            }
        } else if (tid < TR * (KC / Q::UNIT)) {
            /* block types: one unit (32 columns of one row) per thread, consecutive threads on consecutive rows */
            const int rr = tid % TR, uu = tid / TR;
            const int64_t r = r0 + rr, u = k0 / Q::UNIT + uu;
            float v[Q::UNIT];
            if (r < rows && u * Q::UNIT < cols) {
                decode_unit<T>(mat + r * row_bytes, u, v);
            } else {
#pragma unroll
                for (int j = 0; j < Q::UNIT; j++) {
                    v[j] = 0.0f;
                }
            }
#pragma unroll
            for (int j = 0; j < Q::UNIT; j++) {
                ws[uu * Q::UNIT + j][rr] = v[j];
            }
        }
        __syncthreads();
#pragma unroll 8
        for (int k = 0; k < KC; k++) {
            const float4 a = *reinterpret_cast<const float4 *>(&ws[k][4 * ty]);
            const float2 b = *reinterpret_cast<const float2 *>(&xs[k][2 * tx]);
            acc[0][0] = fmaf(a.x, b.x, acc[0][0]);
            acc[0][1] = fmaf(a.x, b.y, acc[0][1]);
            acc[1][0] = fmaf(a.y, b.x, acc[1][0]);
            acc[1][1] = fmaf(a.y, b.y, acc[1][1]);
            acc[2][0] = fmaf(a.z, b.x, acc[2][0]);
            acc[2][1] = fmaf(a.z, b.y, acc[2][1]);
            acc[3][0] = fmaf(a.w, b.x, acc[3][0]);
            acc[3][1] = fmaf(a.w, b.y, acc[3][1]);
        }
        __syncthreads();
    }

#pragma unroll
    for (int c = 0; c < 2; c++) {
        const int t = 2 * tx + c;
        if (t >= count) {
            continue;
        }
        const int64_t j = first + t;
        float *out = y + (y_off != nullptr ? y_off[j] : j * y_stride);
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int64_t r = r0 + 4 * ty + i;
            if (r < rows) {
                out[r] = acc[i][c];
            }
        }
    }
}

} // namespace
} // namespace moe_cuda

using namespace moe_cuda;

int moe_cuda_launch_gemm(void *stream, int ti, const char *w, int64_t row_bytes, int64_t rows, int64_t cols,
                         int64_t expert_bytes, int64_t n_items, const int32_t *item_expert, const int32_t *item_first,
                         const int32_t *item_count, int64_t n_vectors, const float *x, const int64_t *x_off,
                         int64_t x_stride, float *y, const int64_t *y_off, int64_t y_stride) {
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    const int64_t tiles = (rows + TR - 1) / TR;
    for (int64_t t0 = 0; t0 < tiles; t0 += 65535) { /* gridDim.y is at most 65535 */
        const dim3 grid((unsigned)n_items, (unsigned)(tiles - t0 < 65535 ? tiles - t0 : 65535));
        dispatch_type(ti, [&](auto tag) {
            constexpr int T = decltype(tag)::value;
            MOE_CUDA_LAUNCH(gemm_kernel<T>, grid, THREADS, s, w, row_bytes, rows, cols, expert_bytes, t0, item_expert,
                            item_first, item_count, n_vectors, x, x_off, x_stride, y, y_off, y_stride);
        });
        const int st = moe_cuda_check(cudaGetLastError(), "gemm kernel launch");
        if (st != MOE_CUDA_OK) {
            return st;
        }
    }
    return MOE_CUDA_OK;
}
