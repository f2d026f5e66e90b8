package dev.moe4j.internal.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge rules as a hash table from a pair of token ids (left, right) to the rule's rank and the id of the
 * merged token. Open addressing with linear probing over primitive arrays: the lookup runs for every adjacent pair
 * while encoding, so it must not allocate. Immutable after construction; thread-safe for reads.
 */
final class MergeTable {
    private static final long EMPTY = -1L;

    private final long[] keys;
    private final long[] values;
    private final int mask;
    private int size;

    /** A table sized for {@code expected} rules. */
    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        Arrays.fill(keys, EMPTY);
        mask = capacity - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /**
     * Adds a rule unless the pair already has one (the first, lowest rank wins, as in llama.cpp).
     *
     * @return false when the pair was already present
     */
    boolean put(int left, int right, int rank, int merged) {
        long k = key(left, right);
        int i = slot(k);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                return false;
            }
            i = (i + 1) & mask;
        }
        if (size + 1 > keys.length * 3 / 4) {
            throw new IllegalStateException("merge table over capacity");
        }
        keys[i] = k;
        values[i] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
        size++;
        return true;
    }

    /** The packed rule {@code rank << 32 | mergedId} for a pair, or -1 when the pair has no rule. */
    long get(int left, int right) {
        if (left < 0 || right < 0) {
            return -1;
        }
        long k = key(left, right);
        int i = slot(k);
        while (true) {
            long stored = keys[i];
            if (stored == k) {
                return values[i];
            }
            if (stored == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }
}
