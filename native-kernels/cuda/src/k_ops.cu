/*
 * k_ops.cu - the row and element-wise ops: RMSNorm, RoPE, softmax (with or without sinks), SwiGLU (plain and gpt-oss's
 * clamped one), top-k, add/scale/axpy.
 *
 * They follow the scalar level of the CPU ops (../../src/ops_scalar.c) operation by operation, with the _rn
 * intrinsics so that nothing is fused that the CPU rounds separately. What still differs, and why the tests give
 * tolerances for it: the order of the reductions (sums of squares and of exponentials are accumulated in double on
 * both sides, so this is ~1 ulp of the final float), and expf (CUDA's is within 2 ulp, glibc's within 1).
 * RoPE, add, scale, axpy and top-k are bit-identical to the scalar level.
 */
#include <cuda_runtime.h>
#include <math.h>

#include "cuda_internal.h"
#include "launch.cuh"

namespace {

constexpr int ROW_THREADS = 256; /* one block per row for the row ops */

struct SumD {
    __device__ double operator()(double a, double b) const { return a + b; }
};
struct MaxF { /* NaN never wins, as in the CPU's `if (x > max)`: the operands here are never NaN anyway */
    __device__ float operator()(float a, float b) const { return b > a ? b : a; }
};

/* Reduces v over the block (blockDim.x == ROW_THREADS); every thread gets the result. Safe to call repeatedly. */
template <class V, class Op> __device__ V block_reduce(V v, Op op, V identity) {
    __shared__ V part[ROW_THREADS / 32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v = op(v, __shfl_xor_sync(0xFFFFFFFFu, v, o));
    }
    if (lane == 0) {
        part[warp] = v;
    }
    __syncthreads();
    V r = identity;
#pragma unroll
    for (int i = 0; i < ROW_THREADS / 32; i++) {
        r = op(r, part[i]);
    }
    __syncthreads(); /* part is free again for the next call */
    return r;
}

__global__ void rmsnorm_kernel(const float *x, const float *weight, int64_t n, int64_t n_rows, float eps, float *out) {
    for (int64_t row = blockIdx.x; row < n_rows; row += gridDim.x) {
        const float *xr = x + row * n;
        float *orow = out + row * n;
        double s = 0.0;
        for (int64_t i = threadIdx.x; i < n; i += ROW_THREADS) {
            const float v = xr[i];
            s += (double)__fmul_rn(v, v); /* squared in float, summed in double, as the CPU does */
        }
        s = block_reduce(s, SumD(), 0.0);
        const float mean = (float)(s / (double)n);
        const float scale = __fdiv_rn(1.0f, __fsqrt_rn(__fadd_rn(mean, eps)));
        for (int64_t i = threadIdx.x; i < n; i += ROW_THREADS) { /* each thread rewrites only what it read */
            const float v = __fmul_rn(xr[i], scale);
            orow[i] = weight != nullptr ? __fmul_rn(v, weight[i]) : v;
        }
    }
}

__global__ void rope_kernel(float *x, int64_t n_tokens, int64_t token_stride, int64_t n_heads, int64_t head_stride,
                            int64_t n_pairs, int neox, const float *cs) {
    const int64_t total = n_tokens * n_heads * n_pairs;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (int64_t)gridDim.x * blockDim.x) {
        const int64_t j = i % n_pairs, h = (i / n_pairs) % n_heads, t = i / (n_pairs * n_heads);
        const float c = cs[2 * (t * n_pairs + j)], s = cs[2 * (t * n_pairs + j) + 1];
        float *head = x + t * token_stride + h * head_stride;
        float *p0 = neox ? head + j : head + 2 * j;
        float *p1 = neox ? head + j + n_pairs : head + 2 * j + 1;
        const float x0 = *p0, x1 = *p1;
        *p0 = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s));
        *p1 = __fadd_rn(__fmul_rn(x0, s), __fmul_rn(x1, c));
    }
}

/* sinks: NULL for the plain softmax; else row r's sink logit (ggml_soft_max_ext with sinks, as ops_scalar.c). */
__global__ void softmax_kernel(float *x, int64_t n, int64_t n_rows, float scale, const float *sinks) {
    for (int64_t row = blockIdx.x; row < n_rows; row += gridDim.x) {
        float *xr = x + row * n;
        float m = -INFINITY;
        for (int64_t i = threadIdx.x; i < n; i += ROW_THREADS) {
            const float v = __fmul_rn(xr[i], scale);
            xr[i] = v;
            if (v > m) {
                m = v;
            }
        }
        m = block_reduce(m, MaxF(), -INFINITY);
        const float sink = sinks != nullptr ? sinks[row] : -INFINITY;
        if (sinks != nullptr) {
            m = m > sink ? m : sink; /* ggml's MAX(max, sink): a NaN sink makes m NaN, hence the row NaN */
        }
        if (m == -INFINITY) { /* nothing to attend to: masked entries become 0, a NaN stays NaN */
            for (int64_t i = threadIdx.x; i < n; i += ROW_THREADS) {
                xr[i] = isnan(xr[i]) ? xr[i] : 0.0f;
            }
            continue;
        }
        double s = 0.0;
        for (int64_t i = threadIdx.x; i < n; i += ROW_THREADS) {
            const float e = expf(__fsub_rn(xr[i], m));
            xr[i] = e;
            s += (double)e;
        }
        s = block_reduce(s, SumD(), 0.0);
        if (sinks != nullptr) {
            s += (double)expf(__fsub_rn(sink, m)); /* the sink's mass, added after the row's as ggml does */
        }
        const float inv = (float)(1.0 / s); /* scaled by the float of 1/sum, as the CPU does */
        for (int64_t i = threadIdx.x; i < n; i += ROW_THREADS) {
            xr[i] = __fmul_rn(xr[i], inv);
        }
    }
}

/* The strict order of top-k: larger first, NaN after every number, then lower index. */
__device__ __forceinline__ bool ranks_before(float a, int i, float b, int j) {
    const bool an = isnan(a), bn = isnan(b);
    if (an || bn) {
        return an && bn ? i < j : bn;
    }
    if (a != b) {
        return a > b;
    }
    return i < j;
}

/* Block-wide best (v, i) under ranks_before; i < 0 means "none". */
__device__ void block_best(float *v, int *i) {
    __shared__ float pv[ROW_THREADS / 32];
    __shared__ int pi[ROW_THREADS / 32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(0xFFFFFFFFu, *v, o);
        const int oi = __shfl_xor_sync(0xFFFFFFFFu, *i, o);
        if (oi >= 0 && (*i < 0 || ranks_before(ov, oi, *v, *i))) {
            *v = ov;
            *i = oi;
        }
    }
    if (lane == 0) {
        pv[warp] = *v;
        pi[warp] = *i;
    }
    __syncthreads();
    for (int w = 0; w < ROW_THREADS / 32; w++) {
        if (pi[w] >= 0 && (*i < 0 || ranks_before(pv[w], pi[w], *v, *i))) {
            *v = pv[w];
            *i = pi[w];
        }
    }
    __syncthreads();
}

/* k passes; pass j picks the best element that ranks after pick j-1 (the order is strict, so no marks are needed). */
__global__ void topk_kernel(const float *x, int64_t n, int64_t n_rows, int64_t k, int32_t *idx, float *val) {
    for (int64_t row = blockIdx.x; row < n_rows; row += gridDim.x) {
        const float *xr = x + row * n;
        float prev_v = 0.0f;
        int prev_i = -1;
        for (int64_t j = 0; j < k; j++) {
            float best_v = 0.0f;
            int best_i = -1;
            for (int64_t e = threadIdx.x; e < n; e += ROW_THREADS) {
                const float v = xr[e];
                if (prev_i >= 0 && !ranks_before(prev_v, prev_i, v, (int)e)) {
                    continue; /* already taken */
                }
                if (best_i < 0 || ranks_before(v, (int)e, best_v, best_i)) {
                    best_v = v;
                    best_i = (int)e;
                }
            }
            block_best(&best_v, &best_i);
            if (threadIdx.x == 0) {
                idx[row * k + j] = best_i;
                if (val != nullptr) {
                    val[row * k + j] = best_v;
                }
            }
            prev_v = best_v;
            prev_i = best_i;
        }
    }
}

__global__ void swiglu_kernel(const float *gate, const float *up, int64_t n, float *out) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const float g = gate[i];
        out[i] = __fmul_rn(__fdiv_rn(g, __fadd_rn(1.0f, expf(-g))), up[i]);
    }
}

/* ggml_swiglu_oai as ops_scalar.c computes it: the comparisons of std::min / std::clamp (NaN passes through), the
 * exponent alpha * -g rounded on its own, then _rn operations in the CPU's order. */
__global__ void swiglu_oai_kernel(const float *gate, const float *up, int64_t n, float alpha, float limit, float *out) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const float g = limit < gate[i] ? limit : gate[i];
        const float u = up[i] < -limit ? -limit : (limit < up[i] ? limit : up[i]);
        const float glu = __fdiv_rn(g, __fadd_rn(1.0f, expf(__fmul_rn(alpha, -g))));
        out[i] = __fmul_rn(glu, __fadd_rn(u, 1.0f));
    }
}

__global__ void add_kernel(const float *a, const float *b, int64_t n, float *out) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        out[i] = __fadd_rn(a[i], b[i]);
    }
}

__global__ void scale_kernel(const float *x, int64_t n, float s, float *out) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        out[i] = __fmul_rn(x[i], s);
    }
}

__global__ void axpy_kernel(float a, const float *x, int64_t n, float *y) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        y[i] = __fadd_rn(y[i], __fmul_rn(a, x[i]));
    }
}

unsigned grid_for(int64_t work, int threads) {
    const int64_t blocks = (work + threads - 1) / threads;
    return (unsigned)(blocks < 65536 ? blocks : 65536);
}

unsigned row_grid(int64_t n_rows) {
    return (unsigned)(n_rows < 65536 ? n_rows : 65536);
}

cudaStream_t as_stream(void *stream) {
    return static_cast<cudaStream_t>(stream);
}

int launched(const char *what) {
    return moe_cuda_check(cudaGetLastError(), what);
}

} // namespace

int moe_cuda_launch_rmsnorm(void *stream, const float *x, const float *weight, int64_t n, int64_t n_rows, float eps,
                            float *out) {
    MOE_CUDA_LAUNCH(rmsnorm_kernel, row_grid(n_rows), ROW_THREADS, as_stream(stream), x, weight, n, n_rows, eps, out);
    return launched("rmsnorm kernel launch");
}

int moe_cuda_launch_rope(void *stream, float *x, int64_t n_tokens, int64_t token_stride, int64_t n_heads,
                         int64_t head_stride, int64_t n_rot, int mode, const float *cs) {
    const int64_t n_pairs = n_rot / 2;
    MOE_CUDA_LAUNCH(rope_kernel, grid_for(n_tokens * n_heads * n_pairs, 256), 256, as_stream(stream), x, n_tokens,
                    token_stride, n_heads, head_stride, n_pairs, mode == 2, cs);
    return launched("rope kernel launch");
}

int moe_cuda_launch_softmax(void *stream, float *x, int64_t n, int64_t n_rows, float scale, const float *sinks) {
    MOE_CUDA_LAUNCH(softmax_kernel, row_grid(n_rows), ROW_THREADS, as_stream(stream), x, n, n_rows, scale, sinks);
    return launched(sinks != nullptr ? "softmax_sinks kernel launch" : "softmax kernel launch");
}

int moe_cuda_launch_swiglu(void *stream, const float *gate, const float *up, int64_t n, float *out) {
    MOE_CUDA_LAUNCH(swiglu_kernel, grid_for(n, 256), 256, as_stream(stream), gate, up, n, out);
    return launched("swiglu kernel launch");
}

int moe_cuda_launch_swiglu_oai(void *stream, const float *gate, const float *up, int64_t n, float alpha, float limit,
                               float *out) {
    MOE_CUDA_LAUNCH(swiglu_oai_kernel, grid_for(n, 256), 256, as_stream(stream), gate, up, n, alpha, limit, out);
    return launched("swiglu_oai kernel launch");
}

int moe_cuda_launch_topk(void *stream, const float *x, int64_t n, int64_t n_rows, int64_t k, int32_t *idx, float *val) {
    MOE_CUDA_LAUNCH(topk_kernel, row_grid(n_rows), ROW_THREADS, as_stream(stream), x, n, n_rows, k, idx, val);
    return launched("topk kernel launch");
}

int moe_cuda_launch_add(void *stream, const float *a, const float *b, int64_t n, float *out) {
    MOE_CUDA_LAUNCH(add_kernel, grid_for(n, 256), 256, as_stream(stream), a, b, n, out);
    return launched("add kernel launch");
}

int moe_cuda_launch_scale(void *stream, const float *x, int64_t n, float s, float *out) {
    MOE_CUDA_LAUNCH(scale_kernel, grid_for(n, 256), 256, as_stream(stream), x, n, s, out);
    return launched("scale kernel launch");
}

int moe_cuda_launch_axpy(void *stream, float a, const float *x, int64_t n, float *y) {
    MOE_CUDA_LAUNCH(axpy_kernel, grid_for(n, 256), 256, as_stream(stream), a, x, n, y);
    return launched("axpy kernel launch");
}
