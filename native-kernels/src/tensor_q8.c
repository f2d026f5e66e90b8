/*
 * tensor_q8.c - how the 8-bit-activation products split their work over the context's threads, and
 * moe_tensor_matmul_ggml's activation handling. Arguments are validated by moe4j.c.
 *
 * Quantizing: token rows are independent; big batches hand tokens out from an atomic counter.
 * Products: rows are handed out in chunks (as in matvec); each row is decoded once per group of up to dot_max tokens
 * and stays in L1 while the groups go by, so every weight byte comes from memory once per call. A row's result does not
 * depend on the thread that computes it, so results are identical for any thread count.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "q8_blocks.h"

/* Below this much weight data a product runs on the caller alone; below this many activations, so does quantizing. */
#define MIN_PARALLEL_BYTES (64 * 1024)
#define MIN_PARALLEL_ACTIVATIONS (32 * 1024)

static int64_t min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}

int moe_q8_family_of(int ti) {
    return ti >= 0 && ti < MOE_N_TYPES ? moe_types[ti].q8_family : MOE_Q8_NONE;
}

int64_t moe_q8_row_bytes_of(int ti, int64_t cols) {
    switch (moe_q8_family_of(ti)) {
    case MOE_Q8_SMALL:
        return moe_q8s_row_bytes(cols / QK_SMALL);
    case MOE_Q8_K:
        return moe_q8k_row_bytes(cols / QK_K);
    default:
        return -1;
    }
}

/* ---- quantize ---------------------------------------------------------------------------------------------------- */

typedef struct quantize_job {
    moe_q8_quantize_fn fn;
    const float *x;
    int64_t x_stride, n_blocks, n_tokens;
    uint8_t *xq;
    int64_t xq_stride;
    atomic_llong next;
} quantize_job;

static void quantize_work(void *arg, int thread_index) {
    quantize_job *j = (quantize_job *)arg;
    for (;;) {
        const int64_t t = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (t >= j->n_tokens) {
            return;
        }
        j->fn(j->x + t * j->x_stride, j->n_blocks, j->xq + t * j->xq_stride);
    }
}

void moe_q8_quantize_row(const moe_ctx *ctx, int ti, const float *x, int64_t cols, uint8_t *xq) {
    const int family = moe_q8_family_of(ti);
    if (family == MOE_Q8_NONE) {
        return; /* excluded by the callers' checks */
    }
    ctx->q8->quantize[family](x, cols / (family == MOE_Q8_SMALL ? QK_SMALL : QK_K), xq);
}

void moe_run_q8_quantize(moe_ctx *ctx, int ti, const float *x, int64_t cols, int64_t n_tokens, int64_t x_stride,
                         uint8_t *xq) {
    const int family = moe_q8_family_of(ti);
    if (family == MOE_Q8_NONE) {
        return; /* excluded by the callers' checks */
    }
    quantize_job j;
    j.fn = ctx->q8->quantize[family];
    j.x = x;
    j.x_stride = x_stride;
    j.n_blocks = cols / (family == MOE_Q8_SMALL ? QK_SMALL : QK_K);
    j.n_tokens = n_tokens;
    j.xq = xq;
    j.xq_stride = moe_q8_row_bytes_of(ti, cols);
    atomic_init(&j.next, 0);
    if (ctx->n_threads == 1 || n_tokens == 1 || (double)n_tokens * (double)cols < MIN_PARALLEL_ACTIVATIONS) {
        quantize_work(&j, 0);
    } else {
        moe_pool_run(ctx->pool, quantize_work, &j);
    }
}

/* ---- products ---------------------------------------------------------------------------------------------------- */

typedef struct q8_matmul_job {
    moe_q8_dot_fn dot;
    int dot_max;
    const uint8_t *w;
    int64_t row_bytes, rows, n_blocks, chunk, sub;
    const uint8_t *xq;
    int64_t xq_stride, n_tokens;
    float *y;
    int64_t y_stride;
    atomic_llong next; /* first row not yet handed out */
} q8_matmul_job;

static void q8_matmul_work(void *arg, int thread_index) {
    q8_matmul_job *j = (q8_matmul_job *)arg;
    for (;;) {
        const int64_t r0 = atomic_fetch_add_explicit(&j->next, j->chunk, memory_order_relaxed);
        if (r0 >= j->rows) {
            return;
        }
        const int64_t r1 = min64(r0 + j->chunk, j->rows);
        for (int64_t rs = r0; rs < r1; rs += j->sub) { /* a slice of rows small enough to stay in L1 ... */
            const int64_t n_rows = min64(j->sub, r1 - rs);
            for (int64_t t0 = 0; t0 < j->n_tokens; t0 += j->dot_max) { /* ... while the token groups go by */
                const int n = (int)min64(j->dot_max, j->n_tokens - t0);
                j->dot(j->w + rs * j->row_bytes, j->row_bytes, n_rows, j->n_blocks, j->xq + t0 * j->xq_stride,
                       j->xq_stride, n, j->y + t0 * j->y_stride + rs, j->y_stride);
            }
        }
    }
}

void moe_run_q8_matmul(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                       const uint8_t *xq, int64_t xq_stride, int64_t n_tokens, float *y, int64_t y_stride) {
    q8_matmul_job j;
    j.dot = ctx->q8->dot[ti];
    j.dot_max = ctx->q8->dot_max;
    j.w = w;
    j.row_bytes = row_bytes;
    j.rows = rows;
    j.n_blocks = cols / moe_types[ti].block_elems;
    j.xq = xq;
    j.xq_stride = xq_stride;
    j.n_tokens = n_tokens;
    j.y = y;
    j.y_stride = y_stride;
    /* Rows per pass over the token groups: ~16 KiB of weights (L1), 1..64 rows. One group: the whole chunk. */
    const int64_t l1_rows = 16384 / row_bytes;
    j.sub = n_tokens <= j.dot_max ? rows : (l1_rows < 1 ? 1 : (l1_rows > 64 ? 64 : l1_rows));
    atomic_init(&j.next, 0);
    const int64_t data = rows * (j.n_blocks * moe_types[ti].block_bytes);
    if (ctx->n_threads == 1 || data < MIN_PARALLEL_BYTES) {
        j.chunk = rows;
        q8_matmul_work(&j, 0);
        return;
    }
    /* ~8 chunks per thread for balance, at least 16 rows (a 64-byte line of y) each. */
    const int64_t chunk = rows / ((int64_t)ctx->n_threads * 8);
    j.chunk = chunk < 16 ? 16 : (chunk + 15) / 16 * 16;
    moe_pool_run(ctx->pool, q8_matmul_work, &j);
}

/* ---- moe_tensor_matmul_ggml --------------------------------------------------------------------------------------- */

/* f32 -> bf16 -> f32, round to nearest even, NaN kept quiet (ggml_compute_fp32_to_bf16). */
static float round_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) {
        u |= 0x00400000u;
    } else {
        u += 0x7FFFu + ((u >> 16) & 1u);
    }
    u &= 0xFFFF0000u;
    memcpy(&f, &u, 4);
    return f;
}

void *moe_grow_buffer(void **buf, int64_t *size, int64_t bytes) {
    if (*size < bytes) {
        const int64_t rounded = (bytes + 63) / 64 * 64;
        void *p = moe_aligned_alloc((size_t)rounded);
        if (p == NULL) {
            return NULL;
        }
        moe_aligned_free(*buf);
        *buf = p;
        *size = rounded;
    }
    return *buf;
}

/* The context's activation buffer, at least `bytes` long (64-byte aligned), or NULL when it cannot grow. */
static void *act_buffer(moe_ctx *ctx, int64_t bytes) {
    return moe_grow_buffer(&ctx->act, &ctx->act_bytes, bytes);
}

int moe_run_matmul_ggml(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                        const float *x, int64_t x_stride, int64_t n_tokens, float *y, int64_t y_stride) {
    if (ti == MOE_T_F32) {
        return moe_run_matmul(ctx, ti, w, row_bytes, rows, cols, x, x_stride, n_tokens, y, y_stride);
    }
    if (ti == MOE_T_F16 || ti == MOE_T_BF16) { /* ggml multiplies these with f16 / bf16 activations */
        float *r = (float *)act_buffer(ctx, n_tokens * cols * (int64_t)sizeof(float));
        if (r == NULL) {
            return MOE_ERR_OUT_OF_MEMORY;
        }
        for (int64_t t = 0; t < n_tokens; t++) {
            const float *xt = x + t * x_stride;
            float *rt = r + t * cols;
            for (int64_t i = 0; i < cols; i++) {
                rt[i] = ti == MOE_T_F16 ? moe_f16_to_f32(moe_f32_to_f16(xt[i])) : round_bf16(xt[i]);
            }
        }
        return moe_run_matmul(ctx, ti, w, row_bytes, rows, cols, r, cols, n_tokens, y, y_stride);
    }
    const int64_t xq_stride = moe_q8_row_bytes_of(ti, cols);
    uint8_t *xq = (uint8_t *)act_buffer(ctx, n_tokens * xq_stride);
    if (xq == NULL) {
        return MOE_ERR_OUT_OF_MEMORY;
    }
    moe_run_q8_quantize(ctx, ti, x, cols, n_tokens, x_stride, xq);
    moe_run_q8_matmul(ctx, ti, w, row_bytes, rows, cols, xq, xq_stride, n_tokens, y, y_stride);
    return MOE_OK;
}
