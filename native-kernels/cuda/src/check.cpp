/*
 * check.cpp - the weight-type table and the argument checks of the ABI. Host-only and CUDA-free: every rule here is
 * tested without a device (test/cuda_host_test.cpp). A check records a message naming the function and the argument,
 * so a Java caller's exception says what and where.
 */
#include <inttypes.h>
#include <math.h>

#include "cuda_internal.h"

const moe_cuda_type_info moe_cuda_types[MCT_COUNT] = {
#define MOE_CUDA_FORMAT(NAME, ID, ELEMS, BYTES, ALIGN) {ID, ELEMS, BYTES, ALIGN, #NAME},
#include "cuda_formats.def"
#undef MOE_CUDA_FORMAT
};

int moe_cuda_type_of(int ggml_id) {
    for (int i = 0; i < MCT_COUNT; i++) {
        if (moe_cuda_types[i].ggml_id == ggml_id) {
            return i;
        }
    }
    return -1;
}

namespace {

/* The most floats a buffer could hold with its byte size in int64. */
constexpr int64_t MAX_FLOATS = INT64_MAX / 4;

/* a * b + c for non-negative operands; -1 on overflow. */
int64_t mul_add(int64_t a, int64_t b, int64_t c) {
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r)) {
        return -1;
    }
    return r;
}

int invalid(const char *fn, const char *what) {
    return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s", fn, what);
}

} // namespace

int moe_cuda_check_floats(const char *fn, const char *arg, const moe_cuda_buf *b, int64_t first, int64_t count) {
    if (b == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s is NULL", fn, arg);
    }
    if (count < 1 || first < 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s: bad range of %" PRId64 " floats at %" PRId64, fn, arg,
                             count, first);
    }
    if (reinterpret_cast<uintptr_t>(b->ptr) % 4 != 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s is not 4-byte aligned (a view at an odd offset?)", fn,
                             arg);
    }
    const int64_t end = mul_add(1, first, count);
    if (end < 0 || end > MAX_FLOATS || end * 4 > b->bytes) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: %s holds %" PRId64 " bytes, floats [%" PRId64 ", %" PRId64 " + %" PRId64
                             ") do not fit",
                             fn, arg, b->bytes, first, first, count);
    }
    return MOE_CUDA_OK;
}

int moe_cuda_check_strided(const char *fn, const char *arg, const moe_cuda_buf *b, int64_t n_vec, int64_t stride,
                           int64_t len, int overlap_ok) {
    if (n_vec < 1 || len < 1) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s: %" PRId64 " vectors of %" PRId64 " floats", fn, arg,
                             n_vec, len);
    }
    if (n_vec > 1 && (stride < 0 || (!overlap_ok && stride < len))) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: %s: stride %" PRId64 " is %s for vectors of %" PRId64 " floats", fn, arg, stride,
                             stride < 0 ? "negative" : "too small", len);
    }
    const int64_t extent = n_vec > 1 ? mul_add(n_vec - 1, stride, len) : len;
    if (extent < 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s: %" PRId64 " x stride %" PRId64 " overflows", fn, arg,
                             n_vec, stride);
    }
    return moe_cuda_check_floats(fn, arg, b, 0, extent);
}

int moe_cuda_check_matrix(const char *fn, int type, const moe_cuda_buf *w, int64_t row_bytes, int64_t rows,
                          int64_t cols, int *type_index) {
    const int ti = moe_cuda_type_of(type);
    if (ti < 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_UNSUPPORTED_TYPE, "%s: weight type %d has no CUDA kernel", fn, type);
    }
    const moe_cuda_type_info &t = moe_cuda_types[ti];
    if (w == nullptr) {
        return invalid(fn, "weight buffer is NULL");
    }
    if (rows < 1 || cols < 1 || rows > INT32_MAX || cols > INT32_MAX) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %" PRId64 " x %" PRId64 " is not a matrix shape (1 .. 2^31-1)",
                             fn, rows, cols);
    }
    if (cols % t.block_elems != 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %" PRId64 " columns are not whole %s blocks of %" PRId64,
                             fn, cols, t.name, t.block_elems);
    }
    const int64_t need = cols / t.block_elems * t.block_bytes;
    if (row_bytes < need) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: row_bytes %" PRId64 " < %" PRId64 " bytes of a %s row", fn,
                             row_bytes, need, t.name);
    }
    if (row_bytes % t.align != 0 || reinterpret_cast<uintptr_t>(w->ptr) % t.align != 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s weights need row_bytes and buffer aligned to %" PRId64,
                             fn, t.name, t.align);
    }
    const int64_t extent = mul_add(rows - 1, row_bytes, need);
    if (extent < 0 || extent > w->bytes) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: %" PRId64 " rows of %" PRId64 " bytes do not fit the weight buffer of %" PRId64
                             " bytes",
                             fn, rows, row_bytes, w->bytes);
    }
    *type_index = ti;
    return MOE_CUDA_OK;
}

int moe_cuda_layout_disjoint(int64_t c0, int64_t s0, int64_t c1, int64_t s1, int64_t span) {
    if (c0 < 1 || c1 < 1 || span < 1) {
        return 0;
    }
    int64_t count[2], stride[2];
    int axes = 0;
    if (c0 > 1) {
        count[axes] = c0;
        stride[axes++] = s0;
    }
    if (c1 > 1) {
        count[axes] = c1;
        stride[axes++] = s1;
    }
    if (axes == 0) {
        return span <= MAX_FLOATS;
    }
    if (axes == 2 && stride[0] > stride[1]) {
        const int64_t c = count[0], s = stride[0];
        count[0] = count[1];
        stride[0] = stride[1];
        count[1] = c;
        stride[1] = s;
    }
    if (stride[0] < span) {
        return 0;
    }
    const int64_t run = mul_add(count[0] - 1, stride[0], span);
    if (run < 0 || run > MAX_FLOATS) {
        return 0;
    }
    if (axes == 1) {
        return 1;
    }
    const int64_t all = mul_add(count[1] - 1, stride[1], run);
    return stride[1] >= run && all >= 0 && all <= MAX_FLOATS;
}

int moe_cuda_check_rope(const char *fn, const moe_cuda_buf *x, int64_t n_tokens, int64_t token_stride,
                        int64_t n_heads, int64_t head_stride, int64_t n_rot, const int32_t *positions, int mode,
                        float freq_base, float freq_scale, float ext_factor, float attn_factor, float beta_fast,
                        float beta_slow, int32_t n_ctx_orig) {
    if (positions == nullptr) {
        return invalid(fn, "positions is NULL");
    }
    if (n_tokens < 1 || n_heads < 1 || n_rot < 2 || n_rot % 2 != 0 || n_rot > INT32_MAX) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: %" PRId64 " tokens, %" PRId64 " heads, n_rot %" PRId64 " (n_rot must be even >= 2)",
                             fn, n_tokens, n_heads, n_rot);
    }
    if (mode != 0 && mode != 2) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: mode %d is neither 0 (NORM) nor 2 (NEOX)", fn, mode);
    }
    if (!isfinite(freq_base) || freq_base <= 0.0f || !isfinite(freq_scale) || freq_scale <= 0.0f ||
        !isfinite(ext_factor) || !isfinite(attn_factor)) {
        return invalid(fn, "freq_base and freq_scale must be positive and finite, ext/attn factors finite");
    }
    if (ext_factor != 0.0f && (freq_base == 1.0f || n_ctx_orig <= 0 || !isfinite(beta_fast) || beta_fast <= 0.0f ||
                               !isfinite(beta_slow) || beta_slow <= 0.0f)) {
        return invalid(fn, "YaRN needs freq_base != 1, n_ctx_orig > 0 and positive finite betas");
    }
    if (!moe_cuda_layout_disjoint(n_tokens, token_stride, n_heads, head_stride, n_rot)) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: token stride %" PRId64 " and head stride %" PRId64 " overlap the rotated spans of %" PRId64,
                             fn, token_stride, head_stride, n_rot);
    }
    const int64_t extent = (n_tokens > 1 ? (n_tokens - 1) * token_stride : 0) +
                           (n_heads > 1 ? (n_heads - 1) * head_stride : 0) + n_rot; /* bounded by the layout check */
    return moe_cuda_check_floats(fn, "x", x, 0, extent);
}

int moe_cuda_check_ids(const char *fn, const char *arg, const int32_t *ids, int64_t n, int64_t limit) {
    if (ids == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s is NULL", fn, arg);
    }
    for (int64_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= limit) {
            return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s[%" PRId64 "] = %d is outside [0, %" PRId64 ")", fn,
                                 arg, i, ids[i], limit);
        }
    }
    return MOE_CUDA_OK;
}

int moe_cuda_check_alias(const char *fn, const char *in_name, const moe_cuda_buf *in, int64_t in_bytes,
                         const char *out_name, const moe_cuda_buf *out, int64_t out_bytes, int same_ok) {
    const uintptr_t a0 = reinterpret_cast<uintptr_t>(in->ptr), a1 = a0 + (uintptr_t)in_bytes;
    const uintptr_t b0 = reinterpret_cast<uintptr_t>(out->ptr), b1 = b0 + (uintptr_t)out_bytes;
    if (a1 <= b0 || b1 <= a0) {
        return MOE_CUDA_OK;
    }
    if (same_ok && a0 == b0 && in_bytes == out_bytes) {
        return MOE_CUDA_OK;
    }
    return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s overlaps %s%s", fn, out_name, in_name,
                         same_ok ? " without being the same range" : "");
}
