package dev.moe4j.internal.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The off-heap memory of one {@link TransformerState}: every buffer is allocated once, 64-byte aligned, from one arena,
 * and counted, so the state can say what it holds. Parts allocate their caches and scratch through it.
 */
final class StateMemory {
    private final Arena arena;
    private long bytes;

    StateMemory(Arena arena) {
        this.arena = arena;
    }

    /** {@code n} floats (at least one), zeroed. */
    MemorySegment floats(long n) {
        return allocate(Math.max(1, n) * Float.BYTES);
    }

    /** {@code n} i32 values (at least one), zeroed. */
    MemorySegment ints(long n) {
        return allocate(Math.max(1, n) * Integer.BYTES);
    }

    private MemorySegment allocate(long size) {
        bytes += size;
        return arena.allocate(size, 64);
    }

    Arena arena() {
        return arena;
    }

    long bytes() {
        return bytes;
    }
}
