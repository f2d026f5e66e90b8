/*
 * ffn.c - moe_ffn_experts: the routed experts of one token in one call, on the context's workers; and
 * moe_tensor_matvec_batch: many small products of one token (MLA's per-head matrices) in one pool run.
 *
 * Why one call: decoding one token through k experts as separate products costs 3k pool runs (each with a wake-up, a
 * join and the idle tail of its last chunk) plus 2k small calls from Java per layer. Here there are two runs: every
 * gate and up row of every chosen expert, then every down row, each handed out in chunks from one atomic counter, so
 * both threads stream weights until the phase ends.
 *
 * Numbers: each product row is the same q8 dot call on the same quantized activations as moe_tensor_matmul_ggml, the
 * SwiGLU is the level's swiglu and the weighted sum is the level's axpy in expert order into a zeroed output, so the
 * result equals the separate calls bit for bit (tested by the Java kernel tests).
 *
 * Scratch (grown on demand, kept in the context): x quantized once for gate/up, g and u [k][ffn] f32, h quantized per
 * expert for down, and the k down outputs [k][dim] f32.
 */
#include <stdatomic.h>
#include <string.h>

#include "internal.h"
#include "ops_internal.h"

typedef struct ffn_phase {
    moe_q8_dot_fn dot;
    const uint8_t *const *w; /* per matrix */
    int64_t row_bytes, rows, n_blocks, chunk, chunks_per_matrix, n_items;
    const uint8_t *xq;       /* per matrix: xq + m * xq_stride (stride 0: one activation for all) */
    int64_t xq_stride;
    float *y;                /* per matrix: y + m * y_stride */
    int64_t y_stride;
    atomic_llong next;
} ffn_phase;

static void ffn_phase_work(void *arg, int thread_index) {
    (void)thread_index;
    ffn_phase *p = (ffn_phase *)arg;
    for (;;) {
        const int64_t item = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (item >= p->n_items) {
            return;
        }
        const int64_t m = item / p->chunks_per_matrix;
        const int64_t r0 = item % p->chunks_per_matrix * p->chunk;
        const int64_t n = p->rows - r0 < p->chunk ? p->rows - r0 : p->chunk;
        p->dot(p->w[m] + r0 * p->row_bytes, p->row_bytes, n, p->n_blocks, p->xq + m * p->xq_stride,
               p->xq_stride, 1, p->y + m * p->y_stride + r0, 1);
    }
}

/* Runs one phase over n_matrices matrices of `rows` rows each (chunks as in matvec: about 8 per thread per matrix
 * set, at least 16 rows). */
static void run_phase(moe_ctx *ctx, ffn_phase *p, int64_t n_matrices, int64_t weight_bytes) {
    int64_t chunk = p->rows * n_matrices / ((int64_t)ctx->n_threads * 8);
    chunk = chunk < 16 ? 16 : (chunk + 15) / 16 * 16;
    if (chunk > p->rows) {
        chunk = p->rows;
    }
    p->chunk = chunk;
    p->chunks_per_matrix = (p->rows + chunk - 1) / chunk;
    p->n_items = p->chunks_per_matrix * n_matrices;
    atomic_init(&p->next, 0);
    if (ctx->n_threads == 1 || weight_bytes < 64 * 1024) {
        ffn_phase_work(p, 0);
    } else {
        moe_pool_run(ctx->pool, ffn_phase_work, p);
    }
}

/* The context's fused-FFN scratch, at least `bytes` long (64-byte aligned), or NULL when it cannot grow. */
static uint8_t *ffn_buffer(moe_ctx *ctx, int64_t bytes) {
    return (uint8_t *)moe_grow_buffer(&ctx->ffn, &ctx->ffn_bytes, bytes);
}

static int64_t align64(int64_t n) {
    return (n + 63) / 64 * 64;
}

int moe_run_ffn_experts(moe_ctx *ctx, int ti_gu, int ti_d, int64_t dim, int64_t ffn, int64_t k,
                        const void *const *gate, const void *const *up_w, const void *const *down, int64_t gu_row_bytes,
                        int64_t d_row_bytes, const float *weights, const float *x, float *out) {
    const moe_ops_level *ops = moe_ops_level_of(ctx->level);
    const int64_t xq_bytes = align64(moe_q8_row_bytes_of(ti_gu, dim));
    const int64_t hq_stride = moe_q8_row_bytes_of(ti_d, ffn);
    const int64_t gu_bytes = align64(2 * k * ffn * (int64_t)sizeof(float));
    const int64_t hq_bytes = align64(k * hq_stride);
    const int64_t y_bytes = k * dim * (int64_t)sizeof(float);
    uint8_t *buf = ffn_buffer(ctx, xq_bytes + gu_bytes + hq_bytes + y_bytes);
    if (ops == NULL || buf == NULL) {
        return ops == NULL ? MOE_ERR_UNSUPPORTED_CPU : MOE_ERR_OUT_OF_MEMORY;
    }
    uint8_t *xq = buf;
    float *gu = (float *)(buf + xq_bytes); /* matrix 2j = gate_j, 2j+1 = up_j, ffn floats each */
    uint8_t *hq = buf + xq_bytes + gu_bytes;
    float *y = (float *)(buf + xq_bytes + gu_bytes + hq_bytes);

    const uint8_t *gate_up[2 * MOE_FFN_MAX_EXPERTS]; /* matrix 2j = gate_j, 2j+1 = up_j */
    for (int64_t j = 0; j < k; j++) {
        gate_up[2 * j] = (const uint8_t *)gate[j];
        gate_up[2 * j + 1] = (const uint8_t *)up_w[j];
    }

    /* gate and up of every expert: one quantized x for all of them */
    moe_q8_quantize_row(ctx, ti_gu, x, dim, xq);
    ffn_phase up;
    up.dot = ctx->q8->dot[ti_gu];
    up.w = gate_up;
    up.row_bytes = gu_row_bytes;
    up.rows = ffn;
    up.n_blocks = dim / moe_types[ti_gu].block_elems;
    up.xq = xq;
    up.xq_stride = 0;
    up.y = gu;
    up.y_stride = ffn;
    run_phase(ctx, &up, 2 * k, 2 * k * ffn * up.n_blocks * moe_types[ti_gu].block_bytes);

    /* h_j = silu(g_j) * u_j, quantized for the down products */
    for (int64_t j = 0; j < k; j++) {
        float *g = gu + 2 * j * ffn;
        ops->swiglu(g, g + ffn, ffn, g);
        moe_q8_quantize_row(ctx, ti_d, g, ffn, hq + j * hq_stride);
    }

    ffn_phase dn;
    dn.dot = ctx->q8->dot[ti_d];
    dn.w = (const uint8_t *const *)down;
    dn.row_bytes = d_row_bytes;
    dn.rows = dim;
    dn.n_blocks = ffn / moe_types[ti_d].block_elems;
    dn.xq = hq;
    dn.xq_stride = hq_stride;
    dn.y = y;
    dn.y_stride = dim;
    run_phase(ctx, &dn, k, k * dim * dn.n_blocks * moe_types[ti_d].block_bytes);

    /* the weighted sum in expert order, as a sequence of axpy calls into a zeroed output would do */
    memset(out, 0, (size_t)dim * sizeof(float));
    for (int64_t j = 0; j < k; j++) {
        ops->axpy(weights[j], y + j * dim, dim, out);
    }
    return MOE_OK;
}

int moe_run_matvec_batch(moe_ctx *ctx, int ti, const void *const *w, int64_t row_bytes, int64_t rows, int64_t cols,
                         int64_t n_mats, const float *x, int64_t x_mat_stride, float *y, int64_t y_mat_stride) {
    const int64_t xq_stride = moe_q8_row_bytes_of(ti, cols);
    uint8_t *xq = ffn_buffer(ctx, n_mats * xq_stride);
    if (xq == NULL) {
        return MOE_ERR_OUT_OF_MEMORY;
    }
    const int64_t n_blocks = cols / moe_types[ti].block_elems;
    for (int64_t m = 0; m < n_mats; m++) {
        moe_q8_quantize_row(ctx, ti, x + m * x_mat_stride, cols, xq + m * xq_stride);
    }
    ffn_phase p;
    p.dot = ctx->q8->dot[ti];
    p.w = (const uint8_t *const *)w;
    p.row_bytes = row_bytes;
    p.rows = rows;
    p.n_blocks = n_blocks;
    p.xq = xq;
    p.xq_stride = xq_stride;
    p.y = y;
    p.y_stride = y_mat_stride;
    run_phase(ctx, &p, n_mats, n_mats * rows * n_blocks * moe_types[ti].block_bytes);
    return MOE_OK;
}
