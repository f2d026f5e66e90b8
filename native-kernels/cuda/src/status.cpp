/*
 * status.cpp - status names, the mapping of CUDA errors to statuses, and the per-thread message of the last failure.
 * Host code only (the CUDA runtime's error tables work without a driver, which the "no device" path relies on).
 */
#include <cuda_runtime_api.h>
#include <stdarg.h>
#include <stdio.h>

#include "cuda_internal.h"

namespace {
thread_local char last_message[512];
}

extern "C" MOE_CUDA_API const char *moe_cuda_status_str(int status) {
    switch (status) {
    case MOE_CUDA_OK:
        return "ok";
    case MOE_CUDA_ERR_INVALID_ARG:
        return "invalid argument";
    case MOE_CUDA_ERR_UNSUPPORTED_TYPE:
        return "unsupported weight type";
    case MOE_CUDA_ERR_OUT_OF_MEMORY:
        return "out of memory";
    case MOE_CUDA_ERR_NO_DEVICE:
        return "no CUDA device";
    case MOE_CUDA_ERR_NO_DRIVER:
        return "no usable CUDA driver";
    case MOE_CUDA_ERR_DEVICE:
        return "CUDA error";
    default:
        return "unknown status";
    }
}

extern "C" MOE_CUDA_API const char *moe_cuda_last_error(void) {
    return last_message;
}

extern "C" MOE_CUDA_API int moe_cuda_abi_version(void) {
    return MOE_CUDA_ABI_VERSION;
}

int moe_cuda_fail(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return status;
}

int moe_cuda_status_of(int cuda_error) {
    switch (static_cast<cudaError_t>(cuda_error)) {
    case cudaSuccess:
        return MOE_CUDA_OK;
    case cudaErrorMemoryAllocation:
        return MOE_CUDA_ERR_OUT_OF_MEMORY;
    case cudaErrorNoDevice:
    case cudaErrorDevicesUnavailable:
        return MOE_CUDA_ERR_NO_DEVICE;
    case cudaErrorInsufficientDriver:      /* no libcuda.so.1, or one older than the runtime */
    case cudaErrorCallRequiresNewerDriver:
    case cudaErrorStubLibrary:             /* the toolkit's stub libcuda.so was found instead of the driver */
    case cudaErrorInitializationError:
    case cudaErrorSystemDriverMismatch:    /* kernel module and user-space driver differ */
    case cudaErrorCompatNotSupportedOnDevice:
        return MOE_CUDA_ERR_NO_DRIVER;
    default:
        return MOE_CUDA_ERR_DEVICE;
    }
}

int moe_cuda_check(int cuda_error, const char *where) {
    if (cuda_error == cudaSuccess) {
        return MOE_CUDA_OK;
    }
    const cudaError_t e = static_cast<cudaError_t>(cuda_error);
    return moe_cuda_fail(moe_cuda_status_of(cuda_error), "%s: %s (%s)", where, cudaGetErrorString(e),
                         cudaGetErrorName(e));
}
