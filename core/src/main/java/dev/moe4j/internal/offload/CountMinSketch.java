package dev.moe4j.internal.offload;

/**
 * Approximate use counts of int keys in bounded memory (a count-min sketch, as TinyLFU uses): {@code depth} rows of
 * {@code width} counters, each row hashing the key differently; a key's estimate is the minimum of its counters, which
 * never undercounts and overcounts only through collisions. Increments are conservative (only the counters at the
 * minimum grow), which tightens the estimates. {@link #halve()} ages every count, so old popularity fades.
 */
final class CountMinSketch {
    private static final int DEPTH = 4;
    private static final long[] SEEDS = {0x9E3779B97F4A7C15L, 0xC2B2AE3D27D4EB4FL, 0x165667B19E3779F9L,
            0xD6E8FEB86659FD93L};
    private final int[] counters;
    private final int mask;

    /** @param minWidth counters per row at least; rounded up to a power of two */
    CountMinSketch(int minWidth) {
        if (minWidth < 1 || minWidth > (1 << 26)) {
            throw new IllegalArgumentException("sketch width must be in 1..2^26, got " + minWidth);
        }
        int width = Integer.highestOneBit(Math.max(16, minWidth) - 1) << 1;
        counters = new int[DEPTH * width];
        mask = width - 1;
    }

    int width() {
        return mask + 1;
    }

    private int index(int row, int key) {
        long h = (key + 1L) * SEEDS[row];
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 32;
        return row * (mask + 1) + (int) (h & mask);
    }

    /** Adds one use of {@code key}. */
    void increment(int key) {
        int min = estimate(key);
        if (min == Integer.MAX_VALUE) {
            return;
        }
        for (int r = 0; r < DEPTH; r++) {
            int i = index(r, key);
            if (counters[i] == min) {
                counters[i] = min + 1;
            }
        }
    }

    /** The estimated uses of {@code key}: at least the true count since the last halvings (each halving rounds down). */
    int estimate(int key) {
        int min = Integer.MAX_VALUE;
        for (int r = 0; r < DEPTH; r++) {
            min = Math.min(min, counters[index(r, key)]);
        }
        return min;
    }

    /** Halves every counter (rounding down): the aging step. */
    void halve() {
        for (int i = 0; i < counters.length; i++) {
            counters[i] >>>= 1;
        }
    }
}
