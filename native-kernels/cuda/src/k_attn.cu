/*
 * k_attn.cu - absorbed MLA attention over the compressed cache (moe_cuda_op_mla_attend), flash-decoding style.
 *
 * One block per (token, head), 8 warps. Warp w takes cache rows w, w+8, ...: the score is a warp-wide dot product of
 * the query (held in registers, 32 floats per lane at most) with the row; an online softmax keeps the running max m,
 * the running sum l and the weighted latent sum (r floats, spread over the lanes) rescaled whenever m grows. The 8
 * partial results are then merged through shared memory. Each block reads its causal prefix of the cache once; the
 * heads share it through L2 (a block per head group reading rows once for all its heads would save that traffic).
 *
 * Numerics differ from the CPU path (scores, then a max-subtracted softmax with the sum in double, then the weighted
 * sum) in the order of operations only; the self-test bounds the difference against an f64 reference.
 */
#include <cuda_runtime.h>
#include <math.h>

#include "cuda_internal.h"
#include "launch.cuh"

namespace {

constexpr int WARPS = 8;
constexpr int PER_LANE = MOE_CUDA_MLA_MAX_WIDTH / 32; /* query / latent floats a lane holds */

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xFFFFFFFFu, v, o);
    }
    return v;
}

__global__ void __launch_bounds__(WARPS * 32)
    mla_kernel(const float *cache, int width, int r, int64_t pos0, int n_heads, const float *qcur, float scale,
               float *obar, int64_t t0) {
    __shared__ float part_m[WARPS], part_l[WARPS];
    __shared__ float part_acc[WARPS][MOE_CUDA_MLA_MAX_WIDTH];

    const int h = blockIdx.x, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int64_t t = t0 + blockIdx.y;
    const int64_t len = pos0 + t + 1; /* causal: the token sees itself and everything before it */
    const float *q = qcur + (t * n_heads + h) * width;

    float qr[PER_LANE], acc[PER_LANE];
#pragma unroll
    for (int i = 0; i < PER_LANE; i++) {
        const int c = lane + 32 * i;
        qr[i] = c < width ? q[c] : 0.0f;
        acc[i] = 0.0f;
    }
    float m = -INFINITY, l = 0.0f;
    for (int64_t s = warp; s < len; s += WARPS) {
        const float *row = cache + s * width;
        float d = 0.0f;
#pragma unroll
        for (int i = 0; i < PER_LANE; i++) {
            const int c = lane + 32 * i;
            if (c < width) {
                d = fmaf(qr[i], __ldg(row + c), d);
            }
        }
        const float v = __fmul_rn(warp_sum(d), scale);
        const float m_new = fmaxf(m, v);
        const float corr = expf(m - m_new); /* 0 on the first row (m = -inf) */
        const float p = expf(v - m_new);
        l = fmaf(l, corr, p);
#pragma unroll
        for (int i = 0; i < PER_LANE; i++) {
            const int c = lane + 32 * i;
            if (c < r) {
                acc[i] = fmaf(acc[i], corr, p * __ldg(row + c));
            }
        }
        m = m_new;
    }

    if (lane == 0) {
        part_m[warp] = m; /* -inf and l = 0 for a warp that had no row (len < 8) */
        part_l[warp] = l;
    }
#pragma unroll
    for (int i = 0; i < PER_LANE; i++) {
        const int c = lane + 32 * i;
        if (c < r) {
            part_acc[warp][c] = acc[i];
        }
    }
    __syncthreads();
    float big = -INFINITY;
    for (int w = 0; w < WARPS; w++) {
        big = fmaxf(big, part_m[w]);
    }
    float sum = 0.0f, wgt[WARPS];
    for (int w = 0; w < WARPS; w++) {
        wgt[w] = expf(part_m[w] - big); /* row 0 exists, so big is finite unless the scores are not */
        sum = fmaf(part_l[w], wgt[w], sum);
    }
    const float inv = 1.0f / sum;
    float *out = obar + (t * n_heads + h) * r;
    for (int c = threadIdx.x; c < r; c += WARPS * 32) {
        float o = 0.0f;
        for (int w = 0; w < WARPS; w++) {
            o = fmaf(part_acc[w][c], wgt[w], o);
        }
        out[c] = o * inv;
    }
}

} // namespace

int moe_cuda_launch_mla(void *stream, const float *cache, int64_t width, int64_t r, int64_t pos0, int64_t n_tokens,
                        int64_t n_heads, const float *qcur, float scale, float *obar) {
    for (int64_t t0 = 0; t0 < n_tokens; t0 += 65535) { /* gridDim.y is at most 65535 */
        const dim3 grid((unsigned)n_heads, (unsigned)(n_tokens - t0 < 65535 ? n_tokens - t0 : 65535));
        MOE_CUDA_LAUNCH(mla_kernel, grid, WARPS * 32, static_cast<cudaStream_t>(stream), cache, (int)width, (int)r,
                        pos0, (int)n_heads, qcur, scale, obar, t0);
        const int st = moe_cuda_check(cudaGetLastError(), "mla kernel launch");
        if (st != MOE_CUDA_OK) {
            return st;
        }
    }
    return MOE_CUDA_OK;
}
