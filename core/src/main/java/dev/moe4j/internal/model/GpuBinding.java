package dev.moe4j.internal.model;

import dev.moe4j.internal.gpu.GpuWeights;

/**
 * Where a model's kernel sets find the weights placed on the GPU, set once after the model is loaded (the placement
 * plan needs the loaded model's sizes) and before its first forward step (when the model makes its first kernel set).
 * A model loaded with a binding that stays empty runs on the CPU as without one.
 *
 * <p>Thread-safe: set once, read by every new kernel set.
 */
public final class GpuBinding {
    private volatile GpuWeights weights;

    /**
     * @throws IllegalStateException if already bound
     */
    public synchronized void bind(GpuWeights w) {
        if (weights != null) {
            throw new IllegalStateException("the GPU weights are already bound");
        }
        weights = java.util.Objects.requireNonNull(w, "weights");
    }

    /** The bound weights, or null. */
    public GpuWeights weights() {
        return weights;
    }
}
