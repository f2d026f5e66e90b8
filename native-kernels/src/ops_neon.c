/* PLACEHOLDER (being replaced): forwards to the scalar ops. */
#include "internal.h"
#include "ops_internal.h"
static void rmsnorm_row(const float *x, const float *w, int64_t n, float eps, float *out) { moe_ops_level_scalar.rmsnorm_row(x, w, n, eps, out); }
static void rope_norm(float *x, const float *c, const float *s, int64_t n) { moe_ops_level_scalar.rope_norm(x, c, s, n); }
static void rope_neox(float *lo, float *hi, const float *c, const float *s, int64_t n) { moe_ops_level_scalar.rope_neox(lo, hi, c, s, n); }
static void softmax_row(float *x, int64_t n, float sc) { moe_ops_level_scalar.softmax_row(x, n, sc); }
static void softmax_sinks_row(float *x, int64_t n, float sc, float sink) { moe_ops_level_scalar.softmax_sinks_row(x, n, sc, sink); }
static void swiglu(const float *g, const float *u, int64_t n, float *o) { moe_ops_level_scalar.swiglu(g, u, n, o); }
static void swiglu_oai(const float *g, const float *u, int64_t n, float a, float l, float *o) { moe_ops_level_scalar.swiglu_oai(g, u, n, a, l, o); }
static void add(const float *a, const float *b, int64_t n, float *o) { moe_ops_level_scalar.add(a, b, n, o); }
static void scale(const float *x, int64_t n, float s, float *o) { moe_ops_level_scalar.scale(x, n, s, o); }
static void axpy(float a, const float *x, int64_t n, float *y) { moe_ops_level_scalar.axpy(a, x, n, y); }
const moe_ops_level moe_ops_level_neon = {rmsnorm_row, rope_norm, rope_neox, softmax_row, softmax_sinks_row, swiglu, swiglu_oai, add, scale, axpy};
