package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

/**
 * Hands a batch's intermediate tensors to a {@link ForwardObserver}, one call per token. A forward pass holds a null
 * Trace when no observer is set and guards every emission with {@code trace != null}, so tracing costs nothing then.
 */
final class Trace {
    private final ForwardObserver observer;

    Trace(ForwardObserver observer) {
        this.observer = observer;
    }

    /** Rows of {@code width} floats, {@code stride} floats apart, for tokens at positions {@code pos0 .. pos0+n). */
    void rows(String name, int layer, int pos0, int n, MemorySegment data, long width, long stride) {
        for (int t = 0; t < n; t++) {
            observer.onTensor(name, layer, pos0 + t, data.asSlice(t * stride * Float.BYTES, width * Float.BYTES));
        }
    }

    /** Contiguous rows of {@code width} floats. */
    void rows(String name, int layer, int pos0, int n, MemorySegment data, long width) {
        rows(name, layer, pos0, n, data, width, width);
    }

    /** One token's values from a Java array. */
    void values(String name, int layer, int pos, float[] data, int offset, int len) {
        observer.onTensor(name, layer, pos, MemorySegment.ofArray(data).asSlice((long) offset * Float.BYTES,
                (long) len * Float.BYTES));
    }
}
