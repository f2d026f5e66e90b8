/*
 * moe4j_cuda.h - the whole C ABI of libmoe4j_cuda, moe4j's CUDA kernels. A separate library from libmoe4j (the CPU
 * kernels): a process that never loads it never needs the CUDA driver, and this library links the CUDA runtime
 * statically, so it needs nothing from a CUDA toolkit at run time, only the driver (libcuda.so.1).
 *
 * The rules of moe4j.h hold here too:
 *   - Names are moe_cuda_<object>_<verb>. Handles are opaque.
 *   - Every function that can fail returns an int status: MOE_CUDA_OK (0) or a negative MOE_CUDA_ERR_*; the values
 *     shared with moe4j.h mean the same thing there. moe_cuda_status_str() names a status and
 *     moe_cuda_last_error() says, for the calling thread, what exactly failed last (which call, which CUDA error).
 *     Nothing here calls abort() or exit(), and no CUDA error escapes as anything but a status.
 *   - Sizes are explicit: counts in elements, row sizes and offsets in bytes, strides in elements.
 *   - Weight types are ggml type ids: 0 F32, 1 F16, 2 Q4_0, 8 Q8_0, 12 Q4_K, 14 Q6_K, 30 BF16 (the others of moe4j.h
 *     give MOE_CUDA_ERR_UNSUPPORTED_TYPE). Dequantized values are bit-identical to moe4j's (quant-formats.md, f32,
 *     one rounding per operation); dot products accumulate in f32 in another order than the CPU's.
 *
 * Device memory is reached only through buffers (moe_cuda_buf): a buffer knows its size and device, so every range an
 * operation would touch is checked against it on the host before anything is queued. A view is a buffer handle on a
 * byte range of another; the memory lives until the last handle on it is freed.
 *
 * Execution: a context (moe_cuda_ctx) is one device and one CUDA stream. Operations are queued on that stream in call
 * order and return without waiting for the device; a status from an operation covers the checks and the launch. An
 * error during execution (a bad kernel, a lost device) is reported by the next moe_cuda_ctx_synchronize() or
 * moe_cuda_buf_download() on that context. Small host arrays an operation takes (token positions, expert ids) are
 * copied before the call returns, so the caller may reuse them at once.
 *
 * Threading: calls on one context (and its buffers) must not overlap; different contexts are independent. Functions
 * without a context are reentrant. moe_cuda_last_error() is per thread.
 */
#ifndef MOE4J_CUDA_H
#define MOE4J_CUDA_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MOE_CUDA_API __declspec(dllexport)
#else
#define MOE_CUDA_API __attribute__((visibility("default")))
#endif

#define MOE_CUDA_ABI_VERSION 1

/* ---- status ------------------------------------------------------------------------------------------------------ */
#define MOE_CUDA_OK 0
#define MOE_CUDA_ERR_INVALID_ARG (-1)      /* null pointer, bad count, a range outside its buffer, misalignment    */
#define MOE_CUDA_ERR_UNSUPPORTED_TYPE (-2) /* weight type id without a CUDA kernel                               */
#define MOE_CUDA_ERR_OUT_OF_MEMORY (-3)    /* device (or pinned host) memory exhausted                           */
#define MOE_CUDA_ERR_NO_DEVICE (-20)       /* no CUDA device, or the driver hides them all                       */
#define MOE_CUDA_ERR_NO_DRIVER (-21)       /* libcuda.so.1 missing, or older than the CUDA runtime linked in     */
#define MOE_CUDA_ERR_DEVICE (-22)          /* any other CUDA failure: launch, execution, lost device (see message) */

/* A static, human-readable name for a status; never NULL. */
MOE_CUDA_API const char *moe_cuda_status_str(int status);
/* What the last failing call on this thread reported, e.g. "moe_cuda_buf_alloc(1099511627776 bytes): cudaMalloc:
 * out of memory (cudaErrorMemoryAllocation)"; "" before any failure. Valid until the next call on this thread. */
MOE_CUDA_API const char *moe_cuda_last_error(void);
/* MOE_CUDA_ABI_VERSION of the loaded library. */
MOE_CUDA_API int moe_cuda_abi_version(void);

/* ---- devices ----------------------------------------------------------------------------------------------------- */
/* Number of usable devices into *count. With no driver or no device: *count = 0 and MOE_CUDA_ERR_NO_DRIVER or
 * MOE_CUDA_ERR_NO_DEVICE (the probe's "use the CPU" answers). */
MOE_CUDA_API int moe_cuda_device_count(int *count);
/* Device name (NUL-terminated, truncated to name_len - 1 bytes), compute capability, multiprocessors, memory. */
MOE_CUDA_API int moe_cuda_device_info(int device, char *name, int64_t name_len, int *cc_major, int *cc_minor,
                                      int *multiprocessors, int64_t *total_bytes);

/* ---- context ----------------------------------------------------------------------------------------------------- */
typedef struct moe_cuda_ctx moe_cuda_ctx;

/* A context on `device` (0 .. count-1) with its own stream. */
MOE_CUDA_API int moe_cuda_ctx_create(int device, moe_cuda_ctx **out);
/* Waits for the queued work, then frees the context. NULL is allowed. Returns a pending execution error, if any. */
MOE_CUDA_API int moe_cuda_ctx_destroy(moe_cuda_ctx *ctx);
/* Waits until everything queued on the context has run; reports an execution error of that work. */
MOE_CUDA_API int moe_cuda_ctx_synchronize(moe_cuda_ctx *ctx);

/* ---- buffers ----------------------------------------------------------------------------------------------------- */
typedef struct moe_cuda_buf moe_cuda_buf;

/* bytes (>= 1) of device memory on the context's device, 256-byte aligned, contents undefined. */
MOE_CUDA_API int moe_cuda_buf_alloc(moe_cuda_ctx *ctx, int64_t bytes, moe_cuda_buf **out);
/* A handle on bytes [offset, offset + bytes) of `parent` (which may itself be a view). */
MOE_CUDA_API int moe_cuda_buf_view(const moe_cuda_buf *parent, int64_t offset, int64_t bytes, moe_cuda_buf **out);
/* Frees the handle; the memory goes when no handle on it is left. Waits for the device if memory is freed. NULL ok. */
MOE_CUDA_API int moe_cuda_buf_free(moe_cuda_buf *buf);
/* Size in bytes, or MOE_CUDA_ERR_INVALID_ARG for NULL. */
MOE_CUDA_API int64_t moe_cuda_buf_size(const moe_cuda_buf *buf);
/* Copies bytes from host memory into the buffer at dst_offset. src may be reused when this returns. */
MOE_CUDA_API int moe_cuda_buf_upload(moe_cuda_ctx *ctx, moe_cuda_buf *dst, int64_t dst_offset, const void *src,
                                     int64_t bytes);
/* Waits for the queued work, then copies bytes at src_offset into host memory. */
MOE_CUDA_API int moe_cuda_buf_download(moe_cuda_ctx *ctx, const moe_cuda_buf *src, int64_t src_offset, void *dst,
                                       int64_t bytes);

/* ---- tensor kernels ---------------------------------------------------------------------------------------------
 * A weight matrix is `rows` rows of `cols` elements (cols a multiple of the block size), row_bytes apart
 * (row_bytes >= cols / block_elems * block_bytes); f32 activations. Alignment: a weight buffer and row_bytes must be
 * multiples of 4 for F32 and of 2 for every other type (GGUF guarantees more); f32 buffers must be 4-byte aligned. */

/* Dequantize n elements (a multiple of the block size) of src into dst (n floats). */
MOE_CUDA_API int moe_cuda_tensor_dequantize(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *src, int64_t n,
                                            moe_cuda_buf *dst);

/* y[r] = dot(W row r, x) for r < rows: x holds cols floats, y rows floats. */
MOE_CUDA_API int moe_cuda_tensor_matvec(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *w, int64_t row_bytes,
                                        int64_t rows, int64_t cols, const moe_cuda_buf *x, moe_cuda_buf *y);

/* Y[t][r] = dot(W row r, X[t]) for t < n_tokens: X[t] at float t * x_stride of x, Y[t] at float t * y_stride of y. */
MOE_CUDA_API int moe_cuda_tensor_matmul(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *w, int64_t row_bytes,
                                        int64_t rows, int64_t cols, const moe_cuda_buf *x, int64_t x_stride,
                                        int64_t n_tokens, moe_cuda_buf *y, int64_t y_stride);

/* Mixture-of-experts product (ggml's mul_mat_id). w holds n_experts matrices of rows x cols, expert_bytes apart.
 * For every token t < n_tokens and slot s < n_used, with e = ids[t * n_used + s] (host array, 0 <= e < n_experts):
 *     Y(t, s) = W_e . X(t, s),  X(t, s) at float t * x_stride + s * x_slot_stride of x,
 *                               Y(t, s) at float t * y_stride + s * y_slot_stride of y (rows floats).
 * x_slot_stride 0 gives every slot the token's vector (gate/up projections); the Y(t, s) must not overlap. The pairs
 * are grouped by expert, so each expert's weights are read once per call however many tokens chose it (prefill). */
MOE_CUDA_API int moe_cuda_tensor_matmul_id(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *w, int64_t row_bytes,
                                           int64_t rows, int64_t cols, int64_t expert_bytes, int64_t n_experts,
                                           const int32_t *ids, int64_t n_tokens, int64_t n_used,
                                           const moe_cuda_buf *x, int64_t x_stride, int64_t x_slot_stride,
                                           moe_cuda_buf *y, int64_t y_stride, int64_t y_slot_stride);

/* out[i] = dequantized row ids[i] (host array, every id checked against [0, n_rows)) of a table of n_rows rows. */
MOE_CUDA_API int moe_cuda_tensor_get_rows(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *table, int64_t row_bytes,
                                          int64_t n_rows, int64_t cols, const int32_t *ids, int64_t n_ids,
                                          moe_cuda_buf *out);

/* ---- row and element-wise ops (f32), the semantics and argument rules of the moe_op_* of moe4j.h ---------------- */
/* out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight for n_rows rows of n; weight may be NULL; out may equal x. */
MOE_CUDA_API int moe_cuda_op_rmsnorm(moe_cuda_ctx *ctx, const moe_cuda_buf *x, const moe_cuda_buf *weight, int64_t n,
                                     int64_t n_rows, float eps, moe_cuda_buf *out);

/* In-place RoPE exactly as moe_op_rope (NORM mode 0 / NEOX mode 2, YaRN), positions a host array of n_tokens.
 * The angle table is computed on the host by moe4j's own code, so the rotation is bit-identical to its scalar level. */
MOE_CUDA_API int moe_cuda_op_rope(moe_cuda_ctx *ctx, moe_cuda_buf *x, int64_t n_tokens, int64_t token_stride,
                                  int64_t n_heads, int64_t head_stride, int64_t n_rot, const int32_t *positions,
                                  int mode, float freq_base, float freq_scale, float ext_factor, float attn_factor,
                                  float beta_fast, float beta_slow, int32_t n_ctx_orig);

/* In-place softmax(x * scale) of n_rows rows of n (scale > 0; an all -inf row gives 0; NaN spreads over its row). */
MOE_CUDA_API int moe_cuda_op_softmax(moe_cuda_ctx *ctx, moe_cuda_buf *x, int64_t n, int64_t n_rows, float scale);

/* In-place softmax with attention sinks, as moe_op_softmax_sinks: row r also counts exp(sinks[r] - m) in its
 * denominator, m = max(max_i x_i * scale, sinks[r]); sinks holds n_rows unscaled floats in a buffer disjoint from x. */
MOE_CUDA_API int moe_cuda_op_softmax_sinks(moe_cuda_ctx *ctx, moe_cuda_buf *x, int64_t n, int64_t n_rows, float scale,
                                           const moe_cuda_buf *sinks);

/* out[i] = silu(gate[i]) * up[i]; out may alias gate or up. */
MOE_CUDA_API int moe_cuda_op_swiglu(moe_cuda_ctx *ctx, const moe_cuda_buf *gate, const moe_cuda_buf *up, int64_t n,
                                    moe_cuda_buf *out);

/* gpt-oss's clamped SwiGLU, as moe_op_swiglu_oai: g = min(gate, limit), u = clamp(up, -limit, limit),
 * out = g / (1 + exp(alpha * -g)) * (u + 1); alpha finite, limit finite and >= 0; out may alias gate or up. */
MOE_CUDA_API int moe_cuda_op_swiglu_oai(moe_cuda_ctx *ctx, const moe_cuda_buf *gate, const moe_cuda_buf *up, int64_t n,
                                        float alpha, float limit, moe_cuda_buf *out);

/* Routing: for each of n_rows rows of n scores, the k largest in descending order (ties: lower index first; NaN
 * below every number), indices into idx (int32, n_rows * k) and values into val (may be NULL). 1 <= k <= n. */
MOE_CUDA_API int moe_cuda_op_topk(moe_cuda_ctx *ctx, const moe_cuda_buf *x, int64_t n, int64_t n_rows, int64_t k,
                                  moe_cuda_buf *idx, moe_cuda_buf *val);

/* Absorbed multi-head latent attention (DeepSeek MLA) over the compressed cache, for decode (n_tokens 1) and prefill.
 * cache holds rows of `width` floats, the latent c_s (the first r) then the rope key, written for positions
 * [0, pos0 + n_tokens). For token t < n_tokens at position pos0 + t and head h < n_heads, q = qcur[(t*n_heads + h)*width ..]:
 *     p_s = softmax_s(scale * dot(q, cache row s)) over s <= pos0 + t (causal),
 *     obar[(t*n_heads + h)*r + c] = sum_s p_s * cache[s][c]   for c < r.
 * 1 <= r <= width <= 1024, scale > 0. One pass over the cache per (token, head), with an online softmax. */
MOE_CUDA_API int moe_cuda_op_mla_attend(moe_cuda_ctx *ctx, const moe_cuda_buf *cache, int64_t width, int64_t r,
                                        int64_t pos0, int64_t n_tokens, int64_t n_heads, const moe_cuda_buf *qcur,
                                        float scale, moe_cuda_buf *obar);

/* out = a + b; out = x * s; y += a * x (element-wise, n floats; outputs may alias inputs). */
MOE_CUDA_API int moe_cuda_op_add(moe_cuda_ctx *ctx, const moe_cuda_buf *a, const moe_cuda_buf *b, int64_t n,
                                 moe_cuda_buf *out);
MOE_CUDA_API int moe_cuda_op_scale(moe_cuda_ctx *ctx, const moe_cuda_buf *x, int64_t n, float s, moe_cuda_buf *out);
MOE_CUDA_API int moe_cuda_op_axpy(moe_cuda_ctx *ctx, float a, const moe_cuda_buf *x, int64_t n, moe_cuda_buf *y);

#ifdef __cplusplus
}
#endif
#endif /* MOE4J_CUDA_H */
