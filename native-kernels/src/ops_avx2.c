/*
 * ops_avx2.c - the AVX2 + FMA level of the row/element-wise ops, 8 floats per step. Tails use masked loads and stores,
 * so every element goes through the same arithmetic wherever it sits in the row.
 *
 * Differences from the scalar level, all within the tolerances OpsKernelTest states: exp is the polynomial described in
 * ops_internal.h instead of libm's expf; RoPE rotations and axpy use fused multiply-adds; rmsnorm and softmax add their
 * double partial sums in another order.
 */
#include <immintrin.h>
#include <math.h>

#include "ops_internal.h"

/* Lane i is on when i < remaining (remaining in 0..8). */
static inline __m256i tail_mask(int64_t remaining) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int) remaining), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline double hsum_pd(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}

static inline float hmax_ps(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* Adds the 8 floats of v, widened to double, to the two accumulators. */
static inline void add_widened(__m256 v, __m256d *lo, __m256d *hi) {
    *lo = _mm256_add_pd(*lo, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    *hi = _mm256_add_pd(*hi, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

/* e^x for 8 lanes, see ops_internal.h. NaN stays NaN. */
static inline __m256 exp8(__m256 x) {
    /* max/min return their second operand when one is NaN: this order clamps +-inf and keeps NaN. */
    const __m256 xc = _mm256_min_ps(_mm256_set1_ps(MOE_EXP_MAX), _mm256_max_ps(_mm256_set1_ps(MOE_EXP_MIN), x));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(MOE_EXP_LOG2E)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(MOE_EXP_LN2_HI), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(MOE_EXP_LN2_LO), r);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(MOE_EXP_C7), r, _mm256_set1_ps(MOE_EXP_C6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MOE_EXP_C5));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MOE_EXP_C4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MOE_EXP_C3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(MOE_EXP_C2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    /* 2^n as two normal powers of two, so results in the subnormal range are rounded once, at the last product. */
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1);
    const __m256i n2 = _mm256_sub_epi32(ni, n1);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
    const __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
    return _mm256_blendv_ps(y, xc, _mm256_cmp_ps(xc, xc, _CMP_UNORD_Q));
}

static void rmsnorm_row(const float *x, const float *weight, int64_t n, float eps, float *out) {
    __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        add_widened(_mm256_mul_ps(v, v), &lo, &hi);
    }
    if (i < n) {
        const __m256 v = _mm256_maskload_ps(x + i, tail_mask(n - i)); /* off lanes read as 0 */
        add_widened(_mm256_mul_ps(v, v), &lo, &hi);
    }
    const double sum = hsum_pd(_mm256_add_pd(lo, hi));
    const float mean = (float) (sum / (double) n);
    const __m256 scale = _mm256_set1_ps(1.0f / sqrtf(mean + eps));
    for (i = 0; i + 8 <= n; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), scale);
        if (weight != NULL) {
            v = _mm256_mul_ps(v, _mm256_loadu_ps(weight + i));
        }
        _mm256_storeu_ps(out + i, v);
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, m), scale);
        if (weight != NULL) {
            v = _mm256_mul_ps(v, _mm256_maskload_ps(weight + i, m));
        }
        _mm256_maskstore_ps(out + i, m, v);
    }
}

/* Both modes compute a' = fma(a, c, -(b s)) and b' = fma(b, c, a s) for a pair (a, b); the scalar tail uses fmaf so
 * it rounds like the vector lanes. */
static void rope_norm(float *x, const float *cos_t, const float *sin_t, int64_t n_pairs) {
    const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
    int64_t j = 0;
    for (; j + 4 <= n_pairs; j += 4) {
        const __m256 c = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(cos_t + j)), dup);
        const __m256 s = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(_mm_loadu_ps(sin_t + j)), dup);
        const __m256 v = _mm256_loadu_ps(x + 2 * j);
        const __m256 swapped = _mm256_permute_ps(v, 0xB1); /* (b, a) in each pair */
        /* fmaddsub: even lanes a c - b s, odd lanes b c + a s */
        _mm256_storeu_ps(x + 2 * j, _mm256_fmaddsub_ps(v, c, _mm256_mul_ps(swapped, s)));
    }
    for (; j < n_pairs; j++) {
        const float a = x[2 * j], b = x[2 * j + 1];
        x[2 * j] = fmaf(a, cos_t[j], -(b * sin_t[j]));
        x[2 * j + 1] = fmaf(b, cos_t[j], a * sin_t[j]);
    }
}

static void rope_neox(float *lo, float *hi, const float *cos_t, const float *sin_t, int64_t n_pairs) {
    int64_t j = 0;
    for (; j + 8 <= n_pairs; j += 8) {
        const __m256 c = _mm256_loadu_ps(cos_t + j), s = _mm256_loadu_ps(sin_t + j);
        const __m256 a = _mm256_loadu_ps(lo + j), b = _mm256_loadu_ps(hi + j);
        _mm256_storeu_ps(lo + j, _mm256_fmsub_ps(a, c, _mm256_mul_ps(b, s)));
        _mm256_storeu_ps(hi + j, _mm256_fmadd_ps(b, c, _mm256_mul_ps(a, s)));
    }
    for (; j < n_pairs; j++) {
        const float a = lo[j], b = hi[j];
        lo[j] = fmaf(a, cos_t[j], -(b * sin_t[j]));
        hi[j] = fmaf(b, cos_t[j], a * sin_t[j]);
    }
}

/* The softmax of one row, with or without an attention sink (see ops_scalar.c); has_sink is a constant at each call, so
 * the plain softmax keeps exactly its code. The sink's exponential is this level's exp, like the row's. */
static inline void softmax_row_impl(float *x, int64_t n, float scale, int has_sink, float sink) {
    const __m256 vscale = _mm256_set1_ps(scale);
    const __m256 neg_inf = _mm256_set1_ps(-INFINITY);
    __m256 vmax = neg_inf;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), vscale);
        _mm256_storeu_ps(x + i, v);
        vmax = _mm256_max_ps(v, vmax); /* NaN in v leaves vmax alone, like the scalar level */
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, m), vscale);
        _mm256_maskstore_ps(x + i, m, v);
        vmax = _mm256_max_ps(_mm256_blendv_ps(neg_inf, v, _mm256_castsi256_ps(m)), vmax);
    }
    float max = hmax_ps(vmax);
    if (has_sink) {
        max = max > sink ? max : sink; /* ggml's MAX(max, sink): a NaN sink makes max NaN, hence the row NaN */
    }
    if (max == -INFINITY) {
        moe_ops_softmax_fully_masked(x, n);
        return;
    }
    const __m256 bmax = _mm256_set1_ps(max);
    __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
    for (i = 0; i + 8 <= n; i += 8) {
        const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), bmax));
        _mm256_storeu_ps(x + i, e);
        add_widened(e, &sum_lo, &sum_hi);
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        const __m256 e = _mm256_and_ps(exp8(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), bmax)), _mm256_castsi256_ps(m));
        _mm256_maskstore_ps(x + i, m, e);
        add_widened(e, &sum_lo, &sum_hi);
    }
    double sum = hsum_pd(_mm256_add_pd(sum_lo, sum_hi));
    if (has_sink) {
        sum += (double) _mm256_cvtss_f32(exp8(_mm256_set1_ps(sink - max))); /* added last, as ggml does */
    }
    const __m256 inv = _mm256_set1_ps((float) (1.0 / sum));
    for (i = 0; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(_mm256_maskload_ps(x + i, m), inv));
    }
}

static void softmax_row(float *x, int64_t n, float scale) {
    softmax_row_impl(x, n, scale, 0, 0.0f);
}

static void softmax_sinks_row(float *x, int64_t n, float scale, float sink) {
    softmax_row_impl(x, n, scale, 1, sink);
}

static inline __m256 swiglu8(__m256 g, __m256 u) {
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

static void swiglu(const float *gate, const float *up, int64_t n, float *out) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i, swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(out + i, m, swiglu8(_mm256_maskload_ps(gate + i, m), _mm256_maskload_ps(up + i, m)));
    }
}

/* ggml_swiglu_oai for 8 lanes, the scalar level's operations in its order. minps/maxps return their second operand
 * when one is NaN, so with the limits first a NaN gate or up passes through, as in std::min / std::clamp. */
static inline __m256 swiglu_oai8(__m256 g, __m256 u, __m256 alpha, __m256 limit) {
    const __m256 neg_limit = _mm256_xor_ps(limit, _mm256_set1_ps(-0.0f));
    g = _mm256_min_ps(limit, g);
    u = _mm256_max_ps(neg_limit, _mm256_min_ps(limit, u));
    const __m256 e = exp8(_mm256_mul_ps(alpha, _mm256_xor_ps(g, _mm256_set1_ps(-0.0f)))); /* alpha * -g */
    const __m256 glu = _mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    return _mm256_mul_ps(glu, _mm256_add_ps(u, _mm256_set1_ps(1.0f)));
}

static void swiglu_oai(const float *gate, const float *up, int64_t n, float alpha, float limit, float *out) {
    const __m256 va = _mm256_set1_ps(alpha), vl = _mm256_set1_ps(limit);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i, swiglu_oai8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i), va, vl));
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(out + i, m,
                            swiglu_oai8(_mm256_maskload_ps(gate + i, m), _mm256_maskload_ps(up + i, m), va, vl));
    }
}

static void add(const float *a, const float *b, int64_t n, float *out) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i, _mm256_add_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(out + i, m, _mm256_add_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m)));
    }
}

static void scale(const float *x, int64_t n, float s, float *out) {
    const __m256 vs = _mm256_set1_ps(s);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs));
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(out + i, m, _mm256_mul_ps(_mm256_maskload_ps(x + i, m), vs));
    }
}

static void axpy(float a, const float *x, int64_t n, float *y) {
    const __m256 va = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    }
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        _mm256_maskstore_ps(y + i, m, _mm256_fmadd_ps(va, _mm256_maskload_ps(x + i, m), _mm256_maskload_ps(y + i, m)));
    }
}

const moe_ops_level moe_ops_level_avx2 = {
    .rmsnorm_row = rmsnorm_row,
    .rope_norm = rope_norm,
    .rope_neox = rope_neox,
    .softmax_row = softmax_row,
    .softmax_sinks_row = softmax_sinks_row,
    .swiglu = swiglu,
    .swiglu_oai = swiglu_oai,
    .add = add,
    .scale = scale,
    .axpy = axpy,
};
