package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

/**
 * The attention part of a block: maps the normalised inputs of a {@link Batch} to the attention output, appending the
 * batch's keys and values to each sequence's cache. Implementations: {@link GqaAttention} (grouped-query, with optional
 * q/k norms, biases, partial rotary, sinks and a sliding window) and {@link MlaAttention} (DeepSeek's latent attention
 * in the absorbed form).
 *
 * <p>A part is immutable and shared by all states. What it writes per sequence lives in the cache object it makes
 * ({@link #newCache}); what it needs per step lives in a scratch object ({@link #newScratch}) that a state shares
 * between all layers whose {@link #scratchKey()} is equal.
 */
public interface Attention {

    /** One sequence's cache of this layer for {@code contextLength} tokens. */
    Object newCache(int contextLength, StateMemory mem);

    /** Equal for parts that can share one scratch (same kind and sizes). */
    Object scratchKey();

    /** Scratch for batches of up to {@code maxBatch} rows in states of {@code contextLength} tokens. */
    Object newScratch(int maxBatch, int contextLength, StateMemory mem);

    /** Cache bytes one token takes in this layer. */
    long cacheBytesPerToken();

    /**
     * The position at most {@code wanted} to which {@code cache}, holding {@code position} tokens, can be cut back
     * exactly (0 always works). Full caches can go anywhere; a cache that keeps only a recent window of raw keys
     * (DeepSeek-V4's) can go back only as far as its rings reach.
     */
    default int resumablePosition(Object cache, int position, int wanted) {
        return wanted;
    }

    /**
     * Attention of the batch's rows: {@code xn} holds their normalised inputs ({@code rows × D}); appends each
     * sequence's keys/values to its cache ({@code caches[q]} is sequence q's cache of this layer), attends each row
     * causally over its sequence, and writes the projected output to {@code out} ({@code rows × D}).
     *
     * @param trace null, or the observer of a one-sequence step
     */
    void forward(ModelKernels k, Batch b, Object[] caches, Object scratch, MemorySegment xn, MemorySegment out,
                 Trace trace, int layer);
}
