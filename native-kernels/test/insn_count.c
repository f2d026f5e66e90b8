/*
 * insn_count.c - moe4j_insn_count: a fixed amount of work for counting executed instructions (not a test, not timed).
 *
 *   moe4j_insn_count LEVEL TYPE ROWS COLS TOKENS REPS
 *
 * Fills a weight matrix of ggml type TYPE (test_util.h's fill_matrix: finite scales) and activations, then calls
 * moe_tensor_matmul_ggml REPS times on one thread. Under an emulator an instruction count is the same on every run of
 * the same binary, unlike a time: benchmarks/arm-insn-count.sh runs it with REPS = 1 and 1 + N and divides the
 * difference by N, which leaves out the set-up and gives the instructions of one product at one level.
 */
#include "test_util.h"

int main(int argc, char **argv) {
    (void)failures; /* test_util.h's counter: this tool checks nothing */
    if (argc != 7) {
        fprintf(stderr, "usage: moe4j_insn_count LEVEL TYPE ROWS COLS TOKENS REPS\n");
        return 2;
    }
    const int level = atoi(argv[1]), type = atoi(argv[2]), n_tok = atoi(argv[5]), reps = atoi(argv[6]);
    const int64_t rows = atoll(argv[3]), cols = atoll(argv[4]);
    const fmt *f = NULL;
    for (int i = 0; i < N_FORMATS; i++) {
        f = formats[i].id == type ? &formats[i] : f;
    }
    if (f == NULL || rows < 1 || cols < f->be || cols % f->be != 0 || n_tok < 1 || reps < 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    if (!moe_cpu_supports(level)) {
        fprintf(stderr, "level %d not supported here\n", level);
        return 2;
    }
    moe_ctx *ctx = new_ctx(level, 1);
    const int64_t rb = cols / f->be * f->bb;
    uint8_t *w = malloc((size_t)(rb * rows));
    float *x = malloc((size_t)(cols * n_tok) * 4), *y = malloc((size_t)(rows * n_tok) * 4);
    if (w == NULL || x == NULL || y == NULL) {
        return 2;
    }
    fill_matrix(f, w, rb, rows, cols);
    for (int64_t i = 0; i < cols * n_tok; i++) {
        x[i] = rnd_float();
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
