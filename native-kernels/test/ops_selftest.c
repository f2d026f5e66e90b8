/*
 * ops_selftest.c - C-side checks of the moe_op_* functions at every level this CPU runs: the accuracy of the SIMD exp
 * (through swiglu, over a dense sweep of inputs), special values (masks, NaN, infinities), top-k ordering rules, and
 * that bad arguments give MOE_ERR_INVALID_ARG instead of a crash. The random-input comparisons of the older ops against
 * the scalar reference live in the Java test OpsKernelTest.
 *
 * Softmax with sinks and the clamped SwiGLU (gpt-oss) are compared here, on fresh random inputs (the seed is printed;
 * MOE4J_TEST_SEED=<seed> replays it):
 *   - every level against the scalar level: |got - want| <= 1e-6 |want| + 1e-37. Both compute the same float
 *     products, differences and clamps (the same IEEE operations in the same order); they differ in exp (libm's expf
 *     against the polynomial of ops_internal.h, each within 1 ulp) and in the order of the double sums, then share one
 *     to three roundings: a few ulp, below 1e-6. The 1e-37 is for results in the subnormal range, which carry no
 *     relative precision;
 *   - every level against the formula in double, on the same float inputs: relative 1e-6 + 2^-24 |a|, where a is the
 *     exponent (alpha * g for the SwiGLU): ggml rounds that exponent to float before exp, an absolute error of up to
 *     2^-24 |a| in it and so a relative error of up to that much in the result; 1e-6 covers the exp and the 3-4
 *     further roundings as above. The SwiGLU also gets |g (u + 1)| 2^-127 absolute: where e^(-alpha g) overflows the
 *     float exp (beyond e^88.72) ggml's formula gives 0, and the exact result is below that;
 *   - exact properties: a -inf sink is no sink (bit-identical to moe_op_softmax at the same level), a masked entry gives
 *     exactly 0, a row of -inf with a finite sink gives zeros, a NaN or +inf sink gives a NaN row; gate and up beyond
 *     +-limit give exactly the results of +-limit; out may alias gate or up (bit-identical).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* ---- softmax with sinks, clamped SwiGLU ------------------------------------------------------------------------ */

static uint64_t seed, rng;

static uint64_t rnd(void) { /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static double rnd_unit(void) { /* uniform in [0, 1) */
    return (double) (rnd() >> 11) * 0x1p-53;
}

static float rnd_gauss(void) { /* Box-Muller */
    const double u = 1.0 - rnd_unit(), v = rnd_unit();
    return (float) (sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static uint32_t bits_of(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* |got - want| <= rel |want| + abs, NaN only against NaN. */
static int close_abs(float got, double want, double rel, double abs) {
    if (isnan(want) || isnan(got)) {
        return isnan(want) && isnan(got);
    }
    return got == want || fabs((double) got - want) <= rel * fabs(want) + abs;
}

/* |got - want| <= rel |want| + 1e-37 (results in the subnormal range carry no relative precision). */
static int close_to(float got, float want, double rel) {
    return close_abs(got, want, rel, 1e-37);
}

static const int64_t OAI_SIZES[] = {1, 7, 8, 15, 16, 17, 64, 127, 576, 4097};
#define N_OAI_SIZES ((int) (sizeof OAI_SIZES / sizeof OAI_SIZES[0]))

/* n_rows rows of n scores (Gaussian, spread 0.1 to 30), some masked, and one sink per row of each kind: near the scores,
 * above every scaled score, far below, -inf, and a random large one. */
static void make_sink_case(float *x, float *sinks, int64_t n, int64_t n_rows, float scale) {
    const float spread = (float) (0.1 * pow(300.0, rnd_unit()));
    for (int64_t r = 0; r < n_rows; r++) {
        float max = -INFINITY;
        for (int64_t i = 0; i < n; i++) {
            float v = rnd_gauss() * spread;
            if (i > 0 && rnd() % 5 == 0) {
                v = -INFINITY; /* a mask; entry 0 stays live */
            }
            x[r * n + i] = v;
            max = v * scale > max ? v * scale : max;
        }
        switch (r % 5) {
        case 0: sinks[r] = max + rnd_gauss() * 2.0f; break;               /* among the scores */
        case 1: sinks[r] = max + 0.5f + (float) rnd_unit() * 60.0f; break; /* above every score */
        case 2: sinks[r] = -1e4f * (float) (1.0 + rnd_unit()); break;      /* far below: exp underflows to 0 */
        case 3: sinks[r] = -INFINITY; break;                                /* no sink */
        default: sinks[r] = rnd_gauss() * 40.0f; break;
        }
    }
}

static void check_softmax_sinks(moe_ctx *ctx, moe_ctx *scalar, const char *name) {
    enum { ROWS = 10 };
    double worst_scalar = 0.0, worst_exact = 0.0;
    for (int si = 0; si < N_OAI_SIZES; si++) {
        const int64_t n = OAI_SIZES[si];
        float *x = malloc((size_t) (n * ROWS) * sizeof(float)), *want = malloc((size_t) (n * ROWS) * sizeof(float));
        float *got = malloc((size_t) (n * ROWS) * sizeof(float)), *plain = malloc((size_t) (n * ROWS) * sizeof(float));
        float sinks[ROWS];
        for (int rep = 0; rep < 4; rep++) {
            const float scale = (float) (0.02 + rnd_unit() * 2.0);
            make_sink_case(x, sinks, n, ROWS, scale);
            memcpy(want, x, (size_t) (n * ROWS) * sizeof(float));
            memcpy(got, x, (size_t) (n * ROWS) * sizeof(float));
            CHECK(moe_op_softmax_sinks(scalar, want, n, ROWS, scale, sinks) == MOE_OK, "scalar softmax_sinks");
            CHECK(moe_op_softmax_sinks(ctx, got, n, ROWS, scale, sinks) == MOE_OK, "%s: softmax_sinks", name);
            for (int64_t r = 0; r < ROWS; r++) {
                /* the formula in double on the same floats: m over the scaled scores (rounded to float as the kernel
                 * does) and the sink, the sink's term in the denominator */
                double m = sinks[r];
                for (int64_t i = 0; i < n; i++) {
                    const double t = (double) (x[r * n + i] * scale);
                    m = t > m ? t : m;
                }
                double sum = exp((double) sinks[r] - m);
                for (int64_t i = 0; i < n; i++) {
                    sum += exp((double) (x[r * n + i] * scale) - m);
                }
                double mass = 0.0;
                for (int64_t i = 0; i < n; i++) {
                    const int64_t k = r * n + i;
                    const double a = (double) (x[k] * scale) - m;
                    const float exact = (float) (exp(a) / sum);
                    const double e1 = fabs((double) got[k] - want[k]) / (fabs((double) want[k]) + 1e-300);
                    const double e2 = fabs((double) got[k] - exact) / (fabs((double) exact) + 1e-300);
                    CHECK(close_to(got[k], want[k], 1e-6), "%s: softmax_sinks n=%lld row %lld (sink %g) [%lld] = %.9g, scalar %.9g (seed %llu)",
                          name, (long long) n, (long long) r, sinks[r], (long long) i, got[k], want[k],
                          (unsigned long long) seed);
                    CHECK(close_to(got[k], exact, 1e-6 + 0x1p-24 * fabs(a)),
                          "%s: softmax_sinks n=%lld row %lld (sink %g) [%lld] = %.9g, exact %.9g (seed %llu)", name,
                          (long long) n, (long long) r, sinks[r], (long long) i, got[k], exact,
                          (unsigned long long) seed);
                    if (x[k] == -INFINITY) {
                        CHECK(got[k] == 0.0f, "%s: masked entry %lld = %g", name, (long long) k, got[k]);
                    }
                    if (fabs(want[k]) > 1e-37 && e1 > worst_scalar) {
                        worst_scalar = e1;
                    }
                    if (fabs(exact) > 1e-37 && e2 > worst_exact) {
                        worst_exact = e2;
                    }
                    mass += got[k];
                }
                /* the row's share: 1 minus the sink's */
                const double sink_share = exp((double) sinks[r] - m) / sum;
                CHECK(fabs(mass + sink_share - 1.0) <= 1e-5, "%s: softmax_sinks row %lld mass %.9g + sink %.9g", name,
                      (long long) r, mass, sink_share);
            }
            /* a -inf sink is no sink: bit for bit the plain softmax of this level */
            for (int64_t r = 0; r < ROWS; r++) {
                sinks[r] = -INFINITY;
            }
            memcpy(got, x, (size_t) (n * ROWS) * sizeof(float));
            memcpy(plain, x, (size_t) (n * ROWS) * sizeof(float));
            CHECK(moe_op_softmax_sinks(ctx, got, n, ROWS, scale, sinks) == MOE_OK, "%s: softmax_sinks -inf", name);
            CHECK(moe_op_softmax(ctx, plain, n, ROWS, scale) == MOE_OK, "%s: softmax", name);
            int differ = 0;
            for (int64_t k = 0; k < n * ROWS; k++) {
                differ += bits_of(got[k]) != bits_of(plain[k]);
            }
            CHECK(differ == 0, "%s: softmax_sinks with -inf sinks differs from softmax in %d of %lld (seed %llu)",
                  name, differ, (long long) (n * ROWS), (unsigned long long) seed);
        }
        free(x);
        free(want);
        free(got);
        free(plain);
    }
    fprintf(stderr, "%s: softmax_sinks worst relative error %.3g against scalar, %.3g against double\n", name,
            worst_scalar, worst_exact);

    /* special rows: fully masked with a finite sink (all the mass to the sink), with a -inf sink (zeros, NaN kept),
     * a NaN sink and a +inf sink (NaN rows) */
    enum { N = 19 };
    float rows[5][N];
    for (int i = 0; i < N; i++) {
        rows[0][i] = rows[1][i] = -INFINITY;
        rows[2][i] = rows[3][i] = rows[4][i] = 0.3f * (float) i - 2.0f;
    }
    rows[1][7] = NAN;
    const float special_sinks[5] = {3.0f, -INFINITY, NAN, INFINITY, -INFINITY};
    rows[4][5] = NAN;
    CHECK(moe_op_softmax_sinks(ctx, &rows[0][0], N, 5, 0.5f, special_sinks) == MOE_OK, "%s: special sinks", name);
    for (int i = 0; i < N; i++) {
        CHECK(rows[0][i] == 0.0f, "%s: masked row with a finite sink [%d] = %g", name, i, rows[0][i]);
        CHECK(i == 7 ? isnan(rows[1][i]) : rows[1][i] == 0.0f, "%s: masked row, -inf sink [%d] = %g", name, i,
              rows[1][i]);
        CHECK(isnan(rows[2][i]), "%s: NaN sink [%d] = %g", name, i, rows[2][i]);
        CHECK(isnan(rows[3][i]), "%s: +inf sink [%d] = %g", name, i, rows[3][i]);
        CHECK(isnan(rows[4][i]), "%s: NaN score with a sink [%d] = %g", name, i, rows[4][i]);
    }
}

static void check_swiglu_oai(moe_ctx *ctx, moe_ctx *scalar, const char *name) {
    double worst_scalar = 0.0, worst_exact = 0.0;
    for (int si = 0; si < N_OAI_SIZES; si++) {
        const int64_t n = OAI_SIZES[si];
        float *g = malloc((size_t) n * sizeof(float)), *u = malloc((size_t) n * sizeof(float));
        float *want = malloc((size_t) n * sizeof(float)), *got = malloc((size_t) n * sizeof(float));
        float *alias = malloc((size_t) n * sizeof(float));
        for (int rep = 0; rep < 6; rep++) {
            /* gpt-oss's constants, then random ones (limit 0 included: everything clamped) */
            const float alpha = rep == 0 ? 1.702f : (float) (rnd_unit() * 4.0 - 1.0);
            const float limit = rep == 0 ? 7.0f : rep == 1 ? 0.0f : (float) (0.25 + rnd_unit() * 20.0);
            for (int64_t i = 0; i < n; i++) {
                /* mostly within a few limits, some far out on both sides (where exp overflows or vanishes) */
                const float wide = (float) (rnd_unit() * 240.0 - 120.0);
                g[i] = rnd() % 8 == 0 ? wide : rnd_gauss() * (limit + 1.0f) * 1.5f;
                u[i] = rnd() % 8 == 0 ? wide : rnd_gauss() * (limit + 1.0f) * 1.5f;
            }
            CHECK(moe_op_swiglu_oai(scalar, g, u, n, alpha, limit, want) == MOE_OK, "scalar swiglu_oai");
            CHECK(moe_op_swiglu_oai(ctx, g, u, n, alpha, limit, got) == MOE_OK, "%s: swiglu_oai", name);
            for (int64_t i = 0; i < n; i++) {
                const float gc = g[i] > limit ? limit : g[i];
                const float uc = u[i] < -limit ? -limit : u[i] > limit ? limit : u[i];
                const double a = (double) alpha * gc;
                const double exact = gc / (1.0 + exp(-a)) * ((double) uc + 1.0);
                /* ggml's exp(alpha * -g) is a float: beyond e^88.72 it overflows to +inf and the result is 0, where the
                 * exact one is below |g (u + 1)| / FLT_MAX < |g (u + 1)| 2^-127, whence that absolute slack */
                const double overflow_slack = fabs((double) gc * ((double) uc + 1.0)) * 0x1p-127;
                CHECK(close_to(got[i], want[i], 1e-6),
                      "%s: swiglu_oai n=%lld alpha=%g limit=%g gate %.9g up %.9g = %.9g, scalar %.9g (seed %llu)", name,
                      (long long) n, alpha, limit, g[i], u[i], got[i], want[i], (unsigned long long) seed);
                CHECK(close_abs(got[i], exact, 1e-6 + 0x1p-24 * fabs(a), 1e-37 + overflow_slack),
                      "%s: swiglu_oai n=%lld alpha=%g limit=%g gate %.9g up %.9g = %.9g, exact %.9g (seed %llu)", name,
                      (long long) n, alpha, limit, g[i], u[i], got[i], exact, (unsigned long long) seed);
                const double e1 = fabs((double) got[i] - want[i]) / (fabs((double) want[i]) + 1e-300);
                const double e2 = fabs((double) got[i] - exact) / (fabs(exact) + 1e-300);
                if (fabs(want[i]) > 1e-37 && e1 > worst_scalar) {
                    worst_scalar = e1;
                }
                if (fabs(exact) > 1e-37 + overflow_slack && e2 > worst_exact) {
                    worst_exact = e2;
                }
            }
            /* out = gate and out = up: the same floats */
            memcpy(alias, g, (size_t) n * sizeof(float));
            CHECK(moe_op_swiglu_oai(ctx, alias, u, n, alpha, limit, alias) == MOE_OK, "%s: alias gate", name);
            CHECK(memcmp(alias, got, (size_t) n * sizeof(float)) == 0, "%s: swiglu_oai out = gate differs", name);
            memcpy(alias, u, (size_t) n * sizeof(float));
            CHECK(moe_op_swiglu_oai(ctx, g, alias, n, alpha, limit, alias) == MOE_OK, "%s: alias up", name);
            CHECK(memcmp(alias, got, (size_t) n * sizeof(float)) == 0, "%s: swiglu_oai out = up differs", name);
        }
        free(g);
        free(u);
        free(want);
        free(got);
        free(alias);
    }
    fprintf(stderr, "%s: swiglu_oai worst relative error %.3g against scalar, %.3g against double\n", name,
            worst_scalar, worst_exact);

    /* beyond the limits: exactly the value at the limit; NaN passes through either input */
    const float g[6] = {7.0f, 1e30f, INFINITY, 2.0f, NAN, 2.0f};
    const float u[6] = {3.0f, 3.0f, 3.0f, -50.0f, 1.0f, NAN};
    float out[6];
    CHECK(moe_op_swiglu_oai(ctx, g, u, 6, 1.702f, 7.0f, out) == MOE_OK, "%s: swiglu_oai special", name);
    CHECK(bits_of(out[1]) == bits_of(out[0]) && bits_of(out[2]) == bits_of(out[0]),
          "%s: gate beyond the limit: %.9g %.9g, at the limit %.9g", name, out[1], out[2], out[0]);
    const float g2[1] = {2.0f}, u2[1] = {-7.0f};
    float at_limit[1];
    CHECK(moe_op_swiglu_oai(ctx, g2, u2, 1, 1.702f, 7.0f, at_limit) == MOE_OK, "%s: swiglu_oai at -limit", name);
    CHECK(bits_of(out[3]) == bits_of(at_limit[0]), "%s: up below -limit: %.9g, at -limit %.9g", name, out[3],
          at_limit[0]);
    CHECK(isnan(out[4]) && isnan(out[5]), "%s: NaN gate / up: %g %g", name, out[4], out[5]);
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

    const float sinks[4] = {0};
    CHECK(moe_op_softmax_sinks(NULL, a, 4, 1, 1.0f, sinks) == bad, "softmax_sinks NULL ctx");
    CHECK(moe_op_softmax_sinks(ctx, NULL, 4, 1, 1.0f, sinks) == bad, "softmax_sinks NULL x");
    CHECK(moe_op_softmax_sinks(ctx, a, 4, 1, 1.0f, NULL) == bad, "softmax_sinks NULL sinks");
    CHECK(moe_op_softmax_sinks(ctx, a, 0, 1, 1.0f, sinks) == bad, "softmax_sinks n=0");
    CHECK(moe_op_softmax_sinks(ctx, a, 4, 0, 1.0f, sinks) == bad, "softmax_sinks 0 rows");
    CHECK(moe_op_softmax_sinks(ctx, a, 4, 1, 0.0f, sinks) == bad, "softmax_sinks scale 0");
    CHECK(moe_op_softmax_sinks(ctx, a, 4, 1, -1.0f, sinks) == bad, "softmax_sinks scale < 0");
    CHECK(moe_op_softmax_sinks(ctx, a, 4, 1, NAN, sinks) == bad, "softmax_sinks scale NaN");
    CHECK(moe_op_softmax_sinks(ctx, a, 4, 1, INFINITY, sinks) == bad, "softmax_sinks scale inf");
    CHECK(moe_op_softmax_sinks(ctx, a, 4, 4, 1.0f, a + 15) == bad, "softmax_sinks sinks overlap the end of x");
    CHECK(moe_op_softmax_sinks(ctx, a + 4, 4, 4, 1.0f, a + 1) == bad, "softmax_sinks sinks overlap the start of x");
    CHECK(moe_op_softmax_sinks(ctx, a, 4, 4, 1.0f, a + 16) == MOE_OK, "softmax_sinks sinks right after x");
    CHECK(moe_op_softmax_sinks(ctx, a + 4, 4, 4, 1.0f, a) == MOE_OK, "softmax_sinks sinks right before x");
    CHECK(moe_op_softmax_sinks(ctx, a, (int64_t) 1 << 40, (int64_t) 1 << 22, 1.0f, sinks) == bad,
          "softmax_sinks 2^62 floats");

    CHECK(moe_op_swiglu_oai(NULL, a, b, 4, 1.702f, 7.0f, c) == bad, "swiglu_oai NULL ctx");
    CHECK(moe_op_swiglu_oai(ctx, NULL, b, 4, 1.702f, 7.0f, c) == bad, "swiglu_oai NULL gate");
    CHECK(moe_op_swiglu_oai(ctx, a, NULL, 4, 1.702f, 7.0f, c) == bad, "swiglu_oai NULL up");
    CHECK(moe_op_swiglu_oai(ctx, a, b, 4, 1.702f, 7.0f, NULL) == bad, "swiglu_oai NULL out");
    CHECK(moe_op_swiglu_oai(ctx, a, b, 0, 1.702f, 7.0f, c) == bad, "swiglu_oai n=0");
    CHECK(moe_op_swiglu_oai(ctx, a, b, (int64_t) 1 << 62, 1.702f, 7.0f, c) == bad, "swiglu_oai n=2^62");
    CHECK(moe_op_swiglu_oai(ctx, a, b, 4, NAN, 7.0f, c) == bad, "swiglu_oai alpha NaN");
    CHECK(moe_op_swiglu_oai(ctx, a, b, 4, -INFINITY, 7.0f, c) == bad, "swiglu_oai alpha -inf");
    CHECK(moe_op_swiglu_oai(ctx, a, b, 4, 1.702f, -1.0f, c) == bad, "swiglu_oai limit < 0");
    CHECK(moe_op_swiglu_oai(ctx, a, b, 4, 1.702f, NAN, c) == bad, "swiglu_oai limit NaN");
    CHECK(moe_op_swiglu_oai(ctx, a, b, 4, 1.702f, INFINITY, c) == bad, "swiglu_oai limit inf");
    CHECK(moe_op_swiglu_oai(ctx, a, b, 4, 1.702f, 0.0f, c) == MOE_OK, "swiglu_oai limit 0");

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
    const char *replay = getenv("MOE4J_TEST_SEED");
    seed = replay != NULL ? strtoull(replay, NULL, 10) : (uint64_t) time(NULL) * 0x9E3779B97F4A7C15ull;
    rng = seed != 0 ? seed : 1;
    fprintf(stderr, "ops_selftest: seed %llu (MOE4J_TEST_SEED=%llu replays it)\n", (unsigned long long) seed,
            (unsigned long long) seed);
    moe_ctx *scalar = NULL;
    CHECK(moe_ctx_create(MOE_CPU_SCALAR, 1, &scalar) == MOE_OK, "scalar context");
    const int best = moe_cpu_detect();
    for (int level = MOE_CPU_SCALAR; level < MOE_CPU_LEVELS; level++) {
        if (!moe_cpu_supports(level)) {
            continue;
        }
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
        if (scalar != NULL) {
            check_softmax_sinks(ctx, scalar, name);
            check_swiglu_oai(ctx, scalar, name);
        }
        check_bad_arguments(ctx);
        moe_ctx_destroy(ctx);
    }
    moe_ctx_destroy(scalar);
    if (failures != 0) {
        fprintf(stderr, "ops_selftest: %d failure(s)\n", failures);
        return 1;
    }
    fprintf(stderr, "ops_selftest: all levels up to %s pass\n", moe_cpu_level_name(best));
    return 0;
}
