package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

/**
 * The feed-forward part of a block: {@link DenseFfn} (SwiGLU) or {@link MoeFfn} (routed experts with optional shared
 * experts). Immutable and shared by all states; per-step buffers live in a scratch object that a state shares between
 * all layers whose {@link #scratchKey()} is equal.
 */
public interface FeedForward {

    /** Equal for parts that can share one scratch. */
    Object scratchKey();

    /** Scratch for batches of up to {@code maxBatch} rows. */
    Object newScratch(int maxBatch, StateMemory mem);

    /**
     * {@code out[r] = FFN(xn[r])} for the batch's rows; {@code out} is overwritten and does not alias {@code xn}.
     *
     * @param trace null, or the observer of a one-sequence step
     */
    void forward(ModelKernels k, Batch b, Object scratch, MemorySegment xn, MemorySegment out, Trace trace, int layer);
}
