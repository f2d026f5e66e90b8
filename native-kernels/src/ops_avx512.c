/*
 * ops_avx512.c - the AVX-512 level of the row/element-wise ops, 16 floats per step; tails use mask registers, so every
 * element goes through the same arithmetic wherever it sits in the row.
 *
 * Same arithmetic as ops_avx2.c (polynomial exp, fused RoPE/axpy, double partial sums); only the width differs, and
 * exp scales by 2^n with vscalefps, which rounds subnormal results once as the AVX2 two-step product does.
 */
#include <immintrin.h>
#include <math.h>

#include "ops_internal.h"

/* Lanes [0, remaining) on, remaining in 0..16. */
static inline __mmask16 tail_mask(int64_t remaining) {
    return (__mmask16) ((1u << remaining) - 1u);
}

static inline void add_widened(__m512 v, __m512d *lo, __m512d *hi) {
    *lo = _mm512_add_pd(*lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
    *hi = _mm512_add_pd(*hi, _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
}

/* e^x for 16 lanes, see ops_internal.h. NaN stays NaN. */
static inline __m512 exp16(__m512 x) {
    /* max/min return their second operand when one is NaN: this order clamps +-inf and keeps NaN. */
    const __m512 xc = _mm512_min_ps(_mm512_set1_ps(MOE_EXP_MAX), _mm512_max_ps(_mm512_set1_ps(MOE_EXP_MIN), x));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(MOE_EXP_LOG2E)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(MOE_EXP_LN2_HI), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(MOE_EXP_LN2_LO), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(MOE_EXP_C7), r, _mm512_set1_ps(MOE_EXP_C6));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MOE_EXP_C5));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MOE_EXP_C4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MOE_EXP_C3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(MOE_EXP_C2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n); /* p * 2^n: overflow to +inf, underflow rounded once; NaN propagates */
}

static void rmsnorm_row(const float *x, const float *weight, int64_t n, float eps, float *out) {
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        add_widened(_mm512_mul_ps(v, v), &lo, &hi);
    }
    if (i < n) {
        const __m512 v = _mm512_maskz_loadu_ps(tail_mask(n - i), x + i);
        add_widened(_mm512_mul_ps(v, v), &lo, &hi);
    }
    const double sum = _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
    const float mean = (float) (sum / (double) n);
    const __m512 scale = _mm512_set1_ps(1.0f / sqrtf(mean + eps));
    for (i = 0; i + 16 <= n; i += 16) {
        __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), scale);
        if (weight != NULL) {
            v = _mm512_mul_ps(v, _mm512_loadu_ps(weight + i));
        }
        _mm512_storeu_ps(out + i, v);
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), scale);
        if (weight != NULL) {
            v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, weight + i));
        }
        _mm512_mask_storeu_ps(out + i, m, v);
    }
}

/* Both modes compute a' = fma(a, c, -(b s)) and b' = fma(b, c, a s) for a pair (a, b), like ops_avx2.c. */
static void rope_norm(float *x, const float *cos_t, const float *sin_t, int64_t n_pairs) {
    const __m512i dup = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    for (int64_t j = 0; j < n_pairs; j += 8) {
        const int64_t pairs = n_pairs - j < 8 ? n_pairs - j : 8;
        const __mmask8 mp = (__mmask8) ((1u << pairs) - 1u);
        const __mmask16 mx = tail_mask(2 * pairs);
        const __m512 c = _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(mp, cos_t + j)));
        const __m512 s = _mm512_permutexvar_ps(dup, _mm512_castps256_ps512(_mm256_maskz_loadu_ps(mp, sin_t + j)));
        const __m512 v = _mm512_maskz_loadu_ps(mx, x + 2 * j);
        const __m512 swapped = _mm512_permute_ps(v, 0xB1); /* (b, a) in each pair */
        /* fmaddsub: even lanes a c - b s, odd lanes b c + a s */
        _mm512_mask_storeu_ps(x + 2 * j, mx, _mm512_fmaddsub_ps(v, c, _mm512_mul_ps(swapped, s)));
    }
}

static void rope_neox(float *lo, float *hi, const float *cos_t, const float *sin_t, int64_t n_pairs) {
    for (int64_t j = 0; j < n_pairs; j += 16) {
        const __mmask16 m = tail_mask(n_pairs - j < 16 ? n_pairs - j : 16);
        const __m512 c = _mm512_maskz_loadu_ps(m, cos_t + j), s = _mm512_maskz_loadu_ps(m, sin_t + j);
        const __m512 a = _mm512_maskz_loadu_ps(m, lo + j), b = _mm512_maskz_loadu_ps(m, hi + j);
        _mm512_mask_storeu_ps(lo + j, m, _mm512_fmsub_ps(a, c, _mm512_mul_ps(b, s)));
        _mm512_mask_storeu_ps(hi + j, m, _mm512_fmadd_ps(b, c, _mm512_mul_ps(a, s)));
    }
}

/* The softmax of one row, with or without an attention sink (see ops_scalar.c); has_sink is a constant at each call, so
 * the plain softmax keeps exactly its code. The sink's exponential is this level's exp, like the row's. */
static inline void softmax_row_impl(float *x, int64_t n, float scale, int has_sink, float sink) {
    const __m512 vscale = _mm512_set1_ps(scale);
    const __m512 neg_inf = _mm512_set1_ps(-INFINITY);
    __m512 vmax = neg_inf;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), vscale);
        _mm512_storeu_ps(x + i, v);
        vmax = _mm512_max_ps(v, vmax); /* NaN in v leaves vmax alone, like the scalar level */
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 v = _mm512_mul_ps(_mm512_mask_loadu_ps(neg_inf, m, x + i), vscale);
        _mm512_mask_storeu_ps(x + i, m, v);
        vmax = _mm512_max_ps(v, vmax);
    }
    float max = _mm512_reduce_max_ps(vmax);
    if (has_sink) {
        max = max > sink ? max : sink; /* ggml's MAX(max, sink): a NaN sink makes max NaN, hence the row NaN */
    }
    if (max == -INFINITY) {
        moe_ops_softmax_fully_masked(x, n);
        return;
    }
    const __m512 bmax = _mm512_set1_ps(max);
    __m512d sum_lo = _mm512_setzero_pd(), sum_hi = _mm512_setzero_pd();
    for (i = 0; i + 16 <= n; i += 16) {
        const __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), bmax));
        _mm512_storeu_ps(x + i, e);
        add_widened(e, &sum_lo, &sum_hi);
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), bmax)));
        _mm512_mask_storeu_ps(x + i, m, e);
        add_widened(e, &sum_lo, &sum_hi);
    }
    double sum = _mm512_reduce_add_pd(_mm512_add_pd(sum_lo, sum_hi));
    if (has_sink) {
        sum += (double) _mm512_cvtss_f32(exp16(_mm512_set1_ps(sink - max))); /* added last, as ggml does */
    }
    const __m512 inv = _mm512_set1_ps((float) (1.0 / sum));
    for (i = 0; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inv));
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
    }
}

static void softmax_row(float *x, int64_t n, float scale) {
    softmax_row_impl(x, n, scale, 0, 0.0f);
}

static void softmax_sinks_row(float *x, int64_t n, float scale, float sink) {
    softmax_row_impl(x, n, scale, 1, sink);
}

static void swiglu(const float *gate, const float *up, int64_t n, float *out) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail_mask(n - i < 16 ? n - i : 16);
        const __m512 g = _mm512_maskz_loadu_ps(m, gate + i), u = _mm512_maskz_loadu_ps(m, up + i);
        const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, e)), u));
    }
}

/* ggml_swiglu_oai, 16 lanes, the scalar level's operations in its order; min/max with the limit first keep a NaN gate or
 * up (they return their second operand when one is NaN), as std::min / std::clamp do. */
static void swiglu_oai(const float *gate, const float *up, int64_t n, float alpha, float limit, float *out) {
    const __m512 one = _mm512_set1_ps(1.0f), sign = _mm512_set1_ps(-0.0f);
    const __m512 va = _mm512_set1_ps(alpha), vl = _mm512_set1_ps(limit), vnl = _mm512_set1_ps(-limit);
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail_mask(n - i < 16 ? n - i : 16);
        const __m512 g = _mm512_min_ps(vl, _mm512_maskz_loadu_ps(m, gate + i));
        const __m512 u = _mm512_max_ps(vnl, _mm512_min_ps(vl, _mm512_maskz_loadu_ps(m, up + i)));
        const __m512 e = exp16(_mm512_mul_ps(va, _mm512_xor_ps(g, sign))); /* alpha * -g */
        const __m512 glu = _mm512_div_ps(g, _mm512_add_ps(one, e));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(glu, _mm512_add_ps(u, one)));
    }
}

static void add(const float *a, const float *b, int64_t n, float *out) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(out + i, _mm512_add_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(out + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i)));
    }
}

static void scale(const float *x, int64_t n, float s, float *out) {
    const __m512 vs = _mm512_set1_ps(s);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), vs));
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vs));
    }
}

static void axpy(float a, const float *x, int64_t n, float *y) {
    const __m512 va = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
    }
}

const moe_ops_level moe_ops_level_avx512 = {
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
