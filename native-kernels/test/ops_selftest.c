/*
 * ops_selftest.c - C-side checks of the moe_op_* functions at every level this CPU runs: the accuracy of the SIMD exp
 * (through swiglu, over a dense sweep of inputs), special values (masks, NaN, infinities), top-k ordering rules, and
 * that bad arguments give MOE_ERR_INVALID_ARG instead of a crash. The random-input comparisons against the scalar
 * reference live in the Java test OpsKernelTest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moe4j.h"

static int failures;

#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            failures++;                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fprintf(stderr, "\n");                               \
        }                                                        \
    } while (0)

static float from_bits(uint32_t b) {
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* silu(g) = g / (1 + e^-g) through moe_op_swiglu with up = 1, against double precision, for every 61st float in
 * [-87, -1e-9] and [1e-9, 88] (where the result is a normal float). The contract is 1e-6 relative. */
static void check_silu_accuracy(moe_ctx *ctx, const char *name) {
    enum { BATCH = 4096 };
    static float g[BATCH], one[BATCH], out[BATCH];
    for (int i = 0; i < BATCH; i++) {
        one[i] = 1.0f;
    }
    const uint32_t lo = 0x3089705fu; /* 1e-9 */
    const uint32_t hi[2] = {0x42B00000u /* 88 */, 0x42AE0000u /* 87 */};
    double worst = 0.0;
    float worst_g = 0.0f;
    for (int sign = 0; sign < 2; sign++) {
        uint32_t bits = lo;
        while (bits <= hi[sign]) {
            int m = 0;
            for (; m < BATCH && bits <= hi[sign]; m++, bits += 61) {
                g[m] = sign ? -from_bits(bits) : from_bits(bits);
            }
            CHECK(moe_op_swiglu(ctx, g, one, m, out) == MOE_OK, "%s: swiglu status", name);
            for (int i = 0; i < m; i++) {
                const double ref = (double) g[i] / (1.0 + exp(-(double) g[i]));
                const double rel = fabs(out[i] - ref) / fabs(ref);
                if (!(rel <= worst)) {
                    worst = rel;
                    worst_g = g[i];
                }
            }
        }
    }
    CHECK(worst <= 1e-6, "%s: silu worst relative error %.3g at g=%.9g (limit 1e-6)", name, worst, worst_g);
    fprintf(stderr, "%s: silu worst relative error %.3g at g=%.9g\n", name, worst, worst_g);
}

static void check_special_values(moe_ctx *ctx, const char *name) {
    /* silu at the ends of the exp range and beyond: e^-g overflows to +inf (result -0) or vanishes (result g). */
    const float g[6] = {-200.0f, -104.5f, 100.0f, 1e30f, NAN, 0.0f};
    const float u[6] = {3.0f, 3.0f, 3.0f, 1.0f, 1.0f, 5.0f};
    float out[6];
    CHECK(moe_op_swiglu(ctx, g, u, 6, out) == MOE_OK, "%s: swiglu", name);
    CHECK(out[0] == 0.0f && out[1] == 0.0f, "%s: silu(-200), silu(-104.5) = %g %g, want 0", name, out[0], out[1]);
    CHECK(out[2] == 300.0f && out[3] == 1e30f, "%s: silu(100)*3, silu(1e30) = %g %g", name, out[2], out[3]);
    CHECK(isnan(out[4]) && out[5] == 0.0f, "%s: silu(NaN), silu(0) = %g %g", name, out[4], out[5]);

    /* A masked softmax row of odd length (tail lanes in every level): masks give exactly 0, the rest sums to 1. */
    float row[19];
    for (int i = 0; i < 19; i++) {
        row[i] = (i % 3 == 1) ? -INFINITY : 0.25f * (float) i - 2.0f;
    }
    CHECK(moe_op_softmax(ctx, row, 19, 1, 0.7f) == MOE_OK, "%s: softmax", name);
    double sum = 0.0;
    for (int i = 0; i < 19; i++) {
        if (i % 3 == 1) {
            CHECK(row[i] == 0.0f, "%s: masked softmax entry %d = %g", name, i, row[i]);
        }
        sum += row[i];
    }
    CHECK(fabs(sum - 1.0) < 1e-6, "%s: softmax row sums to %.9g", name, sum);

    /* All entries masked: zeros, not NaN. One NaN in a live row: the whole row NaN. */
    float masked[2][9];
    for (int i = 0; i < 9; i++) {
        masked[0][i] = -INFINITY;
        masked[1][i] = (float) i;
    }
    masked[1][4] = NAN;
    CHECK(moe_op_softmax(ctx, &masked[0][0], 9, 2, 1.0f) == MOE_OK, "%s: softmax masked", name);
    for (int i = 0; i < 9; i++) {
        CHECK(masked[0][i] == 0.0f, "%s: fully masked row entry %d = %g", name, i, masked[0][i]);
        CHECK(isnan(masked[1][i]), "%s: NaN row entry %d = %g", name, i, masked[1][i]);
    }

    /* Large inputs: exp of (x - max) underflows, the max entry keeps everything. */
    float big[3] = {1000.0f, -1000.0f, 0.0f};
    CHECK(moe_op_softmax(ctx, big, 3, 1, 1.0f) == MOE_OK, "%s: softmax big", name);
    CHECK(big[0] == 1.0f && big[1] == 0.0f && big[2] == 0.0f, "%s: softmax big = %g %g %g", name, big[0], big[1],
          big[2]);
}

static void check_topk(moe_ctx *ctx, const char *name) {
    const float x[8] = {1.0f, NAN, 3.0f, 3.0f, -INFINITY, 7.0f, NAN, 3.0f};
    int32_t idx[8];
    float val[8];
    CHECK(moe_op_topk(ctx, x, 8, 8, idx, val) == MOE_OK, "%s: topk", name);
    const int32_t want[8] = {5, 2, 3, 7, 0, 4, 1, 6}; /* ties and NaNs by index, NaN after -inf */
    for (int i = 0; i < 8; i++) {
        CHECK(idx[i] == want[i], "%s: topk rank %d = index %d, want %d", name, i, idx[i], want[i]);
    }
    CHECK(val[0] == 7.0f && val[3] == 3.0f && isnan(val[7]), "%s: topk values", name);
    CHECK(moe_op_topk(ctx, x, 8, 3, idx, NULL) == MOE_OK && idx[0] == 5 && idx[1] == 2 && idx[2] == 3,
          "%s: topk k=3 without values: %d %d %d", name, idx[0], idx[1], idx[2]);
}

static void check_bad_arguments(moe_ctx *ctx) {
    float a[64] = {0}, b[64] = {0}, c[64] = {0};
    int32_t idx[8], pos[4] = {0, 1, 2, 3};
    const int bad = MOE_ERR_INVALID_ARG;

    CHECK(moe_op_rmsnorm(NULL, a, NULL, 4, 1, 1e-6f, c) == bad, "rmsnorm NULL ctx");
    CHECK(moe_op_rmsnorm(ctx, NULL, NULL, 4, 1, 1e-6f, c) == bad, "rmsnorm NULL x");
    CHECK(moe_op_rmsnorm(ctx, a, NULL, 4, 1, 1e-6f, NULL) == bad, "rmsnorm NULL out");
    CHECK(moe_op_rmsnorm(ctx, a, NULL, 0, 1, 1e-6f, c) == bad, "rmsnorm n=0");
    CHECK(moe_op_rmsnorm(ctx, a, NULL, 4, -1, 1e-6f, c) == bad, "rmsnorm rows=-1");
    CHECK(moe_op_rmsnorm(ctx, a, NULL, INT64_MAX / 2, 3, 1e-6f, c) == bad, "rmsnorm n*rows overflow");
    CHECK(moe_op_rmsnorm(ctx, a, NULL, 4, 1, -1e-6f, c) == bad, "rmsnorm eps<0");
    CHECK(moe_op_rmsnorm(ctx, a, NULL, 4, 1, NAN, c) == bad, "rmsnorm eps NaN");

#define ROPE(x, nt, ts, nh, hs, nr, p, mode, base, fs, ext, att, bf, bs, orig) \
    moe_op_rope(ctx, x, nt, ts, nh, hs, nr, p, mode, base, fs, ext, att, bf, bs, orig)
    CHECK(moe_op_rope(NULL, a, 1, 8, 1, 8, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope NULL ctx");
    CHECK(ROPE(NULL, 1, 8, 1, 8, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope NULL x");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, NULL, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope NULL positions");
    CHECK(ROPE(a, 0, 8, 1, 8, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope 0 tokens");
    CHECK(ROPE(a, 1, 8, 0, 8, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope 0 heads");
    CHECK(ROPE(a, 1, 8, 1, 8, 7, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope odd n_rot");
    CHECK(ROPE(a, 1, 8, 1, 8, 0, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope n_rot 0");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, pos, 1, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope mode 1");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, pos, 0, 0.0f, 1, 0, 1, 32, 1, 0) == bad, "rope base 0");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, pos, 0, 1e4f, 0, 0, 1, 32, 1, 0) == bad, "rope freq_scale 0");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, pos, 0, 1e4f, 1, NAN, 1, 32, 1, 0) == bad, "rope ext NaN");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, pos, 0, 1e4f, 1, 0, INFINITY, 32, 1, 0) == bad, "rope attn inf");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, pos, 0, 1e4f, 0.025f, 1, 1, 32, 1, 0) == bad, "rope YaRN n_ctx_orig 0");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, pos, 0, 1e4f, 0.025f, 1, 1, 0, 1, 4096) == bad, "rope YaRN beta_fast 0");
    CHECK(ROPE(a, 1, 8, 1, 8, 8, pos, 0, 1.0f, 0.025f, 1, 1, 32, 1, 4096) == bad, "rope YaRN base 1");
    CHECK(ROPE(a, 2, 8, 2, 4, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope heads overlap");
    CHECK(ROPE(a, 2, 8, 2, 8, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope tokens overlap heads");
    CHECK(ROPE(a, 2, -16, 1, 8, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope negative stride");
    CHECK(ROPE(a, 2, INT64_MAX / 2, 3, INT64_MAX / 4, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope overflow");
    /* accepted layouts: heads inside tokens, tokens inside heads, interleaved, single token with any stride */
    CHECK(ROPE(a, 2, 16, 2, 8, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == MOE_OK, "rope heads inside tokens");
    CHECK(ROPE(a, 2, 8, 2, 16, 8, pos, 2, 1e4f, 1, 0, 1, 32, 1, 0) == MOE_OK, "rope tokens inside heads");
    CHECK(ROPE(a, 2, 16, 2, 8, 4, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == MOE_OK, "rope partial rotation");
    CHECK(ROPE(a, 1, -5, 2, 8, 8, pos, 0, 1e4f, 0.025f, 1, 1, 32, 1, 4096) == MOE_OK, "rope single token");
#undef ROPE

    CHECK(moe_op_softmax(NULL, a, 4, 1, 1.0f) == bad, "softmax NULL ctx");
    CHECK(moe_op_softmax(ctx, NULL, 4, 1, 1.0f) == bad, "softmax NULL x");
    CHECK(moe_op_softmax(ctx, a, 4, 0, 1.0f) == bad, "softmax 0 rows");
    CHECK(moe_op_softmax(ctx, a, 4, 1, 0.0f) == bad, "softmax scale 0");
    CHECK(moe_op_softmax(ctx, a, 4, 1, -1.0f) == bad, "softmax scale < 0");
    CHECK(moe_op_softmax(ctx, a, 4, 1, NAN) == bad, "softmax scale NaN");

    CHECK(moe_op_swiglu(NULL, a, b, 4, c) == bad, "swiglu NULL ctx");
    CHECK(moe_op_swiglu(ctx, a, NULL, 4, c) == bad, "swiglu NULL up");
    CHECK(moe_op_swiglu(ctx, a, b, -4, c) == bad, "swiglu n<0");

    CHECK(moe_op_topk(NULL, a, 8, 2, idx, NULL) == bad, "topk NULL ctx");
    CHECK(moe_op_topk(ctx, a, 8, 2, NULL, NULL) == bad, "topk NULL idx");
    CHECK(moe_op_topk(ctx, a, 8, 0, idx, NULL) == bad, "topk k=0");
    CHECK(moe_op_topk(ctx, a, 8, 9, idx, NULL) == bad, "topk k>n");
    CHECK(moe_op_topk(ctx, a, (int64_t) INT32_MAX + 1, 2, idx, NULL) == bad, "topk n>INT32_MAX");

    /* counts whose size in bytes would not fit in int64 */
    const int64_t huge = (int64_t) 1 << 62;
    CHECK(moe_op_add(ctx, a, b, huge, c) == bad, "add n=2^62");
    CHECK(moe_op_scale(ctx, a, huge, 2.0f, c) == bad, "scale n=2^62");
    CHECK(moe_op_axpy(ctx, 2.0f, a, huge, b) == bad, "axpy n=2^62");
    CHECK(moe_op_swiglu(ctx, a, b, huge, c) == bad, "swiglu n=2^62");
    CHECK(moe_op_rmsnorm(ctx, a, NULL, (int64_t) 1 << 31, (int64_t) 1 << 31, 1e-6f, c) == bad, "rmsnorm 2^62 floats");
    CHECK(moe_op_softmax(ctx, a, (int64_t) 1 << 40, (int64_t) 1 << 22, 1.0f) == bad, "softmax 2^62 floats");
    CHECK(moe_op_rope(ctx, a, 2, (int64_t) 1 << 61, 1, 8, 8, pos, 0, 1e4f, 1, 0, 1, 32, 1, 0) == bad, "rope extent 2^61");

    CHECK(moe_op_add(NULL, a, b, 4, c) == bad, "add NULL ctx");
    CHECK(moe_op_add(ctx, a, b, 0, c) == bad, "add n=0");
    CHECK(moe_op_add(ctx, a, NULL, 4, c) == bad, "add NULL b");
    CHECK(moe_op_scale(ctx, NULL, 4, 2.0f, c) == bad, "scale NULL x");
    CHECK(moe_op_scale(NULL, a, 4, 2.0f, c) == bad, "scale NULL ctx");
    CHECK(moe_op_axpy(ctx, 2.0f, a, 4, NULL) == bad, "axpy NULL y");
    CHECK(moe_op_axpy(NULL, 2.0f, a, 4, b) == bad, "axpy NULL ctx");
}

int main(void) {
    const int best = moe_cpu_detect();
    for (int level = MOE_CPU_SCALAR; level <= best; level++) {
        moe_ctx *ctx = NULL;
        const int st = moe_ctx_create(level, 1, &ctx);
        CHECK(st == MOE_OK && ctx != NULL, "moe_ctx_create(%d) = %d", level, st);
        if (ctx == NULL) {
            continue;
        }
        const char *name = moe_cpu_level_name(level);
        check_silu_accuracy(ctx, name);
        check_special_values(ctx, name);
        check_topk(ctx, name);
        check_bad_arguments(ctx);
        moe_ctx_destroy(ctx);
    }
    if (failures != 0) {
        fprintf(stderr, "ops_selftest: %d failure(s)\n", failures);
        return 1;
    }
    fprintf(stderr, "ops_selftest: all levels up to %s pass\n", moe_cpu_level_name(best));
    return 0;
}
