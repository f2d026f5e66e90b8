package dev.moe4j.internal.quant;

import dev.moe4j.internal.nativeio.CpuLevel;
import dev.moe4j.internal.nativeio.KernelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The native kernels at every dispatch level this CPU runs, against {@link ReferenceQuant}, on random weights of every
 * supported format (random quant bits, finite non-zero f16 scales) and random activations in [-1, 1]:
 * <ul>
 *   <li>dequantize and get_rows: bit-identical to the reference (the native decoders promise this: one binary32
 *       rounding per operation in ggml's order, no FMA contraction);</li>
 *   <li>matvec and matmul: |y − ref| ≤ 1e-5 · Σ|w·x| + 1e-6 per output, where ref and Σ|w·x| are taken in double over
 *       the reference's dequantized row (the kernels sum in f32 in their own order);</li>
 *   <li>nothing is written outside the outputs (stride gaps and the bytes after y keep a sentinel).</li>
 * </ul>
 * The lattice formats' random weights use every point of their grid over each format's cases (checked).
 * Shapes: rows 1, 3, 64, 67; {@link #colsFor} columns; 1 and 3 threads; 1, 2, 5, 17 tokens
 * with strides larger than cols/rows; odd row counts get padded, unaligned row pitches. The seed is in every failure
 * message; {@code -Dmoe4j.test.seed=N} reruns with other data.
 */
class QuantKernelTest {
    static final long BASE_SEED = Long.getLong("moe4j.test.seed", 0x5EED_2026L);
    static final double REL_TOL = 1e-5;
    static final double ABS_TOL = 1e-6;
    static final int[] ROWS = {1, 3, 64, 67};
    static final int[] THREADS = {1, 3};
    static final int[] TOKENS = {1, 2, 5, 17};
    /** A NaN with a recognizable payload: what output gaps must still hold after a call. */
    static final int SENTINEL = 0x7FC0_DEAD;

    private static final Map<CpuLevel, KernelContext[]> CONTEXTS = new EnumMap<>(CpuLevel.class);

    static List<CpuLevel> levels() {
        return Arrays.stream(CpuLevel.values()).filter(l -> l.ordinal() <= CpuLevel.detected().ordinal()).toList();
    }

    @BeforeAll
    static void openContexts() {
        for (CpuLevel level : levels()) {
            KernelContext[] byThreads = new KernelContext[THREADS.length];
            for (int i = 0; i < THREADS.length; i++) {
                byThreads[i] = KernelContext.create(level, THREADS[i]);
                // A context must run at the level asked for, or the per-level coverage would be an illusion.
                assertEquals(level, byThreads[i].level(), "context level");
                assertEquals(THREADS[i], byThreads[i].threads(), "context threads");
            }
            CONTEXTS.put(level, byThreads);
        }
    }

    @AfterAll
    static void closeContexts() {
        CONTEXTS.values().forEach(cs -> Arrays.stream(cs).forEach(KernelContext::close));
        CONTEXTS.clear();
    }

    /**
     * Column counts: a few blocks, a model-like width (2816 = 11·256 = 88·32), and one wider than 4096 so that a kernel
     * that blocks the columns (the native matmul tiles 4096 at a time) accumulates over more than one step; element
     * types get odd counts.
     */
    static int[] colsFor(GgmlType type) {
        return switch (type.blockElems()) {
            case 1 -> new int[] {67, 256, 2816, 4099};
            case 32 -> new int[] {96, 512, 2816, 4352};
            default -> new int[] {256, 512, 2816, 4352};
        };
    }

    /** One weight matrix, its activations, and what the reference makes of them (shared by every level and thread count). */
    record Case(GgmlType type, int rows, int cols, long rowBytes, long seed, byte[] weights, float[] x, int xStride,
                float[][] dense, double[][] want, double[][] absSum) {
        String where(String op, CpuLevel level, int threads, int tokens) {
            return type + " " + op + " level=" + level.label() + " threads=" + threads + " rows=" + rows + " cols=" + cols
                    + " rowBytes=" + rowBytes + (tokens > 0 ? " tokens=" + tokens : "") + " seed=" + seed;
        }
    }

    static Case makeCase(GgmlType type, int rows, int cols) {
        long seed = BASE_SEED ^ (type.id() * 1_000_003L + rows * 7919L + cols);
        Random rnd = new Random(seed);
        long minRow = type.bytesFor(cols);
        long rowBytes = rows % 2 == 1 ? minRow + 5 : minRow; // odd row counts: padded rows, unaligned pitch
        byte[] weights = RandomWeights.matrix(type, rows, cols, rowBytes, rnd, RandomWeights.Scales.MODERATE);
        int maxTokens = TOKENS[TOKENS.length - 1];
        int xStride = cols + 3;
        float[] x = RandomWeights.activations(maxTokens * xStride, rnd);
        MemorySegment w = MemorySegment.ofArray(weights);
        float[][] dense = RandomWeights.dequantize(type, w, rowBytes, rows, cols);
        double[][] want = ReferenceQuant.matmul(type, w, rowBytes, rows, cols, x, xStride, maxTokens);
        double[][] absSum = new double[maxTokens][rows];
        for (int t = 0; t < maxTokens; t++) {
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += Math.abs((double) dense[r][c] * x[t * xStride + c]);
                }
                absSum[t][r] = s;
            }
        }
        return new Case(type, rows, cols, rowBytes, seed, weights, x, xStride, dense, want, absSum);
    }

    @TestFactory
    Stream<DynamicTest> everyFormatAtEveryLevelMatchesTheReference() {
        return RandomWeights.SUPPORTED.stream().map(type -> DynamicTest.dynamicTest(type.name(), () -> {
            BitSet grid = new BitSet();
            for (int rows : ROWS) {
                for (int cols : colsFor(type)) {
                    Case c = makeCase(type, rows, cols);
                    RandomWeights.markGrid(type, c.weights(), rows, c.rowBytes(), cols, grid);
                    for (CpuLevel level : levels()) {
                        for (int i = 0; i < THREADS.length; i++) {
                            KernelContext ctx = CONTEXTS.get(level)[i];
                            try (Arena arena = Arena.ofConfined()) {
                                MemorySegment w = arena.allocate(c.weights().length, 64);
                                MemorySegment.copy(c.weights(), 0, w, ValueLayout.JAVA_BYTE, 0, c.weights().length);
                                checkDequantize(c, ctx, w, arena);
                                checkGetRows(c, ctx, w, arena);
                                for (int tokens : TOKENS) {
                                    checkMatmul(c, ctx, w, tokens, arena);
                                }
                                checkMatvec(c, ctx, w, arena);
                            }
                        }
                    }
                }
            }
            RandomWeights.requireGridCovered(type, grid, "QuantKernelTest");
        }));
    }

    private static void checkDequantize(Case c, KernelContext ctx, MemorySegment w, Arena arena) {
        MemorySegment dst = sentinels(arena, c.cols() + 1);
        for (int r = 0; r < c.rows(); r++) {
            ctx.dequantize(c.type().id(), w.asSlice(r * c.rowBytes(), c.type().bytesFor(c.cols())), c.cols(), dst);
            for (int col = 0; col < c.cols(); col++) {
                float got = dst.getAtIndex(ValueLayout.JAVA_FLOAT, col);
                float want = c.dense()[r][col];
                if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
                    fail(c.where("dequantize", ctx.level(), ctx.threads(), 0) + ": row " + r + " col " + col + ": got "
                            + got + ", reference " + want + " (must be bit-identical)");
                }
            }
            requireSentinel(c, "dequantize", ctx, dst, c.cols());
        }
    }

    private static void checkGetRows(Case c, KernelContext ctx, MemorySegment w, Arena arena) {
        int[] ids = {c.rows() - 1, 0, c.rows() / 2, c.rows() - 1, (int) (c.seed() & 0x7FFF) % c.rows()};
        MemorySegment idSeg = arena.allocate(4L * ids.length, 4);
        MemorySegment.copy(ids, 0, idSeg, ValueLayout.JAVA_INT, 0, ids.length);
        MemorySegment out = sentinels(arena, (long) ids.length * c.cols() + 1);
        ctx.getRows(c.type().id(), w, c.rowBytes(), c.rows(), c.cols(), idSeg, ids.length, out);
        for (int i = 0; i < ids.length; i++) {
            for (int col = 0; col < c.cols(); col++) {
                float got = out.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * c.cols() + col);
                float want = c.dense()[ids[i]][col];
                if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
                    fail(c.where("get_rows", ctx.level(), ctx.threads(), 0) + ": id #" + i + " (row " + ids[i] + ") col "
                            + col + ": got " + got + ", reference " + want + " (must be bit-identical)");
                }
            }
        }
        requireSentinel(c, "get_rows", ctx, out, (long) ids.length * c.cols());
    }

    private static void checkMatmul(Case c, KernelContext ctx, MemorySegment w, int tokens, Arena arena) {
        int yStride = c.rows() + 5;
        MemorySegment x = arena.allocate(4L * c.x().length, 64);
        MemorySegment.copy(c.x(), 0, x, ValueLayout.JAVA_FLOAT, 0, c.x().length);
        MemorySegment y = sentinels(arena, (long) tokens * yStride);
        ctx.matmul(c.type().id(), w, c.rowBytes(), c.rows(), c.cols(), x, c.xStride(), tokens, y, yStride);
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < c.rows(); r++) {
                compare(c, "matmul", ctx, tokens, t, r, y.getAtIndex(ValueLayout.JAVA_FLOAT, (long) t * yStride + r));
            }
            for (int gap = c.rows(); gap < yStride; gap++) {
                requireSentinel(c, "matmul (stride gap)", ctx, y, (long) t * yStride + gap);
            }
        }
    }

    private static void checkMatvec(Case c, KernelContext ctx, MemorySegment w, Arena arena) {
        MemorySegment x = arena.allocate(4L * c.cols(), 64);
        MemorySegment.copy(c.x(), 0, x, ValueLayout.JAVA_FLOAT, 0, c.cols());
        MemorySegment y = sentinels(arena, c.rows() + 1);
        ctx.matvec(c.type().id(), w, c.rowBytes(), c.rows(), c.cols(), x, y);
        for (int r = 0; r < c.rows(); r++) {
            compare(c, "matvec", ctx, 1, 0, r, y.getAtIndex(ValueLayout.JAVA_FLOAT, r));
        }
        requireSentinel(c, "matvec", ctx, y, c.rows());
    }

    private static void compare(Case c, String op, KernelContext ctx, int tokens, int t, int r, float got) {
        double want = c.want()[t][r];
        double tol = REL_TOL * c.absSum()[t][r] + ABS_TOL;
        if (!(Math.abs(got - want) <= tol)) {
            fail(c.where(op, ctx.level(), ctx.threads(), tokens) + ": token " + t + " row " + r + ": got " + got
                    + ", reference " + want + ", |diff| " + Math.abs(got - want) + " > tolerance " + tol
                    + " (1e-5 * sum|w*x| + 1e-6)");
        }
    }

    /** {@code n} floats of {@link #SENTINEL}. */
    private static MemorySegment sentinels(Arena arena, long n) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_INT, i, SENTINEL);
        }
        return s;
    }

    private static void requireSentinel(Case c, String op, KernelContext ctx, MemorySegment s, long index) {
        int v = s.getAtIndex(ValueLayout.JAVA_INT, index);
        if (v != SENTINEL) {
            fail(c.where(op, ctx.level(), ctx.threads(), 0) + ": wrote float index " + index + " outside its output ("
                    + Float.intBitsToFloat(v) + ")");
        }
    }
}
