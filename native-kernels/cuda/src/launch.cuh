/*
 * launch.cuh - the one way kernels are launched in this library. With nvcc it is the <<<>>> syntax on the context's
 * stream; with MOE_CUDA_EMULATION (the tests' CPU emulation, ../test/emu/) the same kernel source runs on host
 * threads, so the kernels' logic is tested on machines without a GPU.
 */
#ifndef MOE4J_CUDA_LAUNCH_CUH
#define MOE4J_CUDA_LAUNCH_CUH

#ifdef MOE_CUDA_EMULATION
#include "emu_device.h"
#define MOE_CUDA_LAUNCH(kernel, grid, block, stream, ...) moe_emu_launch(kernel, grid, block, __VA_ARGS__)
#else
#define MOE_CUDA_LAUNCH(kernel, grid, block, stream, ...) kernel<<<grid, block, 0, stream>>>(__VA_ARGS__)
#endif

#endif /* MOE4J_CUDA_LAUNCH_CUH */
