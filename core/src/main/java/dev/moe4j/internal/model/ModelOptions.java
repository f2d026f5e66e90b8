package dev.moe4j.internal.model;

import dev.moe4j.internal.quant.GgmlType;

/**
 * How a model is loaded and how its states compute.
 *
 * @param threads      threads each kernel set uses (the calling thread included), 1..256
 * @param maxBatch     most tokens one internal forward step takes; longer inputs run in chunks. Scratch memory grows
 *                     linearly with it.
 * @param backend      which kernels run the math
 * @param rounding     what happens to activations before a product with a quantized or half-precision weight
 * @param gpu          with the native backend: where the kernel sets find weights placed on the GPU
 *                     ({@link CudaModelKernels}); null, or a binding left empty, for the CPU alone
 * @param workerGroups kernel sets ("worker groups") the model keeps for all its states, 1..64: at most this many
 *                     forward steps compute at once, each on {@code threads} threads, the others wait their turn. So
 *                     concurrent generations share the cores rather than each bringing {@code threads} threads of its
 *                     own; more than {@code cores / threads} only oversubscribes them.
 */
public record ModelOptions(int threads, int maxBatch, Backend backend, ActivationRounding rounding, GpuBinding gpu,
                           int workerGroups) {

    /** The most kernel sets a model may keep. */
    public static final int MAX_WORKER_GROUPS = 64;

    /** The implementation behind {@link ModelKernels}. */
    public enum Backend {
        /** The native SIMD kernels (products). */
        NATIVE,
        /** Plain Java, single-threaded: the test reference. */
        REFERENCE
    }

    /** Activation numerics of products with non-f32 weights. */
    public enum ActivationRounding {
        /**
         * Round activations to the weight type's ggml {@code vec_dot_type} (Q8_0, Q8_K, f16, bf16) first, as llama.cpp
         * does, so logits match llama.cpp's closely even where a MoE router sits near a tie. The native kernels then
         * take integer dot products, as llama.cpp does (faster than f32 activations); the reference kernels round in
         * Java and multiply in double.
         */
        GGML,
        /** Keep f32 activations: slightly more accurate than llama.cpp, but routing may differ from it near ties. */
        NONE
    }

    /** Without a GPU, one worker group. */
    public ModelOptions(int threads, int maxBatch, Backend backend, ActivationRounding rounding) {
        this(threads, maxBatch, backend, rounding, null, 1);
    }

    /** One worker group. */
    public ModelOptions(int threads, int maxBatch, Backend backend, ActivationRounding rounding, GpuBinding gpu) {
        this(threads, maxBatch, backend, rounding, gpu, 1);
    }

    public ModelOptions {
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("threads must be in 1..256, got " + threads);
        }
        if (maxBatch < 1 || maxBatch > 65536) {
            throw new IllegalArgumentException("maxBatch must be in 1..65536, got " + maxBatch);
        }
        if (backend == null || rounding == null) {
            throw new IllegalArgumentException("backend and rounding must not be null");
        }
        if (workerGroups < 1 || workerGroups > MAX_WORKER_GROUPS) {
            throw new IllegalArgumentException("workerGroups must be in 1.." + MAX_WORKER_GROUPS + ", got "
                    + workerGroups);
        }
    }

    /**
     * Native kernels on {@code threads} threads, batches of up to 64 tokens, llama.cpp's activation rounding, one
     * worker group.
     */
    public static ModelOptions defaults(int threads) {
        return new ModelOptions(threads, 64, Backend.NATIVE, ActivationRounding.GGML);
    }

    public ModelOptions withMaxBatch(int n) {
        return new ModelOptions(threads, n, backend, rounding, gpu, workerGroups);
    }

    public ModelOptions withBackend(Backend b) {
        return new ModelOptions(threads, maxBatch, b, rounding, gpu, workerGroups);
    }

    public ModelOptions withRounding(ActivationRounding r) {
        return new ModelOptions(threads, maxBatch, backend, r, gpu, workerGroups);
    }

    /** These options with kernel sets that run the products on GPU-placed weights through {@code binding}. */
    public ModelOptions withGpu(GpuBinding binding) {
        return new ModelOptions(threads, maxBatch, backend, rounding, binding, workerGroups);
    }

    /** These options with {@code n} kernel sets shared by the model's states. */
    public ModelOptions withWorkerGroups(int n) {
        return new ModelOptions(threads, maxBatch, backend, rounding, gpu, n);
    }

    /**
     * Whether weights of {@code type} can be computed with: by the native kernels ({@link GgmlType#kernels()}), or,
     * with the plain-Java reference backend, by any type its decoder reads ({@link GgmlType#referenceDequant()}), so a
     * format's model path can be checked against llama.cpp before its kernels exist.
     */
    boolean computes(GgmlType type) {
        return backend == Backend.NATIVE ? type.kernels() : type.referenceDequant();
    }

    /**
     * A fresh set of kernels as these options describe (owned by the caller). With a GPU binding, what is bound at
     * this moment decides: the model makes its kernel sets at the first forward step, after the loader has bound.
     */
    ModelKernels createKernels(int threadCount) {
        if (backend == Backend.NATIVE) { // the C kernels quantize activations themselves
            NativeModelKernels cpu = new NativeModelKernels(threadCount, rounding == ActivationRounding.GGML);
            var weights = gpu == null ? null : gpu.weights();
            return weights == null ? cpu : new CudaModelKernels(cpu, weights, rounding == ActivationRounding.GGML);
        }
        ModelKernels k = new ReferenceModelKernels();
        return rounding == ActivationRounding.GGML ? new RoundingModelKernels(k) : k;
    }
}
