package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The rows of one forward step: the tokens of one or more sequences, each sequence a contiguous run of rows at
 * consecutive positions of its own cache. Products, norms and experts run over all rows at once (each weight is read
 * once for the whole batch); attention runs per sequence, over that sequence's cache.
 *
 * <p>Owned by the {@link TransformerState} whose workspace runs the step; filled by {@link Transformer} before each
 * step. Not thread-safe.
 */
final class Batch {
    final int capacity;
    /** Rows in this step. */
    int rows;
    /** Sequences in this step. */
    int sequences;
    /** Per sequence: its state (cache), first row, row count and the position of its first row. */
    final TransformerState[] seq;
    final int[] first;
    final int[] count;
    final int[] pos0;
    /** Per row: position (also in {@link #positions} for the kernels), i32 token ids in {@link #tokens}. */
    final int[] position;
    final MemorySegment positions; // i32 [capacity]
    final MemorySegment tokens;    // i32 [capacity]
    /** Per row: where its logits go (null: none wanted) and at which offset. */
    final float[][] logitsTo;
    final int[] logitsAt;

    Batch(int capacity, StateMemory mem) {
        this.capacity = capacity;
        this.seq = new TransformerState[capacity];
        this.first = new int[capacity];
        this.count = new int[capacity];
        this.pos0 = new int[capacity];
        this.position = new int[capacity];
        this.positions = mem.ints(capacity);
        this.tokens = mem.ints(capacity);
        this.logitsTo = new float[capacity][];
        this.logitsAt = new int[capacity];
    }

    void clear() {
        rows = 0;
        sequences = 0;
    }

    /** Appends {@code n} tokens of {@code s}, which take positions {@code s.position() ..}. */
    void add(TransformerState s, int[] ids, int off, int n) {
        int q = sequences++;
        seq[q] = s;
        first[q] = rows;
        count[q] = n;
        pos0[q] = s.position();
        for (int t = 0; t < n; t++) {
            int r = rows + t;
            position[r] = pos0[q] + t;
            positions.setAtIndex(JAVA_INT, r, position[r]);
            tokens.setAtIndex(JAVA_INT, r, ids[off + t]);
        }
        rows += n;
    }

    /** Whether the step is one sequence (what tracing and the single-sequence fast paths need). */
    boolean single() {
        return sequences == 1;
    }
}
