/*
 * tensor.c - how matvec and matmul split their work over the context's threads. Arguments are validated by moe4j.c.
 *
 * matvec: rows are handed out in chunks from an atomic counter (dynamic scheduling absorbs threads that get
 * descheduled); each row is one fused decode+dot call of the level's kernel table.
 *
 * matmul of a few tokens (up to the level's dotn_max): like matvec, with each row decoded once and multiplied with every
 * token in registers.
 *
 * matmul of more tokens (prefill): a work item is a tile of MOE_MM_TILE_ROWS rows (times a slice of the tokens when there are too few
 * row tiles to keep every thread busy). The thread dequantizes the tile MOE_MM_TILE_K columns at a time into its
 * scratch buffer and multiplies it with every token of the slice, so each weight byte is read once per call.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "internal.h"

/* Below this much weight data a call runs on the caller alone: waking workers would cost more than it saves. */
#define MIN_PARALLEL_BYTES (64 * 1024)
/* Below this many multiply-adds a matmul runs on the caller alone. */
#define MIN_PARALLEL_FMAS (1 << 18)

static int64_t min64(int64_t a, int64_t b) {
    return a < b ? a : b;
}

/* ---- matvec ------------------------------------------------------------------------------------------------------ */

typedef struct matvec_job {
    moe_dot_fn dot;
    const uint8_t *w;
    int64_t row_bytes, rows, n_blocks, chunk;
    const float *x;
    float *y;
    atomic_llong next; /* first row not yet handed out */
} matvec_job;

static void matvec_work(void *arg, int thread_index) {
    matvec_job *j = (matvec_job *)arg;
    for (;;) {
        const int64_t r0 = atomic_fetch_add_explicit(&j->next, j->chunk, memory_order_relaxed);
        if (r0 >= j->rows) {
            return;
        }
        const int64_t r1 = min64(r0 + j->chunk, j->rows);
        for (int64_t r = r0; r < r1; r++) {
            j->y[r] = j->dot(j->w + r * j->row_bytes, j->n_blocks, j->x);
        }
    }
}

void moe_run_matvec(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                    const float *x, float *y) {
    matvec_job j;
    j.dot = ctx->kernels->fmt[ti].dot;
    j.w = w;
    j.row_bytes = row_bytes;
    j.rows = rows;
    j.n_blocks = cols / moe_types[ti].block_elems;
    j.x = x;
    j.y = y;
    atomic_init(&j.next, 0);
    const int64_t data = rows * (j.n_blocks * moe_types[ti].block_bytes);
    if (ctx->n_threads == 1 || data < MIN_PARALLEL_BYTES) {
        j.chunk = rows;
        matvec_work(&j, 0);
        return;
    }
    /* ~8 chunks per thread for balance, at least 16 rows (a 64-byte line of y) each. */
    int64_t chunk = rows / ((int64_t)ctx->n_threads * 8);
    j.chunk = chunk < 16 ? 16 : (chunk + 15) / 16 * 16;
    moe_pool_run(ctx->pool, matvec_work, &j);
}

/* ---- small matmul batches: fused multi-token dots, rows split as in matvec ------------------------------------- */

typedef struct dotn_job {
    moe_dotn_fn dotn;
    const uint8_t *w;
    int64_t row_bytes, rows, n_blocks, chunk;
    const float *x;
    int64_t x_stride;
    int n_tok;
    float *y;
    int64_t y_stride;
    atomic_llong next;
} dotn_job;

static void dotn_work(void *arg, int thread_index) {
    dotn_job *j = (dotn_job *)arg;
    for (;;) {
        const int64_t r0 = atomic_fetch_add_explicit(&j->next, j->chunk, memory_order_relaxed);
        if (r0 >= j->rows) {
            return;
        }
        const int64_t r1 = min64(r0 + j->chunk, j->rows);
        for (int64_t r = r0; r < r1; r++) {
            j->dotn(j->w + r * j->row_bytes, j->n_blocks, j->x, j->x_stride, j->n_tok, j->y + r, j->y_stride);
        }
    }
}

static void run_dotn(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                     const float *x, int64_t x_stride, int n_tok, float *y, int64_t y_stride) {
    dotn_job j;
    j.dotn = ctx->kernels->fmt[ti].dotn;
    j.w = w;
    j.row_bytes = row_bytes;
    j.rows = rows;
    j.n_blocks = cols / moe_types[ti].block_elems;
    j.x = x;
    j.x_stride = x_stride;
    j.n_tok = n_tok;
    j.y = y;
    j.y_stride = y_stride;
    atomic_init(&j.next, 0);
    const int64_t data = rows * (j.n_blocks * moe_types[ti].block_bytes);
    if (ctx->n_threads == 1 || data < MIN_PARALLEL_BYTES) {
        j.chunk = rows;
        dotn_work(&j, 0);
        return;
    }
    const int64_t chunk = rows / ((int64_t)ctx->n_threads * 8);
    j.chunk = chunk < 16 ? 16 : (chunk + 15) / 16 * 16;
    moe_pool_run(ctx->pool, dotn_work, &j);
}

/* ---- matmul ------------------------------------------------------------------------------------------------------ */

typedef struct matmul_job {
    const moe_kernels *k;
    int ti;
    const uint8_t *w;
    int64_t row_bytes, rows, cols;
    const float *x;
    int64_t x_stride, n_tokens;
    float *y;
    int64_t y_stride;
    float *const *scratch;
    int64_t n_row_tiles, n_tok_slices, tok_slice;
    atomic_llong next; /* next work item */
} matmul_job;

static void matmul_item(const matmul_job *j, float *tile, int64_t item) {
    const int64_t r0 = item / j->n_tok_slices * MOE_MM_TILE_ROWS;
    const int64_t n_rows = min64(MOE_MM_TILE_ROWS, j->rows - r0);
    const int64_t t0 = item % j->n_tok_slices * j->tok_slice;
    const int64_t n_tok = min64(j->tok_slice, j->n_tokens - t0);
    const int64_t be = moe_types[j->ti].block_elems, bb = moe_types[j->ti].block_bytes;
    const moe_dequant_fn dequant = j->k->fmt[j->ti].dequant;
    for (int64_t k0 = 0; k0 < j->cols; k0 += MOE_MM_TILE_K) {
        const int64_t k_len = min64(MOE_MM_TILE_K, j->cols - k0);
        for (int64_t r = 0; r < n_rows; r++) {
            dequant(j->w + (r0 + r) * j->row_bytes + k0 / be * bb, k_len / be, tile + r * MOE_MM_TILE_K);
        }
        j->k->gemm(tile, MOE_MM_TILE_K, (int)n_rows, j->x + t0 * j->x_stride + k0, j->x_stride, n_tok, k_len,
                   j->y + t0 * j->y_stride + r0, j->y_stride, k0 > 0);
    }
}

static void matmul_work(void *arg, int thread_index) {
    matmul_job *j = (matmul_job *)arg;
    float *tile = j->scratch[thread_index];
    const int64_t n_items = j->n_row_tiles * j->n_tok_slices;
    for (;;) {
        const int64_t item = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (item >= n_items) {
            return;
        }
        matmul_item(j, tile, item);
    }
}

int moe_run_matmul(moe_ctx *ctx, int ti, const uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols,
                   const float *x, int64_t x_stride, int64_t n_tokens, float *y, int64_t y_stride) {
    if (n_tokens == 1) {
        moe_run_matvec(ctx, ti, w, row_bytes, rows, cols, x, y);
        return MOE_OK;
    }
    if (n_tokens <= ctx->kernels->dotn_max) {
        run_dotn(ctx, ti, w, row_bytes, rows, cols, x, x_stride, (int)n_tokens, y, y_stride);
        return MOE_OK;
    }
    const double fmas = (double)rows * (double)cols * (double)n_tokens; /* double: the product may exceed int64 */
    const int n_threads = (ctx->n_threads == 1 || fmas < MIN_PARALLEL_FMAS) ? 1 : ctx->n_threads;
    for (int i = 0; i < n_threads; i++) {
        if (ctx->scratch[i] == NULL) {
            ctx->scratch[i] = (float *)moe_aligned_alloc(sizeof(float) * MOE_MM_TILE_ROWS * MOE_MM_TILE_K);
            if (ctx->scratch[i] == NULL) {
                return MOE_ERR_OUT_OF_MEMORY;
            }
        }
    }
    matmul_job j;
    j.k = ctx->kernels;
    j.ti = ti;
    j.w = w;
    j.row_bytes = row_bytes;
    j.rows = rows;
    j.cols = cols;
    j.x = x;
    j.x_stride = x_stride;
    j.n_tokens = n_tokens;
    j.y = y;
    j.y_stride = y_stride;
    j.scratch = ctx->scratch;
    j.n_row_tiles = (rows + MOE_MM_TILE_ROWS - 1) / MOE_MM_TILE_ROWS;
    /* Too few row tiles for the threads: also split the tokens (each slice re-reads the weights of its tiles). */
    j.n_tok_slices = 1;
    if (n_threads > 1 && j.n_row_tiles < 4 * (int64_t)n_threads) {
        const int64_t want = (4 * (int64_t)n_threads + j.n_row_tiles - 1) / j.n_row_tiles;
        const int64_t most = (n_tokens + 7) / 8; /* keep at least 8 tokens per slice */
        j.n_tok_slices = want < most ? want : most;
        if (j.n_tok_slices < 1) {
            j.n_tok_slices = 1;
        }
    }
    j.tok_slice = (n_tokens + j.n_tok_slices - 1) / j.n_tok_slices;
    j.n_tok_slices = (n_tokens + j.tok_slice - 1) / j.tok_slice;
    atomic_init(&j.next, 0);
    if (n_threads == 1) {
        matmul_work(&j, 0);
    } else {
        moe_pool_run(ctx->pool, matmul_work, &j);
    }
    return MOE_OK;
}
