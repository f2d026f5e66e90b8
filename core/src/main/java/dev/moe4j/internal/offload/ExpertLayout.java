package dev.moe4j.internal.offload;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where the bytes of one MoE layer's routed experts are in the model file, and where they go in a slot. An expert is
 * a few matrices (gate, up, down), each a contiguous byte range of the file (the expert's slice of a 3-D
 * {@code *_exps} tensor, or its own 2-D tensor in old per-expert files). Ranges that touch in the file are read as one
 * run (a fused {@code gate_up} pair); the runs are laid out back to back in the slot, each at a 64-byte aligned
 * offset, so the matrices keep the alignment the kernels like.
 *
 * <p>Immutable.
 */
public final class ExpertLayout {
    private static final int ALIGN = 64;

    private final int experts;
    private final int matrices;
    private final int[] runShard;         // [expert · runs + r]
    private final long[] runOffset;       // file offset of each run
    private final long[] runBytes;        // [r], the same for every expert
    private final long[] runSlotOffset;   // [r]
    private final long[] matrixSlotOffset; // [m] where matrix m starts in the slot
    private final long[] matrixBytes;     // [m]
    private final long slotBytes;

    private ExpertLayout(int experts, int matrices, int[] runShard, long[] runOffset, long[] runBytes,
                         long[] runSlotOffset, long[] matrixSlotOffset, long[] matrixBytes, long slotBytes) {
        this.experts = experts;
        this.matrices = matrices;
        this.runShard = runShard;
        this.runOffset = runOffset;
        this.runBytes = runBytes;
        this.runSlotOffset = runSlotOffset;
        this.matrixSlotOffset = matrixSlotOffset;
        this.matrixBytes = matrixBytes;
        this.slotBytes = slotBytes;
    }

    /**
     * @param shard  {@code [matrix][expert]}: the file (shard index) holding each matrix
     * @param offset {@code [matrix][expert]}: its first byte in that file
     * @param bytes  {@code [matrix]}: its size, the same for every expert
     * @throws IllegalArgumentException if the arrays do not fit together, or two matrices of an expert overlap
     */
    public static ExpertLayout of(int[][] shard, long[][] offset, long[] bytes) {
        int matrices = bytes.length;
        if (matrices == 0 || shard.length != matrices || offset.length != matrices) {
            throw new IllegalArgumentException("one shard row, one offset row and one size per matrix");
        }
        int experts = offset[0].length;
        for (int m = 0; m < matrices; m++) {
            if (bytes[m] < 1 || shard[m].length != experts || offset[m].length != experts) {
                throw new IllegalArgumentException("matrix " + m + ": " + bytes[m] + " bytes, "
                        + offset[m].length + " offsets for " + experts + " experts");
            }
        }
        // the run structure of expert 0 (matrices in file order, touching ones merged) must be every expert's
        List<int[]> runs = runsOf(shard, offset, bytes, 0);
        for (int e = 1; e < experts; e++) {
            if (!sameRuns(runs, runsOf(shard, offset, bytes, e))) {
                runs = new ArrayList<>();
                for (int m = 0; m < matrices; m++) {
                    runs.add(new int[] {m});
                }
                break;
            }
        }
        int r = runs.size();
        long[] runBytes = new long[r];
        long[] runSlot = new long[r];
        long[] matrixSlot = new long[matrices];
        long at = 0;
        for (int i = 0; i < r; i++) {
            int[] members = runs.get(i);
            runSlot[i] = at;
            for (int m : members) {
                matrixSlot[m] = at + (offset[m][0] - offset[members[0]][0]);
            }
            int lastM = members[members.length - 1];
            runBytes[i] = offset[lastM][0] + bytes[lastM] - offset[members[0]][0];
            at = align(at + runBytes[i]);
        }
        int[] runShard = new int[experts * r];
        long[] runOffset = new long[experts * r];
        for (int e = 0; e < experts; e++) {
            for (int i = 0; i < r; i++) {
                int first = runs.get(i)[0];
                runShard[e * r + i] = shard[first][e];
                runOffset[e * r + i] = offset[first][e];
                if (offset[first][e] < 0) {
                    throw new IllegalArgumentException("negative file offset " + offset[first][e]);
                }
            }
        }
        return new ExpertLayout(experts, matrices, runShard, runOffset, runBytes, runSlot, matrixSlot,
                bytes.clone(), at);
    }

    /** Matrices of expert {@code e} in file order, those that touch (same shard, adjacent) merged into one run. */
    private static List<int[]> runsOf(int[][] shard, long[][] offset, long[] bytes, int e) {
        Integer[] order = new Integer[bytes.length];
        for (int m = 0; m < order.length; m++) {
            order[m] = m;
        }
        Arrays.sort(order, (a, b) -> shard[a][e] != shard[b][e] ? Integer.compare(shard[a][e], shard[b][e])
                : Long.compare(offset[a][e], offset[b][e]));
        List<int[]> runs = new ArrayList<>();
        List<Integer> cur = new ArrayList<>();
        for (int m : order) {
            if (!cur.isEmpty()) {
                int prev = cur.getLast();
                long end = offset[prev][e] + bytes[prev];
                if (shard[prev][e] == shard[m][e] && offset[m][e] < end) {
                    throw new IllegalArgumentException("matrices " + prev + " and " + m + " of expert " + e
                            + " overlap in the file");
                }
                if (shard[prev][e] != shard[m][e] || offset[m][e] != end) {
                    runs.add(cur.stream().mapToInt(Integer::intValue).toArray());
                    cur.clear();
                }
            }
            cur.add(m);
        }
        runs.add(cur.stream().mapToInt(Integer::intValue).toArray());
        return runs;
    }

    private static boolean sameRuns(List<int[]> a, List<int[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static long align(long v) {
        return (v + ALIGN - 1) / ALIGN * ALIGN;
    }

    public int experts() {
        return experts;
    }

    public int matrices() {
        return matrices;
    }

    /** Bytes one expert needs in a slot (its runs, each 64-byte aligned). */
    public long slotBytes() {
        return slotBytes;
    }

    /** Bytes read from the file per expert. */
    public long readBytes() {
        return Arrays.stream(runBytes).sum();
    }

    int runs() {
        return runBytes.length;
    }

    int runShard(int expert, int run) {
        return runShard[expert * runBytes.length + run];
    }

    long runOffset(int expert, int run) {
        return runOffset[expert * runBytes.length + run];
    }

    long runBytes(int run) {
        return runBytes[run];
    }

    long runSlotOffset(int run) {
        return runSlotOffset[run];
    }

    long matrixSlotOffset(int m) {
        return matrixSlotOffset[m];
    }

    long matrixBytes(int m) {
        return matrixBytes[m];
    }

    /** Whether matrices sit at the same places in a slot under both layouts (so slot views can be shared). */
    boolean sameSlotShape(ExpertLayout o) {
        return Arrays.equals(matrixSlotOffset, o.matrixSlotOffset) && Arrays.equals(matrixBytes, o.matrixBytes);
    }
}
