/*
 * cuda_internal.h - what the files of libmoe4j_cuda share beyond moe4j_cuda.h: the handle layouts, the weight-type
 * table, error reporting, the argument checks (check.cpp) and the kernel launchers (k_*.cu).
 *
 * Plain C++ without CUDA headers, so that the host-only test (test/cuda_host_test.cpp) can build check.cpp and
 * status.cpp with the ordinary compiler and exercise every check without a device. Device pointers are plain pointers
 * here; the stream is an opaque pointer (a cudaStream_t).
 */
#ifndef MOE4J_CUDA_INTERNAL_H
#define MOE4J_CUDA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "moe4j_cuda.h"

/* ---- weight types ------------------------------------------------------------------------------------------------ */
/* Dense index of the types with CUDA kernels (the kernels are templates on it): MCT_<NAME>, one per row of
 * cuda_formats.def, in its order. */
enum moe_cuda_type {
#define MOE_CUDA_FORMAT(NAME, ...) MCT_##NAME,
#include "cuda_formats.def"
#undef MOE_CUDA_FORMAT
    MCT_COUNT
};

struct moe_cuda_type_info {
    int ggml_id;
    int64_t block_elems;
    int64_t block_bytes;
    int64_t align; /* required alignment of a weight buffer and of row_bytes */
    const char *name;
};

extern const moe_cuda_type_info moe_cuda_types[MCT_COUNT];
/* Dense index of a ggml id, or -1 when there is no CUDA kernel for it. */
int moe_cuda_type_of(int ggml_id);

/* ---- handles ----------------------------------------------------------------------------------------------------- */
/* One device allocation, shared by a buffer and its views; freed when refs drops to 0. */
struct moe_cuda_mem {
    void *ptr;
    int device;
    int refs; /* changed with __atomic builtins: views may be freed from any thread */
};

struct moe_cuda_buf {
    moe_cuda_mem *mem;
    char *ptr;     /* device address of byte 0 of this handle */
    int64_t bytes; /* size of this handle's range */
    int device;
};

struct moe_cuda_ctx {
    int device;
    void *stream;        /* cudaStream_t */
    char *scratch;       /* device memory for the host arrays an op uploads (ids, positions, plans, angle tables) */
    int64_t scratch_bytes;
};

/* ---- errors ------------------------------------------------------------------------------------------------------ */
/* Records a printf-style message as this thread's moe_cuda_last_error() and returns status. */
int moe_cuda_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Status for a cudaError_t value (passed as int so that this header needs no CUDA headers). */
int moe_cuda_status_of(int cuda_error);
/* MOE_CUDA_OK for cudaSuccess; else records "<where>: <CUDA's description> (<error name>)" and returns its status. */
int moe_cuda_check(int cuda_error, const char *where);

/* ---- argument checks (check.cpp) ---------------------------------------------------------------------------------
 * Each returns MOE_CUDA_OK or a negative status after recording a message that starts with fn and names the argument.
 * Counts must be >= 1 and every byte range must lie inside its buffer. */

/* Floats [first, first + count) of b exist and b is 4-byte aligned. */
int moe_cuda_check_floats(const char *fn, const char *arg, const moe_cuda_buf *b, int64_t first, int64_t count);
/* n_vec vectors of len floats, stride floats apart, fit in b (stride >= len when n_vec > 1 unless overlap_ok). */
int moe_cuda_check_strided(const char *fn, const char *arg, const moe_cuda_buf *b, int64_t n_vec, int64_t stride,
                           int64_t len, int overlap_ok);
/* A weight of rows x cols of `type` (ggml id), row_bytes apart, inside w with the type's alignment. On success
 * *type_index is the dense index. */
int moe_cuda_check_matrix(const char *fn, int type, const moe_cuda_buf *w, int64_t row_bytes, int64_t rows,
                          int64_t cols, int *type_index);
/* 1 when the spans of `span` floats at i * s0 + j * s1 (i < c0, j < c1; strides >= 0) are pairwise disjoint and all
 * end below INT64_MAX / 4 floats, else 0. Sufficient, not necessary: the smaller stride must clear one span, the larger
 * one the whole run along the smaller axis (the rule of moe_op_rope). */
int moe_cuda_layout_disjoint(int64_t c0, int64_t s0, int64_t c1, int64_t s1, int64_t span);
/* The RoPE argument rules of moe_op_rope (ops.c), with x a buffer. */
int moe_cuda_check_rope(const char *fn, const moe_cuda_buf *x, int64_t n_tokens, int64_t token_stride,
                        int64_t n_heads, int64_t head_stride, int64_t n_rot, const int32_t *positions, int mode,
                        float freq_base, float freq_scale, float ext_factor, float attn_factor, float beta_fast,
                        float beta_slow, int32_t n_ctx_orig);
/* An output range that is either exactly an input range (in place) or disjoint from it; partial overlap is refused
 * (a kernel would read values another thread already overwrote). Ranges start at each handle's first byte. */
int moe_cuda_check_alias(const char *fn, const char *in_name, const moe_cuda_buf *in, int64_t in_bytes,
                         const char *out_name, const moe_cuda_buf *out, int64_t out_bytes, int same_ok);
/* ids[0 .. n) all in [0, limit). */
int moe_cuda_check_ids(const char *fn, const char *arg, const int32_t *ids, int64_t n, int64_t limit);

/* ---- launchers (k_*.cu): queue a kernel on `stream`; return the launch's status (moe_cuda_check) -------------------
 * Arguments are already checked. Pointers are device addresses; offsets and strides in floats. */

/* Matrix-vector products of `pairs` (weight, vector) pairs, one warp per output row: pair p uses the matrix at
 * w + expert[p] * expert_bytes (expert NULL: 0), x + x_off[p], y + y_off[p] (NULL arrays: offset 0). */
int moe_cuda_launch_matvec(void *stream, int ti, const char *w, int64_t row_bytes, int64_t rows, int64_t cols,
                           int64_t expert_bytes, const int32_t *expert, int64_t pairs, const float *x,
                           const int64_t *x_off, float *y, const int64_t *y_off);

/* Tiled products for many vectors. An item is up to MOE_CUDA_TILE_T vectors that share one matrix:
 * item i uses matrix item_expert[i], vectors item_first[i] .. + item_count[i] (NULL arrays: matrix 0 and vectors
 * MOE_CUDA_TILE_T * i .. of n_vectors). Vector j reads x + x_off[j], writes y + y_off[j] (NULL: j * x_stride /
 * j * y_stride). */
#define MOE_CUDA_TILE_T 32
int moe_cuda_launch_gemm(void *stream, int ti, const char *w, int64_t row_bytes, int64_t rows, int64_t cols,
                         int64_t expert_bytes, int64_t n_items, const int32_t *item_expert, const int32_t *item_first,
                         const int32_t *item_count, int64_t n_vectors, const float *x, const int64_t *x_off,
                         int64_t x_stride, float *y, const int64_t *y_off, int64_t y_stride);

/* dst[i * cols ..] = dequantized row (ids ? ids[i] : i) of src, rows row_bytes apart, for i < n_rows. */
int moe_cuda_launch_dequant_rows(void *stream, int ti, const char *src, int64_t row_bytes, int64_t cols,
                                 const int32_t *ids, int64_t n_rows, float *dst);

int moe_cuda_launch_rmsnorm(void *stream, const float *x, const float *weight, int64_t n, int64_t n_rows, float eps,
                            float *out);
/* cs holds n_tokens rows of n_rot/2 (cos, sin) pairs, already scaled by mscale. */
int moe_cuda_launch_rope(void *stream, float *x, int64_t n_tokens, int64_t token_stride, int64_t n_heads,
                         int64_t head_stride, int64_t n_rot, int mode, const float *cs);
/* sinks: NULL for the plain softmax, else n_rows floats (moe_cuda_op_softmax_sinks). */
int moe_cuda_launch_softmax(void *stream, float *x, int64_t n, int64_t n_rows, float scale, const float *sinks);
int moe_cuda_launch_swiglu(void *stream, const float *gate, const float *up, int64_t n, float *out);
int moe_cuda_launch_swiglu_oai(void *stream, const float *gate, const float *up, int64_t n, float alpha, float limit,
                               float *out);
int moe_cuda_launch_topk(void *stream, const float *x, int64_t n, int64_t n_rows, int64_t k, int32_t *idx, float *val);
/* MLA attention (moe_cuda_op_mla_attend), arguments checked. */
#define MOE_CUDA_MLA_MAX_WIDTH 1024
int moe_cuda_launch_mla(void *stream, const float *cache, int64_t width, int64_t r, int64_t pos0, int64_t n_tokens,
                        int64_t n_heads, const float *qcur, float scale, float *obar);
int moe_cuda_launch_add(void *stream, const float *a, const float *b, int64_t n, float *out);
int moe_cuda_launch_scale(void *stream, const float *x, int64_t n, float s, float *out);
int moe_cuda_launch_axpy(void *stream, float a, const float *x, int64_t n, float *y);

#endif /* MOE4J_CUDA_INTERNAL_H */
