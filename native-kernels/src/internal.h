/*
 * internal.h - declarations shared by the files of libmoe4j that are not part of the public ABI (moe4j.h):
 * the weight-type table, the per-level kernel tables, the context layout and the worker pool.
 */
#ifndef MOE4J_INTERNAL_H
#define MOE4J_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "moe4j.h"

/* ---- which levels this build has ----------------------------------------------------------------------------------
 * The scalar level is compiled everywhere; the SIMD level files only for their own architecture. */
#if defined(__x86_64__) || defined(__i386__)
#define MOE_HAVE_X86_LEVELS 1
#else
#define MOE_HAVE_X86_LEVELS 0
#endif
#if defined(__aarch64__)
#define MOE_HAVE_NEON_LEVELS 1
#else
#define MOE_HAVE_NEON_LEVELS 0
#endif

/* 64-byte aligned heap memory: C11 aligned_alloc is missing from Windows' C runtime, whose _aligned_malloc memory must
 * be released with _aligned_free. Every buffer from moe_aligned_alloc goes back through moe_aligned_free. */
#if defined(_WIN32)
#include <malloc.h>
static inline void *moe_aligned_alloc(size_t bytes) {
    return _aligned_malloc(bytes, 64);
}
static inline void moe_aligned_free(void *p) {
    _aligned_free(p);
}
#else
#include <stdlib.h>
static inline void *moe_aligned_alloc(size_t bytes) {
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}
static inline void moe_aligned_free(void *p) {
    free(p);
}
#endif

/* ---- weight types --------------------------------------------------------------------------------------------------
 * One row per format in formats.def. Kernel tables are indexed by a dense internal index, not by the sparse ggml id. */

/* Which quantized-activation format a weight type multiplies with (formats.def's last column). */
enum moe_q8_family { MOE_Q8_NONE = -1, MOE_Q8_SMALL = 0 /* Q8_0/Q8_1, 32 */, MOE_Q8_K = 1 /* Q8_K, 256 */ };

enum moe_type_index {
#define MOE_FORMAT(name, id, elems, bytes, family) MOE_T_##name,
#include "formats.def"
#undef MOE_FORMAT
    MOE_N_TYPES
};

typedef struct moe_type_info {
    int ggml_id;         /* GGUF tensor type id */
    int64_t block_elems; /* elements per block */
    int64_t block_bytes; /* bytes per block */
    const char *name;
    int q8_family; /* enum moe_q8_family */
} moe_type_info;

/* Geometry of internal type index i (0 <= i < MOE_N_TYPES). */
extern const moe_type_info moe_types[MOE_N_TYPES];
/* Internal index of a ggml id, or -1 when the kernels do not support it. */
int moe_type_index_of(int ggml_id);

/* ---- kernel tables (one per dispatch level) --------------------------------------------------------------------- */

/* Decodes n_blocks consecutive blocks at src into n_blocks*block_elems floats at dst. Every level produces
 * bit-identical floats (the formulas of quant-formats.md evaluated in f32 with one rounding per operation). */
typedef void (*moe_dequant_fn)(const void *src, int64_t n_blocks, float *dst);
/* Dot product of one weight row of n_blocks blocks with x (n_blocks*block_elems floats), accumulated in f32. */
typedef float (*moe_dot_fn)(const void *row, int64_t n_blocks, const float *x);
/* Multi-token dot: out[t*out_stride] = dot(row, x + t*x_stride) for t < n_tok (1 <= n_tok <= the table's dotn_max),
 * decoding the row once for all tokens. */
typedef void (*moe_dotn_fn)(const void *row, int64_t n_blocks, const float *x, int64_t x_stride, int n_tok, float *out,
                            int64_t out_stride);
/* f32 tile product: y[t*y_stride + r] (+)= sum_{k<k_len} w[r*w_stride + k] * x[t*x_stride + k]
 * for r < n_rows, t < n_tok; adds to y when accumulate != 0, else overwrites. */
typedef void (*moe_gemm_fn)(const float *w, int64_t w_stride, int n_rows, const float *x, int64_t x_stride,
                            int64_t n_tok, int64_t k_len, float *y, int64_t y_stride, int accumulate);

/* The f32-activation kernels of one format at one level. */
typedef struct moe_format_kernels {
    moe_dequant_fn dequant;
    moe_dot_fn dot;
    moe_dotn_fn dotn;
} moe_format_kernels;

/* One table row of a level's f32 kernels, for a format whose functions are named dq_<s>, dot_<s>, dotn_<s>. */
#define MOE_F32_ROW(name, s) [MOE_T_##name] = {dq_##s, dot_##s, dotn_##s}
/* One table row of a level's 8-bit-activation products, for a format whose product is named q8dot_<s>. */
#define MOE_Q8_ROW(name, s) [MOE_T_##name] = q8dot_##s

typedef struct moe_kernels {
    int level;                            /* MOE_CPU_* */
    moe_format_kernels fmt[MOE_N_TYPES]; /* by internal type index; every format has all three at every level */
    int dotn_max; /* matmuls of at most this many tokens use dotn, larger ones dequantize tiles and use gemm */
    moe_gemm_fn gemm;
} moe_kernels;

extern const moe_kernels moe_kernels_scalar;
extern const moe_kernels moe_kernels_avx2;
extern const moe_kernels moe_kernels_avx512;
extern const moe_kernels moe_kernels_neon;
extern const moe_kernels moe_kernels_neon_dotprod;
extern const moe_kernels moe_kernels_neon_i8mm;

/* ---- 8-bit-activation kernels (q8_*.c; formats and arithmetic in q8_blocks.h) ---------------------------------- */

/* Quantizes one token row of n_blocks blocks of x into row (q8_blocks.h's layout of the family). */
typedef void (*moe_q8_quantize_fn)(const float *x, int64_t n_blocks, uint8_t *row);
/* out[t*out_stride + r] = dot(weight row r (at w + r*row_bytes, n_blocks blocks), activation row xq + t*xq_stride)
 * for r < n_rows and t < n_tok (1 <= n_tok <= dot_max), decoding each weight row once for all tokens. */
typedef void (*moe_q8_dot_fn)(const uint8_t *w, int64_t row_bytes, int64_t n_rows, int64_t n_blocks,
                              const uint8_t *xq, int64_t xq_stride, int n_tok, float *out, int64_t out_stride);

typedef struct moe_q8_kernels {
    moe_q8_quantize_fn quantize[2]; /* by moe_q8_family */
    moe_q8_dot_fn dot[MOE_N_TYPES]; /* NULL for the family NONE (F32, F16, BF16) */
    int dot_max;
} moe_q8_kernels;

extern const moe_q8_kernels moe_q8_kernels_scalar;
extern const moe_q8_kernels moe_q8_kernels_avx2;
extern const moe_q8_kernels moe_q8_kernels_avx512;
extern const moe_q8_kernels moe_q8_kernels_neon;
extern const moe_q8_kernels moe_q8_kernels_neon_dotprod;
extern const moe_q8_kernels moe_q8_kernels_neon_i8mm;

/* The family of internal type index ti, and the padded bytes of one quantized token row of `cols` activations. */
int moe_q8_family_of(int ti);
int64_t moe_q8_row_bytes_of(int ti, int64_t cols);

/* Matmul tiling: a thread dequantizes MOE_MM_TILE_ROWS weight rows x MOE_MM_TILE_K columns into its scratch buffer,
 * then multiplies that tile with every token. MOE_MM_TILE_K is a multiple of every block size (256). */
#define MOE_MM_TILE_ROWS 16
#define MOE_MM_TILE_K 4096

/* ---- worker pool ------------------------------------------------------------------------------------------------- */
typedef struct moe_pool moe_pool;
/* Work function: called on the caller (thread_index 0) and on every worker (1..n_threads-1) that arrives while the
 * caller is still busy with it, at most once per thread. A worker may miss a run, so work must be handed out
 * dynamically (chunks from an atomic counter), never split in advance by thread_index. */
typedef void (*moe_pool_fn)(void *arg, int thread_index);

/* Starts n_threads-1 workers (none when n_threads == 1). Returns MOE_OK, MOE_ERR_OUT_OF_MEMORY or MOE_ERR_THREAD. */
int moe_pool_create(int n_threads, moe_pool **out);
/* Stops and joins the workers. NULL is allowed. */
void moe_pool_destroy(moe_pool *pool);
/* Runs fn on the caller (thread 0) and on the workers that join in time, and returns when every thread that took part
 * has finished. Work that is too small to be worth waking the workers should call fn(arg, 0) directly instead. Not
 * reentrant: one run at a time. */
void moe_pool_run(moe_pool *pool, moe_pool_fn fn, void *arg);

/* ---- context ----------------------------------------------------------------------------------------------------- */
struct moe_ctx {
    int level;
    int n_threads;
    const moe_kernels *kernels;
    moe_pool *pool;
    float **scratch; /* per thread: MOE_MM_TILE_ROWS*MOE_MM_TILE_K floats for matmul, allocated on first use */
    const moe_q8_kernels *q8;
    void *act;         /* activations of moe_tensor_matmul_ggml: quantized rows, or rounded floats for F16/BF16 */
    int64_t act_bytes; /* its size; grown on demand, never shrunk */
    void *ffn;         /* scratch of moe_ffn_experts (ffn.c) */
    int64_t ffn_bytes; /* its size; grown on demand, never shrunk */
};

/* Threaded drivers (tensor.c); arguments are already validated by moe4j.c. */
void moe_run_matvec(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                    const float *x, float *y);
int moe_run_matmul(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                   const float *x, int64_t x_stride, int64_t n_tokens, float *y, int64_t y_stride);

/* 8-bit-activation drivers (tensor_q8.c); arguments already validated. xq_stride = bytes between token rows. */
void moe_run_q8_quantize(moe_ctx *ctx, int ti, const float *x, int64_t cols, int64_t n_tokens, int64_t x_stride,
                         uint8_t *xq);
void moe_run_q8_matmul(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                       const uint8_t *xq, int64_t xq_stride, int64_t n_tokens, float *y, int64_t y_stride);
/* One token row quantized on the calling thread (the layout moe_run_q8_matmul reads for weights of type ti). */
void moe_q8_quantize_row(const moe_ctx *ctx, int ti, const float *x, int64_t cols, uint8_t *xq);
/* *buf grown to at least `bytes` (64-byte aligned, contents lost when it grows), or NULL when it cannot grow. */
void *moe_grow_buffer(void **buf, int64_t *size, int64_t bytes);
int moe_run_matmul_ggml(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                        const float *x, int64_t x_stride, int64_t n_tokens, float *y, int64_t y_stride);

/* Fused routed experts of one token (ffn.c); arguments already validated (k <= MOE_FFN_MAX_EXPERTS). */
int moe_run_ffn_experts(moe_ctx *ctx, int ti_gu, int ti_d, int64_t dim, int64_t ffn, int64_t k,
                        const void *const *gate, const void *const *up, const void *const *down, int64_t gu_row_bytes,
                        int64_t d_row_bytes, const float *weights, const float *x, float *out);

/* Batched one-token products (ffn.c); arguments already validated, ti has 8-bit-activation kernels. */
int moe_run_matvec_batch(moe_ctx *ctx, int ti, const void *const *w, int64_t row_bytes, int64_t rows, int64_t cols,
                         int64_t n_mats, const float *x, int64_t x_mat_stride, float *y, int64_t y_mat_stride);

#endif /* MOE4J_INTERNAL_H */
