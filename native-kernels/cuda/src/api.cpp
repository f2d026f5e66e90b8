/*
 * api.cpp - the entry points of moe4j_cuda.h: devices, contexts, buffers, and for every operation the argument
 * checks (check.cpp), the host-side preparation (expert plans, RoPE angle tables) and the launch (k_*.cu).
 * Host code on the CUDA runtime API only; nothing here launches a kernel directly.
 */
#include <cuda_runtime_api.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <new>
#include <vector>

#include "cuda_internal.h"

extern "C" {
#include "ops_internal.h" /* moe4j's RoPE angle table (ops_scalar.c, compiled into this library) */
}

#define RETURN_IF(st)                                                                                                  \
    do {                                                                                                               \
        const int st_ = (st);                                                                                          \
        if (st_ != MOE_CUDA_OK) {                                                                                      \
            return st_;                                                                                                \
        }                                                                                                              \
    } while (0)

namespace {

cudaStream_t stream_of(const moe_cuda_ctx *ctx) {
    return static_cast<cudaStream_t>(ctx->stream);
}

/* Makes the context's device current on this thread (a thread may drive contexts on several devices). */
int enter(const char *fn, const moe_cuda_ctx *ctx) {
    if (ctx == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: context is NULL", fn);
    }
    int current = -1;
    if (cudaGetDevice(&current) != cudaSuccess || current != ctx->device) {
        return moe_cuda_check(cudaSetDevice(ctx->device), fn);
    }
    return MOE_CUDA_OK;
}

/* The buffer lives on the context's device. */
int on_device(const char *fn, const char *arg, const moe_cuda_ctx *ctx, const moe_cuda_buf *b) {
    if (b != nullptr && b->device != ctx->device) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %s is on device %d, the context on device %d", fn, arg,
                             b->device, ctx->device);
    }
    return MOE_CUDA_OK;
}

/* Grows the context's scratch to at least `bytes`. Waits for queued work first: it may still read the old one. */
int ensure_scratch(moe_cuda_ctx *ctx, int64_t bytes) {
    if (bytes <= ctx->scratch_bytes) {
        return MOE_CUDA_OK;
    }
    int st = moe_cuda_check(cudaStreamSynchronize(stream_of(ctx)), "scratch: waiting for queued work");
    if (st != MOE_CUDA_OK) {
        return st;
    }
    const int64_t old_bytes = ctx->scratch_bytes;
    if (ctx->scratch != nullptr) {
        cudaFree(ctx->scratch);
        ctx->scratch = nullptr;
        ctx->scratch_bytes = 0;
    }
    /* at least double: a prefill whose plans grow a little per call should not reallocate (and wait) every time */
    const int64_t twice = old_bytes > INT64_MAX / 2 ? INT64_MAX : 2 * old_bytes;
    int64_t size = bytes > twice ? bytes : twice;
    size = size < (int64_t)1 << 16 ? (int64_t)1 << 16 : size;
    void *p = nullptr;
    if (size > bytes && cudaMalloc(&p, (size_t)size) != cudaSuccess) {
        cudaGetLastError(); /* not sticky; the exact size may still fit */
        p = nullptr;
        size = bytes;
    }
    if (p == nullptr) {
        RETURN_IF(moe_cuda_check(cudaMalloc(&p, (size_t)size), "scratch: cudaMalloc"));
    }
    ctx->scratch = static_cast<char *>(p);
    ctx->scratch_bytes = size;
    return MOE_CUDA_OK;
}

/* Copies host bytes into the scratch and queues nothing else. The source is pageable host memory, which CUDA has
 * staged by the time cudaMemcpyAsync returns, so the caller's temporary arrays may go away. Later uploads into the
 * same scratch are ordered after the kernels queued before them on the stream. */
int to_scratch(moe_cuda_ctx *ctx, const void *host, int64_t bytes) {
    int st = ensure_scratch(ctx, bytes);
    if (st != MOE_CUDA_OK) {
        return st;
    }
    return moe_cuda_check(
        cudaMemcpyAsync(ctx->scratch, host, (size_t)bytes, cudaMemcpyHostToDevice, stream_of(ctx)), "scratch upload");
}

} // namespace

/* ---- devices ----------------------------------------------------------------------------------------------------- */

extern "C" MOE_CUDA_API int moe_cuda_device_count(int *count) {
    if (count == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "moe_cuda_device_count: count is NULL");
    }
    *count = 0;
    int n = 0;
    RETURN_IF(moe_cuda_check(cudaGetDeviceCount(&n), "moe_cuda_device_count: cudaGetDeviceCount"));
    if (n < 1) {
        return moe_cuda_fail(MOE_CUDA_ERR_NO_DEVICE, "moe_cuda_device_count: the driver reports no CUDA device");
    }
    *count = n;
    return MOE_CUDA_OK;
}

static int check_device(const char *fn, int device) {
    int n = 0;
    RETURN_IF(moe_cuda_device_count(&n));
    if (device < 0 || device >= n) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: device %d, but there are %d", fn, device, n);
    }
    return MOE_CUDA_OK;
}

extern "C" MOE_CUDA_API int moe_cuda_device_info(int device, char *name, int64_t name_len, int *cc_major,
                                                 int *cc_minor, int *multiprocessors, int64_t *total_bytes) {
    static const char *fn = "moe_cuda_device_info";
    if (name == nullptr || name_len < 1 || cc_major == nullptr || cc_minor == nullptr || multiprocessors == nullptr ||
        total_bytes == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: NULL output or name_len < 1", fn);
    }
    RETURN_IF(check_device(fn, device));
    cudaDeviceProp p;
    RETURN_IF(moe_cuda_check(cudaGetDeviceProperties(&p, device), "moe_cuda_device_info: cudaGetDeviceProperties"));
    const size_t len = strnlen(p.name, sizeof p.name);
    const size_t n = len < (size_t)(name_len - 1) ? len : (size_t)(name_len - 1);
    memcpy(name, p.name, n);
    name[n] = '\0';
    *cc_major = p.major;
    *cc_minor = p.minor;
    *multiprocessors = p.multiProcessorCount;
    *total_bytes = (int64_t)p.totalGlobalMem;
    return MOE_CUDA_OK;
}

/* ---- contexts ---------------------------------------------------------------------------------------------------- */

extern "C" MOE_CUDA_API int moe_cuda_ctx_create(int device, moe_cuda_ctx **out) {
    static const char *fn = "moe_cuda_ctx_create";
    if (out == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: out is NULL", fn);
    }
    *out = nullptr;
    RETURN_IF(check_device(fn, device));
    RETURN_IF(moe_cuda_check(cudaSetDevice(device), "moe_cuda_ctx_create: cudaSetDevice"));
    moe_cuda_ctx *ctx = new (std::nothrow) moe_cuda_ctx();
    if (ctx == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_OUT_OF_MEMORY, "%s: no host memory for the context", fn);
    }
    cudaStream_t s = nullptr;
    const int st = moe_cuda_check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking),
                                  "moe_cuda_ctx_create: cudaStreamCreateWithFlags");
    if (st != MOE_CUDA_OK) {
        delete ctx;
        return st;
    }
    ctx->device = device;
    ctx->stream = s;
    *out = ctx;
    return MOE_CUDA_OK;
}

extern "C" MOE_CUDA_API int moe_cuda_ctx_synchronize(moe_cuda_ctx *ctx) {
    RETURN_IF(enter("moe_cuda_ctx_synchronize", ctx));
    return moe_cuda_check(cudaStreamSynchronize(stream_of(ctx)), "moe_cuda_ctx_synchronize: queued work failed");
}

extern "C" MOE_CUDA_API int moe_cuda_ctx_destroy(moe_cuda_ctx *ctx) {
    if (ctx == nullptr) {
        return MOE_CUDA_OK;
    }
    int st = enter("moe_cuda_ctx_destroy", ctx);
    if (st == MOE_CUDA_OK) {
        st = moe_cuda_check(cudaStreamSynchronize(stream_of(ctx)), "moe_cuda_ctx_destroy: queued work failed");
    }
    if (ctx->scratch != nullptr) {
        cudaFree(ctx->scratch);
    }
    cudaStreamDestroy(stream_of(ctx));
    delete ctx;
    return st;
}

/* ---- buffers ----------------------------------------------------------------------------------------------------- */

extern "C" MOE_CUDA_API int moe_cuda_buf_alloc(moe_cuda_ctx *ctx, int64_t bytes, moe_cuda_buf **out) {
    static const char *fn = "moe_cuda_buf_alloc";
    if (out == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: out is NULL", fn);
    }
    *out = nullptr;
    RETURN_IF(enter(fn, ctx));
    if (bytes < 1) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %" PRId64 " bytes", fn, bytes);
    }
    moe_cuda_mem *mem = new (std::nothrow) moe_cuda_mem();
    moe_cuda_buf *buf = new (std::nothrow) moe_cuda_buf();
    if (mem == nullptr || buf == nullptr) {
        delete mem;
        delete buf;
        return moe_cuda_fail(MOE_CUDA_ERR_OUT_OF_MEMORY, "%s: no host memory for the handle", fn);
    }
    void *p = nullptr;
    const cudaError_t e = cudaMalloc(&p, (size_t)bytes);
    if (e != cudaSuccess) {
        delete mem;
        delete buf;
        cudaGetLastError(); /* an allocation failure is not sticky; do not let a later launch check report it */
        return moe_cuda_fail(moe_cuda_status_of(e), "%s(%" PRId64 " bytes): cudaMalloc: %s (%s)", fn, bytes,
                             cudaGetErrorString(e), cudaGetErrorName(e));
    }
    mem->ptr = p;
    mem->device = ctx->device;
    mem->refs = 1;
    buf->mem = mem;
    buf->ptr = static_cast<char *>(p);
    buf->bytes = bytes;
    buf->device = ctx->device;
    *out = buf;
    return MOE_CUDA_OK;
}

extern "C" MOE_CUDA_API int moe_cuda_buf_view(const moe_cuda_buf *parent, int64_t offset, int64_t bytes,
                                              moe_cuda_buf **out) {
    static const char *fn = "moe_cuda_buf_view";
    if (out == nullptr || parent == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: parent or out is NULL", fn);
    }
    *out = nullptr;
    if (offset < 0 || bytes < 1 || offset > parent->bytes || bytes > parent->bytes - offset) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: bytes [%" PRId64 ", %" PRId64 " + %" PRId64 ") are not inside a buffer of %" PRId64,
                             fn, offset, offset, bytes, parent->bytes);
    }
    moe_cuda_buf *buf = new (std::nothrow) moe_cuda_buf();
    if (buf == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_OUT_OF_MEMORY, "%s: no host memory for the handle", fn);
    }
    __atomic_add_fetch(&parent->mem->refs, 1, __ATOMIC_RELAXED);
    buf->mem = parent->mem;
    buf->ptr = parent->ptr + offset;
    buf->bytes = bytes;
    buf->device = parent->device;
    *out = buf;
    return MOE_CUDA_OK;
}

extern "C" MOE_CUDA_API int moe_cuda_buf_free(moe_cuda_buf *buf) {
    if (buf == nullptr) {
        return MOE_CUDA_OK;
    }
    moe_cuda_mem *mem = buf->mem;
    delete buf;
    if (__atomic_sub_fetch(&mem->refs, 1, __ATOMIC_ACQ_REL) != 0) {
        return MOE_CUDA_OK;
    }
    int current = -1;
    int st = MOE_CUDA_OK;
    if (cudaGetDevice(&current) != cudaSuccess || current != mem->device) {
        st = moe_cuda_check(cudaSetDevice(mem->device), "moe_cuda_buf_free: cudaSetDevice");
    }
    if (st == MOE_CUDA_OK) {
        st = moe_cuda_check(cudaFree(mem->ptr), "moe_cuda_buf_free: cudaFree");
    }
    delete mem;
    return st;
}

extern "C" MOE_CUDA_API int64_t moe_cuda_buf_size(const moe_cuda_buf *buf) {
    if (buf == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "moe_cuda_buf_size: buffer is NULL");
    }
    return buf->bytes;
}

static int check_copy(const char *fn, const moe_cuda_ctx *ctx, const moe_cuda_buf *b, int64_t offset,
                      const void *host, int64_t bytes) {
    RETURN_IF(enter(fn, ctx));
    if (b == nullptr || host == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: buffer or host pointer is NULL", fn);
    }
    RETURN_IF(on_device(fn, "buffer", ctx, b));
    if (offset < 0 || bytes < 1 || offset > b->bytes || bytes > b->bytes - offset) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: bytes [%" PRId64 ", %" PRId64 " + %" PRId64 ") are not inside a buffer of %" PRId64,
                             fn, offset, offset, bytes, b->bytes);
    }
    return MOE_CUDA_OK;
}

extern "C" MOE_CUDA_API int moe_cuda_buf_upload(moe_cuda_ctx *ctx, moe_cuda_buf *dst, int64_t dst_offset,
                                                const void *src, int64_t bytes) {
    static const char *fn = "moe_cuda_buf_upload";
    RETURN_IF(check_copy(fn, ctx, dst, dst_offset, src, bytes));
    /* Ordered after the work already queued (which may still read the old contents); waits for the copy itself, so
     * the source may be pinned or pageable memory alike. */
    RETURN_IF(moe_cuda_check(cudaMemcpyAsync(dst->ptr + dst_offset, src, (size_t)bytes, cudaMemcpyHostToDevice,
                                             stream_of(ctx)),
                             "moe_cuda_buf_upload: cudaMemcpyAsync"));
    return moe_cuda_check(cudaStreamSynchronize(stream_of(ctx)), "moe_cuda_buf_upload: copy or earlier work failed");
}

extern "C" MOE_CUDA_API int moe_cuda_buf_download(moe_cuda_ctx *ctx, const moe_cuda_buf *src, int64_t src_offset,
                                                  void *dst, int64_t bytes) {
    static const char *fn = "moe_cuda_buf_download";
    RETURN_IF(check_copy(fn, ctx, src, src_offset, dst, bytes));
    RETURN_IF(moe_cuda_check(cudaMemcpyAsync(dst, src->ptr + src_offset, (size_t)bytes, cudaMemcpyDeviceToHost,
                                             stream_of(ctx)),
                             "moe_cuda_buf_download: cudaMemcpyAsync"));
    return moe_cuda_check(cudaStreamSynchronize(stream_of(ctx)), "moe_cuda_buf_download: copy or earlier work failed");
}

/* ---- tensor kernels ---------------------------------------------------------------------------------------------- */

extern "C" MOE_CUDA_API int moe_cuda_tensor_dequantize(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *src, int64_t n,
                                                       moe_cuda_buf *dst) {
    static const char *fn = "moe_cuda_tensor_dequantize";
    RETURN_IF(enter(fn, ctx));
    const int ti = moe_cuda_type_of(type);
    if (ti < 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_UNSUPPORTED_TYPE, "%s: weight type %d has no CUDA kernel", fn, type);
    }
    const moe_cuda_type_info &t = moe_cuda_types[ti];
    if (src == nullptr || n < 1 || n % t.block_elems != 0 || n / t.block_elems > INT64_MAX / t.block_bytes) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: src NULL or %" PRId64 " elements not whole %s blocks", fn,
                             n, t.name);
    }
    const int64_t blocks = n / t.block_elems;
    if (blocks * t.block_bytes > src->bytes || reinterpret_cast<uintptr_t>(src->ptr) % t.align != 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: src (%" PRId64 " bytes) is too small or misaligned", fn,
                             src->bytes);
    }
    RETURN_IF(moe_cuda_check_floats(fn, "dst", dst, 0, n));
    RETURN_IF(on_device(fn, "src", ctx, src));
    RETURN_IF(on_device(fn, "dst", ctx, dst));
    RETURN_IF(moe_cuda_check_alias(fn, "src", src, blocks * t.block_bytes, "dst", dst, n * 4, 0));
    /* Each block is a "row" of one block, so the row count is not limited to int32. */
    return moe_cuda_launch_dequant_rows(ctx->stream, ti, src->ptr, t.block_bytes, t.block_elems, nullptr, blocks,
                                        reinterpret_cast<float *>(dst->ptr));
}

extern "C" MOE_CUDA_API int moe_cuda_tensor_matvec(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *w,
                                                   int64_t row_bytes, int64_t rows, int64_t cols,
                                                   const moe_cuda_buf *x, moe_cuda_buf *y) {
    static const char *fn = "moe_cuda_tensor_matvec";
    RETURN_IF(enter(fn, ctx));
    int ti = -1;
    RETURN_IF(moe_cuda_check_matrix(fn, type, w, row_bytes, rows, cols, &ti));
    RETURN_IF(moe_cuda_check_floats(fn, "x", x, 0, cols));
    RETURN_IF(moe_cuda_check_floats(fn, "y", y, 0, rows));
    RETURN_IF(on_device(fn, "w", ctx, w));
    RETURN_IF(on_device(fn, "x", ctx, x));
    RETURN_IF(on_device(fn, "y", ctx, y));
    RETURN_IF(moe_cuda_check_alias(fn, "x", x, cols * 4, "y", y, rows * 4, 0));
    RETURN_IF(moe_cuda_check_alias(fn, "w", w, w->bytes, "y", y, rows * 4, 0));
    return moe_cuda_launch_matvec(ctx->stream, ti, w->ptr, row_bytes, rows, cols, 0, nullptr, 1,
                                  reinterpret_cast<const float *>(x->ptr), nullptr,
                                  reinterpret_cast<float *>(y->ptr), nullptr);
}

/* Vector counts up to this go through the matvec kernel (one warp per row and vector); more use the tiles. */
static const int64_t MATVEC_MAX_VECTORS = 2;

/* Uploads the per-vector offsets (x then y) and queues one matvec per vector. */
static int matvec_each(moe_cuda_ctx *ctx, int ti, const moe_cuda_buf *w, int64_t row_bytes, int64_t rows, int64_t cols,
                       int64_t expert_bytes, const std::vector<int32_t> &experts, const std::vector<int64_t> &x_off,
                       const std::vector<int64_t> &y_off, const moe_cuda_buf *x, moe_cuda_buf *y) {
    const int64_t n = (int64_t)x_off.size();
    std::vector<char> plan((size_t)(n * 16 + n * 4));
    memcpy(plan.data(), x_off.data(), (size_t)n * 8);
    memcpy(plan.data() + n * 8, y_off.data(), (size_t)n * 8);
    if (!experts.empty()) {
        memcpy(plan.data() + n * 16, experts.data(), (size_t)n * 4);
    }
    RETURN_IF(to_scratch(ctx, plan.data(), (int64_t)plan.size()));
    const int64_t *dx = reinterpret_cast<const int64_t *>(ctx->scratch);
    const int64_t *dy = dx + n;
    const int32_t *de = experts.empty() ? nullptr : reinterpret_cast<const int32_t *>(dy + n);
    return moe_cuda_launch_matvec(ctx->stream, ti, w->ptr, row_bytes, rows, cols, expert_bytes, de, n,
                                  reinterpret_cast<const float *>(x->ptr), dx, reinterpret_cast<float *>(y->ptr), dy);
}

extern "C" MOE_CUDA_API int moe_cuda_tensor_matmul(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *w,
                                                   int64_t row_bytes, int64_t rows, int64_t cols,
                                                   const moe_cuda_buf *x, int64_t x_stride, int64_t n_tokens,
                                                   moe_cuda_buf *y, int64_t y_stride) {
    static const char *fn = "moe_cuda_tensor_matmul";
    RETURN_IF(enter(fn, ctx));
    int ti = -1;
    RETURN_IF(moe_cuda_check_matrix(fn, type, w, row_bytes, rows, cols, &ti));
    if (n_tokens < 1 || n_tokens > INT32_MAX) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %" PRId64 " tokens", fn, n_tokens);
    }
    RETURN_IF(moe_cuda_check_strided(fn, "x", x, n_tokens, x_stride, cols, 0));
    RETURN_IF(moe_cuda_check_strided(fn, "y", y, n_tokens, y_stride, rows, 0));
    RETURN_IF(on_device(fn, "w", ctx, w));
    RETURN_IF(on_device(fn, "x", ctx, x));
    RETURN_IF(on_device(fn, "y", ctx, y));
    const int64_t x_extent = (n_tokens - 1) * x_stride + cols, y_extent = (n_tokens - 1) * y_stride + rows;
    RETURN_IF(moe_cuda_check_alias(fn, "x", x, x_extent * 4, "y", y, y_extent * 4, 0));
    RETURN_IF(moe_cuda_check_alias(fn, "w", w, w->bytes, "y", y, y_extent * 4, 0));
    if (n_tokens <= MATVEC_MAX_VECTORS) {
        std::vector<int64_t> xo((size_t)n_tokens), yo((size_t)n_tokens);
        for (int64_t t = 0; t < n_tokens; t++) {
            xo[(size_t)t] = t * x_stride;
            yo[(size_t)t] = t * y_stride;
        }
        return matvec_each(ctx, ti, w, row_bytes, rows, cols, 0, {}, xo, yo, x, y);
    }
    const int64_t items = (n_tokens + MOE_CUDA_TILE_T - 1) / MOE_CUDA_TILE_T;
    return moe_cuda_launch_gemm(ctx->stream, ti, w->ptr, row_bytes, rows, cols, 0, items, nullptr, nullptr, nullptr,
                                n_tokens, reinterpret_cast<const float *>(x->ptr), nullptr, x_stride,
                                reinterpret_cast<float *>(y->ptr), nullptr, y_stride);
}

extern "C" MOE_CUDA_API int moe_cuda_tensor_matmul_id(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *w,
                                                      int64_t row_bytes, int64_t rows, int64_t cols,
                                                      int64_t expert_bytes, int64_t n_experts, const int32_t *ids,
                                                      int64_t n_tokens, int64_t n_used, const moe_cuda_buf *x,
                                                      int64_t x_stride, int64_t x_slot_stride, moe_cuda_buf *y,
                                                      int64_t y_stride, int64_t y_slot_stride) {
    static const char *fn = "moe_cuda_tensor_matmul_id";
    RETURN_IF(enter(fn, ctx));
    int ti = -1;
    RETURN_IF(moe_cuda_check_matrix(fn, type, w, row_bytes, rows, cols, &ti));
    const int64_t one = (rows - 1) * row_bytes + cols / moe_cuda_types[ti].block_elems * moe_cuda_types[ti].block_bytes;
    if (n_experts < 1 || n_experts > INT32_MAX ||
        (n_experts > 1 && (expert_bytes < one || expert_bytes % moe_cuda_types[ti].align != 0 ||
                           (n_experts - 1) > (w->bytes - one) / expert_bytes))) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: %" PRId64 " experts of %" PRId64 " bytes, %" PRId64
                             " apart, do not fit a weight buffer of %" PRId64 " bytes (or are misaligned)",
                             fn, n_experts, one, expert_bytes, w->bytes);
    }
    if (n_tokens < 1 || n_used < 1 || n_used > n_experts || n_tokens > INT32_MAX / n_used) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %" PRId64 " tokens x %" PRId64 " experts each", fn,
                             n_tokens, n_used);
    }
    const int64_t pairs = n_tokens * n_used;
    RETURN_IF(moe_cuda_check_ids(fn, "ids", ids, pairs, n_experts));
    if (x_stride < 0 || x_slot_stride < 0 || y_stride < 0 || y_slot_stride < 0) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: negative stride", fn);
    }
    if (!moe_cuda_layout_disjoint(n_tokens, y_stride, n_used, y_slot_stride, rows)) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: outputs of %" PRId64 " floats at strides %" PRId64 " / %" PRId64 " overlap", fn, rows,
                             y_stride, y_slot_stride);
    }
    const int64_t y_extent = (n_tokens - 1) * y_stride + (n_used - 1) * y_slot_stride + rows;
    int64_t x_extent = 0, slot_part = 0; /* (n_tokens-1) x_stride + (n_used-1) x_slot_stride + cols */
    if (__builtin_mul_overflow(n_tokens - 1, x_stride, &x_extent) ||
        __builtin_mul_overflow(n_used - 1, x_slot_stride, &slot_part) ||
        __builtin_add_overflow(x_extent, slot_part, &x_extent) || __builtin_add_overflow(x_extent, cols, &x_extent)) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: x strides overflow", fn);
    }
    RETURN_IF(moe_cuda_check_floats(fn, "x", x, 0, x_extent));
    RETURN_IF(moe_cuda_check_floats(fn, "y", y, 0, y_extent));
    RETURN_IF(on_device(fn, "w", ctx, w));
    RETURN_IF(on_device(fn, "x", ctx, x));
    RETURN_IF(on_device(fn, "y", ctx, y));
    RETURN_IF(moe_cuda_check_alias(fn, "x", x, x_extent * 4, "y", y, y_extent * 4, 0));
    RETURN_IF(moe_cuda_check_alias(fn, "w", w, w->bytes, "y", y, y_extent * 4, 0));

    auto x_at = [&](int64_t t, int64_t s) { return t * x_stride + s * x_slot_stride; };
    auto y_at = [&](int64_t t, int64_t s) { return t * y_stride + s * y_slot_stride; };
    if (n_tokens <= MATVEC_MAX_VECTORS) {
        std::vector<int32_t> e((size_t)pairs);
        std::vector<int64_t> xo((size_t)pairs), yo((size_t)pairs);
        for (int64_t p = 0; p < pairs; p++) {
            e[(size_t)p] = ids[p];
            xo[(size_t)p] = x_at(p / n_used, p % n_used);
            yo[(size_t)p] = y_at(p / n_used, p % n_used);
        }
        return matvec_each(ctx, ti, w, row_bytes, rows, cols, expert_bytes, e, xo, yo, x, y);
    }

    /* Group the pairs by expert (a counting sort, stable in token order), then cut each group into items of at most
     * MOE_CUDA_TILE_T pairs. Plan layout in the scratch: x_off[pairs], y_off[pairs] (int64), then item_expert,
     * item_first, item_count (int32). */
    std::vector<int64_t> start((size_t)n_experts + 1, 0);
    for (int64_t p = 0; p < pairs; p++) {
        start[(size_t)ids[p] + 1]++;
    }
    int64_t n_items = 0;
    for (int64_t e = 0; e < n_experts; e++) {
        n_items += (start[(size_t)e + 1] + MOE_CUDA_TILE_T - 1) / MOE_CUDA_TILE_T;
        start[(size_t)e + 1] += start[(size_t)e];
    }
    const int64_t plan_bytes = pairs * 16 + n_items * 12;
    std::vector<char> plan((size_t)plan_bytes);
    int64_t *xo = reinterpret_cast<int64_t *>(plan.data());
    int64_t *yo = xo + pairs;
    int32_t *ie = reinterpret_cast<int32_t *>(yo + pairs);
    int32_t *ifirst = ie + n_items;
    int32_t *icount = ifirst + n_items;
    std::vector<int64_t> next(start.begin(), start.end() - 1);
    for (int64_t p = 0; p < pairs; p++) {
        const int64_t j = next[(size_t)ids[p]]++;
        xo[j] = x_at(p / n_used, p % n_used);
        yo[j] = y_at(p / n_used, p % n_used);
    }
    int64_t item = 0;
    for (int64_t e = 0; e < n_experts; e++) {
        for (int64_t f = start[(size_t)e]; f < start[(size_t)e + 1]; f += MOE_CUDA_TILE_T) {
            ie[item] = (int32_t)e;
            ifirst[item] = (int32_t)f;
            icount[item] = (int32_t)(start[(size_t)e + 1] - f < MOE_CUDA_TILE_T ? start[(size_t)e + 1] - f
                                                                                  : MOE_CUDA_TILE_T);
            item++;
        }
    }
    RETURN_IF(to_scratch(ctx, plan.data(), plan_bytes));
    const int64_t *dx = reinterpret_cast<const int64_t *>(ctx->scratch);
    const int32_t *die = reinterpret_cast<const int32_t *>(dx + 2 * pairs);
    return moe_cuda_launch_gemm(ctx->stream, ti, w->ptr, row_bytes, rows, cols, expert_bytes, n_items, die,
                                die + n_items, die + 2 * n_items, pairs, reinterpret_cast<const float *>(x->ptr), dx,
                                0, reinterpret_cast<float *>(y->ptr), dx + pairs, 0);
}

extern "C" MOE_CUDA_API int moe_cuda_tensor_get_rows(moe_cuda_ctx *ctx, int type, const moe_cuda_buf *table,
                                                     int64_t row_bytes, int64_t n_rows, int64_t cols,
                                                     const int32_t *ids, int64_t n_ids, moe_cuda_buf *out) {
    static const char *fn = "moe_cuda_tensor_get_rows";
    RETURN_IF(enter(fn, ctx));
    int ti = -1;
    RETURN_IF(moe_cuda_check_matrix(fn, type, table, row_bytes, n_rows, cols, &ti));
    if (n_ids < 1 || n_ids > INT64_MAX / 4 / cols) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %" PRId64 " ids", fn, n_ids);
    }
    RETURN_IF(moe_cuda_check_ids(fn, "ids", ids, n_ids, n_rows));
    RETURN_IF(moe_cuda_check_floats(fn, "out", out, 0, n_ids * cols));
    RETURN_IF(on_device(fn, "table", ctx, table));
    RETURN_IF(on_device(fn, "out", ctx, out));
    RETURN_IF(moe_cuda_check_alias(fn, "table", table, table->bytes, "out", out, n_ids * cols * 4, 0));
    RETURN_IF(to_scratch(ctx, ids, n_ids * 4));
    return moe_cuda_launch_dequant_rows(ctx->stream, ti, table->ptr, row_bytes, cols,
                                        reinterpret_cast<const int32_t *>(ctx->scratch), n_ids,
                                        reinterpret_cast<float *>(out->ptr));
}

/* ---- row and element-wise ops ------------------------------------------------------------------------------------ */

/* n_rows rows of n floats: n * n_rows must fit. */
static int check_rows(const char *fn, int64_t n, int64_t n_rows) {
    if (n < 1 || n_rows < 1 || n_rows > INT64_MAX / 4 / n) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: %" PRId64 " rows of %" PRId64, fn, n_rows, n);
    }
    return MOE_CUDA_OK;
}

extern "C" MOE_CUDA_API int moe_cuda_op_rmsnorm(moe_cuda_ctx *ctx, const moe_cuda_buf *x, const moe_cuda_buf *weight,
                                                int64_t n, int64_t n_rows, float eps, moe_cuda_buf *out) {
    static const char *fn = "moe_cuda_op_rmsnorm";
    RETURN_IF(enter(fn, ctx));
    RETURN_IF(check_rows(fn, n, n_rows));
    if (!isfinite(eps) || eps < 0.0f) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: eps %g is not finite and >= 0", fn, (double)eps);
    }
    RETURN_IF(moe_cuda_check_floats(fn, "x", x, 0, n * n_rows));
    RETURN_IF(moe_cuda_check_floats(fn, "out", out, 0, n * n_rows));
    if (weight != nullptr) {
        RETURN_IF(moe_cuda_check_floats(fn, "weight", weight, 0, n));
        RETURN_IF(on_device(fn, "weight", ctx, weight));
        RETURN_IF(moe_cuda_check_alias(fn, "weight", weight, n * 4, "out", out, n * n_rows * 4, 0));
    }
    RETURN_IF(on_device(fn, "x", ctx, x));
    RETURN_IF(on_device(fn, "out", ctx, out));
    RETURN_IF(moe_cuda_check_alias(fn, "x", x, n * n_rows * 4, "out", out, n * n_rows * 4, 1));
    return moe_cuda_launch_rmsnorm(ctx->stream, reinterpret_cast<const float *>(x->ptr),
                                   weight != nullptr ? reinterpret_cast<const float *>(weight->ptr) : nullptr, n,
                                   n_rows, eps, reinterpret_cast<float *>(out->ptr));
}

extern "C" MOE_CUDA_API int moe_cuda_op_rope(moe_cuda_ctx *ctx, moe_cuda_buf *x, int64_t n_tokens,
                                             int64_t token_stride, int64_t n_heads, int64_t head_stride, int64_t n_rot,
                                             const int32_t *positions, int mode, float freq_base, float freq_scale,
                                             float ext_factor, float attn_factor, float beta_fast, float beta_slow,
                                             int32_t n_ctx_orig) {
    static const char *fn = "moe_cuda_op_rope";
    RETURN_IF(enter(fn, ctx));
    RETURN_IF(moe_cuda_check_rope(fn, x, n_tokens, token_stride, n_heads, head_stride, n_rot, positions, mode,
                                  freq_base, freq_scale, ext_factor, attn_factor, beta_fast, beta_slow, n_ctx_orig));
    RETURN_IF(on_device(fn, "x", ctx, x));
    const int64_t n_pairs = n_rot / 2;
    if (n_tokens > INT64_MAX / 8 / n_pairs) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: the angle table of %" PRId64 " tokens is too large", fn,
                             n_tokens);
    }
    /* The angles exactly as moe_op_rope computes them (same code), interleaved (cos, sin) per pair and token. */
    moe_rope_angles angles;
    moe_rope_angles_init(&angles, n_rot, freq_base, freq_scale, ext_factor, attn_factor, beta_fast, beta_slow,
                         n_ctx_orig);
    std::vector<float> table((size_t)(2 * n_tokens * n_pairs)), c((size_t)n_pairs), s((size_t)n_pairs);
    for (int64_t t = 0; t < n_tokens; t++) {
        float theta = (float)positions[t];
        moe_rope_angles_fill(&angles, &theta, 0, n_pairs, c.data(), s.data());
        float *row = table.data() + 2 * t * n_pairs;
        for (int64_t j = 0; j < n_pairs; j++) {
            row[2 * j] = c[(size_t)j];
            row[2 * j + 1] = s[(size_t)j];
        }
    }
    RETURN_IF(to_scratch(ctx, table.data(), (int64_t)table.size() * 4));
    return moe_cuda_launch_rope(ctx->stream, reinterpret_cast<float *>(x->ptr), n_tokens, token_stride, n_heads,
                                head_stride, n_rot, mode, reinterpret_cast<const float *>(ctx->scratch));
}

extern "C" MOE_CUDA_API int moe_cuda_op_softmax(moe_cuda_ctx *ctx, moe_cuda_buf *x, int64_t n, int64_t n_rows,
                                                float scale) {
    static const char *fn = "moe_cuda_op_softmax";
    RETURN_IF(enter(fn, ctx));
    RETURN_IF(check_rows(fn, n, n_rows));
    if (!isfinite(scale) || scale <= 0.0f) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: scale %g is not finite and > 0", fn, (double)scale);
    }
    RETURN_IF(moe_cuda_check_floats(fn, "x", x, 0, n * n_rows));
    RETURN_IF(on_device(fn, "x", ctx, x));
    return moe_cuda_launch_softmax(ctx->stream, reinterpret_cast<float *>(x->ptr), n, n_rows, scale, nullptr);
}

extern "C" MOE_CUDA_API int moe_cuda_op_softmax_sinks(moe_cuda_ctx *ctx, moe_cuda_buf *x, int64_t n, int64_t n_rows,
                                                      float scale, const moe_cuda_buf *sinks) {
    static const char *fn = "moe_cuda_op_softmax_sinks";
    RETURN_IF(enter(fn, ctx));
    RETURN_IF(check_rows(fn, n, n_rows));
    if (!isfinite(scale) || scale <= 0.0f) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: scale %g is not finite and > 0", fn, (double)scale);
    }
    RETURN_IF(moe_cuda_check_floats(fn, "x", x, 0, n * n_rows));
    RETURN_IF(moe_cuda_check_floats(fn, "sinks", sinks, 0, n_rows));
    RETURN_IF(on_device(fn, "x", ctx, x));
    RETURN_IF(on_device(fn, "sinks", ctx, sinks));
    /* x is rewritten while the sinks are read: they must not share memory */
    RETURN_IF(moe_cuda_check_alias(fn, "sinks", sinks, n_rows * 4, "x", x, n * n_rows * 4, 0));
    return moe_cuda_launch_softmax(ctx->stream, reinterpret_cast<float *>(x->ptr), n, n_rows, scale,
                                   reinterpret_cast<const float *>(sinks->ptr));
}

extern "C" MOE_CUDA_API int moe_cuda_op_swiglu(moe_cuda_ctx *ctx, const moe_cuda_buf *gate, const moe_cuda_buf *up,
                                               int64_t n, moe_cuda_buf *out) {
    static const char *fn = "moe_cuda_op_swiglu";
    RETURN_IF(enter(fn, ctx));
    RETURN_IF(check_rows(fn, n, 1));
    RETURN_IF(moe_cuda_check_floats(fn, "gate", gate, 0, n));
    RETURN_IF(moe_cuda_check_floats(fn, "up", up, 0, n));
    RETURN_IF(moe_cuda_check_floats(fn, "out", out, 0, n));
    RETURN_IF(on_device(fn, "gate", ctx, gate));
    RETURN_IF(on_device(fn, "up", ctx, up));
    RETURN_IF(on_device(fn, "out", ctx, out));
    RETURN_IF(moe_cuda_check_alias(fn, "gate", gate, n * 4, "out", out, n * 4, 1));
    RETURN_IF(moe_cuda_check_alias(fn, "up", up, n * 4, "out", out, n * 4, 1));
    return moe_cuda_launch_swiglu(ctx->stream, reinterpret_cast<const float *>(gate->ptr),
                                  reinterpret_cast<const float *>(up->ptr), n, reinterpret_cast<float *>(out->ptr));
}

extern "C" MOE_CUDA_API int moe_cuda_op_swiglu_oai(moe_cuda_ctx *ctx, const moe_cuda_buf *gate,
                                                   const moe_cuda_buf *up, int64_t n, float alpha, float limit,
                                                   moe_cuda_buf *out) {
    static const char *fn = "moe_cuda_op_swiglu_oai";
    RETURN_IF(enter(fn, ctx));
    RETURN_IF(check_rows(fn, n, 1));
    if (!isfinite(alpha) || !isfinite(limit) || limit < 0.0f) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: alpha %g, limit %g (need both finite, limit >= 0)", fn,
                             (double)alpha, (double)limit);
    }
    RETURN_IF(moe_cuda_check_floats(fn, "gate", gate, 0, n));
    RETURN_IF(moe_cuda_check_floats(fn, "up", up, 0, n));
    RETURN_IF(moe_cuda_check_floats(fn, "out", out, 0, n));
    RETURN_IF(on_device(fn, "gate", ctx, gate));
    RETURN_IF(on_device(fn, "up", ctx, up));
    RETURN_IF(on_device(fn, "out", ctx, out));
    RETURN_IF(moe_cuda_check_alias(fn, "gate", gate, n * 4, "out", out, n * 4, 1));
    RETURN_IF(moe_cuda_check_alias(fn, "up", up, n * 4, "out", out, n * 4, 1));
    return moe_cuda_launch_swiglu_oai(ctx->stream, reinterpret_cast<const float *>(gate->ptr),
                                      reinterpret_cast<const float *>(up->ptr), n, alpha, limit,
                                      reinterpret_cast<float *>(out->ptr));
}

extern "C" MOE_CUDA_API int moe_cuda_op_topk(moe_cuda_ctx *ctx, const moe_cuda_buf *x, int64_t n, int64_t n_rows,
                                             int64_t k, moe_cuda_buf *idx, moe_cuda_buf *val) {
    static const char *fn = "moe_cuda_op_topk";
    RETURN_IF(enter(fn, ctx));
    RETURN_IF(check_rows(fn, n, n_rows));
    if (n > INT32_MAX || k < 1 || k > n) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: k %" PRId64 " of n %" PRId64 " (1 <= k <= n <= 2^31-1)", fn,
                             k, n);
    }
    RETURN_IF(moe_cuda_check_floats(fn, "x", x, 0, n * n_rows));
    RETURN_IF(moe_cuda_check_floats(fn, "idx", idx, 0, k * n_rows)); /* int32: the same size and alignment */
    RETURN_IF(on_device(fn, "x", ctx, x));
    RETURN_IF(on_device(fn, "idx", ctx, idx));
    RETURN_IF(moe_cuda_check_alias(fn, "x", x, n * n_rows * 4, "idx", idx, k * n_rows * 4, 0));
    if (val != nullptr) {
        RETURN_IF(moe_cuda_check_floats(fn, "val", val, 0, k * n_rows));
        RETURN_IF(on_device(fn, "val", ctx, val));
        RETURN_IF(moe_cuda_check_alias(fn, "x", x, n * n_rows * 4, "val", val, k * n_rows * 4, 0));
        RETURN_IF(moe_cuda_check_alias(fn, "idx", idx, k * n_rows * 4, "val", val, k * n_rows * 4, 0));
    }
    return moe_cuda_launch_topk(ctx->stream, reinterpret_cast<const float *>(x->ptr), n, n_rows, k,
                                reinterpret_cast<int32_t *>(idx->ptr),
                                val != nullptr ? reinterpret_cast<float *>(val->ptr) : nullptr);
}

extern "C" MOE_CUDA_API int moe_cuda_op_mla_attend(moe_cuda_ctx *ctx, const moe_cuda_buf *cache, int64_t width,
                                                   int64_t r, int64_t pos0, int64_t n_tokens, int64_t n_heads,
                                                   const moe_cuda_buf *qcur, float scale, moe_cuda_buf *obar) {
    static const char *fn = "moe_cuda_op_mla_attend";
    RETURN_IF(enter(fn, ctx));
    if (width < 1 || width > MOE_CUDA_MLA_MAX_WIDTH || r < 1 || r > width) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG,
                             "%s: width %" PRId64 " and latent %" PRId64 " (need 1 <= r <= width <= %d)", fn, width, r,
                             MOE_CUDA_MLA_MAX_WIDTH);
    }
    if (pos0 < 0 || n_tokens < 1 || n_heads < 1 || n_heads > INT32_MAX || pos0 > INT64_MAX / 4 / MOE_CUDA_MLA_MAX_WIDTH ||
        n_tokens > (INT64_MAX / 4 / MOE_CUDA_MLA_MAX_WIDTH - pos0) / n_heads) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: pos0 %" PRId64 ", %" PRId64 " tokens, %" PRId64 " heads", fn,
                             pos0, n_tokens, n_heads);
    }
    if (!isfinite(scale) || scale <= 0.0f) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: scale %g is not finite and > 0", fn, (double)scale);
    }
    const int64_t rows = pos0 + n_tokens, vectors = n_tokens * n_heads; /* bounded by the check above */
    RETURN_IF(moe_cuda_check_floats(fn, "cache", cache, 0, rows * width));
    RETURN_IF(moe_cuda_check_floats(fn, "qcur", qcur, 0, vectors * width));
    RETURN_IF(moe_cuda_check_floats(fn, "obar", obar, 0, vectors * r));
    RETURN_IF(on_device(fn, "cache", ctx, cache));
    RETURN_IF(on_device(fn, "qcur", ctx, qcur));
    RETURN_IF(on_device(fn, "obar", ctx, obar));
    RETURN_IF(moe_cuda_check_alias(fn, "cache", cache, rows * width * 4, "obar", obar, vectors * r * 4, 0));
    RETURN_IF(moe_cuda_check_alias(fn, "qcur", qcur, vectors * width * 4, "obar", obar, vectors * r * 4, 0));
    return moe_cuda_launch_mla(ctx->stream, reinterpret_cast<const float *>(cache->ptr), width, r, pos0, n_tokens,
                               n_heads, reinterpret_cast<const float *>(qcur->ptr), scale,
                               reinterpret_cast<float *>(obar->ptr));
}

/* The element-wise ops: every input n floats, out the same range as an input or disjoint from it. */
static int check_elementwise(const char *fn, const moe_cuda_ctx *ctx, int64_t n, const moe_cuda_buf *a,
                             const moe_cuda_buf *b, const moe_cuda_buf *out) {
    RETURN_IF(enter(fn, ctx));
    RETURN_IF(check_rows(fn, n, 1));
    RETURN_IF(moe_cuda_check_floats(fn, "input", a, 0, n));
    RETURN_IF(on_device(fn, "input", ctx, a));
    if (b != nullptr) {
        RETURN_IF(moe_cuda_check_floats(fn, "second input", b, 0, n));
        RETURN_IF(on_device(fn, "second input", ctx, b));
        RETURN_IF(moe_cuda_check_alias(fn, "second input", b, n * 4, "output", out, n * 4, 1));
    }
    RETURN_IF(moe_cuda_check_floats(fn, "output", out, 0, n));
    RETURN_IF(on_device(fn, "output", ctx, out));
    return moe_cuda_check_alias(fn, "input", a, n * 4, "output", out, n * 4, 1);
}

extern "C" MOE_CUDA_API int moe_cuda_op_add(moe_cuda_ctx *ctx, const moe_cuda_buf *a, const moe_cuda_buf *b, int64_t n,
                                            moe_cuda_buf *out) {
    static const char *fn = "moe_cuda_op_add";
    if (b == nullptr) {
        return moe_cuda_fail(MOE_CUDA_ERR_INVALID_ARG, "%s: b is NULL", fn);
    }
    RETURN_IF(check_elementwise(fn, ctx, n, a, b, out));
    return moe_cuda_launch_add(ctx->stream, reinterpret_cast<const float *>(a->ptr),
                               reinterpret_cast<const float *>(b->ptr), n, reinterpret_cast<float *>(out->ptr));
}

extern "C" MOE_CUDA_API int moe_cuda_op_scale(moe_cuda_ctx *ctx, const moe_cuda_buf *x, int64_t n, float s,
                                              moe_cuda_buf *out) {
    static const char *fn = "moe_cuda_op_scale";
    RETURN_IF(check_elementwise(fn, ctx, n, x, nullptr, out));
    return moe_cuda_launch_scale(ctx->stream, reinterpret_cast<const float *>(x->ptr), n, s,
                                 reinterpret_cast<float *>(out->ptr));
}

extern "C" MOE_CUDA_API int moe_cuda_op_axpy(moe_cuda_ctx *ctx, float a, const moe_cuda_buf *x, int64_t n,
                                             moe_cuda_buf *y) {
    static const char *fn = "moe_cuda_op_axpy";
    RETURN_IF(check_elementwise(fn, ctx, n, x, nullptr, y));
    return moe_cuda_launch_axpy(ctx->stream, a, reinterpret_cast<const float *>(x->ptr), n,
                                reinterpret_cast<float *>(y->ptr));
}
