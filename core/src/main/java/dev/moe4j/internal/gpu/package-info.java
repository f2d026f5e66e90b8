/**
 * The GPU tier of the memory manager: which weights live in device memory, and the CUDA library's binding.
 *
 * <p>{@link dev.moe4j.internal.gpu.PlacementPlanner} decides, from a model's tensors, its KV-cache size and a VRAM
 * budget, what goes to the GPU: first the weights every token uses and the KV cache, then the hottest routed experts.
 * The result, a {@link dev.moe4j.internal.gpu.PlacementPlan}, is pure data.
 * {@link dev.moe4j.internal.gpu.GpuInventory} lists a loaded GGUF file's tensors as the planner's items;
 * {@link dev.moe4j.internal.gpu.GpuWeights} uploads the placed ones once and finds the device copy of a host weight;
 * {@link dev.moe4j.internal.gpu.CudaApi} is the FFM binding of {@code moe4j_cuda.h}.
 */
package dev.moe4j.internal.gpu;
