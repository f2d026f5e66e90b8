/*
 * moe4j.h - the whole C ABI of moe4j's native kernels.
 *
 * Rules every function follows:
 *   - Names are moe_<object>_<verb>. Handles are opaque.
 *   - Every function that can fail returns an int status: MOE_OK (0) or a negative MOE_ERR_*; moe_status_str() names it.
 *     Nothing here calls abort() or exit(), and bad arguments are reported, never trusted.
 *   - Pointers come with explicit element counts, row sizes in bytes and strides in elements.
 *   - Weight types are ggml type ids (GGUF tensor type field); the ones these kernels take are the rows of
 *     src/formats.def (moe_type_block answers for any id).
 *   - Matrices follow GGUF: a weight of `rows` rows, each `cols` elements stored as cols/block_elems blocks in `row_bytes`
 *     bytes; y[r] = dot(row r, x).
 *
 * Threading: a moe_ctx owns a persistent worker pool. Calls that take a non-const moe_ctx* use that pool and must not be
 * made on the same context from two threads at once; different contexts are independent. Calls that take a const
 * moe_ctx* (or none) are reentrant and run on the calling thread.
 */
#ifndef MOE4J_H
#define MOE4J_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MOE_API __declspec(dllexport)
#else
#define MOE_API __attribute__((visibility("default")))
#endif

#define MOE_ABI_VERSION 4

/* ---- status ---------------------------------------------------------------------------------------------------- */
#define MOE_OK 0
#define MOE_ERR_INVALID_ARG (-1)     /* null pointer, negative/zero size, misaligned count, id out of range */
#define MOE_ERR_UNSUPPORTED_TYPE (-2) /* weight type id not implemented by these kernels */
#define MOE_ERR_OUT_OF_MEMORY (-3)
#define MOE_ERR_UNSUPPORTED_CPU (-4) /* a dispatch level this CPU (or this build) cannot run */
#define MOE_ERR_THREAD (-5)          /* the worker pool could not be started */

/* A static, human-readable name for a status; never NULL. */
MOE_API const char *moe_status_str(int status);
/* MOE_ABI_VERSION of the loaded library, so the Java side can refuse a mismatched build. */
MOE_API int moe_abi_version(void);

/* ---- CPU dispatch ------------------------------------------------------------------------------------------------ */
/* A build for x86-64 has the levels SCALAR, AVX2, AVX512; a build for AArch64 has SCALAR, NEON, NEON_DOTPROD,
 * NEON_I8MM. Within one architecture a higher number means a superset of instructions. */
#define MOE_CPU_SCALAR 0       /* portable C, no explicit SIMD (the reference level)                       */
#define MOE_CPU_AVX2 1         /* AVX2 + FMA + F16C                                                        */
#define MOE_CPU_AVX512 2       /* AVX-512 F/BW/VL/DQ + VNNI + BF16 (Zen 4, Sapphire Rapids…)               */
#define MOE_CPU_NEON 3         /* AArch64 Advanced SIMD (every ARMv8-A CPU)                                */
#define MOE_CPU_NEON_DOTPROD 4 /* + SDOT/UDOT (ARMv8.2-A dotprod: Cortex-A76+, Neoverse N1+, Apple M1+)    */
#define MOE_CPU_NEON_I8MM 5    /* + SMMLA (ARMv8.6-A i8mm: Neoverse V1/N2/V2, Graviton 3/4, Apple M2+)     */
#define MOE_CPU_LEVELS 6       /* levels are 0 .. MOE_CPU_LEVELS - 1 */

/* Best level this CPU, its operating system and this build support. */
MOE_API int moe_cpu_detect(void);
/* 1 when this CPU and build run `level` (SCALAR always; the levels of the build's own architecture up to the detected
 * one), else 0 (also for a level out of range). */
MOE_API int moe_cpu_supports(int level);
/* Static name of a level ("scalar", "avx2", "avx512", "neon", "neon_dotprod", "neon_i8mm"), or "unknown". */
MOE_API const char *moe_cpu_level_name(int level);

/* ---- weight types ------------------------------------------------------------------------------------------------ */
/* Block geometry of a ggml type: elements per block and bytes per block. MOE_ERR_UNSUPPORTED_TYPE if the kernels lack it. */
MOE_API int moe_type_block(int type, int64_t *block_elems, int64_t *block_bytes);

/* ---- context: dispatch level + worker pool ----------------------------------------------------------------------- */
typedef struct moe_ctx moe_ctx;

/* level: one of MOE_CPU_* (moe_cpu_supports(level) must hold, else MOE_ERR_UNSUPPORTED_CPU), or -1 for the best.
 * n_threads: total threads doing work, the caller included (1 = no workers), 1..256.
 * MOE_ERR_UNSUPPORTED_TYPE if this build's tables for the level lack a kernel of some format (a broken build). */
MOE_API int moe_ctx_create(int level, int n_threads, moe_ctx **out);
/* Stops and joins the workers and frees the context. NULL is allowed. */
MOE_API int moe_ctx_destroy(moe_ctx *ctx);
MOE_API int moe_ctx_level(const moe_ctx *ctx);
MOE_API int moe_ctx_threads(const moe_ctx *ctx);

/* ---- tensor kernels ---------------------------------------------------------------------------------------------- */
/* Dequantize n elements (a multiple of the block size) from src into dst. */
MOE_API int moe_tensor_dequantize(const moe_ctx *ctx, int type, const void *src, int64_t n, float *dst);

/* y[r] = dot(W row r, x) for r in [0, rows). W rows are row_bytes apart; cols is a multiple of the block size and
 * row_bytes >= cols/block_elems*block_bytes. x has cols floats, y has rows floats. Uses the context's workers. */
MOE_API int moe_tensor_matvec(moe_ctx *ctx, int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols,
                              const float *x, float *y);

/* Y[t][r] = dot(W row r, X[t]) for t in [0, n_tokens): X[t] starts at x + t*x_stride, Y[t] at y + t*y_stride (strides
 * in floats). Each weight row is read once for the whole batch (prefill). Uses the context's workers. */
MOE_API int moe_tensor_matmul(moe_ctx *ctx, int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols,
                              const float *x, int64_t x_stride, int64_t n_tokens, float *y, int64_t y_stride);

/* Embedding lookup: out[i] = dequantized row ids[i] of a table of n_rows rows of cols elements, row_bytes apart.
 * Every id is checked against [0, n_rows) before anything is written (MOE_ERR_INVALID_ARG). */
MOE_API int moe_tensor_get_rows(const moe_ctx *ctx, int type, const void *table, int64_t row_bytes, int64_t n_rows,
                                int64_t cols, const int32_t *ids, int64_t n_ids, float *out);

/* ---- products with 8-bit activations, as llama.cpp computes them ----------------------------------------------------
 * ggml's CPU backend does not multiply quantized weights with f32 activations: it first quantizes each activation row
 * to the weight type's "vec_dot_type" and takes integer dot products. These calls do the same, so their results equal
 * llama.cpp's up to float summation order:
 *   Q8_0 activations (blocks of 32: d = max|x|/127, stored as fp16(d); q = round-half-even(x*id), id = 127/max|x|) for
 *     Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL weights (Q4_1/Q5_1 use ggml's Q8_1: the same quants plus s = fp16(d*sum(q))
 *     with the unrounded d);
 *   Q8_K activations (blocks of 256: max = the first element of largest magnitude, iscale = -127/max,
 *     q = min(127, round-half-even(iscale*x)), d = 1/iscale in f32, plus sums of each 16 quants) for Q2_K, Q3_K, Q4_K,
 *     Q5_K, Q6_K, IQ4_XS.
 * Each weight block's integer dot product is exact; blocks are then scaled in f32 with ggml's scalar formulas and summed
 * in a fixed order, so every dispatch level and thread count returns the same floats.
 *
 * Quantized activation rows ("xq") have this layout, one token after the other (nb = blocks per row, little-endian):
 *   Q8_0 family: int8 qs[32*np] | float d[np] | float s[np] | int32 sum[np], np = nb rounded up to a multiple of 16,
 *     the extra blocks all zero (d and s hold fp16-rounded values; sum is the exact sum of the block's quants);
 *   Q8_K family: int8 qs[256*nb] | float d[nb] | int16 bsums[16*nb], then zeros up to a multiple of 64 bytes.
 * Activations must be finite; other values give unspecified (but memory-safe) results. */

/* Bytes of one quantized activation row of `cols` activations for products with weights of `type` (a multiple of 64).
 * MOE_ERR_UNSUPPORTED_TYPE for F32/F16/BF16 and unknown types; cols must be a multiple of the type's block size. */
MOE_API int moe_tensor_q8_row_bytes(int type, int64_t cols, int64_t *row_bytes);

/* Quantizes n_tokens rows of `cols` f32 activations (row t at x + t*x_stride floats) for products with `type` into xq,
 * rows moe_tensor_q8_row_bytes apart; xq_bytes (>= n_tokens * row bytes) is the size of the buffer. Uses the workers for
 * large batches. */
MOE_API int moe_tensor_q8_quantize(moe_ctx *ctx, int type, const float *x, int64_t cols, int64_t n_tokens,
                                   int64_t x_stride, void *xq, int64_t xq_bytes);

/* Y[t][r] = dot(W row r, quantized activation row t) for t < n_tokens, from rows made by moe_tensor_q8_quantize with
 * the same type and cols. Y[t] starts at y + t*y_stride floats. Uses the workers. */
MOE_API int moe_tensor_q8_matmul(moe_ctx *ctx, int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols,
                                 const void *xq, int64_t xq_bytes, int64_t n_tokens, float *y, int64_t y_stride);

/* moe_tensor_matmul with ggml's activation numerics: quantized types quantize x once (into a buffer the context keeps
 * and reuses) and take the integer products above; F16 / BF16 weights see x rounded to f16 / bf16; F32 is
 * moe_tensor_matmul. Same arguments as moe_tensor_matmul; MOE_ERR_OUT_OF_MEMORY if the buffer cannot grow. */
MOE_API int moe_tensor_matmul_ggml(moe_ctx *ctx, int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols,
                                   const float *x, int64_t x_stride, int64_t n_tokens, float *y, int64_t y_stride);

/* ---- fused routed experts (decoding) --------------------------------------------------------------------------------
 * The routed-expert half of a MoE FFN for ONE token in one call (ggml's mul_mat_id + SwiGLU + weighted sum):
 *   out = sum_{j < k} weights[j] * down_j( silu(gate_j x) * (up_j x) )
 * gate[j], up[j]: `ffn` rows of `dim` elements of gate_up_type, gu_row_bytes apart; down[j]: `dim` rows of `ffn`
 * elements of down_type, d_row_bytes apart. Both types must have 8-bit-activation kernels (the quantized types; not
 * F32/F16/BF16): the products are exactly moe_tensor_matmul_ggml's, the SwiGLU moe_op_swiglu's and the sum k calls of
 * moe_op_axpy in order j = 0, 1, ... into a zeroed `out`, so the result equals those separate calls bit for bit.
 * 1 <= k <= MOE_FFN_MAX_EXPERTS. x and out hold dim floats and must not overlap. Uses the context's workers. */
#define MOE_FFN_MAX_EXPERTS 256

/* n_mats one-token products of one type and shape in one call (MLA's per-head matrices when decoding):
 *   y + m*y_mat_stride = W_m · (x + m*x_mat_stride)   for m < n_mats,
 * each W_m `rows` rows of `cols` elements, row_bytes apart; numbers exactly those of moe_tensor_matmul_ggml with one
 * token. Quantized types only (see moe_ffn_experts); 1 <= n_mats <= MOE_FFN_MAX_EXPERTS. The outputs must not overlap
 * each other or the inputs. Uses the context's workers. */
MOE_API int moe_tensor_matvec_batch(moe_ctx *ctx, int type, const void *const *w, int64_t row_bytes, int64_t rows,
                                    int64_t cols, int64_t n_mats, const float *x, int64_t x_mat_stride, float *y,
                                    int64_t y_mat_stride);
MOE_API int moe_ffn_experts(moe_ctx *ctx, int gate_up_type, int down_type, int64_t dim, int64_t ffn, int64_t k,
                            const void *const *gate, const void *const *up, const void *const *down,
                            int64_t gu_row_bytes, int64_t d_row_bytes, const float *weights, const float *x, float *out);

/* ---- elementwise and row ops (f32) -------------------------------------------------------------------------------- */
/* out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, for n_rows contiguous rows of n. weight may be NULL (no scaling).
 * out may equal x. */
MOE_API int moe_op_rmsnorm(const moe_ctx *ctx, const float *x, const float *weight, int64_t n, int64_t n_rows, float eps,
                           float *out);

/* In-place rotary embedding, ggml_rope_ext semantics. x holds n_tokens tokens (token_stride floats apart) of n_heads heads
 * (head_stride floats apart); the first n_rot dims of each head rotate, the rest are left alone.
 * mode 0 = NORM (pairs 2i, 2i+1), mode 2 = NEOX (pairs i, i + n_rot/2).
 * theta_i = pos * freq_base^(-2i/n_rot); YaRN: freq_scale = 1/factor, ext_factor (1 = YaRN ramp on, 0 = off),
 * attn_factor scales cos/sin (YaRN's mscale is applied on top when ext_factor != 0), beta_fast/beta_slow and
 * n_ctx_orig define the ramp. Plain RoPE: freq_scale 1, ext_factor 0, attn_factor 1. */
MOE_API int moe_op_rope(const moe_ctx *ctx, float *x, int64_t n_tokens, int64_t token_stride, int64_t n_heads,
                        int64_t head_stride, int64_t n_rot, const int32_t *positions, int mode, float freq_base,
                        float freq_scale, float ext_factor, float attn_factor, float beta_fast, float beta_slow,
                        int32_t n_ctx_orig);

/* In-place softmax of n_rows contiguous rows of n, after multiplying by scale (max-subtracted, f32). */
MOE_API int moe_op_softmax(const moe_ctx *ctx, float *x, int64_t n, int64_t n_rows, float scale);

/* In-place softmax with attention sinks (ggml_soft_max_ext with a sinks tensor; gpt-oss, DeepSeek-V4): row r of n_rows
 * contiguous rows of n becomes exp(x_i*scale - m) / (sum_j exp(x_j*scale - m) + exp(sinks[r] - m)) with
 * m = max(max_j x_j*scale, sinks[r]). sinks holds n_rows logits, not scaled, and must not overlap x. The sink takes
 * probability mass and yields no value, so a row sums to less than 1. Rules of moe_op_softmax: scale > 0; a row of
 * -inf with a -inf sink gives 0; NaN (or +inf) in the row or as its sink makes the row NaN. */
MOE_API int moe_op_softmax_sinks(const moe_ctx *ctx, float *x, int64_t n, int64_t n_rows, float scale,
                                 const float *sinks);

/* out[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i]. out may alias gate or up. */
MOE_API int moe_op_swiglu(const moe_ctx *ctx, const float *gate, const float *up, int64_t n, float *out);

/* gpt-oss's clamped SwiGLU (ggml_swiglu_oai): g = min(gate[i], limit), u = clamp(up[i], -limit, limit),
 * out[i] = g * sigmoid(alpha * g) * (u + 1), computed as ggml does: g / (1 + exp(alpha * -g)) * (u + 1).
 * alpha finite, limit finite and >= 0 (gpt-oss: 1.702 and 7). NaN inputs give NaN. out may alias gate or up. */
MOE_API int moe_op_swiglu_oai(const moe_ctx *ctx, const float *gate, const float *up, int64_t n, float alpha,
                              float limit, float *out);

/* The k largest of x[0..n) in descending order: indices into idx, values into val (val may be NULL).
 * Ties: the lower index first. NaN is treated as smaller than every number. 1 <= k <= n. */
MOE_API int moe_op_topk(const moe_ctx *ctx, const float *x, int64_t n, int64_t k, int32_t *idx, float *val);

/* out[i] = a[i] + b[i]. out may alias a or b. */
MOE_API int moe_op_add(const moe_ctx *ctx, const float *a, const float *b, int64_t n, float *out);
/* out[i] = x[i] * s. out may alias x. */
MOE_API int moe_op_scale(const moe_ctx *ctx, const float *x, int64_t n, float s, float *out);
/* y[i] += a * x[i] (combining expert outputs with their routing weights). */
MOE_API int moe_op_axpy(const moe_ctx *ctx, float a, const float *x, int64_t n, float *y);

#ifdef __cplusplus
}
#endif
#endif /* MOE4J_H */
