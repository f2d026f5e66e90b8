/*
 * bench.c - moe4j_bench: the time of one matrix product per weight format, f32 activations (moe_tensor_matmul) against
 * llama.cpp's 8-bit activations (moe_tensor_matmul_ggml, quantization included), in GB/s of weights streamed.
 * Not a test (ctest does not run it): a tool for measuring by hand.
 *
 *   moe4j_bench [level] [threads] [rows] [cols] [tokens] [type ids, comma-separated]
 *   moe4j_bench 2 1 4096 4096 1 2,8,12,14      # AVX-512, one thread, 4096 x 4096, matvec, Q4_0/Q8_0/Q4_K/Q6_K
 *
 * Each figure is the fastest of the calls made in 0.5 s (after 3 warm-up calls): on a shared machine the fastest call is
 * the one least disturbed by other work. Weights are random with finite scales; the matrix is streamed from wherever it
 * fits (4096 x 4096 Q4_0 is 9 MiB: last-level cache on most servers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moe4j.h"

static uint64_t state = 88172645463325252ull;

static uint64_t rnd(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Byte offsets of a block's f16 scale fields (-1: none), so that random blocks decode to finite values. */
static void scale_offsets(int type, int64_t bb, int off[2]) {
    off[0] = 0;
    off[1] = -1;
    switch (type) {
    case 3: case 7: case 12: case 13: off[1] = 2; break;      /* Q4_1, Q5_1: m; Q4_K, Q5_K: dmin */
    case 10: off[0] = 80; off[1] = 82; break;                 /* Q2_K */
    case 11: case 14: off[0] = (int)bb - 2; break;            /* Q3_K, Q6_K: d last */
    case 0: case 1: case 30: off[0] = -1; break;              /* plain types: the bytes are the values */
    default: break;
    }
}

typedef int (*product_fn)(moe_ctx *, int, const void *, int64_t, int64_t, int64_t, const float *, int64_t, int64_t,
                          float *, int64_t);

static double best_time(moe_ctx *ctx, product_fn f, int type, const uint8_t *w, int64_t rb, int64_t rows,
                        int64_t cols, const float *x, int64_t n_tok, float *y) {
    for (int i = 0; i < 3; i++) {
        f(ctx, type, w, rb, rows, cols, x, cols, n_tok, y, rows);
    }
    double best = 1e9;
    for (const double t0 = now(); now() - t0 < 0.5;) {
        const double a = now();
        f(ctx, type, w, rb, rows, cols, x, cols, n_tok, y, rows);
        const double b = now() - a;
        best = b < best ? b : best;
    }
    return best;
}

int main(int argc, char **argv) {
    const int level = argc > 1 ? atoi(argv[1]) : -1, threads = argc > 2 ? atoi(argv[2]) : 1;
    const int64_t rows = argc > 3 ? atoll(argv[3]) : 4096, cols = argc > 4 ? atoll(argv[4]) : 4096;
    const int64_t n_tok = argc > 5 ? atoll(argv[5]) : 1;
    const char *only = argc > 6 ? argv[6] : "2,3,6,7,8,20,10,11,12,13,14,23";
    moe_ctx *ctx = NULL;
    if (moe_ctx_create(level, threads, &ctx) != MOE_OK) {
        fprintf(stderr, "cannot create a context at level %d with %d threads\n", level, threads);
        return 1;
    }
    printf("level %s, %d thread(s), %lld x %lld, %lld token(s)\n", moe_cpu_level_name(moe_ctx_level(ctx)), threads,
           (long long)rows, (long long)cols, (long long)n_tok);
    char list[256];
    snprintf(list, sizeof list, ",%s,", only);
    for (int type = 0; type < 64; type++) {
        char key[8];
        snprintf(key, sizeof key, ",%d,", type);
        int64_t be, bb;
        if (strstr(list, key) == NULL || moe_type_block(type, &be, &bb) != MOE_OK || cols % be != 0) {
            continue;
        }
        const int64_t rb = cols / be * bb;
        uint8_t *w = malloc((size_t)(rb * rows)); /* the kernels need no alignment */
        float *x = malloc((size_t)(cols * n_tok) * 4), *y = malloc((size_t)(rows * n_tok) * 4);
        if (w == NULL || x == NULL || y == NULL) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        int off[2];
        scale_offsets(type, bb, off);
        for (int64_t i = 0; i < rb * rows; i++) {
            w[i] = (uint8_t)rnd();
        }
        for (int64_t b = 0; b < rb * rows / bb; b++) {
            for (int k = 0; k < 2; k++) {
                if (off[k] >= 0) {
                    const uint16_t h = (uint16_t)(0x2000 | (rnd() & 0x3FF)); /* about 2^-7 */
                    memcpy(w + b * bb + off[k], &h, 2);
                }
            }
        }
        if (be == 1) { /* plain types: random bits could be NaN; use small values */
            for (int64_t i = 0; i < rows * cols; i++) {
                const float v = (float)((int)(rnd() % 2001) - 1000) * 1e-3f;
                if (type == 0) {
                    memcpy(w + 4 * i, &v, 4);
                } else {
                    uint32_t u;
                    memcpy(&u, &v, 4);
                    const uint16_t h = type == 30 ? (uint16_t)(u >> 16) : (uint16_t)0x3C00;
                    memcpy(w + 2 * i, &h, 2);
                }
            }
        }
        for (int64_t i = 0; i < cols * n_tok; i++) {
            x[i] = (float)((int)(rnd() % 2001) - 1000) * 1e-3f;
        }
        const double t32 = best_time(ctx, moe_tensor_matmul, type, w, rb, rows, cols, x, n_tok, y);
        const double t8 = best_time(ctx, moe_tensor_matmul_ggml, type, w, rb, rows, cols, x, n_tok, y);
        const double gb = (double)(rb * rows) / 1e9;
        printf("type %2d  f32 %8.1f us %6.1f GB/s | ggml %8.1f us %6.1f GB/s | x%.2f\n", type, t32 * 1e6, gb / t32,
               t8 * 1e6, gb / t8, t32 / t8);
        free(w);
        free(x);
        free(y);
    }
    moe_ctx_destroy(ctx);
    return 0;
}
