/*
 * selftest.c - the C self-test of libmoe4j's weight kernels and ABI checks (run by ctest, and so by `mvn test`).
 *
 * What it checks, and with which tolerance:
 *   - F16/BF16 decoding of all 65536 bit patterns against an independent formula (exact; NaN must stay NaN with its sign).
 *   - Hand-made blocks whose values follow from the spec by hand (nibble order, 5th bits, K-quant scale packing).
 *   - For every format and every SIMD level the CPU has: dequantize and get_rows are bit-identical to the scalar level
 *     on random blocks (random quant bytes, finite moderate f16 scales).
 *   - matvec and matmul against an f64 dot product of the scalar-dequantized weights:
 *     |y - ref| <= 1e-7 * sqrt(n) * sum|w*x| + 1e-6 for n-term dots (f32 accumulation; observed errors are ~3e-9 on
 *     that scale, so the bound has a wide margin, yet it is ~100x tighter than 1e-4 * sum|w*x| at n = 4096).
 *   - Results do not depend on the thread count (1, 2, 3): bit-identical, since every row is computed by one thread
 *     with a fixed summation order.
 *   - Every error status of the tensor entry points, and that a rejected call writes nothing.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "moe4j.h"

#include "test_util.h"

/* ---- F16 / BF16 exhaustive ----------------------------------------------------------------------------------------- */

static void test_f16_bf16(void) {
    uint16_t *all = malloc(65536 * 2);
    float *out = malloc(65536 * 4), *ref = malloc(65536 * 4);
    for (int i = 0; i < 65536; i++) {
        all[i] = (uint16_t)i;
    }
    FOR_EACH_LEVEL(level) {
        moe_ctx *ctx = new_ctx(level, 1);
        CHECK(moe_tensor_dequantize(ctx, 1, all, 65536, out) == MOE_OK, "f16 dequantize");
        for (int i = 0; i < 65536; i++) {
            const int e = (i >> 10) & 31, m = i & 1023, neg = i >> 15;
            if (e == 31) {
                if (m == 0) {
                    CHECK(isinf(out[i]) && (signbit(out[i]) != 0) == neg, "%s f16 %04x -> %g", moe_cpu_level_name(level), i, out[i]);
                } else {
                    CHECK(isnan(out[i]) && (signbit(out[i]) != 0) == neg, "%s f16 %04x -> %g", moe_cpu_level_name(level), i, out[i]);
                }
            } else {
                double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
                float want = (float)(neg ? -v : v);
                CHECK(f32_bits(out[i]) == f32_bits(want), "%s f16 %04x -> %a, want %a", moe_cpu_level_name(level), i, out[i], want);
            }
        }
        if (level == 0) {
            memcpy(ref, out, 65536 * 4);
        } else {
            /* all levels agree bit for bit, NaN payloads included (quiet bit set, as vcvtph2ps does) */
            CHECK(memcmp(ref, out, 65536 * 4) == 0, "%s f16 differs from scalar", moe_cpu_level_name(level));
        }
        CHECK(moe_tensor_dequantize(ctx, 30, all, 65536, out) == MOE_OK, "bf16 dequantize");
        for (int i = 0; i < 65536; i++) {
            CHECK(f32_bits(out[i]) == (uint32_t)i << 16, "%s bf16 %04x", moe_cpu_level_name(level), i);
        }
        moe_ctx_destroy(ctx);
    }
    free(all);
    free(out);
    free(ref);
}

/* ---- hand-made blocks ---------------------------------------------------------------------------------------------- */

static void expect_block(const char *what, int type, const uint8_t *blk, int64_t n, const float *want) {
    float out[256];
    FOR_EACH_LEVEL(level) {
        moe_ctx *ctx = new_ctx(level, 1);
        CHECK(moe_tensor_dequantize(ctx, type, blk, n, out) == MOE_OK, "%s dequantize", what);
        for (int64_t i = 0; i < n; i++) {
            CHECK(out[i] == want[i], "%s %s[%lld] = %g, want %g", moe_cpu_level_name(level), what, (long long)i,
                  out[i], want[i]);
        }
        moe_ctx_destroy(ctx);
    }
}

static void test_layouts(void) {
    uint8_t b[256];
    float want[256];
    const uint16_t one = 0x3C00, two = 0x4000, half = 0x3800;

    /* Q4_0: byte j holds element j (low nibble) and j+16 (high nibble); value = d*(q-8). */
    memset(b, 0, sizeof b);
    put_f16(b, two);
    for (int j = 0; j < 16; j++) {
        b[2 + j] = (uint8_t)(j | ((15 - j) << 4));
        want[j] = 2.0f * (float)(j - 8);
        want[j + 16] = 2.0f * (float)(7 - j);
    }
    expect_block("Q4_0", 2, b, 32, want);

    /* Q4_1: d*q + m. */
    memset(b, 0, sizeof b);
    put_f16(b, two);
    put_f16(b + 2, half);
    for (int j = 0; j < 16; j++) {
        b[4 + j] = (uint8_t)(j | ((15 - j) << 4));
        want[j] = 2.0f * (float)j + 0.5f;
        want[j + 16] = 2.0f * (float)(15 - j) + 0.5f;
    }
    expect_block("Q4_1", 3, b, 32, want);

    /* Q5_0: bit j of qh is the 5th bit of element j; bit 20 belongs to element 20 (= high nibble of byte 4). */
    memset(b, 0, sizeof b);
    put_f16(b, one);
    const uint32_t qh = (1u << 3) | (1u << 20) | (1u << 31);
    memcpy(b + 2, &qh, 4);
    for (int j = 0; j < 16; j++) {
        b[6 + j] = 0x21; /* low nibble 1, high nibble 2 */
    }
    for (int j = 0; j < 32; j++) {
        want[j] = (float)((j < 16 ? 1 : 2) + (((qh >> j) & 1) ? 16 : 0) - 16);
    }
    expect_block("Q5_0", 6, b, 32, want);

    /* Q5_1: same bits, d*q + m. */
    memset(b, 0, sizeof b);
    put_f16(b, two);
    put_f16(b + 2, one);
    memcpy(b + 4, &qh, 4);
    for (int j = 0; j < 16; j++) {
        b[8 + j] = 0x21;
    }
    for (int j = 0; j < 32; j++) {
        want[j] = 2.0f * (float)((j < 16 ? 1 : 2) + (((qh >> j) & 1) ? 16 : 0)) + 1.0f;
    }
    expect_block("Q5_1", 7, b, 32, want);

    /* Q8_0: signed bytes. */
    memset(b, 0, sizeof b);
    put_f16(b, half);
    for (int j = 0; j < 32; j++) {
        b[2 + j] = (uint8_t)(int8_t)(j * 8 - 128);
        want[j] = 0.5f * (float)(j * 8 - 128);
    }
    expect_block("Q8_0", 8, b, 32, want);

    /* IQ4_NL: code book values. */
    static const int kv[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    memset(b, 0, sizeof b);
    put_f16(b, one);
    for (int j = 0; j < 16; j++) {
        b[2 + j] = (uint8_t)(j | ((15 - j) << 4));
        want[j] = (float)kv[j];
        want[j + 16] = (float)kv[15 - j];
    }
    expect_block("IQ4_NL", 20, b, 32, want);

    /* Q4_K: sub-block k has scale k+1 and min k (k < 4 packed in the low 6 bits, k >= 4 split in nibbles + top bits);
     * all quants 3 in the low nibble and 5 in the high nibble. x = d*sc*q - dmin*m with d = 1, dmin = 0.5. */
    memset(b, 0, sizeof b);
    put_f16(b, one);
    put_f16(b + 2, half);
    {
        int sc[8] = {1, 2, 3, 4, 37, 50, 63, 17}, mn[8] = {0, 1, 2, 3, 40, 33, 20, 63};
        uint8_t *s = b + 4;
        for (int k = 0; k < 4; k++) {
            s[k] = (uint8_t)((sc[k] & 63) | ((sc[k + 4] >> 4) << 6));
            s[k + 4] = (uint8_t)((mn[k] & 63) | ((mn[k + 4] >> 4) << 6));
            s[k + 8] = (uint8_t)((sc[k + 4] & 15) | ((mn[k + 4] & 15) << 4));
        }
        memset(b + 16, 0x53, 128);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                want[64 * c + l] = (float)sc[2 * c] * 3.0f - 0.5f * (float)mn[2 * c];
                want[64 * c + 32 + l] = (float)sc[2 * c + 1] * 5.0f - 0.5f * (float)mn[2 * c + 1];
            }
        }
        expect_block("Q4_K", 12, b, 256, want);

        /* Q5_K: same scales; qh[l] bit 2c / 2c+1 adds 16 to the low / high quant of chunk c. Set only for l = 7. */
        uint8_t q5[176];
        memset(q5, 0, sizeof q5);
        memcpy(q5, b, 16);
        q5[16 + 7] = 0x5A; /* bits 1,3,4,6: chunk 0 high, chunk 1 high, chunk 2 low, chunk 3 high */
        memset(q5 + 48, 0x53, 128);
        for (int c = 0; c < 4; c++) {
            for (int l = 0; l < 32; l++) {
                int lo = 3 + ((l == 7 && ((0x5A >> (2 * c)) & 1)) ? 16 : 0);
                int hi = 5 + ((l == 7 && ((0x5A >> (2 * c + 1)) & 1)) ? 16 : 0);
                want[64 * c + l] = (float)sc[2 * c] * (float)lo - 0.5f * (float)mn[2 * c];
                want[64 * c + 32 + l] = (float)sc[2 * c + 1] * (float)hi - 0.5f * (float)mn[2 * c + 1];
            }
        }
        expect_block("Q5_K", 13, q5, 256, want);
    }

    /* Q6_K: element i of half n has scale scales[8n + i/16]; all ql = 0x21, qh = 0b11100100 -> 2-bit fields 0,1,2,3. */
    memset(b, 0, sizeof b);
    memset(b, 0x21, 128);
    memset(b + 128, 0xE4, 64);
    for (int k = 0; k < 16; k++) {
        b[192 + k] = (uint8_t)(int8_t)(k - 8);
    }
    put_f16(b + 208, two);
    for (int n = 0; n < 2; n++) {
        for (int i = 0; i < 128; i++) {
            const int g = i / 32; /* q1..q4 */
            const int low = g < 2 ? 1 : 2; /* q1, q2 take the low nibble (1), q3, q4 the high one (2) */
            const int q = (low | (g << 4)) - 32;
            want[128 * n + i] = 2.0f * (float)(8 * n + i / 16 - 8) * (float)q;
        }
    }
    expect_block("Q6_K", 14, b, 256, want);

    /* Q2_K: sub-block s uses scale byte s (scale low nibble, min high nibble); qs bytes 0x1B = fields 3,2,1,0. */
    memset(b, 0, sizeof b);
    for (int s = 0; s < 16; s++) {
        b[s] = (uint8_t)((s % 16) | ((15 - s) << 4));
    }
    memset(b + 16, 0x1B, 64);
    put_f16(b + 80, one);
    put_f16(b + 82, half);
    for (int s = 0; s < 16; s++) {
        const int j = (s / 2) % 4;
        const int q = (0x1B >> (2 * j)) & 3;
        for (int l = 0; l < 16; l++) {
            want[16 * s + l] = (float)s * (float)q - 0.5f * (float)(15 - s);
        }
    }
    expect_block("Q2_K", 10, b, 256, want);

    /* Q3_K: scales all 32+5 (s = 5), hmask bit m of byte l set only for l even; quants 0x1B. */
    memset(b, 0, sizeof b);
    for (int l = 0; l < 32; l++) {
        b[l] = (l % 2 == 0) ? 0xFF : 0x00;
    }
    memset(b + 32, 0x1B, 64);
    /* scale 37 = 0b100101: low nibble 5 in a0/a1 nibbles, top 2 bits 2 in a2 */
    memset(b + 96, 0x55, 8);
    memset(b + 104, 0xAA, 4);
    put_f16(b + 108, one);
    for (int s = 0; s < 16; s++) {
        const int j = (s / 2) % 4;
        const int q = (0x1B >> (2 * j)) & 3;
        for (int l = 0; l < 16; l++) {
            const int idx = 16 * (s % 2) + l;
            want[16 * s + l] = 5.0f * (float)(q - (idx % 2 == 0 ? 0 : 4));
        }
    }
    expect_block("Q3_K", 11, b, 256, want);

    /* IQ4_XS: sub-block ib scale ls = ib + 30 (low nibble from scales_l, top bits from scales_h). */
    memset(b, 0, sizeof b);
    put_f16(b, one);
    {
        uint16_t sh = 0;
        for (int ib = 0; ib < 8; ib++) {
            const int ls = ib + 30;
            b[4 + ib / 2] |= (uint8_t)((ls & 15) << (4 * (ib % 2)));
            sh |= (uint16_t)((ls >> 4) << (2 * ib));
        }
        memcpy(b + 2, &sh, 2);
        for (int i = 0; i < 128; i++) {
            b[8 + i] = (uint8_t)((i % 16) | ((15 - i % 16) << 4));
        }
        for (int ib = 0; ib < 8; ib++) {
            for (int j = 0; j < 16; j++) {
                want[32 * ib + j] = (float)(ib - 2) * (float)kv[j];
                want[32 * ib + 16 + j] = (float)(ib - 2) * (float)kv[15 - j];
            }
        }
        expect_block("IQ4_XS", 23, b, 256, want);
    }

    /* IQ2_XXS: d = 1; sub-block 0 has scale 3 (db = (0.5 + 3) * 0.25 = 0.875), group 0 is iq2xxs_grid[1] = 43, 8, 8, ...
     * with ksigns[1] = 0x81 (elements 0 and 7 negative), group 1 point 0 (all 8) with ksigns[3] = 0x03, group 2
     * iq2xxs_grid[255] = 8, 25, 8, 8, 25, 43, 43, 43 with no signs; the other sub-blocks are all zero: db = 0.125,
     * point 0, no signs. */
    memset(b, 0, sizeof b);
    put_f16(b, one);
    b[2] = 1;
    b[4] = 255;
    {
        const uint32_t aux = 3u << 28 | 1u | 3u << 7;
        memcpy(b + 6, &aux, 4);
        static const int g255[8] = {8, 25, 8, 8, 25, 43, 43, 43};
        for (int i = 0; i < 256; i++) {
            want[i] = 1.0f;
        }
        for (int j = 0; j < 8; j++) {
            want[j] = 0.875f * (j == 0 ? 43.0f : 8.0f) * (j == 0 || j == 7 ? -1.0f : 1.0f);
            want[8 + j] = 0.875f * 8.0f * (j < 2 ? -1.0f : 1.0f);
            want[16 + j] = 0.875f * (float)g255[j];
            want[24 + j] = 0.875f * 8.0f;
        }
        expect_block("IQ2_XXS", 16, b, 256, want);
    }

    /* IQ1_M: d = 1.0 (f16 0x3C00) assembled from the top nibbles of the four scale words (0, 0, 0xC, 0x3); word 0's
     * low 6 bits give sub-block 0 the scales 1 (first half: dl = 3) and 2 (second half: dl = 5). Point 0 is
     * iq1s_grid[1] = 1, -1, -1, ... with delta +0.125; point 1 is iq1s_grid[0] (all -1) with delta -0.125 (qh nibble 1,
     * bit 3); every other point is all -1 with delta +0.125 and scale 0 (dl = 1) outside sub-block 0. */
    memset(b, 0, sizeof b);
    {
        const uint16_t sc[4] = {2 << 3 | 1, 0, 0xC000, 0x3000};
        memcpy(b + 48, sc, 8);
        b[0] = 1;
        b[32] = 0x80;
        for (int i = 0; i < 256; i++) {
            const float dl = i < 16 ? 3.0f : (i < 32 ? 5.0f : 1.0f);
            const float g = i == 0 ? 1.0f : -1.0f;
            want[i] = dl * (g + (i >= 8 && i < 16 ? -0.125f : 0.125f));
        }
        expect_block("IQ1_M", 29, b, 256, want);
    }

    /* MXFP4: e = 127 is 2^0 (half of it times the doubled E2M1 values): code 7 = 6.0, code 15 = -6.0; e = 0 is 2^-127,
     * whose half is a binary32 subnormal; e = 255 is the ordinary 2^128 (12 * 2^127 overflows to inf). */
    memset(b, 0, sizeof b);
    b[0] = 127;
    b[1] = 0xF7;
    b[17] = 0;
    b[18] = 0xE1;
    b[34] = 0xFF;
    b[35] = 0x71;
    for (int i = 0; i < 96; i++) {
        want[i] = 0.0f;
    }
    want[0] = 6.0f;
    want[16] = -6.0f;
    want[32] = 0x1p-128f;
    want[48] = -0x1p-125f;
    want[64] = 0x1p127f;
    want[80] = INFINITY;
    expect_block("MXFP4", 39, b, 96, want);
}

/* ---- random data: every level against scalar ---------------------------------------------------------------------- */

#define DOT_REL_TOL 1e-7
static double worst_ratio; /* largest |error| / (sqrt(n) * sum|w*x|) seen, printed as a margin report */

static double sqrt_terms_tol(int64_t n, double abs_sum) {
    return DOT_REL_TOL * sqrt((double)n) * abs_sum + 1e-6;
}

/* y against the f64 dot of the scalar-dequantized rows (wf: rows x cols floats). */
static void check_dots(const char *what, const fmt *f, int level, int threads, const float *wf, int64_t rows,
                       int64_t cols, const float *x, const float *y) {
    for (int64_t r = 0; r < rows; r++) {
        double ref = 0, abs_sum = 0;
        for (int64_t k = 0; k < cols; k++) {
            const double p = (double)wf[r * cols + k] * (double)x[k];
            ref += p;
            abs_sum += fabs(p);
        }
        const double tol = sqrt_terms_tol(cols, abs_sum);
        const double ratio = fabs((double)y[r] - ref) / (sqrt((double)cols) * abs_sum);
        if (ratio > worst_ratio) {
            worst_ratio = ratio;
        }
        CHECK(fabs((double)y[r] - ref) <= tol, "%s %s %s threads=%d row %lld: %.9g vs %.9g (tol %.3g)", what, f->name,
              moe_cpu_level_name(level), threads, (long long)r, y[r], ref, tol);
    }
}

static void test_format(const fmt *f) {
    /* cols: a few blocks (odd count for the small blocks; odd element count for the plain types), large enough that
     * matvec crosses the 64 KiB threshold for going multi-threaded. */
    const int64_t cols = f->be == 1 ? 1023 : (f->be == 32 ? 33 * 32 : 4 * 256);
    const int64_t row_bytes = cols / f->be * f->bb + 8; /* padded rows: row_bytes is honoured */
    const int64_t rows_list[2] = {301, 64};
    for (int ri = 0; ri < 2; ri++) {
        const int64_t rows = rows_list[ri];
        uint8_t *w = malloc((size_t)(rows * row_bytes));
        fill_matrix(f, w, row_bytes, rows, cols);
        float *wf = malloc((size_t)(rows * cols) * 4), *wl = malloc((size_t)(rows * cols) * 4);
        float *x = malloc((size_t)cols * 4);
        for (int64_t k = 0; k < cols; k++) {
            x[k] = rnd_float();
        }
        /* scalar dequantization of every row is the reference */
        moe_ctx *sc = new_ctx(MOE_CPU_SCALAR, 1);
        for (int64_t r = 0; r < rows; r++) {
            CHECK(moe_tensor_dequantize(sc, f->id, w + r * row_bytes, cols, wf + r * cols) == MOE_OK, "dequantize");
        }
        moe_ctx_destroy(sc);

        const int64_t n_tok = 9, x_stride = cols + 3, y_stride = rows + 5;
        float *X = malloc((size_t)(n_tok * x_stride) * 4);
        for (int64_t i = 0; i < n_tok * x_stride; i++) {
            X[i] = rnd_float();
        }
        const int64_t batch_sizes[3] = {2, 5, n_tok};
        float *Y = malloc((size_t)(n_tok * y_stride) * 4), *Y1 = malloc((size_t)(3 * n_tok * y_stride) * 4);
        float *y = malloc((size_t)rows * 4), *y1 = malloc((size_t)rows * 4);
        int32_t ids[5] = {0, (int32_t)rows - 1, 3, 3, (int32_t)rows / 2};
        float *g = malloc((size_t)(5 * cols) * 4);

        FOR_EACH_LEVEL(level) {
            for (int threads = 1; threads <= 3; threads++) {
                moe_ctx *ctx = new_ctx(level, threads);
                if (threads == 1) {
                    /* dequantize: bit-identical to scalar, whole matrix in one call when rows are dense */
                    for (int64_t r = 0; r < rows; r++) {
                        CHECK(moe_tensor_dequantize(ctx, f->id, w + r * row_bytes, cols, wl + r * cols) == MOE_OK,
                              "dequantize");
                    }
                    CHECK(memcmp(wf, wl, (size_t)(rows * cols) * 4) == 0, "%s %s dequantize differs from scalar",
                          f->name, moe_cpu_level_name(level));
                    CHECK(moe_tensor_get_rows(ctx, f->id, w, row_bytes, rows, cols, ids, 5, g) == MOE_OK, "get_rows");
                    for (int i = 0; i < 5; i++) {
                        CHECK(memcmp(g + i * cols, wf + ids[i] * cols, (size_t)cols * 4) == 0,
                              "%s %s get_rows id %d differs", f->name, moe_cpu_level_name(level), ids[i]);
                    }
                }
                /* matvec */
                CHECK(moe_tensor_matvec(ctx, f->id, w, row_bytes, rows, cols, x, y) == MOE_OK, "matvec");
                check_dots("matvec", f, level, threads, wf, rows, cols, x, y);
                if (threads == 1) {
                    memcpy(y1, y, (size_t)rows * 4);
                } else {
                    CHECK(memcmp(y, y1, (size_t)rows * 4) == 0, "%s %s matvec depends on the thread count", f->name,
                          moe_cpu_level_name(level));
                }
                /* matmul: tokens in strided rows; padding of Y must stay untouched. 2 tokens take the fused
                 * multi-token dots at every level, 5 the fused dots or (AVX2) the tile path's edge blocks, 9 the
                 * tile path with its main and edge register blocks. */
                for (int bi = 0; bi < 3; bi++) {
                    const int64_t nt = batch_sizes[bi];
                    float *yref = Y1 + bi * n_tok * y_stride;
                    for (int64_t i = 0; i < nt * y_stride; i++) {
                        Y[i] = 12345.0f;
                    }
                    CHECK(moe_tensor_matmul(ctx, f->id, w, row_bytes, rows, cols, X, x_stride, nt, Y, y_stride) ==
                              MOE_OK,
                          "matmul");
                    for (int64_t t = 0; t < nt; t++) {
                        check_dots("matmul", f, level, threads, wf, rows, cols, X + t * x_stride, Y + t * y_stride);
                        for (int64_t r = rows; r < y_stride && t < nt - 1; r++) {
                            CHECK(Y[t * y_stride + r] == 12345.0f, "matmul wrote into the y padding");
                        }
                    }
                    if (threads == 1) {
                        memcpy(yref, Y, (size_t)(nt * y_stride) * 4);
                    } else {
                        CHECK(memcmp(Y, yref, (size_t)(nt * y_stride) * 4) == 0,
                              "%s %s matmul of %lld tokens depends on the thread count", f->name,
                              moe_cpu_level_name(level), (long long)nt);
                    }
                }
                moe_ctx_destroy(ctx);
            }
        }
        free(w);
        free(wf);
        free(wl);
        free(x);
        free(X);
        free(Y);
        free(Y1);
        free(y);
        free(y1);
        free(g);
    }
}

/* One row in a buffer of exactly its size, so that the address sanitizer (or valgrind) sees any read past the last
 * block; every entry point at every level. */
static void test_exact_buffer(const fmt *f) {
    const int64_t cols = f->be == 1 ? 45 : 3 * f->be, bytes = cols / f->be * f->bb;
    uint8_t *w = malloc((size_t)bytes);
    fill_matrix(f, w, bytes, 1, cols);
    float *x = malloc((size_t)cols * 4), *out = malloc((size_t)cols * 4), *X = malloc((size_t)(2 * cols) * 4), y[2];
    for (int64_t k = 0; k < 2 * cols; k++) {
        X[k] = rnd_float();
        if (k < cols) {
            x[k] = X[k];
        }
    }
    const int32_t id = 0;
    FOR_EACH_LEVEL(level) {
        moe_ctx *ctx = new_ctx(level, 1);
        CHECK(moe_tensor_dequantize(ctx, f->id, w, cols, out) == MOE_OK, "dequantize");
        CHECK(moe_tensor_get_rows(ctx, f->id, w, bytes, 1, cols, &id, 1, out) == MOE_OK, "get_rows");
        CHECK(moe_tensor_matvec(ctx, f->id, w, bytes, 1, cols, x, y) == MOE_OK, "matvec");
        CHECK(moe_tensor_matmul(ctx, f->id, w, bytes, 1, cols, X, cols, 2, y, 1) == MOE_OK, "matmul");
        moe_ctx_destroy(ctx);
    }
    free(w);
    free(x);
    free(out);
    free(X);
}

/* matmul over more than one K tile (MOE_MM_TILE_K = 4096 columns) and with many tokens, against matvec per token. */
static void test_matmul_large(int type) {
    const fmt *f = NULL;
    for (int i = 0; i < N_FORMATS; i++) {
        if (formats[i].id == type) {
            f = &formats[i];
        }
    }
    const int64_t cols = f->be == 1 ? 4096 + 77 : 4096 + 512, rows = 35, n_tok = 20;
    const int64_t row_bytes = cols / f->be * f->bb;
    uint8_t *w = malloc((size_t)(rows * row_bytes));
    fill_matrix(f, w, row_bytes, rows, cols);
    float *wf = malloc((size_t)(rows * cols) * 4), *X = malloc((size_t)(n_tok * cols) * 4);
    float *Y = malloc((size_t)(n_tok * rows) * 4);
    for (int64_t i = 0; i < n_tok * cols; i++) {
        X[i] = rnd_float();
    }
    moe_ctx *sc = new_ctx(MOE_CPU_SCALAR, 1);
    CHECK(moe_tensor_dequantize(sc, type, w, rows * cols, wf) == MOE_OK, "dequantize");
    moe_ctx_destroy(sc);
    FOR_EACH_LEVEL(level) {
        moe_ctx *ctx = new_ctx(level, 2);
        CHECK(moe_tensor_matmul(ctx, type, w, row_bytes, rows, cols, X, cols, n_tok, Y, rows) == MOE_OK, "matmul");
        for (int64_t t = 0; t < n_tok; t++) {
            check_dots("matmul-large", f, level, 2, wf, rows, cols, X + t * cols, Y + t * rows);
        }
        moe_ctx_destroy(ctx);
    }
    free(w);
    free(wf);
    free(X);
    free(Y);
}

/* ---- error paths --------------------------------------------------------------------------------------------------- */

static void test_errors(void) {
    moe_ctx *ctx = NULL;
    CHECK(moe_ctx_create(0, 1, NULL) == MOE_ERR_INVALID_ARG, "create out=NULL");
    CHECK(moe_ctx_create(0, 0, &ctx) == MOE_ERR_INVALID_ARG && ctx == NULL, "create threads=0");
    CHECK(moe_ctx_create(0, 257, &ctx) == MOE_ERR_INVALID_ARG, "create threads=257");
    CHECK(moe_ctx_create(-2, 1, &ctx) == MOE_ERR_INVALID_ARG, "create level=-2");
    CHECK(moe_ctx_create(MOE_CPU_LEVELS, 1, &ctx) == MOE_ERR_INVALID_ARG, "create level out of range");
    CHECK(moe_cpu_supports(MOE_CPU_SCALAR) && moe_cpu_supports(moe_cpu_detect()), "scalar and detected supported");
    CHECK(!moe_cpu_supports(-1) && !moe_cpu_supports(MOE_CPU_LEVELS), "levels out of range unsupported");
    for (int level = 1; level < MOE_CPU_LEVELS; level++) {
        const int want = moe_cpu_supports(level) ? MOE_OK : MOE_ERR_UNSUPPORTED_CPU;
        CHECK(moe_ctx_create(level, 1, &ctx) == want, "create level %s", moe_cpu_level_name(level));
        moe_ctx_destroy(ctx);
        ctx = NULL;
    }
    /* the other architecture's levels are never supported */
#if defined(__aarch64__)
    CHECK(!moe_cpu_supports(MOE_CPU_AVX2) && !moe_cpu_supports(MOE_CPU_AVX512), "no x86 levels on aarch64");
#else
    CHECK(!moe_cpu_supports(MOE_CPU_NEON) && !moe_cpu_supports(MOE_CPU_NEON_I8MM), "no NEON levels here");
#endif
    CHECK(moe_ctx_destroy(NULL) == MOE_OK, "destroy NULL");
    CHECK(moe_ctx_level(NULL) == MOE_ERR_INVALID_ARG && moe_ctx_threads(NULL) == MOE_ERR_INVALID_ARG, "NULL ctx");
    ctx = new_ctx(-1, 2);
    CHECK(moe_ctx_level(ctx) == moe_cpu_detect() && moe_ctx_threads(ctx) == 2, "best level");

    int64_t be = 0, bb = 0;
    for (int i = 0; i < N_FORMATS; i++) {
        CHECK(moe_type_block(formats[i].id, &be, &bb) == MOE_OK && be == formats[i].be && bb == formats[i].bb,
              "type_block %s", formats[i].name);
    }
    const int unsupported[] = {-1, 4, 5, 9, 15, 24, 25, 26, 27, 28, 31, 36, 40, 1000};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
        CHECK(moe_type_block(unsupported[i], &be, &bb) == MOE_ERR_UNSUPPORTED_TYPE, "type_block %d", unsupported[i]);
    }
    CHECK(moe_type_block(2, NULL, &bb) == MOE_ERR_INVALID_ARG, "type_block NULL");

    uint8_t w[4 * 18];
    fill_matrix(&formats[3], w, 18, 4, 32); /* Q4_0, 4 rows of 32 */
    float x[64] = {0}, y[8], out[128];
    for (int i = 0; i < 8; i++) {
        y[i] = -7.0f;
    }
    /* dequantize */
    CHECK(moe_tensor_dequantize(NULL, 2, w, 32, out) == MOE_ERR_INVALID_ARG, "dq ctx");
    CHECK(moe_tensor_dequantize(ctx, 9, w, 32, out) == MOE_ERR_UNSUPPORTED_TYPE, "dq type");
    CHECK(moe_tensor_dequantize(ctx, 2, NULL, 32, out) == MOE_ERR_INVALID_ARG, "dq src");
    CHECK(moe_tensor_dequantize(ctx, 2, w, 32, NULL) == MOE_ERR_INVALID_ARG, "dq dst");
    CHECK(moe_tensor_dequantize(ctx, 2, w, 0, out) == MOE_ERR_INVALID_ARG, "dq n=0");
    CHECK(moe_tensor_dequantize(ctx, 2, w, -32, out) == MOE_ERR_INVALID_ARG, "dq n<0");
    CHECK(moe_tensor_dequantize(ctx, 2, w, 33, out) == MOE_ERR_INVALID_ARG, "dq n%%32");
    /* matvec */
    CHECK(moe_tensor_matvec(NULL, 2, w, 18, 4, 32, x, y) == MOE_ERR_INVALID_ARG, "mv ctx");
    CHECK(moe_tensor_matvec(ctx, 9, w, 18, 4, 32, x, y) == MOE_ERR_UNSUPPORTED_TYPE, "mv type");
    CHECK(moe_tensor_matvec(ctx, 2, NULL, 18, 4, 32, x, y) == MOE_ERR_INVALID_ARG, "mv w");
    CHECK(moe_tensor_matvec(ctx, 2, w, 18, 4, 32, NULL, y) == MOE_ERR_INVALID_ARG, "mv x");
    CHECK(moe_tensor_matvec(ctx, 2, w, 18, 4, 32, x, NULL) == MOE_ERR_INVALID_ARG, "mv y");
    CHECK(moe_tensor_matvec(ctx, 2, w, 18, 0, 32, x, y) == MOE_ERR_INVALID_ARG, "mv rows=0");
    CHECK(moe_tensor_matvec(ctx, 2, w, 18, 4, 0, x, y) == MOE_ERR_INVALID_ARG, "mv cols=0");
    CHECK(moe_tensor_matvec(ctx, 2, w, 18, 4, 48, x, y) == MOE_ERR_INVALID_ARG, "mv cols%%32");
    CHECK(moe_tensor_matvec(ctx, 2, w, 17, 4, 32, x, y) == MOE_ERR_INVALID_ARG, "mv row_bytes");
    CHECK(moe_tensor_matvec(ctx, 2, w, INT64_MAX / 2, 4, 32, x, y) == MOE_ERR_INVALID_ARG, "mv overflow");
    /* matmul */
    CHECK(moe_tensor_matmul(NULL, 2, w, 18, 4, 32, x, 32, 2, y, 4) == MOE_ERR_INVALID_ARG, "mm ctx");
    CHECK(moe_tensor_matmul(ctx, 99, w, 18, 4, 32, x, 32, 2, y, 4) == MOE_ERR_UNSUPPORTED_TYPE, "mm type");
    CHECK(moe_tensor_matmul(ctx, 2, w, 18, 4, 32, x, 31, 2, y, 4) == MOE_ERR_INVALID_ARG, "mm x_stride");
    CHECK(moe_tensor_matmul(ctx, 2, w, 18, 4, 32, x, 32, 2, y, 3) == MOE_ERR_INVALID_ARG, "mm y_stride");
    CHECK(moe_tensor_matmul(ctx, 2, w, 18, 4, 32, x, 32, 0, y, 4) == MOE_ERR_INVALID_ARG, "mm n_tokens=0");
    CHECK(moe_tensor_matmul(ctx, 2, w, 18, 4, 32, NULL, 32, 2, y, 4) == MOE_ERR_INVALID_ARG, "mm x");
    CHECK(moe_tensor_matmul(ctx, 2, w, 18, 4, 32, x, 32, 2, NULL, 4) == MOE_ERR_INVALID_ARG, "mm y");
    CHECK(moe_tensor_matmul(ctx, 2, w, 18, 4, 32, x, INT64_MAX / 2, 3, y, 4) == MOE_ERR_INVALID_ARG, "mm overflow");
    CHECK(moe_tensor_matmul(ctx, 2, w, 16, 4, 32, x, 32, 2, y, 4) == MOE_ERR_INVALID_ARG, "mm row_bytes");
    /* get_rows: a bad id anywhere leaves out untouched */
    const int32_t good[2] = {0, 3}, bad_hi[3] = {0, 1, 4}, bad_neg[2] = {1, -1};
    for (int i = 0; i < 128; i++) {
        out[i] = -7.0f;
    }
    CHECK(moe_tensor_get_rows(NULL, 2, w, 18, 4, 32, good, 2, out) == MOE_ERR_INVALID_ARG, "gr ctx");
    CHECK(moe_tensor_get_rows(ctx, 5, w, 18, 4, 32, good, 2, out) == MOE_ERR_UNSUPPORTED_TYPE, "gr type");
    CHECK(moe_tensor_get_rows(ctx, 2, NULL, 18, 4, 32, good, 2, out) == MOE_ERR_INVALID_ARG, "gr table");
    CHECK(moe_tensor_get_rows(ctx, 2, w, 18, 4, 32, NULL, 2, out) == MOE_ERR_INVALID_ARG, "gr ids");
    CHECK(moe_tensor_get_rows(ctx, 2, w, 18, 4, 32, good, 2, NULL) == MOE_ERR_INVALID_ARG, "gr out");
    CHECK(moe_tensor_get_rows(ctx, 2, w, 18, 4, 32, good, 0, out) == MOE_ERR_INVALID_ARG, "gr n_ids=0");
    CHECK(moe_tensor_get_rows(ctx, 2, w, 18, 0, 32, good, 2, out) == MOE_ERR_INVALID_ARG, "gr n_rows=0");
    CHECK(moe_tensor_get_rows(ctx, 2, w, 18, 4, 31, good, 2, out) == MOE_ERR_INVALID_ARG, "gr cols");
    CHECK(moe_tensor_get_rows(ctx, 2, w, 10, 4, 32, good, 2, out) == MOE_ERR_INVALID_ARG, "gr row_bytes");
    CHECK(moe_tensor_get_rows(ctx, 2, w, 18, 4, 32, bad_hi, 3, out) == MOE_ERR_INVALID_ARG, "gr id >= n_rows");
    CHECK(moe_tensor_get_rows(ctx, 2, w, 18, 4, 32, bad_neg, 2, out) == MOE_ERR_INVALID_ARG, "gr id < 0");
    for (int i = 0; i < 128; i++) {
        CHECK(out[i] == -7.0f, "rejected get_rows wrote out[%d]", i);
    }
    for (int i = 0; i < 8; i++) {
        CHECK(y[i] == -7.0f, "rejected matvec/matmul wrote y[%d]", i);
    }
    CHECK(moe_tensor_get_rows(ctx, 2, w, 18, 4, 32, good, 2, out) == MOE_OK, "gr ok");
    /* status names */
    const int statuses[] = {MOE_OK, MOE_ERR_INVALID_ARG, MOE_ERR_UNSUPPORTED_TYPE, MOE_ERR_OUT_OF_MEMORY,
                            MOE_ERR_UNSUPPORTED_CPU, MOE_ERR_THREAD, -99, 7};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        CHECK(moe_status_str(statuses[i]) != NULL && moe_status_str(statuses[i])[0] != 0, "status_str %d", statuses[i]);
    }
    CHECK(strcmp(moe_cpu_level_name(0), "scalar") == 0 && strcmp(moe_cpu_level_name(1), "avx2") == 0 &&
              strcmp(moe_cpu_level_name(2), "avx512") == 0 && strcmp(moe_cpu_level_name(5), "neon_i8mm") == 0 &&
              strcmp(moe_cpu_level_name(MOE_CPU_LEVELS), "unknown") == 0,
          "level names");
    moe_ctx_destroy(ctx);
}

/* ---- worker pool --------------------------------------------------------------------------------------------------- */

/* Many back-to-back threaded calls, with sleeps in between so workers go through spin -> sleep -> wake, and many
 * create/destroy cycles: results must never change. */
static void test_pool(void) {
    const fmt *f = &formats[7]; /* Q8_0 */
    const int64_t rows = 512, cols = 1024, row_bytes = cols / 32 * 34;
    uint8_t *w = malloc((size_t)(rows * row_bytes));
    fill_matrix(f, w, row_bytes, rows, cols);
    float *x = malloc((size_t)cols * 4), *y = malloc((size_t)rows * 4), *ref = malloc((size_t)rows * 4);
    for (int64_t k = 0; k < cols; k++) {
        x[k] = rnd_float();
    }
    moe_ctx *one = new_ctx(-1, 1);
    CHECK(moe_tensor_matvec(one, 8, w, row_bytes, rows, cols, x, ref) == MOE_OK, "matvec");
    moe_ctx_destroy(one);
    for (int cycle = 0; cycle < 20; cycle++) {
        moe_ctx *ctx = new_ctx(-1, 2 + cycle % 3);
        for (int call = 0; call < 50; call++) {
            if (call % 10 == 9) {
                struct timespec ts = {0, 300000}; /* 0.3 ms: longer than the workers' spin */
                nanosleep(&ts, NULL);
            }
            memset(y, 0, (size_t)rows * 4);
            CHECK(moe_tensor_matvec(ctx, 8, w, row_bytes, rows, cols, x, y) == MOE_OK, "matvec");
            CHECK(memcmp(y, ref, (size_t)rows * 4) == 0, "pool cycle %d call %d: result changed", cycle, call);
        }
        moe_ctx_destroy(ctx);
    }
    free(w);
    free(x);
    free(y);
    free(ref);
}

int main(void) {
    printf("moe4j selftest: detected level %s\n", moe_cpu_level_name(moe_cpu_detect()));
    CHECK(moe_abi_version() == MOE_ABI_VERSION, "abi version");
    test_errors();
    test_f16_bf16();
    test_layouts();
    for (int i = 0; i < N_FORMATS; i++) {
        test_format(&formats[i]);
        test_exact_buffer(&formats[i]);
    }
    test_matmul_large(0);
    test_matmul_large(1);
    test_matmul_large(2);
    test_matmul_large(12);
    test_pool();
    printf("largest dot error: %.3g * sqrt(n) * sum|w*x| (tolerance %.3g)\n", worst_ratio, DOT_REL_TOL);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
