/*
 * insn_count.c - moe4j_insn_count: a fixed amount of work for counting executed instructions (not a test, not timed).
 *
 *   moe4j_insn_count LEVEL TYPE ROWS COLS TOKENS REPS
 *
 * Fills a weight matrix of ggml type TYPE (random bytes with finite scales) and activations, then calls
 * moe_tensor_matmul_ggml REPS times on one thread. Under an emulator an instruction count is the same on every run of
 * the same binary, unlike a time: benchmarks/arm-insn-count.sh runs it with REPS = 1 and 1 + N and divides the
 * difference by N, which leaves out the set-up and gives the instructions of one product at one level.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moe4j.h"

static uint64_t state = 88172645463325252ull;

static uint64_t rnd(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: moe4j_insn_count LEVEL TYPE ROWS COLS TOKENS REPS\n");
        return 2;
    }
    const int level = atoi(argv[1]), type = atoi(argv[2]), n_tok = atoi(argv[5]), reps = atoi(argv[6]);
    const int64_t rows = atoll(argv[3]), cols = atoll(argv[4]);
    int64_t be, bb;
    if (moe_type_block(type, &be, &bb) != MOE_OK || rows < 1 || cols < be || cols % be != 0 || n_tok < 1 || reps < 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    moe_ctx *ctx = NULL;
    if (moe_ctx_create(level, 1, &ctx) != MOE_OK) {
        fprintf(stderr, "level %d not supported here\n", level);
        return 2;
    }
    const int64_t rb = cols / be * bb;
    uint8_t *w = malloc((size_t)(rb * rows));
    float *x = malloc((size_t)(cols * n_tok) * 4), *y = malloc((size_t)(rows * n_tok) * 4);
    if (w == NULL || x == NULL || y == NULL) {
        return 2;
    }
    for (int64_t i = 0; i < rb * rows; i++) {
        w[i] = (uint8_t)rnd();
    }
    /* every f16 of a block that could be a scale set to a small finite value: d, dmin, and K-quants' trailing d */
    const uint16_t small = 0x2C00; /* 2^-4 */
    for (int64_t b = 0; b < rb * rows / bb; b++) {
        uint8_t *blk = w + b * bb;
        if (type != 0 && type != 1 && type != 30 && type != 39) {
            memcpy(blk, &small, 2);
            memcpy(blk + bb - 2, &small, 2);
            if (bb > 4) {
                memcpy(blk + 2, &small, 2);
            }
        }
    }
    for (int64_t i = 0; i < cols * n_tok; i++) {
        x[i] = (float)((int64_t)(rnd() % 2001) - 1000) / 1000.0f;
    }
    for (int r = 0; r < reps; r++) {
        if (moe_tensor_matmul_ggml(ctx, type, w, rb, rows, cols, x, cols, n_tok, y, rows) != MOE_OK) {
            fprintf(stderr, "product failed\n");
            return 1;
        }
    }
    printf("%g\n", (double)y[0]);
    moe_ctx_destroy(ctx);
    free(w), free(x), free(y);
    return 0;
}
