package dev.moe4j.internal.quant;

import dev.moe4j.KernelException;
import dev.moe4j.internal.nativeio.CpuLevel;
import dev.moe4j.internal.nativeio.KernelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The products with 8-bit activations ({@code KernelContext.q8Quantize / q8Matmul / matmulGgml}) at every dispatch
 * level this CPU runs, against {@link ReferenceQ8}, on random weights of every block format (random quant bits, finite
 * f16 scales of either sign) and activations of mixed magnitudes (blocks of ±1, ±1e-3, ±300, all zero, ties for the
 * largest magnitude, exact halves):
 * <ul>
 *   <li>quantized activation rows: byte for byte equal to the reference's (the quantizers are exact);</li>
 *   <li>products: bit-identical to {@link ReferenceQ8#dot} (the kernels promise one arithmetic at every level and
 *       thread count), for 1, 2, 5 and 9 tokens (9: more than one group of fused tokens), 1, 4 and 67 rows (odd counts get
 *       padded rows), and 1 and 3 threads;</li>
 *   <li>the reference itself: within 1e-6 · Σ|w·x| of an f64 dot product of the {@link ReferenceQuant}-dequantized
 *       weights with the dequantized activations (for Q4_1/Q5_1 with the f16-rounded s that ggml's min term uses);</li>
 *   <li>F32/F16/BF16 through matmulGgml: equal to matmul on activations rounded to f16/bf16 here;</li>
 *   <li>nothing written outside the outputs; bad arguments are exceptions.</li>
 * </ul>
 * The lattice formats' random weights use every point of their grid over each format's cases (checked).
 * {@code -Dmoe4j.test.seed=N} reruns with other data; the seed is in every failure message.
 */
class Q8KernelTest {
    static final long BASE_SEED = Long.getLong("moe4j.test.seed", 0x8B17_2026L);
    static final double REFERENCE_TOL = 1e-6;
    static final int[] ROWS = {1, 4, 67};
    static final int[] THREADS = {1, 3};
    static final int[] TOKENS = {1, 2, 5, 9};
    static final int SENTINEL = 0x7FC0_DEAD;
    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final Map<CpuLevel, KernelContext[]> CONTEXTS = new EnumMap<>(CpuLevel.class);

    @BeforeAll
    static void openContexts() {
        for (CpuLevel level : QuantKernelTest.levels()) {
            KernelContext[] byThreads = new KernelContext[THREADS.length];
            for (int i = 0; i < THREADS.length; i++) {
                byThreads[i] = KernelContext.create(level, THREADS[i]);
                assertEquals(level, byThreads[i].level(), "context level");
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
     * 32-element formats: 1 and 3 blocks (rows that share a group of 16 blocks), 37 (two groups of 16 and 5), 44 (a model
     * width: two groups and 12); K-quants: 1, 5 and 17 super-blocks (f32 scaling works on 16 at a time).
     */
    static int[] colsFor(GgmlType type) {
        return type.blockElems() == 32 ? new int[] {32, 96, 1184, 1408} : new int[] {256, 1280, 4352};
    }

    /** Activations for {@code tokens} rows {@code stride} apart, block magnitudes varying as the class comment says. */
    static float[] activations(int tokens, int stride, int block, Random rnd) {
        float[] x = new float[tokens * stride];
        for (int i = 0; i < x.length; i += block) {
            int kind = rnd.nextInt(7);
            float scale = kind == 2 ? 1e-3f : (kind == 3 ? 300f : 1f);
            for (int j = i; j < Math.min(x.length, i + block); j++) {
                x[j] = switch (kind) {
                    case 4 -> 0f;
                    case 5 -> (rnd.nextInt(509) - 254) * 0.5f; // products land on .5: ties to even
                    default -> scale * (rnd.nextFloat() * 2 - 1);
                };
            }
            if (kind == 6) { // equal largest magnitudes of both signs: the first one decides Q8_K's sign
                x[Math.min(x.length - 1, i + rnd.nextInt(block))] = 1.5f;
                x[Math.min(x.length - 1, i + rnd.nextInt(block))] = -1.5f;
            }
        }
        return x;
    }

    record Case(GgmlType type, int rows, int cols, long rowBytes, long seed, byte[] weights, float[] x, int xStride,
                long xqRow, byte[] xq, float[][] want) {
        String where(String op, CpuLevel level, int threads, int tokens) {
            return type + " " + op + " level=" + level.label() + " threads=" + threads + " rows=" + rows + " cols="
                    + cols + (tokens > 0 ? " tokens=" + tokens : "") + " seed=" + seed;
        }
    }

    static Case makeCase(GgmlType type, int rows, int cols) {
        long seed = BASE_SEED ^ (type.id() * 1_000_003L + rows * 7919L + cols);
        Random rnd = new Random(seed);
        long rowBytes = type.bytesFor(cols) + (rows % 2 == 1 ? 6 : 0);
        byte[] weights = RandomWeights.matrix(type, rows, cols, rowBytes, rnd, RandomWeights.Scales.MODERATE);
        int tokens = TOKENS[TOKENS.length - 1];
        int xStride = cols + 3;
        float[] x = activations(tokens, xStride, type.blockElems(), rnd);
        long xqRow = ReferenceQ8.rowBytes(type, cols);
        MemorySegment xq = MemorySegment.ofArray(new byte[Math.toIntExact(xqRow * tokens)]);
        for (int t = 0; t < tokens; t++) {
            ReferenceQ8.quantize(type, x, t * xStride, cols, xq, t * xqRow);
        }
        MemorySegment w = MemorySegment.ofArray(weights);
        float[][] want = new float[tokens][rows];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                want[t][r] = ReferenceQ8.dot(type, w, r * rowBytes, cols, xq, t * xqRow);
            }
        }
        return new Case(type, rows, cols, rowBytes, seed, weights, x, xStride, xqRow, xq.toArray(ValueLayout.JAVA_BYTE),
                want);
    }

    @TestFactory
    Stream<DynamicTest> everyBlockFormatAtEveryLevelEqualsTheReference() {
        return RandomWeights.SUPPORTED.stream().filter(ReferenceQ8::hasQ8).map(type -> DynamicTest.dynamicTest(
                type.name(), () -> {
                    BitSet grid = new BitSet();
                    for (int rows : ROWS) {
                        for (int cols : colsFor(type)) {
                            Case c = makeCase(type, rows, cols);
                            RandomWeights.markGrid(type, c.weights(), rows, c.rowBytes(), cols, grid);
                            checkReference(c);
                            for (CpuLevel level : QuantKernelTest.levels()) {
                                for (KernelContext ctx : CONTEXTS.get(level)) {
                                    try (Arena arena = Arena.ofConfined()) {
                                        checkNative(c, ctx, arena);
                                    }
                                }
                            }
                        }
                    }
                    RandomWeights.requireGridCovered(type, grid, "Q8KernelTest");
                }));
    }

    /** ReferenceQ8 against f64 over dequantized values (tokens 0 and 1, every row). */
    private static void checkReference(Case c) {
        MemorySegment w = MemorySegment.ofArray(c.weights());
        MemorySegment xq = MemorySegment.ofArray(c.xq());
        int nb = c.cols() / c.type().blockElems();
        float[] row = new float[c.cols()];
        for (int t = 0; t < 2; t++) {
            long o = t * c.xqRow();
            double[] xd = dequantizedActivations(c.type(), xq, o, nb);
            for (int r = 0; r < c.rows(); r++) {
                ReferenceQuant.dequantizeRow(c.type(), w, r * c.rowBytes(), row, c.cols());
                double ref = 0;
                double abs = 0;
                for (int k = 0; k < c.cols(); k++) {
                    ref += row[k] * xd[k];
                    abs += Math.abs(row[k] * xd[k]);
                }
                if (c.type() == GgmlType.Q4_1 || c.type() == GgmlType.Q5_1) { // ggml: m·s, s = fp16(d·Σq)
                    long np = (nb + 15) / 16 * 16;
                    for (int b = 0; b < nb; b++) {
                        double m = Half.f16ToF32(w.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN),
                                r * c.rowBytes() + (long) b * c.type().blockBytes() + 2));
                        double s = xq.get(LE_FLOAT, o + 36 * np + 4L * b);
                        double exact = (double) xq.get(LE_FLOAT, o + 32 * np + 4L * b) * xq.get(LE_INT, o + 40 * np + 4L * b);
                        ref += m * (s - exact);
                        abs += Math.abs(m * s);
                    }
                }
                float got = c.want()[t][r];
                if (!(Math.abs(got - ref) <= REFERENCE_TOL * abs)) {
                    fail(c.type() + " ReferenceQ8 rows=" + c.rows() + " cols=" + c.cols() + " seed=" + c.seed()
                            + ": token " + t + " row " + r + ": " + got + " vs f64 " + ref + " (tolerance "
                            + REFERENCE_TOL + " * " + abs + ")");
                }
            }
        }
    }

    /** d·q of a quantized row, as doubles. */
    private static double[] dequantizedActivations(GgmlType type, MemorySegment xq, long o, int nb) {
        int be = type.blockElems();
        double[] out = new double[nb * be];
        long dAt = be == 32 ? 32L * ((nb + 15) / 16 * 16) : 256L * nb;
        for (int b = 0; b < nb; b++) {
            double d = xq.get(LE_FLOAT, o + dAt + 4L * b);
            for (int j = 0; j < be; j++) {
                out[b * be + j] = d * xq.get(ValueLayout.JAVA_BYTE, o + (long) b * be + j);
            }
        }
        return out;
    }

    private static void checkNative(Case c, KernelContext ctx, Arena arena) {
        int tokens = TOKENS[TOKENS.length - 1];
        MemorySegment w = arena.allocate(c.weights().length, 64);
        MemorySegment.copy(c.weights(), 0, w, ValueLayout.JAVA_BYTE, 0, c.weights().length);
        MemorySegment x = arena.allocate(4L * c.x().length, 64);
        MemorySegment.copy(c.x(), 0, x, ValueLayout.JAVA_FLOAT, 0, c.x().length);
        // quantize: the whole batch, byte for byte
        MemorySegment xq = arena.allocate(c.xqRow() * tokens, 64);
        xq.fill((byte) 0x5A);
        ctx.q8Quantize(c.type().id(), x, c.cols(), tokens, c.xStride(), xq);
        for (int i = 0; i < c.xq().length; i++) {
            byte got = xq.get(ValueLayout.JAVA_BYTE, i);
            if (got != c.xq()[i]) {
                fail(c.where("q8Quantize", ctx.level(), ctx.threads(), tokens) + ": token " + i / c.xqRow() + " byte "
                        + i % c.xqRow() + ": " + got + ", reference " + c.xq()[i]);
            }
        }
        int yStride = c.rows() + 5;
        for (int n : TOKENS) {
            MemorySegment y = sentinels(arena, (long) n * yStride);
            ctx.q8Matmul(c.type().id(), w, c.rowBytes(), c.rows(), c.cols(), xq.asSlice(0, c.xqRow() * n), n, y, yStride);
            compare(c, "q8Matmul", ctx, n, y, yStride);
        }
        for (int n : new int[] {1, tokens}) {
            MemorySegment y = sentinels(arena, (long) n * yStride);
            ctx.matmulGgml(c.type().id(), w, c.rowBytes(), c.rows(), c.cols(), x, c.xStride(), n, y, yStride);
            compare(c, "matmulGgml", ctx, n, y, yStride);
        }
    }

    private static void compare(Case c, String op, KernelContext ctx, int n, MemorySegment y, int yStride) {
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < c.rows(); r++) {
                float got = y.getAtIndex(ValueLayout.JAVA_FLOAT, (long) t * yStride + r);
                float want = c.want()[t][r];
                if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
                    fail(c.where(op, ctx.level(), ctx.threads(), n) + ": token " + t + " row " + r + ": " + got
                            + ", reference " + want + " (must be bit-identical)");
                }
            }
            for (int gap = c.rows(); gap < yStride && t < n - 1; gap++) {
                if (y.getAtIndex(ValueLayout.JAVA_INT, (long) t * yStride + gap) != SENTINEL) {
                    fail(c.where(op, ctx.level(), ctx.threads(), n) + ": wrote into the stride gap of token " + t);
                }
            }
        }
        if (y.getAtIndex(ValueLayout.JAVA_INT, (long) (n - 1) * yStride + c.rows()) != SENTINEL) {
            fail(c.where(op, ctx.level(), ctx.threads(), n) + ": wrote past the last output");
        }
    }

    @Test
    void plainTypesSeeActivationsRoundedAsGgmlRoundsThem() {
        int rows = 37;
        int cols = 301;
        int tokens = 3;
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16}) {
            Random rnd = new Random(BASE_SEED ^ type.id());
            byte[] weights = RandomWeights.matrix(type, rows, cols, type.bytesFor(cols), rnd,
                    RandomWeights.Scales.MODERATE);
            float[] x = activations(tokens, cols, 32, rnd);
            float[] rounded = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                rounded[i] = switch (type) {
                    case F16 -> Half.f16ToF32(Half.f32ToF16(x[i]));
                    case BF16 -> Half.bf16ToF32(Half.f32ToBf16(x[i]));
                    default -> x[i];
                };
            }
            assertEquals(-1, KernelContext.q8RowBytes(type.id(), cols), type + " has no quantized rows");
            for (CpuLevel level : QuantKernelTest.levels()) {
                for (KernelContext ctx : CONTEXTS.get(level)) {
                    try (Arena arena = Arena.ofConfined()) {
                        MemorySegment w = arena.allocate(weights.length, 64);
                        MemorySegment.copy(weights, 0, w, ValueLayout.JAVA_BYTE, 0, weights.length);
                        MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                        MemorySegment xr = arena.allocateFrom(ValueLayout.JAVA_FLOAT, rounded);
                        MemorySegment got = arena.allocate(4L * rows * tokens);
                        MemorySegment want = arena.allocate(4L * rows * tokens);
                        ctx.matmulGgml(type.id(), w, type.bytesFor(cols), rows, cols, xs, cols, tokens, got, rows);
                        ctx.matmul(type.id(), w, type.bytesFor(cols), rows, cols, xr, cols, tokens, want, rows);
                        assertEquals(-1, got.mismatch(want), type + " level " + level.label() + " threads "
                                + ctx.threads() + ": matmulGgml differs from matmul of rounded activations");
                    }
                }
            }
        }
    }

    @Test
    void badArgumentsAreExceptions() {
        KernelContext ctx = CONTEXTS.get(CpuLevel.SCALAR)[0];
        assertEquals(704, KernelContext.q8RowBytes(GgmlType.Q4_0.id(), 32), "one block padded to 16, 44 bytes each");
        assertEquals(640, KernelContext.q8RowBytes(GgmlType.Q4_K.id(), 512), "2 x 292 bytes padded to 64");
        assertEquals(-1, KernelContext.q8RowBytes(GgmlType.Q8_1.id(), 32), "no kernels for Q8_1 weights");
        assertThrows(IllegalArgumentException.class, () -> KernelContext.q8RowBytes(GgmlType.Q4_0.id(), 33));
        assertThrows(IllegalArgumentException.class, () -> KernelContext.q8RowBytes(GgmlType.Q6_K.id(), 128));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment w = arena.allocate(18L * 4);
            MemorySegment x = arena.allocate(4L * 64);
            MemorySegment xq = arena.allocate(704L * 2);
            MemorySegment y = arena.allocate(4L * 8);
            assertThrows(KernelException.class, () -> ctx.q8Quantize(GgmlType.F16.id(), x, 32, 1, 32, xq));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.q8Quantize(GgmlType.Q4_0.id(), x, 32, 3, 32, xq));
            assertThrows(IllegalArgumentException.class, () -> ctx.q8Quantize(GgmlType.Q4_0.id(), x, 32, 1, 31, xq));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> ctx.q8Matmul(GgmlType.Q4_0.id(), w, 18, 4, 32, xq.asSlice(0, 703), 1, y, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.q8Matmul(GgmlType.Q4_0.id(), w, 18, 5, 32, xq, 1, y, 5));
            assertThrows(IllegalArgumentException.class, () -> ctx.q8Matmul(GgmlType.Q4_0.id(), w, 18, 4, 32, xq, 2, y, 3));
            assertThrows(KernelException.class, () -> ctx.q8Matmul(GgmlType.F32.id(), w, 4, 4, 1, xq, 1, y, 4));
            assertThrows(IllegalArgumentException.class,
                    () -> ctx.matmulGgml(GgmlType.Q4_0.id(), w, 18, 4, 32, x, 31, 1, y, 4));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> ctx.matmulGgml(GgmlType.Q4_0.id(), w, 18, 4, 32, x, 32, 3, y, 4));
        }
    }

    private static MemorySegment sentinels(Arena arena, long n) {
        MemorySegment s = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(ValueLayout.JAVA_INT, i, SENTINEL);
        }
        return s;
    }
}
