/*
 * test_util.h - what the C self-tests share: a failure counter and CHECK, a seeded xorshift generator, the table of
 * weight formats, random weight matrices that decode to finite values, and context creation. static, header-only.
 */
#ifndef MOE4J_TEST_UTIL_H
#define MOE4J_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moe4j.h"

static int failures;


#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            failures++;                                                                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                                       \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fprintf(stderr, "\n");                                                                                     \
            if (failures > 40) {                                                                                       \
                exit(1);                                                                                               \
            }                                                                                                          \
        }                                                                                                              \
    } while (0)

/* ---- helpers ------------------------------------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static float rnd_float(void) { /* uniform in [-1, 1) */
    return (float)((double)(rnd() >> 11) * 0x1p-53 * 2.0 - 1.0);
}

static uint32_t f32_bits(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

/* A finite f16 of magnitude in [2^-9, 2^-3), random sign. */
static uint16_t rnd_f16_scale(void) {
    const uint16_t sign = (uint16_t)((rnd() & 1) << 15);
    const uint16_t exp = (uint16_t)(6 + rnd() % 6); /* 2^(exp-15) */
    return (uint16_t)(sign | (exp << 10) | (rnd() & 0x3FF));
}

static void put_f16(uint8_t *p, uint16_t h) {
    memcpy(p, &h, 2);
}

typedef struct fmt {
    int id;
    const char *name;
    int64_t be, bb;
    int scale_at[2]; /* byte offsets of f16 scale fields in a block, -1 if none */
} fmt;

static const fmt formats[] = {
    {0, "F32", 1, 4, {-1, -1}},        {1, "F16", 1, 2, {-1, -1}},         {30, "BF16", 1, 2, {-1, -1}},
    {2, "Q4_0", 32, 18, {0, -1}},      {3, "Q4_1", 32, 20, {0, 2}},        {6, "Q5_0", 32, 22, {0, -1}},
    {7, "Q5_1", 32, 24, {0, 2}},       {8, "Q8_0", 32, 34, {0, -1}},       {10, "Q2_K", 256, 84, {80, 82}},
    {11, "Q3_K", 256, 110, {108, -1}}, {12, "Q4_K", 256, 144, {0, 2}},     {13, "Q5_K", 256, 176, {0, 2}},
    {14, "Q6_K", 256, 210, {208, -1}}, {20, "IQ4_NL", 32, 18, {0, -1}},    {23, "IQ4_XS", 256, 136, {0, -1}},
    {16, "IQ2_XXS", 256, 66, {0, -1}}, {17, "IQ2_XS", 256, 74, {0, -1}},   {22, "IQ2_S", 256, 82, {0, -1}},
    {18, "IQ3_XXS", 256, 98, {0, -1}}, {21, "IQ3_S", 256, 110, {0, -1}},   {19, "IQ1_S", 256, 50, {0, -1}},
    {29, "IQ1_M", 256, 56, {-1, -1}},  {34, "TQ1_0", 256, 54, {52, -1}},   {35, "TQ2_0", 256, 66, {64, -1}},
    {39, "MXFP4", 32, 17, {-1, -1}},
};
#define N_FORMATS ((int)(sizeof(formats) / sizeof(formats[0])))

/* Fills a matrix of `rows` rows (row_bytes apart) of cols elements with random data that decodes to finite values. */
static void fill_matrix(const fmt *f, uint8_t *w, int64_t row_bytes, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        uint8_t *row = w + r * row_bytes;
        for (int64_t i = 0; i < row_bytes; i++) {
            row[i] = (uint8_t)rnd();
        }
        if (f->id == 0) {
            for (int64_t i = 0; i < cols; i++) {
                float v = rnd_float();
                memcpy(row + 4 * i, &v, 4);
            }
        } else if (f->id == 1) {
            for (int64_t i = 0; i < cols; i++) {
                put_f16(row + 2 * i, (uint16_t)((rnd() & 0x8000) | ((10 + rnd() % 8) << 10) | (rnd() & 0x3FF)));
            }
        } else if (f->id == 30) {
            for (int64_t i = 0; i < cols; i++) {
                put_f16(row + 2 * i, (uint16_t)(f32_bits(rnd_float()) >> 16));
            }
        } else if (f->id == 29) { /* IQ1_M: the f16 scale is the top nibbles of the four scale words at 48..55 */
            for (int64_t b = 0; b < cols / f->be; b++) {
                const uint16_t d = rnd_f16_scale();
                for (int k = 0; k < 4; k++) {
                    uint8_t *wk = row + b * f->bb + 48 + 2 * k;
                    wk[1] = (uint8_t)((wk[1] & 0x0F) | (((d >> (4 * k)) & 0x0F) << 4));
                }
            }
        } else if (f->id == 39) { /* MXFP4: an E8M0 exponent, half-scales 2^-10 .. 2^5 */
            for (int64_t b = 0; b < cols / f->be; b++) {
                row[b * f->bb] = (uint8_t)(118 + rnd() % 16);
            }
        } else {
            for (int64_t b = 0; b < cols / f->be; b++) {
                for (int s = 0; s < 2; s++) {
                    if (f->scale_at[s] >= 0) {
                        put_f16(row + b * f->bb + f->scale_at[s], rnd_f16_scale());
                    }
                }
            }
        }
    }
}

/* Every dispatch level this CPU and build run (the scalar one first): for (...) body. */
#define FOR_EACH_LEVEL(level) for (int level = 0; level < MOE_CPU_LEVELS; level++) if (moe_cpu_supports(level))
/* The same without the scalar level, for comparisons against it. */
#define FOR_EACH_SIMD_LEVEL(level) for (int level = 1; level < MOE_CPU_LEVELS; level++) if (moe_cpu_supports(level))

static moe_ctx *new_ctx(int level, int threads) {
    moe_ctx *ctx = NULL;
    int st = moe_ctx_create(level, threads, &ctx);
    if (st != MOE_OK) {
        fprintf(stderr, "moe_ctx_create(%d, %d): %s\n", level, threads, moe_status_str(st));
        exit(1);
    }
    return ctx;
}

#endif /* MOE4J_TEST_UTIL_H */
