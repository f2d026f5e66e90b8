/*
 * emu_runtime.cpp - the CUDA runtime functions libmoe4j_cuda calls, emulated on the host for the tests (see
 * emu_device.h): one device, "device memory" from the heap, copies as memcpy, streams that run each launch to
 * completion before returning. Allocations above 1 TiB fail with cudaErrorMemoryAllocation, like a real device.
 */
#include <cuda_runtime_api.h>
#include <stdlib.h>
#include <string.h>

namespace {
thread_local int current_device = 0;
}

extern "C" {

cudaError_t cudaGetDeviceCount(int *count) {
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaGetDevice(int *device) {
    *device = current_device;
    return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
    if (device != 0) {
        return cudaErrorInvalidDevice;
    }
    current_device = device;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device) {
    if (device != 0) {
        return cudaErrorInvalidDevice;
    }
    memset(prop, 0, sizeof *prop);
    strcpy(prop->name, "moe4j CPU emulation");
    prop->major = 9;
    prop->minor = 0;
    prop->multiProcessorCount = 1;
    prop->totalGlobalMem = (size_t)1 << 34;
    return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned int) {
    *stream = reinterpret_cast<cudaStream_t>(new int(0));
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    delete reinterpret_cast<int *>(stream);
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t) {
    return cudaSuccess;
}

cudaError_t cudaMalloc(void **ptr, size_t size) {
    if (size > ((size_t)1 << 40)) {
        return cudaErrorMemoryAllocation;
    }
    *ptr = aligned_alloc(256, (size + 255) / 256 * 256);
    return *ptr != nullptr ? cudaSuccess : cudaErrorMemoryAllocation;
}

cudaError_t cudaFree(void *ptr) {
    free(ptr);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind, cudaStream_t) {
    memcpy(dst, src, count);
    return cudaSuccess;
}

cudaError_t cudaGetLastError(void) {
    return cudaSuccess;
}

const char *cudaGetErrorName(cudaError_t error) {
    switch (error) {
    case cudaSuccess:
        return "cudaSuccess";
    case cudaErrorMemoryAllocation:
        return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidDevice:
        return "cudaErrorInvalidDevice";
    default:
        return "cudaErrorUnknown";
    }
}

const char *cudaGetErrorString(cudaError_t error) {
    return error == cudaErrorMemoryAllocation ? "out of memory (emulated)" : "emulated CUDA error";
}

} // extern "C"
