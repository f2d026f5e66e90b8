/*
 * cuda_bench.c - timings for check-gpu.sh (needs a GPU; not a ctest):
 *   - matvec over a ~1 GiB weight per format (far beyond L2, so the weights stream from HBM): time per call and the
 *     bandwidth it reaches, beside the H200's ~4800 GB/s;
 *   - prefill: a 512-token matmul on a DeepSeek-V3 FFN shape (18432 x 7168; Q4_K, IQ2_XXS, MXFP4), in TFLOP/s;
 *   - a DeepSeek-V2-Lite MoE layer (64 experts, 6 used, hidden 2048, expert FFN 1408; gate/up Q4_K, down Q8_0) at
 *     decode (1 token) and prefill (512 tokens), through matmul_id.
 * Usage: moe4j_cuda_bench [MiB per matvec weight, default 1024]. Output: one line per measurement.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moe4j_cuda.h"

#define H200_GBPS 4800.0

static moe_cuda_ctx *gpu;
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void die(const char *what) {
    fprintf(stderr, "cuda_bench: %s: %s\n", what, moe_cuda_last_error());
    exit(1);
}

#define MUST(call)                                                                                                     \
    do {                                                                                                               \
        if ((call) != 0) {                                                                                             \
            die(#call);                                                                                                \
        }                                                                                                              \
    } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { PLAIN, IQ1M_SCALE, E8M0_SCALE }; /* where a block's scale is, beyond scale_at's f16 fields */

typedef struct fmt {
    int id;
    const char *name;
    int64_t be, bb;
    int scale_at[2];
    int scale_kind;
} fmt;

static const fmt formats[] = {
    {12, "Q4_K", 256, 144, {0, 2}, PLAIN},      {14, "Q6_K", 256, 210, {208, -1}, PLAIN},
    {8, "Q8_0", 32, 34, {0, -1}, PLAIN},        {2, "Q4_0", 32, 18, {0, -1}, PLAIN},
    {1, "F16", 1, 2, {-1, -1}, PLAIN},          {30, "BF16", 1, 2, {-1, -1}, PLAIN},
    {0, "F32", 1, 4, {-1, -1}, PLAIN},          {19, "IQ1_S", 256, 50, {0, -1}, PLAIN},
    {29, "IQ1_M", 256, 56, {-1, -1}, IQ1M_SCALE}, {16, "IQ2_XXS", 256, 66, {0, -1}, PLAIN},
    {17, "IQ2_XS", 256, 74, {0, -1}, PLAIN},    {22, "IQ2_S", 256, 82, {0, -1}, PLAIN},
    {18, "IQ3_XXS", 256, 98, {0, -1}, PLAIN},   {21, "IQ3_S", 256, 110, {0, -1}, PLAIN},
    {34, "TQ1_0", 256, 54, {52, -1}, PLAIN},    {35, "TQ2_0", 256, 66, {64, -1}, PLAIN},
    {39, "MXFP4", 32, 17, {-1, -1}, E8M0_SCALE},
};

static const fmt *format_of(int id) {
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (formats[i].id == id) {
            return &formats[i];
        }
    }
    fprintf(stderr, "cuda_bench: no format %d\n", id);
    exit(1);
}

/* Random bytes with finite scales (and finite element values for the float types): timings must not see NaN paths. */
static void fill(const fmt *f, uint8_t *p, int64_t n_blocks) {
    for (int64_t b = 0; b < n_blocks; b++) {
        uint8_t *blk = p + b * f->bb;
        for (int64_t i = 0; i < f->bb; i++) {
            blk[i] = (uint8_t)rnd();
        }
        if (f->id == 0) {
            const float v = (float)(rnd() % 2000) / 1000.0f - 1.0f;
            memcpy(blk, &v, 4);
        } else if (f->id == 1) {
            blk[1] = (uint8_t)((blk[1] & 0x83) | 0x30);
        } else if (f->id == 30) {
            blk[1] = (uint8_t)((blk[1] & 0x80) | 0x3C);
        }
        for (int s = 0; s < 2; s++) {
            if (f->scale_at[s] >= 0) {
                const uint16_t h = (uint16_t)(((6 + rnd() % 6) << 10) | (rnd() & 0x3FF));
                memcpy(blk + f->scale_at[s], &h, 2);
            }
        }
        if (f->scale_kind == IQ1M_SCALE) { /* the f16 is the top nibbles of the 4 scale words at byte 48 */
            const uint16_t h = (uint16_t)(((6 + rnd() % 6) << 10) | (rnd() & 0x3FF));
            for (int k = 0; k < 4; k++) {
                blk[49 + 2 * k] = (uint8_t)((blk[49 + 2 * k] & 0x0F) | ((h >> (4 * k)) & 0x0F) << 4);
            }
        } else if (f->scale_kind == E8M0_SCALE) {
            blk[0] = (uint8_t)(118 + rnd() % 16);
        }
    }
}

/* A device weight of rows x cols, filled by repeating one random chunk of rows (uploading 1 GiB of fresh random bytes
 * would only slow the script down; the bytes' values do not change the timing). */
static moe_cuda_buf *weight(const fmt *f, int64_t rows, int64_t cols) {
    const int64_t row_bytes = cols / f->be * f->bb;
    const int64_t chunk_rows = rows < 4096 ? rows : 4096;
    uint8_t *chunk = (uint8_t *)malloc((size_t)(chunk_rows * row_bytes));
    if (chunk == NULL) {
        die("host memory");
    }
    fill(f, chunk, chunk_rows * (cols / f->be));
    moe_cuda_buf *w = NULL;
    MUST(moe_cuda_buf_alloc(gpu, rows * row_bytes, &w));
    for (int64_t r = 0; r < rows; r += chunk_rows) {
        const int64_t n = rows - r < chunk_rows ? rows - r : chunk_rows;
        MUST(moe_cuda_buf_upload(gpu, w, r * row_bytes, chunk, n * row_bytes));
    }
    free(chunk);
    return w;
}

static moe_cuda_buf *floats(int64_t n) {
    float *h = (float *)malloc((size_t)n * 4);
    if (h == NULL) {
        die("host memory");
    }
    for (int64_t i = 0; i < n; i++) {
        h[i] = (float)(rnd() % 2000) / 1000.0f - 1.0f;
    }
    moe_cuda_buf *b = NULL;
    MUST(moe_cuda_buf_alloc(gpu, n * 4, &b));
    MUST(moe_cuda_buf_upload(gpu, b, 0, h, n * 4));
    free(h);
    return b;
}

static void bench_matvec(const fmt *f, int64_t mib) {
    const int64_t cols = 7168; /* DeepSeek-V3's hidden size: whole blocks of every format */
    const int64_t row_bytes = cols / f->be * f->bb;
    const int64_t rows = (mib << 20) / row_bytes;
    moe_cuda_buf *w = weight(f, rows, cols), *x = floats(cols), *y = floats(rows);
    for (int i = 0; i < 3; i++) {
        MUST(moe_cuda_tensor_matvec(gpu, f->id, w, row_bytes, rows, cols, x, y));
    }
    MUST(moe_cuda_ctx_synchronize(gpu));
    const int reps = 20;
    const double t0 = now();
    for (int i = 0; i < reps; i++) {
        MUST(moe_cuda_tensor_matvec(gpu, f->id, w, row_bytes, rows, cols, x, y));
    }
    MUST(moe_cuda_ctx_synchronize(gpu));
    const double t = (now() - t0) / reps;
    const double gbps = (double)(rows * row_bytes) / t / 1e9;
    printf("matvec %-7s %7lld x %5lld  %7.1f MiB  %8.3f ms  %7.0f GB/s  %5.1f%% of %.0f GB/s\n", f->name,
           (long long)rows, (long long)cols, (double)(rows * row_bytes) / (1 << 20), t * 1e3, gbps,
           100.0 * gbps / H200_GBPS, H200_GBPS);
    moe_cuda_buf_free(w);
    moe_cuda_buf_free(x);
    moe_cuda_buf_free(y);
}

static void bench_prefill(const fmt *f) {
    const int64_t rows = 18432, cols = 7168, tokens = 512;
    moe_cuda_buf *w = weight(f, rows, cols), *x = floats(tokens * cols), *y = floats(tokens * rows);
    const int64_t row_bytes = cols / f->be * f->bb;
    MUST(moe_cuda_tensor_matmul(gpu, f->id, w, row_bytes, rows, cols, x, cols, tokens, y, rows));
    MUST(moe_cuda_ctx_synchronize(gpu));
    const int reps = 5;
    const double t0 = now();
    for (int i = 0; i < reps; i++) {
        MUST(moe_cuda_tensor_matmul(gpu, f->id, w, row_bytes, rows, cols, x, cols, tokens, y, rows));
    }
    MUST(moe_cuda_ctx_synchronize(gpu));
    const double t = (now() - t0) / reps;
    printf("matmul %-7s %lld x %lld, %lld tokens: %8.3f ms  %6.1f TFLOP/s\n", f->name, (long long)rows,
           (long long)cols, (long long)tokens, t * 1e3, 2.0 * (double)(rows * cols * tokens) / t / 1e12);
    moe_cuda_buf_free(w);
    moe_cuda_buf_free(x);
    moe_cuda_buf_free(y);
}

/* One DeepSeek-V2-Lite MoE layer's expert products (gate, up, down) for n_tokens tokens; returns seconds per layer. */
static double moe_layer(int64_t n_tokens, moe_cuda_buf *gate, moe_cuda_buf *up, moe_cuda_buf *down, moe_cuda_buf *x,
                        moe_cuda_buf *h, moe_cuda_buf *o, int reps) {
    const int64_t E = 64, K = 6, D = 2048, F = 1408;
    int32_t *ids = (int32_t *)malloc((size_t)(n_tokens * K) * 4);
    if (ids == NULL) {
        die("host memory");
    }
    for (int64_t t = 0; t < n_tokens; t++) {
        for (int64_t s = 0; s < K; s++) {
            ids[t * K + s] = (int32_t)((t * 7 + s * 11 + (int64_t)(rnd() % 3)) % E);
        }
        for (int64_t s = 1; s < K; s++) { /* make them distinct per token */
            for (int64_t q = 0; q < s; q++) {
                if (ids[t * K + s] == ids[t * K + q]) {
                    ids[t * K + s] = (ids[t * K + s] + 1) % (int32_t)E;
                    q = -1;
                }
            }
        }
    }
    const int64_t rb_gu = D / 256 * 144, rb_d = F / 32 * 34;
    double best = 1e9;
    for (int r = 0; r < reps + 1; r++) {
        MUST(moe_cuda_ctx_synchronize(gpu));
        const double t0 = now();
        MUST(moe_cuda_tensor_matmul_id(gpu, 12, gate, rb_gu, F, D, F * rb_gu, E, ids, n_tokens, K, x, D, 0, h,
                                       K * F, F));
        MUST(moe_cuda_tensor_matmul_id(gpu, 12, up, rb_gu, F, D, F * rb_gu, E, ids, n_tokens, K, x, D, 0, h,
                                       K * F, F)); /* same output: only the time matters */
        MUST(moe_cuda_tensor_matmul_id(gpu, 8, down, rb_d, D, F, D * rb_d, E, ids, n_tokens, K, h, K * F, F, o,
                                       K * D, D));
        MUST(moe_cuda_ctx_synchronize(gpu));
        const double t = now() - t0;
        if (r > 0 && t < best) { /* the first round warms up */
            best = t;
        }
    }
    free(ids);
    return best;
}

static void bench_moe(void) {
    const int64_t E = 64, K = 6, D = 2048, F = 1408, T = 512;
    const fmt *q4k = format_of(12), *q80 = format_of(8);
    moe_cuda_buf *gate = weight(q4k, E * F, D), *up = weight(q4k, E * F, D), *down = weight(q80, E * D, F);
    moe_cuda_buf *x = floats(T * D), *h = floats(T * K * F), *o = floats(T * K * D);
    const double expert_bytes = (double)(2 * F * (D / 256 * 144) + D * (F / 32 * 34));
    const double t1 = moe_layer(1, gate, up, down, x, h, o, 20);
    printf("moe layer (V2-Lite shape) decode, 1 token: %8.3f ms  (%.0f GB/s over the 6 experts' weights)\n", t1 * 1e3,
           K * expert_bytes / t1 / 1e9);
    const double tp = moe_layer(T, gate, up, down, x, h, o, 5);
    printf("moe layer (V2-Lite shape) prefill, %lld tokens: %8.3f ms  (%.1f TFLOP/s)\n", (long long)T, tp * 1e3,
           2.0 * (double)(T * K) * (3.0 * (double)(D * F)) / tp / 1e12);
    moe_cuda_buf_free(gate);
    moe_cuda_buf_free(up);
    moe_cuda_buf_free(down);
    moe_cuda_buf_free(x);
    moe_cuda_buf_free(h);
    moe_cuda_buf_free(o);
}

int main(int argc, char **argv) {
    const int64_t mib = argc > 1 ? atoll(argv[1]) : 1024;
    if (mib < 1) {
        fprintf(stderr, "usage: moe4j_cuda_bench [MiB per matvec weight]\n");
        return 2;
    }
    int count = 0;
    if (moe_cuda_device_count(&count) != 0) {
        die("no CUDA device");
    }
    char name[128];
    int ma, mi, sm;
    int64_t mem;
    MUST(moe_cuda_device_info(0, name, sizeof name, &ma, &mi, &sm, &mem));
    printf("device: %s, sm_%d%d, %d SMs, %.1f GiB\n", name, ma, mi, sm, (double)mem / (1 << 30));
    MUST(moe_cuda_ctx_create(0, &gpu));
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        bench_matvec(&formats[i], mib);
    }
    bench_prefill(format_of(12));
    bench_prefill(format_of(16));
    bench_prefill(format_of(39));
    bench_moe();
    MUST(moe_cuda_ctx_destroy(gpu));
    return 0;
}
