/*
 * replay.c - moe4j_replay: recomputes products recorded by another build of libmoe4j and compares.
 *
 * The Java test CrossPlatformReplayTest records real weight rows of the golden models (every format they use) with
 * activations and the products the linux-x86_64 library's scalar level computed, then runs this program built for
 * another platform (linux-aarch64 under qemu-user, windows-x86_64 under Wine). Every level this build runs must give:
 *   - quantized formats (8-bit activations, llama.cpp's arithmetic): exactly the recorded floats, bit for bit. The
 *     scalar level is plain C without contraction on every architecture, and every SIMD level equals it bit for bit;
 *   - F32/F16/BF16 (f32 dot products summed in another order by the SIMD levels): within 1e-6 * sum|w*x| per output.
 *
 *   moe4j_replay FILE      exit status 0 when every product matches, 1 when one does not, 2 on a bad file.
 *
 * File (little-endian): "MOE4JRPL", u32 version (1), u32 records; per record: u32 name length, name bytes, i32 ggml
 * type, i64 rows, i64 cols, i64 row bytes, i32 tokens, rows*row_bytes weight bytes, tokens*cols f32 activations,
 * tokens*rows f32 products (token-major).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moe4j.h"

static int read_exact(FILE *f, void *p, size_t n) {
    return fread(p, 1, n, f) == n;
}

/* Refuses sizes that are negative or beyond what a test record can hold, before anything is allocated. */
static int sane(int64_t v, int64_t max) {
    return v > 0 && v <= max;
}

/* Whether the type takes f32 activations (its SIMD dots may sum in another order than the scalar level). */
static int plain_type(int type) {
    return type == 0 || type == 1 || type == 30;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: moe4j_replay FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    char magic[8];
    uint32_t version = 0, records = 0;
    if (!read_exact(f, magic, 8) || memcmp(magic, "MOE4JRPL", 8) != 0 || !read_exact(f, &version, 4) || version != 1 ||
        !read_exact(f, &records, 4)) {
        fprintf(stderr, "%s: not a version 1 replay file\n", argv[1]);
        return 2;
    }
    int levels[MOE_CPU_LEVELS], n_levels = 0;
    moe_ctx *ctx[MOE_CPU_LEVELS];
    for (int level = 0; level < MOE_CPU_LEVELS; level++) {
        if (moe_cpu_supports(level) && moe_ctx_create(level, 2, &ctx[n_levels]) == MOE_OK) {
            levels[n_levels++] = level;
        }
    }
    long exact = 0, close = 0, failures = 0;
    for (uint32_t i = 0; i < records; i++) {
        uint32_t name_len = 0;
        char name[256];
        int32_t type = 0, n_tok = 0;
        int64_t rows = 0, cols = 0, rb = 0;
        if (!read_exact(f, &name_len, 4) || name_len >= sizeof name || !read_exact(f, name, name_len) ||
            !read_exact(f, &type, 4) || !read_exact(f, &rows, 8) || !read_exact(f, &cols, 8) || !read_exact(f, &rb, 8) ||
            !read_exact(f, &n_tok, 4) || !sane(rows, 1 << 16) || !sane(cols, 1 << 20) || !sane(rb, 1 << 24) ||
            !sane(n_tok, 64) || rows * rb > (1 << 26)) {
            fprintf(stderr, "record %u: bad header\n", i);
            return 2;
        }
        name[name_len] = 0;
        uint8_t *w = malloc((size_t)(rows * rb));
        float *x = malloc((size_t)(n_tok * cols) * 4), *want = malloc((size_t)(n_tok * rows) * 4);
        float *got = malloc((size_t)(n_tok * rows) * 4), *wf = malloc((size_t)(rows * cols) * 4);
        if (w == NULL || x == NULL || want == NULL || got == NULL || wf == NULL) {
            fprintf(stderr, "out of memory\n");
            return 2;
        }
        if (!read_exact(f, w, (size_t)(rows * rb)) || !read_exact(f, x, (size_t)(n_tok * cols) * 4) ||
            !read_exact(f, want, (size_t)(n_tok * rows) * 4)) {
            fprintf(stderr, "record %u (%s): truncated\n", i, name);
            return 2;
        }
        const int plain = plain_type(type);
        if (plain && moe_tensor_dequantize(ctx[0], type, w, rows * cols, wf) != MOE_OK) {
            fprintf(stderr, "record %u (%s): type %d cannot be decoded\n", i, name, type);
            return 2;
        }
        for (int l = 0; l < n_levels; l++) {
            const int st = moe_tensor_matmul_ggml(ctx[l], type, w, rb, rows, cols, x, cols, n_tok, got, rows);
            if (st != MOE_OK) {
                fprintf(stderr, "FAIL %s (type %d) %s: %s\n", name, type, moe_cpu_level_name(levels[l]), moe_status_str(st));
                failures++;
                continue;
            }
            for (int64_t j = 0; j < n_tok * rows; j++) {
                const int64_t t = j / rows, r = j % rows;
                int ok;
                if (plain) {
                    double mag = 0;
                    for (int64_t k = 0; k < cols; k++) {
                        mag += fabs((double)wf[r * cols + k] * x[t * cols + k]);
                    }
                    ok = fabs((double)got[j] - want[j]) <= 1e-6 * mag;
                } else {
                    ok = memcmp(&got[j], &want[j], 4) == 0;
                }
                if (!ok) {
                    if (failures < 20) {
                        fprintf(stderr, "FAIL %s (type %d) %s: token %lld row %lld: %.9g, recorded %.9g\n", name, type,
                                moe_cpu_level_name(levels[l]), (long long)t, (long long)r, got[j], want[j]);
                    }
                    failures++;
                    break;
                }
            }
            if (plain) {
                close++;
            } else {
                exact++;
            }
        }
        free(w), free(x), free(want), free(got), free(wf);
    }
    fclose(f);
    for (int l = 0; l < n_levels; l++) {
        moe_ctx_destroy(ctx[l]);
    }
    printf("moe4j_replay: %u records, levels", records);
    for (int l = 0; l < n_levels; l++) {
        printf(" %s", moe_cpu_level_name(levels[l]));
    }
    printf(": %ld record-level products bit-identical, %ld within tolerance, %ld failures\n", exact, close, failures);
    return failures == 0 ? 0 : 1;
}
