/*
 * moe4j.c - the ABI surface: status names, weight-type geometry, contexts, and the argument checks of the tensor
 * kernels. Every entry point validates all of its arguments before touching memory and reports a status; the work
 * itself is done by the context's kernel table (kernels_*.c) and the threaded drivers (tensor.c).
 */
#include <stdlib.h>

#include "internal.h"
#include "ops_internal.h"

const char *moe_status_str(int status) {
    switch (status) {
    case MOE_OK:
        return "ok";
    case MOE_ERR_INVALID_ARG:
        return "invalid argument";
    case MOE_ERR_UNSUPPORTED_TYPE:
        return "unsupported weight type";
    case MOE_ERR_OUT_OF_MEMORY:
        return "out of memory";
    case MOE_ERR_UNSUPPORTED_CPU:
        return "dispatch level not supported by this CPU or build";
    case MOE_ERR_THREAD:
        return "worker threads could not be started";
    default:
        return "unknown status";
    }
}

int moe_abi_version(void) {
    return MOE_ABI_VERSION;
}

/* ---- weight types ------------------------------------------------------------------------------------------------ */

const moe_type_info moe_types[MOE_N_TYPES] = {
#define MOE_FORMAT(name, id, elems, bytes, family) [MOE_T_##name] = {id, elems, bytes, #name, MOE_Q8_##family},
#include "formats.def"
#undef MOE_FORMAT
};

int moe_type_index_of(int ggml_id) {
    for (int i = 0; i < MOE_N_TYPES; i++) {
        if (moe_types[i].ggml_id == ggml_id) {
            return i;
        }
    }
    return -1;
}

int moe_type_block(int type, int64_t *block_elems, int64_t *block_bytes) {
    const int ti = moe_type_index_of(type);
    if (ti < 0) {
        return MOE_ERR_UNSUPPORTED_TYPE;
    }
    if (block_elems == NULL || block_bytes == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    *block_elems = moe_types[ti].block_elems;
    *block_bytes = moe_types[ti].block_bytes;
    return MOE_OK;
}

/* ---- contexts ---------------------------------------------------------------------------------------------------- */

/* The tables of a level this build has, or NULL. The x86 and AArch64 level files are only compiled for their own
 * architecture; the scalar level is everywhere. */
static const moe_q8_kernels *q8_kernels_of(int level) {
    switch (level) {
    case MOE_CPU_SCALAR:
        return &moe_q8_kernels_scalar;
#if MOE_HAVE_X86_LEVELS
    case MOE_CPU_AVX2:
        return &moe_q8_kernels_avx2;
    case MOE_CPU_AVX512:
        return &moe_q8_kernels_avx512;
#endif
#if MOE_HAVE_NEON_LEVELS
    case MOE_CPU_NEON:
        return &moe_q8_kernels_neon;
    case MOE_CPU_NEON_DOTPROD:
        return &moe_q8_kernels_neon_dotprod;
    case MOE_CPU_NEON_I8MM:
        return &moe_q8_kernels_neon_i8mm;
#endif
    default:
        return NULL;
    }
}

static const moe_kernels *kernels_of(int level) {
    switch (level) {
    case MOE_CPU_SCALAR:
        return &moe_kernels_scalar;
#if MOE_HAVE_X86_LEVELS
    case MOE_CPU_AVX2:
        return &moe_kernels_avx2;
    case MOE_CPU_AVX512:
        return &moe_kernels_avx512;
#endif
#if MOE_HAVE_NEON_LEVELS
    case MOE_CPU_NEON:
        return &moe_kernels_neon;
    case MOE_CPU_NEON_DOTPROD:
        return &moe_kernels_neon_dotprod;
    case MOE_CPU_NEON_I8MM:
        return &moe_kernels_neon_i8mm;
#endif
    default:
        return NULL;
    }
}

/* Whether a level's tables have every kernel of every format in formats.def: a build whose tables miss one is refused
 * when a context is made (every self-test makes one per level) instead of calling a NULL kernel later. */
static int tables_complete(const moe_kernels *k, const moe_q8_kernels *q8) {
    for (int ti = 0; ti < MOE_N_TYPES; ti++) {
        const moe_format_kernels *f = &k->fmt[ti];
        if (f->dequant == NULL || f->dot == NULL || f->dotn == NULL) {
            return 0;
        }
        if ((moe_types[ti].q8_family != MOE_Q8_NONE) != (q8->dot[ti] != NULL)) {
            return 0;
        }
    }
    return 1;
}

int moe_ctx_create(int level, int n_threads, moe_ctx **out) {
    if (out == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (level < -1 || level >= MOE_CPU_LEVELS || n_threads < 1 || n_threads > 256) {
        return MOE_ERR_INVALID_ARG;
    }
    if (level == -1) {
        level = moe_cpu_detect();
    } else if (!moe_cpu_supports(level)) {
        return MOE_ERR_UNSUPPORTED_CPU;
    }
    if (kernels_of(level) == NULL || q8_kernels_of(level) == NULL || moe_ops_level_of(level) == NULL ||
        !tables_complete(kernels_of(level), q8_kernels_of(level))) {
        return MOE_ERR_UNSUPPORTED_TYPE;
    }
    moe_ctx *ctx = (moe_ctx *)calloc(1, sizeof(*ctx));
    if (ctx == NULL) {
        return MOE_ERR_OUT_OF_MEMORY;
    }
    ctx->scratch = (float **)calloc((size_t)n_threads, sizeof(float *));
    if (ctx->scratch == NULL) {
        free(ctx);
        return MOE_ERR_OUT_OF_MEMORY;
    }
    ctx->level = level;
    ctx->n_threads = n_threads;
    ctx->kernels = kernels_of(level);
    ctx->q8 = q8_kernels_of(level);
    const int st = moe_pool_create(n_threads, &ctx->pool);
    if (st != MOE_OK) {
        free(ctx->scratch);
        free(ctx);
        return st;
    }
    *out = ctx;
    return MOE_OK;
}

int moe_ctx_destroy(moe_ctx *ctx) {
    if (ctx == NULL) {
        return MOE_OK;
    }
    moe_pool_destroy(ctx->pool);
    for (int i = 0; i < ctx->n_threads; i++) {
        moe_aligned_free(ctx->scratch[i]);
    }
    free(ctx->scratch);
    moe_aligned_free(ctx->act);
    moe_aligned_free(ctx->ffn);
    free(ctx);
    return MOE_OK;
}

int moe_ctx_level(const moe_ctx *ctx) {
    return ctx == NULL ? MOE_ERR_INVALID_ARG : ctx->level;
}

int moe_ctx_threads(const moe_ctx *ctx) {
    return ctx == NULL ? MOE_ERR_INVALID_ARG : ctx->n_threads;
}

/* ---- argument checks --------------------------------------------------------------------------------------------- */

/* Checks a matrix of `rows` rows of `cols` elements, `row_bytes` apart; returns the type index or a negative status. */
static int check_matrix(int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols) {
    const int ti = moe_type_index_of(type);
    if (ti < 0) {
        return MOE_ERR_UNSUPPORTED_TYPE;
    }
    if (w == NULL || rows <= 0 || cols <= 0 || cols % moe_types[ti].block_elems != 0) {
        return MOE_ERR_INVALID_ARG;
    }
    const int64_t need = cols / moe_types[ti].block_elems * moe_types[ti].block_bytes;
    if (row_bytes < need || rows - 1 > (INT64_MAX - need) / row_bytes) {
        return MOE_ERR_INVALID_ARG; /* rows too short, or the matrix would not fit in an address space */
    }
    return ti;
}

int moe_tensor_dequantize(const moe_ctx *ctx, int type, const void *src, int64_t n, float *dst) {
    if (ctx == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    const int ti = moe_type_index_of(type);
    if (ti < 0) {
        return MOE_ERR_UNSUPPORTED_TYPE;
    }
    if (src == NULL || dst == NULL || n <= 0 || n % moe_types[ti].block_elems != 0) {
        return MOE_ERR_INVALID_ARG;
    }
    ctx->kernels->fmt[ti].dequant(src, n / moe_types[ti].block_elems, dst);
    return MOE_OK;
}

int moe_tensor_matvec(moe_ctx *ctx, int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols,
                      const float *x, float *y) {
    if (ctx == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    const int ti = check_matrix(type, w, row_bytes, rows, cols);
    if (ti < 0) {
        return ti;
    }
    if (x == NULL || y == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    moe_run_matvec(ctx, ti, (const uint8_t *)w, row_bytes, rows, cols, x, y);
    return MOE_OK;
}

int moe_tensor_matmul(moe_ctx *ctx, int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols,
                      const float *x, int64_t x_stride, int64_t n_tokens, float *y, int64_t y_stride) {
    if (ctx == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    const int ti = check_matrix(type, w, row_bytes, rows, cols);
    if (ti < 0) {
        return ti;
    }
    if (x == NULL || y == NULL || n_tokens <= 0 || x_stride < cols || y_stride < rows ||
        n_tokens - 1 > (INT64_MAX - cols) / x_stride || n_tokens - 1 > (INT64_MAX - rows) / y_stride) {
        return MOE_ERR_INVALID_ARG;
    }
    return moe_run_matmul(ctx, ti, (const uint8_t *)w, row_bytes, rows, cols, x, x_stride, n_tokens, y, y_stride);
}

int moe_tensor_get_rows(const moe_ctx *ctx, int type, const void *table, int64_t row_bytes, int64_t n_rows,
                        int64_t cols, const int32_t *ids, int64_t n_ids, float *out) {
    if (ctx == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    const int ti = check_matrix(type, table, row_bytes, n_rows, cols);
    if (ti < 0) {
        return ti;
    }
    if (ids == NULL || out == NULL || n_ids <= 0 || n_ids > INT64_MAX / cols) {
        return MOE_ERR_INVALID_ARG;
    }
    for (int64_t i = 0; i < n_ids; i++) { /* all ids first: a bad one must leave `out` untouched */
        if (ids[i] < 0 || ids[i] >= n_rows) {
            return MOE_ERR_INVALID_ARG;
        }
    }
    const uint8_t *base = (const uint8_t *)table;
    const int64_t n_blocks = cols / moe_types[ti].block_elems;
    for (int64_t i = 0; i < n_ids; i++) {
        ctx->kernels->fmt[ti].dequant(base + (int64_t)ids[i] * row_bytes, n_blocks, out + i * cols);
    }
    return MOE_OK;
}

/* ---- 8-bit-activation products ----------------------------------------------------------------------------------- */

int moe_tensor_q8_row_bytes(int type, int64_t cols, int64_t *row_bytes) {
    const int ti = moe_type_index_of(type);
    if (ti < 0 || moe_q8_family_of(ti) == MOE_Q8_NONE) {
        return MOE_ERR_UNSUPPORTED_TYPE;
    }
    if (row_bytes == NULL || cols <= 0 || cols % moe_types[ti].block_elems != 0 || cols > INT64_MAX / 8) {
        return MOE_ERR_INVALID_ARG;
    }
    *row_bytes = moe_q8_row_bytes_of(ti, cols);
    return MOE_OK;
}

/* Checks n_tokens rows of `cols` floats x_stride apart; MOE_OK or MOE_ERR_INVALID_ARG. */
static int check_rows(const float *x, int64_t cols, int64_t n_tokens, int64_t x_stride) {
    if (x == NULL || n_tokens <= 0 || x_stride < cols || n_tokens - 1 > (INT64_MAX - cols) / x_stride) {
        return MOE_ERR_INVALID_ARG;
    }
    return MOE_OK;
}

/* The quantized-activation type index of `type` with cols checked, or a negative status. */
static int check_q8_type(int type, int64_t cols) {
    const int ti = moe_type_index_of(type);
    if (ti < 0 || moe_q8_family_of(ti) == MOE_Q8_NONE) {
        return MOE_ERR_UNSUPPORTED_TYPE;
    }
    if (cols <= 0 || cols % moe_types[ti].block_elems != 0 || cols > INT64_MAX / 8) {
        return MOE_ERR_INVALID_ARG;
    }
    return ti;
}

/* Whether xq_bytes holds n_tokens quantized rows of row_bytes. */
static int xq_fits(int64_t xq_bytes, int64_t n_tokens, int64_t row_bytes) {
    return n_tokens <= xq_bytes / row_bytes;
}

int moe_tensor_q8_quantize(moe_ctx *ctx, int type, const float *x, int64_t cols, int64_t n_tokens, int64_t x_stride,
                           void *xq, int64_t xq_bytes) {
    if (ctx == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    const int ti = check_q8_type(type, cols);
    if (ti < 0) {
        return ti;
    }
    if (check_rows(x, cols, n_tokens, x_stride) != MOE_OK || xq == NULL ||
        !xq_fits(xq_bytes, n_tokens, moe_q8_row_bytes_of(ti, cols))) {
        return MOE_ERR_INVALID_ARG;
    }
    moe_run_q8_quantize(ctx, ti, x, cols, n_tokens, x_stride, (uint8_t *)xq);
    return MOE_OK;
}

int moe_tensor_q8_matmul(moe_ctx *ctx, int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols,
                         const void *xq, int64_t xq_bytes, int64_t n_tokens, float *y, int64_t y_stride) {
    if (ctx == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    int ti = check_matrix(type, w, row_bytes, rows, cols);
    if (ti < 0) {
        return ti;
    }
    ti = check_q8_type(type, cols);
    if (ti < 0) {
        return ti;
    }
    const int64_t xq_row = moe_q8_row_bytes_of(ti, cols);
    if (xq == NULL || y == NULL || n_tokens <= 0 || !xq_fits(xq_bytes, n_tokens, xq_row) || y_stride < rows ||
        n_tokens - 1 > (INT64_MAX - rows) / y_stride) {
        return MOE_ERR_INVALID_ARG;
    }
    moe_run_q8_matmul(ctx, ti, (const uint8_t *)w, row_bytes, rows, cols, (const uint8_t *)xq, xq_row, n_tokens, y,
                      y_stride);
    return MOE_OK;
}

int moe_tensor_matmul_ggml(moe_ctx *ctx, int type, const void *w, int64_t row_bytes, int64_t rows, int64_t cols,
                           const float *x, int64_t x_stride, int64_t n_tokens, float *y, int64_t y_stride) {
    if (ctx == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    const int ti = check_matrix(type, w, row_bytes, rows, cols);
    if (ti < 0) {
        return ti;
    }
    if (check_rows(x, cols, n_tokens, x_stride) != MOE_OK || y == NULL || y_stride < rows ||
        n_tokens - 1 > (INT64_MAX - rows) / y_stride || cols > INT64_MAX / 8 ||
        n_tokens > INT64_MAX / 8 / (cols + 64)) { /* the activation buffer's size must fit in int64 */
        return MOE_ERR_INVALID_ARG;
    }
    return moe_run_matmul_ggml(ctx, ti, (const uint8_t *)w, row_bytes, rows, cols, x, x_stride, n_tokens, y, y_stride);
}

int moe_ffn_experts(moe_ctx *ctx, int gate_up_type, int down_type, int64_t dim, int64_t ffn, int64_t k,
                    const void *const *gate, const void *const *up, const void *const *down, int64_t gu_row_bytes,
                    int64_t d_row_bytes, const float *weights, const float *x, float *out) {
    if (ctx == NULL || k < 1 || k > MOE_FFN_MAX_EXPERTS || gate == NULL || up == NULL || down == NULL ||
        weights == NULL || x == NULL || out == NULL) {
        return MOE_ERR_INVALID_ARG;
    }
    const int ti_gu = check_q8_type(gate_up_type, dim);
    if (ti_gu < 0) {
        return ti_gu;
    }
    const int ti_d = check_q8_type(down_type, ffn);
    if (ti_d < 0) {
        return ti_d;
    }
    if (dim > INT64_MAX / 4 / MOE_FFN_MAX_EXPERTS || ffn > INT64_MAX / 8 / MOE_FFN_MAX_EXPERTS ||
        (out < x + dim && x < out + dim)) {
        return MOE_ERR_INVALID_ARG; /* scratch sizes must fit in int64; out must not overlap x */
    }
    for (int64_t j = 0; j < k; j++) {
        int st = check_matrix(gate_up_type, gate[j], gu_row_bytes, ffn, dim);
        if (st >= 0) {
            st = check_matrix(gate_up_type, up[j], gu_row_bytes, ffn, dim);
        }
        if (st >= 0) {
            st = check_matrix(down_type, down[j], d_row_bytes, dim, ffn);
        }
        if (st < 0) {
            return st;
        }
    }
    return moe_run_ffn_experts(ctx, ti_gu, ti_d, dim, ffn, k, gate, up, down, gu_row_bytes, d_row_bytes, weights, x,
                               out);
}

int moe_tensor_matvec_batch(moe_ctx *ctx, int type, const void *const *w, int64_t row_bytes, int64_t rows, int64_t cols,
                            int64_t n_mats, const float *x, int64_t x_mat_stride, float *y, int64_t y_mat_stride) {
    if (ctx == NULL || w == NULL || n_mats < 1 || n_mats > MOE_FFN_MAX_EXPERTS) {
        return MOE_ERR_INVALID_ARG;
    }
    const int ti = check_q8_type(type, cols);
    if (ti < 0) {
        return ti;
    }
    /* inputs: n_mats rows of cols floats x_mat_stride apart; outputs: rows floats y_mat_stride apart, disjoint */
    if (check_rows(x, cols, n_mats, x_mat_stride) != MOE_OK || y == NULL || y_mat_stride < rows ||
        n_mats - 1 > (INT64_MAX / 4 - rows) / y_mat_stride) {
        return MOE_ERR_INVALID_ARG;
    }
    const float *y_end = y + (n_mats - 1) * y_mat_stride + rows;
    const float *x_end = x + (n_mats - 1) * x_mat_stride + cols;
    if (y < x_end && x < y_end) {
        return MOE_ERR_INVALID_ARG; /* the spans of inputs and outputs overlap */
    }
    for (int64_t m = 0; m < n_mats; m++) {
        const int st = check_matrix(type, w[m], row_bytes, rows, cols);
        if (st < 0) {
            return st;
        }
    }
    return moe_run_matvec_batch(ctx, ti, w, row_bytes, rows, cols, n_mats, x, x_mat_stride, y, y_mat_stride);
}
