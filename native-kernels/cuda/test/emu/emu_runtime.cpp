/*
 * emu_runtime.cpp - the CUDA runtime functions libmoe4j_cuda calls, emulated on the host for the tests (see
 * emu_device.h): one device, "device memory" from the heap, copies as memcpy, streams that run each launch to
 * completion before returning. Allocations above 1 TiB fail with cudaErrorMemoryAllocation, like a real device;
 * every allocation is fenced by guard bytes that cudaFree checks.
 */
#include <cuda_runtime_api.h>
#include <stdio.h>
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

/* Each allocation is [size][guard][data][guard]: the guards are checked when it is freed, so a kernel that writes
 * past either end of a buffer fails the test with a message instead of corrupting the heap unnoticed. */
constexpr size_t GUARD = 4096;
constexpr unsigned char GUARD_BYTE = 0xCD;

cudaError_t cudaMalloc(void **ptr, size_t size) {
    if (size > ((size_t)1 << 40)) {
        return cudaErrorMemoryAllocation;
    }
    const size_t data = (size + 255) / 256 * 256;
    unsigned char *base = static_cast<unsigned char *>(aligned_alloc(256, GUARD + data + GUARD));
    if (base == nullptr) {
        return cudaErrorMemoryAllocation;
    }
    memcpy(base, &size, sizeof size);
    memset(base + sizeof size, GUARD_BYTE, GUARD - sizeof size);
    memset(base + GUARD + size, GUARD_BYTE, data - size + GUARD);
    *ptr = base + GUARD;
    return cudaSuccess;
}

cudaError_t cudaFree(void *ptr) {
    if (ptr == nullptr) {
        return cudaSuccess;
    }
    unsigned char *base = static_cast<unsigned char *>(ptr) - GUARD;
    size_t size;
    memcpy(&size, base, sizeof size);
    const size_t data = (size + 255) / 256 * 256;
    for (size_t i = sizeof size; i < GUARD; i++) {
        if (base[i] != GUARD_BYTE) {
            fprintf(stderr, "emulation: a kernel wrote %zu bytes before a device buffer of %zu bytes\n", GUARD - i, size);
            abort();
        }
    }
    for (size_t i = GUARD + size; i < GUARD + data + GUARD; i++) {
        if (base[i] != GUARD_BYTE) {
            fprintf(stderr, "emulation: a kernel wrote %zu bytes past the end of a device buffer of %zu bytes\n",
                    i - GUARD - size + 1, size);
            abort();
        }
    }
    free(base);
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
