package dev.moe4j.internal.model;

/**
 * How a model is loaded and how its states compute.
 *
 * @param threads  threads each state's kernels use (the calling thread included), 1..256
 * @param maxBatch most tokens one internal forward step takes; longer inputs run in chunks. Scratch memory grows
 *                 linearly with it.
 * @param backend  which kernels run the math
 */
public record ModelOptions(int threads, int maxBatch, Backend backend) {

    /** The implementation behind {@link ModelKernels}. */
    public enum Backend {
        /** The native SIMD kernels (products). */
        NATIVE,
        /** Plain Java, single-threaded: the test reference. */
        REFERENCE;

        ModelKernels create(int threads) {
            return this == NATIVE ? new NativeModelKernels(threads) : new ReferenceModelKernels();
        }
    }

    public ModelOptions {
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("threads must be in 1..256, got " + threads);
        }
        if (maxBatch < 1 || maxBatch > 65536) {
            throw new IllegalArgumentException("maxBatch must be in 1..65536, got " + maxBatch);
        }
        if (backend == null) {
            throw new IllegalArgumentException("backend is null");
        }
    }

    /** Native kernels on {@code threads} threads, batches of up to 64 tokens. */
    public static ModelOptions defaults(int threads) {
        return new ModelOptions(threads, 64, Backend.NATIVE);
    }

    public ModelOptions withThreads(int n) {
        return new ModelOptions(n, maxBatch, backend);
    }

    public ModelOptions withMaxBatch(int n) {
        return new ModelOptions(threads, n, backend);
    }

    public ModelOptions withBackend(Backend b) {
        return new ModelOptions(threads, maxBatch, b);
    }
}
