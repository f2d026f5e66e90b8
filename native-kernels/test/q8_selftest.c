/*
 * q8_selftest.c - the C self-test of the 8-bit-activation products (moe_tensor_q8_*, moe_tensor_matmul_ggml).
 *
 * What it checks, and with which tolerance:
 *   - Quantized activations against an independent evaluation of ggml's rules written here in double precision (the d
 *     field is the f16 nearest to amax/127, every quant is the even-rounded x*127/amax, s = f16(d*sum), Q8_K's d =
 *     -max/127 with the first largest element's sign, bsums): exact. Inputs: random blocks, blocks with ties for the
 *     largest magnitude, all-zero blocks, tiny scales (subnormal f16 d) and large ones.
 *   - Every SIMD level quantizes bit-identically to the scalar level, and its products are bit-identical to the scalar
 *     level's (the arithmetic is defined block by block in q8_blocks.h), for 1..9 tokens and 1, 2, 3 threads, and
 *     block counts that exercise every partial group of the SIMD code.
 *   - The scalar products against an f64 dot of the dequantized weights with the dequantized activations:
 *     |y - ref| <= 1e-6 * sum|w*x| + 1e-30 (the integer sums are exact; what remains is one f32 rounding per block
 *     scale and the f32 sum of at most a few hundred block results). For Q4_1/Q5_1 the reference uses ggml's
 *     f16-rounded s for the min term, as the kernels must.
 *   - moe_tensor_matmul_ggml equals quantize + q8_matmul exactly, and for F16/BF16 equals moe_tensor_matmul on
 *     activations rounded here to f16/bf16.
 *   - Every error status of the four entry points, and that a rejected call writes nothing.
 */
#include <math.h>

#include "test_util.h"

#define DOT_TOL 1e-6

static double worst_ratio; /* largest |y - ref| / sum|w*x| seen, printed as a margin report */

static int is_small(const fmt *f) {
    return f->be == 32;
}

static int has_q8(const fmt *f) {
    return f->be > 1;
}

/* ---- an independent model of ggml's quantizers (double precision, bit tricks avoided) --------------------------- */

/* The f16 value nearest to v (ties to the even significand), as a double; v finite, |v| < 65504. */
static double nearest_f16(double v) {
    const double a = fabs(v);
    if (a == 0) {
        return 0;
    }
    int e;
    frexp(a, &e);                            /* a = m * 2^e, m in [0.5, 1) */
    const int q = e - 11 < -24 ? -24 : e - 11; /* an f16 has 11 significant bits; subnormals are units of 2^-24 */
    const double units = ldexp(a, -q);
    double r = nearbyint(units); /* default rounding: to nearest, ties to even */
    r = ldexp(r, q);
    return v < 0 ? -r : r;
}

static double f32_at(const uint8_t *p) {
    float f;
    memcpy(&f, p, 4);
    return f;
}

/* Checks one quantized Q8_0-family row (nb blocks, padded with zero blocks to a multiple of 16) of x. */
static void check_q8s_row(const char *what, const float *x, int64_t nb, const uint8_t *row) {
    const int8_t *qs = (const int8_t *)row;
    const int64_t np = (nb + 15) / 16 * 16;
    for (int64_t i = 32 * nb; i < 32 * np; i++) {
        CHECK(qs[i] == 0, "%s padding quant %lld not zero", what, (long long)i);
    }
    for (int64_t b = nb; b < np; b++) {
        for (int field = 0; field < 3; field++) {
            uint32_t v;
            memcpy(&v, row + (32 + 4 * field) * np + 4 * b, 4);
            CHECK(v == 0, "%s padding block %lld field %d not zero", what, (long long)b, field);
        }
    }
    for (int64_t b = 0; b < nb; b++) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = fmaxf(amax, fabsf(x[32 * b + j]));
        }
        const float d = amax / 127.0f, id = amax != 0 ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            const float p = x[32 * b + j] * id;
            const int q = (int)nearbyint((double)p);
            CHECK(qs[32 * b + j] == q, "%s block %lld quant %d: %d, want %d (x*id = %.9g)", what, (long long)b, j,
                  qs[32 * b + j], q, p);
            sum += q;
        }
        const float ds = d * (float)sum;
        double got_d = f32_at(row + 32 * np + 4 * b), got_s = f32_at(row + 36 * np + 4 * b);
        int32_t got_sum;
        memcpy(&got_sum, row + 40 * np + 4 * b, 4);
        CHECK(got_d == nearest_f16(d), "%s block %lld d: %.9g, want %.9g", what, (long long)b, got_d, nearest_f16(d));
        CHECK(got_s == nearest_f16(ds), "%s block %lld s: %.9g, want %.9g", what, (long long)b, got_s, nearest_f16(ds));
        CHECK(got_sum == sum, "%s block %lld sum: %d, want %d", what, (long long)b, got_sum, sum);
    }
}

/* Checks one quantized Q8_K row. */
static void check_q8k_row(const char *what, const float *x, int64_t nb, const uint8_t *row) {
    const int8_t *qs = (const int8_t *)row;
    for (int64_t b = 0; b < nb; b++) {
        const float *xb = x + 256 * b;
        int first = 0;
        for (int j = 1; j < 256; j++) {
            if (fabsf(xb[j]) > fabsf(xb[first])) {
                first = j;
            }
        }
        float got_d;
        memcpy(&got_d, row + 256 * nb + 4 * b, 4);
        const int16_t *bsums = (const int16_t *)(row + 260 * nb) + 16 * b;
        for (int64_t i = 292 * nb; b == 0 && i < (292 * nb + 63) / 64 * 64; i++) {
            CHECK(row[i] == 0, "%s row padding byte %lld not zero", what, (long long)i);
        }
        if (xb[first] == 0) {
            CHECK(got_d == 0, "%s zero block d", what);
            for (int j = 0; j < 256; j++) {
                CHECK(qs[256 * b + j] == 0, "%s zero block quant %d", what, j);
            }
            for (int g = 0; g < 16; g++) {
                CHECK(bsums[g] == 0, "%s zero block bsum %d", what, g);
            }
            continue;
        }
        const float iscale = -127.0f / xb[first];
        CHECK(got_d == 1.0f / iscale, "%s block %lld d: %.9g, want %.9g", what, (long long)b, got_d, 1.0f / iscale);
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int j = 16 * g; j < 16 * g + 16; j++) {
                const float p = iscale * xb[j];
                int q = (int)nearbyint((double)p);
                q = q < 127 ? q : 127;
                CHECK(qs[256 * b + j] == q, "%s block %lld quant %d: %d, want %d", what, (long long)b, j,
                      qs[256 * b + j], q);
                sum += q;
            }
            CHECK(bsums[g] == sum, "%s block %lld bsum %d: %d, want %d", what, (long long)b, g, bsums[g], sum);
        }
    }
}

/* Activations of n blocks of `be` with varied magnitudes: random, ties for the largest |x|, zero blocks, tiny blocks
 * (subnormal f16 scales) and large ones. */
static void fill_activations(float *x, int64_t n, int64_t be) {
    for (int64_t b = 0; b < n / be; b++) {
        float *xb = x + b * be;
        const int kind = (int)(b % 6);
        const float scale = kind == 3 ? 1e-6f : (kind == 4 ? 3000.0f : 1.0f);
        for (int64_t j = 0; j < be; j++) {
            xb[j] = kind == 5 ? 0.0f : scale * rnd_float();
        }
        if (kind == 2) { /* equal magnitudes of both signs: the first decides Q8_K's sign */
            const float m = 1.5f;
            xb[rnd() % be] = (rnd() & 1) ? m : -m;
            xb[rnd() % be] = (rnd() & 1) ? m : -m;
        }
        if (kind == 1) { /* exact multiples of a step: many products land on .5 and exercise ties-to-even */
            for (int64_t j = 0; j < be; j++) {
                xb[j] = (float)((int)(rnd() % 509) - 254) * 0.5f;
            }
        }
    }
}

/* ---- products -------------------------------------------------------------------------------------------------- */

/* The f64 reference of one row: dequantized weights (wf) times dequantized activations, with Q4_1/Q5_1's min term
 * from the f16-rounded s. */
static double ref_dot(const fmt *f, const uint8_t *wrow, const float *wf, int64_t cols, const uint8_t *xrow,
                      double *abs_sum) {
    const int64_t nb = cols / f->be;
    double ref = 0, as = 0;
    for (int64_t b = 0; b < nb; b++) {
        double dx;
        const int8_t *q;
        const int64_t np = (nb + 15) / 16 * 16;
        if (is_small(f)) {
            dx = f32_at(xrow + 32 * np + 4 * b);
            q = (const int8_t *)xrow + 32 * b;
        } else {
            float d;
            memcpy(&d, xrow + 256 * nb + 4 * b, 4);
            dx = d;
            q = (const int8_t *)xrow + 256 * b;
        }
        double m = 0;
        if (f->id == 3 || f->id == 7) { /* Q4_1 / Q5_1: w = d*q + m */
            uint16_t h;
            memcpy(&h, wrow + b * f->bb + 2, 2);
            const int e = (h >> 10) & 31, man = h & 1023;
            m = (e == 0 ? ldexp(man, -24) : ldexp(1024 + man, e - 25)) * ((h & 0x8000) ? -1 : 1);
            ref += m * f32_at(xrow + 36 * np + 4 * b);
            as += fabs(m * f32_at(xrow + 36 * np + 4 * b));
        }
        for (int64_t j = 0; j < f->be; j++) {
            const double p = ((double)wf[b * f->be + j] - m) * (dx * q[j]);
            ref += p;
            as += fabs(p);
        }
    }
    *abs_sum = as;
    return ref;
}

static void test_products(const fmt *f, int64_t nb) {
    const int64_t cols = nb * f->be;
    const int64_t rows = 133, row_bytes = nb * f->bb + 6; /* rows odd and padded */
    const int64_t n_tok = 9, x_stride = cols + 5, y_stride = rows + 3;
    int64_t xq_row = 0;
    CHECK(moe_tensor_q8_row_bytes(f->id, cols, &xq_row) == MOE_OK, "row_bytes %s", f->name);
    const int64_t want_row = is_small(f) ? (nb + 15) / 16 * 16 * 44 : (nb * 292 + 63) / 64 * 64;
    CHECK(xq_row == want_row, "%s row bytes %lld, want %lld", f->name, (long long)xq_row, (long long)want_row);
    uint8_t *w = malloc((size_t)(rows * row_bytes));
    fill_matrix(f, w, row_bytes, rows, cols);
    const int64_t n_x = (n_tok * x_stride + 256) / 256 * 256; /* whole blocks of either family, past the last token */
    float *X = malloc((size_t)n_x * 4), *wf = malloc((size_t)(rows * cols) * 4);
    fill_activations(X, n_x, f->be == 32 ? 32 : 256);
    uint8_t *xq_ref = malloc((size_t)(n_tok * xq_row)), *xq = malloc((size_t)(n_tok * xq_row));
    float *y_ref = malloc((size_t)(n_tok * y_stride) * 4), *y = malloc((size_t)(n_tok * y_stride) * 4);
    float *y1 = malloc((size_t)(n_tok * y_stride) * 4);

    moe_ctx *sc = new_ctx(MOE_CPU_SCALAR, 1);
    for (int64_t r = 0; r < rows; r++) {
        CHECK(moe_tensor_dequantize(sc, f->id, w + r * row_bytes, cols, wf + r * cols) == MOE_OK, "dequantize");
    }
    CHECK(moe_tensor_q8_quantize(sc, f->id, X, cols, n_tok, x_stride, xq_ref, n_tok * xq_row) == MOE_OK, "quantize");
    for (int64_t t = 0; t < n_tok; t++) {
        char what[64];
        snprintf(what, sizeof what, "%s token %lld", f->name, (long long)t);
        if (is_small(f)) {
            check_q8s_row(what, X + t * x_stride, nb, xq_ref + t * xq_row);
        } else {
            check_q8k_row(what, X + t * x_stride, nb, xq_ref + t * xq_row);
        }
    }
    for (int64_t i = 0; i < n_tok * y_stride; i++) {
        y_ref[i] = 777.0f;
    }
    CHECK(moe_tensor_q8_matmul(sc, f->id, w, row_bytes, rows, cols, xq_ref, n_tok * xq_row, n_tok, y_ref, y_stride) ==
              MOE_OK,
          "q8_matmul");
    for (int64_t t = 0; t < n_tok; t++) {
        for (int64_t r = 0; r < rows; r++) {
            double abs_sum;
            const double ref = ref_dot(f, w + r * row_bytes, wf + r * cols, cols, xq_ref + t * xq_row, &abs_sum);
            const double tol = DOT_TOL * abs_sum + 1e-30;
            worst_ratio = fmax(worst_ratio, fabs(y_ref[t * y_stride + r] - ref) / abs_sum);
            CHECK(fabs(y_ref[t * y_stride + r] - ref) <= tol, "%s scalar token %lld row %lld: %.9g vs %.9g (tol %.3g)",
                  f->name, (long long)t, (long long)r, y_ref[t * y_stride + r], ref, tol);
        }
        for (int64_t r = rows; r < y_stride && t < n_tok - 1; r++) {
            CHECK(y_ref[t * y_stride + r] == 777.0f, "%s q8_matmul wrote into the y padding", f->name);
        }
    }
    moe_ctx_destroy(sc);

    FOR_EACH_LEVEL(level) {
        for (int threads = 1; threads <= 3; threads++) {
            moe_ctx *ctx = new_ctx(level, threads);
            const char *ln = moe_cpu_level_name(level);
            memset(xq, 0x5A, (size_t)(n_tok * xq_row));
            CHECK(moe_tensor_q8_quantize(ctx, f->id, X, cols, n_tok, x_stride, xq, n_tok * xq_row) == MOE_OK, "q");
            for (int64_t t = 0; t < n_tok; t++) {
                CHECK(memcmp(xq + t * xq_row, xq_ref + t * xq_row, (size_t)xq_row) == 0,
                      "%s %s threads=%d: quantized token %lld differs from scalar", f->name, ln, threads, (long long)t);
            }
            /* every batch size 1..n_tok gives the same rows as the scalar level */
            for (int64_t nt = 1; nt <= n_tok; nt++) {
                for (int64_t i = 0; i < n_tok * y_stride; i++) {
                    y[i] = 777.0f;
                }
                CHECK(moe_tensor_q8_matmul(ctx, f->id, w, row_bytes, rows, cols, xq_ref, nt * xq_row, nt, y,
                                           y_stride) == MOE_OK,
                      "q8_matmul");
                for (int64_t t = 0; t < nt; t++) {
                    CHECK(memcmp(y + t * y_stride, y_ref + t * y_stride, (size_t)rows * 4) == 0,
                          "%s %s threads=%d tokens=%lld: token %lld differs from scalar (row 0: %.9g vs %.9g)", f->name,
                          ln, threads, (long long)nt, (long long)t, y[t * y_stride], y_ref[t * y_stride]);
                }
                CHECK(y[(nt - 1) * y_stride + rows] == 777.0f && (nt == n_tok || y[nt * y_stride] == 777.0f),
                      "%s %s wrote outside y", f->name, ln);
            }
            /* the one-call form */
            CHECK(moe_tensor_matmul_ggml(ctx, f->id, w, row_bytes, rows, cols, X, x_stride, n_tok, y1, y_stride) ==
                      MOE_OK,
                  "matmul_ggml");
            for (int64_t t = 0; t < n_tok; t++) {
                CHECK(memcmp(y1 + t * y_stride, y_ref + t * y_stride, (size_t)rows * 4) == 0,
                      "%s %s threads=%d: matmul_ggml token %lld differs", f->name, ln, threads, (long long)t);
            }
            moe_ctx_destroy(ctx);
        }
    }
    free(w);
    free(X);
    free(wf);
    free(xq_ref);
    free(xq);
    free(y_ref);
    free(y);
    free(y1);
}

/* One weight row and one activation row in buffers of exactly their size (for the address sanitizer). */
static void test_exact_buffers(const fmt *f) {
    const int64_t cols = is_small(f) ? 3 * 32 : 256, bytes = cols / f->be * f->bb;
    int64_t xq_row = 0;
    CHECK(moe_tensor_q8_row_bytes(f->id, cols, &xq_row) == MOE_OK, "row_bytes");
    uint8_t *w = malloc((size_t)bytes), *xq = malloc((size_t)xq_row);
    fill_matrix(f, w, bytes, 1, cols);
    float *x = malloc((size_t)cols * 4), y[3];
    for (int64_t k = 0; k < cols; k++) {
        x[k] = rnd_float();
    }
    FOR_EACH_LEVEL(level) {
        moe_ctx *ctx = new_ctx(level, 1);
        CHECK(moe_tensor_q8_quantize(ctx, f->id, x, cols, 1, cols, xq, xq_row) == MOE_OK, "quantize");
        CHECK(moe_tensor_q8_matmul(ctx, f->id, w, bytes, 1, cols, xq, xq_row, 1, y + level, 1) == MOE_OK, "matmul");
        moe_ctx_destroy(ctx);
    }
    FOR_EACH_SIMD_LEVEL(level) {
        CHECK(y[level] == y[0], "%s exact buffer: level %d", f->name, level);
    }
    free(w);
    free(xq);
    free(x);
}

/* F32/F16/BF16 through moe_tensor_matmul_ggml: the f32 kernels on activations rounded as ggml rounds them. */
static float round_f16_here(float v) {
    return (float)nearest_f16(v);
}

static float round_bf16_here(float v) {
    uint32_t u = f32_bits(v);
    const uint32_t lsb = (u >> 16) & 1;
    u = (u + 0x7FFF + lsb) & 0xFFFF0000u;
    float r;
    memcpy(&r, &u, 4);
    return r;
}

static void test_plain_types(void) {
    const int64_t rows = 70, cols = 300, n_tok = 3;
    for (int i = 0; i < 3; i++) {
        const fmt *f = &formats[i];
        const int64_t row_bytes = cols * f->bb;
        uint8_t *w = malloc((size_t)(rows * row_bytes));
        fill_matrix(f, w, row_bytes, rows, cols);
        float *x = malloc((size_t)(n_tok * cols) * 4), *xr = malloc((size_t)(n_tok * cols) * 4);
        float *y = malloc((size_t)(n_tok * rows) * 4), *yr = malloc((size_t)(n_tok * rows) * 4);
        for (int64_t k = 0; k < n_tok * cols; k++) {
            x[k] = rnd_float() * 10.0f;
            xr[k] = f->id == 0 ? x[k] : (f->id == 1 ? round_f16_here(x[k]) : round_bf16_here(x[k]));
        }
        int64_t dummy;
        CHECK(moe_tensor_q8_row_bytes(f->id, cols, &dummy) == MOE_ERR_UNSUPPORTED_TYPE, "%s has no q8 rows", f->name);
        FOR_EACH_LEVEL(level) {
            moe_ctx *ctx = new_ctx(level, 2);
            CHECK(moe_tensor_matmul_ggml(ctx, f->id, w, row_bytes, rows, cols, x, cols, n_tok, y, rows) == MOE_OK,
                  "ggml");
            CHECK(moe_tensor_matmul(ctx, f->id, w, row_bytes, rows, cols, xr, cols, n_tok, yr, rows) == MOE_OK, "mm");
            CHECK(memcmp(y, yr, (size_t)(n_tok * rows) * 4) == 0, "%s %s matmul_ggml != matmul of rounded x", f->name,
                  moe_cpu_level_name(level));
            moe_ctx_destroy(ctx);
        }
        free(w);
        free(x);
        free(xr);
        free(y);
        free(yr);
    }
}

/* ---- errors ------------------------------------------------------------------------------------------------------ */

static void test_errors(void) {
    moe_ctx *ctx = new_ctx(-1, 2);
    uint8_t w[4 * 18];
    fill_matrix(&formats[3], w, 18, 4, 64 / 2); /* Q4_0, 4 rows of 32 */
    float x[64], y[8];
    for (int i = 0; i < 64; i++) {
        x[i] = rnd_float();
    }
    for (int i = 0; i < 8; i++) {
        y[i] = -7.0f;
    }
    int64_t rb = -1;
    /* row bytes */
    CHECK(moe_tensor_q8_row_bytes(2, 32, &rb) == MOE_OK && rb == 704, "rb Q4_0 32 -> 704 (%lld)", (long long)rb);
    CHECK(moe_tensor_q8_row_bytes(12, 512, &rb) == MOE_OK && rb == 640, "rb Q4_K 512 -> 640 (%lld)", (long long)rb);
    CHECK(moe_tensor_q8_row_bytes(0, 32, &rb) == MOE_ERR_UNSUPPORTED_TYPE, "rb F32");
    CHECK(moe_tensor_q8_row_bytes(9, 32, &rb) == MOE_ERR_UNSUPPORTED_TYPE, "rb Q8_1");
    CHECK(moe_tensor_q8_row_bytes(2, 33, &rb) == MOE_ERR_INVALID_ARG, "rb cols%%32");
    CHECK(moe_tensor_q8_row_bytes(12, 32, &rb) == MOE_ERR_INVALID_ARG, "rb cols%%256");
    CHECK(moe_tensor_q8_row_bytes(2, 0, &rb) == MOE_ERR_INVALID_ARG, "rb cols=0");
    CHECK(moe_tensor_q8_row_bytes(2, 32, NULL) == MOE_ERR_INVALID_ARG, "rb NULL");
    /* quantize */
    enum { XQ = 2 * 704 };
    static uint8_t xq[XQ];
    memset(xq, 0xEE, sizeof xq);
    CHECK(moe_tensor_q8_quantize(NULL, 2, x, 32, 2, 32, xq, XQ) == MOE_ERR_INVALID_ARG, "q ctx");
    CHECK(moe_tensor_q8_quantize(ctx, 1, x, 32, 2, 32, xq, XQ) == MOE_ERR_UNSUPPORTED_TYPE, "q F16");
    CHECK(moe_tensor_q8_quantize(ctx, 77, x, 32, 2, 32, xq, XQ) == MOE_ERR_UNSUPPORTED_TYPE, "q type");
    CHECK(moe_tensor_q8_quantize(ctx, 2, NULL, 32, 2, 32, xq, XQ) == MOE_ERR_INVALID_ARG, "q x");
    CHECK(moe_tensor_q8_quantize(ctx, 2, x, 32, 2, 32, NULL, XQ) == MOE_ERR_INVALID_ARG, "q xq");
    CHECK(moe_tensor_q8_quantize(ctx, 2, x, 32, 2, 32, xq, XQ - 1) == MOE_ERR_INVALID_ARG, "q xq_bytes");
    CHECK(moe_tensor_q8_quantize(ctx, 2, x, 32, 2, 31, xq, XQ) == MOE_ERR_INVALID_ARG, "q x_stride");
    CHECK(moe_tensor_q8_quantize(ctx, 2, x, 32, 0, 32, xq, XQ) == MOE_ERR_INVALID_ARG, "q n_tokens");
    CHECK(moe_tensor_q8_quantize(ctx, 2, x, 48, 1, 48, xq, XQ) == MOE_ERR_INVALID_ARG, "q cols");
    CHECK(moe_tensor_q8_quantize(ctx, 2, x, 32, 3, INT64_MAX / 2, xq, XQ) == MOE_ERR_INVALID_ARG, "q overflow");
    for (size_t i = 0; i < sizeof xq; i++) {
        CHECK(xq[i] == 0xEE, "rejected quantize wrote xq[%zu]", i);
    }
    CHECK(moe_tensor_q8_quantize(ctx, 2, x, 32, 2, 32, xq, XQ) == MOE_OK, "q ok");
    /* q8_matmul */
    CHECK(moe_tensor_q8_matmul(NULL, 2, w, 18, 4, 32, xq, XQ, 2, y, 4) == MOE_ERR_INVALID_ARG, "m ctx");
    CHECK(moe_tensor_q8_matmul(ctx, 0, w, 4 * 32, 1, 32, xq, XQ, 2, y, 4) == MOE_ERR_UNSUPPORTED_TYPE, "m F32");
    CHECK(moe_tensor_q8_matmul(ctx, 9, w, 18, 4, 32, xq, XQ, 2, y, 4) == MOE_ERR_UNSUPPORTED_TYPE, "m type");
    CHECK(moe_tensor_q8_matmul(ctx, 2, NULL, 18, 4, 32, xq, XQ, 2, y, 4) == MOE_ERR_INVALID_ARG, "m w");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 17, 4, 32, xq, XQ, 2, y, 4) == MOE_ERR_INVALID_ARG, "m row_bytes");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 18, 0, 32, xq, XQ, 2, y, 4) == MOE_ERR_INVALID_ARG, "m rows");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 18, 4, 33, xq, XQ, 2, y, 4) == MOE_ERR_INVALID_ARG, "m cols");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 18, 4, 32, NULL, XQ, 2, y, 4) == MOE_ERR_INVALID_ARG, "m xq");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 18, 4, 32, xq, XQ - 1, 2, y, 4) == MOE_ERR_INVALID_ARG, "m xq_bytes");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 18, 4, 32, xq, XQ, 0, y, 4) == MOE_ERR_INVALID_ARG, "m n_tokens");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 18, 4, 32, xq, XQ, 2, NULL, 4) == MOE_ERR_INVALID_ARG, "m y");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 18, 4, 32, xq, XQ, 2, y, 3) == MOE_ERR_INVALID_ARG, "m y_stride");
    CHECK(moe_tensor_q8_matmul(ctx, 2, w, 18, 4, 32, xq, INT64_MAX, 3, y, INT64_MAX / 2) == MOE_ERR_INVALID_ARG,
          "m overflow");
    /* matmul_ggml */
    CHECK(moe_tensor_matmul_ggml(NULL, 2, w, 18, 4, 32, x, 32, 2, y, 4) == MOE_ERR_INVALID_ARG, "g ctx");
    CHECK(moe_tensor_matmul_ggml(ctx, 9, w, 18, 4, 32, x, 32, 2, y, 4) == MOE_ERR_UNSUPPORTED_TYPE, "g type");
    CHECK(moe_tensor_matmul_ggml(ctx, 2, w, 18, 4, 32, NULL, 32, 2, y, 4) == MOE_ERR_INVALID_ARG, "g x");
    CHECK(moe_tensor_matmul_ggml(ctx, 2, w, 18, 4, 32, x, 31, 2, y, 4) == MOE_ERR_INVALID_ARG, "g x_stride");
    CHECK(moe_tensor_matmul_ggml(ctx, 2, w, 18, 4, 32, x, 32, 0, y, 4) == MOE_ERR_INVALID_ARG, "g n_tokens");
    CHECK(moe_tensor_matmul_ggml(ctx, 2, w, 18, 4, 32, x, 32, 2, NULL, 4) == MOE_ERR_INVALID_ARG, "g y");
    CHECK(moe_tensor_matmul_ggml(ctx, 2, w, 18, 4, 32, x, 32, 2, y, 3) == MOE_ERR_INVALID_ARG, "g y_stride");
    CHECK(moe_tensor_matmul_ggml(ctx, 2, w, 18, 4, 48, x, 48, 1, y, 4) == MOE_ERR_INVALID_ARG, "g cols");
    CHECK(moe_tensor_matmul_ggml(ctx, 2, w, 18, 4, 32, x, INT64_MAX / 2, 3, y, 4) == MOE_ERR_INVALID_ARG, "g overflow");
    for (int i = 0; i < 8; i++) {
        CHECK(y[i] == -7.0f, "rejected product wrote y[%d]", i);
    }
    CHECK(moe_tensor_matmul_ggml(ctx, 2, w, 18, 4, 32, x, 32, 2, y, 4) == MOE_OK, "g ok");
    moe_ctx_destroy(ctx);
}

int main(void) {
    printf("moe4j q8 selftest: detected level %s\n", moe_cpu_level_name(moe_cpu_detect()));
    test_errors();
    for (int i = 0; i < N_FORMATS; i++) {
        if (has_q8(&formats[i])) {
            /* block counts: SIMD code works on groups of 16 blocks (32-element formats) and scales 16 super-blocks
             * at a time; rows of up to 8 blocks share groups (2, 4, 8 or 16 rows each), partial groups of 4, 8 and
             * 12 have their own code, other sizes the general one */
            const int64_t small[] = {1, 2, 3, 4, 5, 8, 37, 44, 64}, k[] = {1, 5, 17};
            const int n = is_small(&formats[i]) ? 9 : 3;
            for (int j = 0; j < n; j++) {
                test_products(&formats[i], is_small(&formats[i]) ? small[j] : k[j]);
            }
            test_exact_buffers(&formats[i]);
        }
    }
    test_plain_types();
    printf("largest product error: %.3g * sum|w*x| (tolerance %.0e)\n", worst_ratio, DOT_TOL);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
