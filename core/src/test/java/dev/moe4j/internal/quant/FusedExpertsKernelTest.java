package dev.moe4j.internal.quant;

import dev.moe4j.KernelException;
import dev.moe4j.internal.nativeio.CpuLevel;
import dev.moe4j.internal.nativeio.KernelContext;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code KernelContext.ffnExperts} (moe4j.h {@code moe_ffn_experts}, the fused routed experts of one token):
 * <ul>
 *   <li>bit for bit equal to the separate calls it replaces (matmulGgml gate and up, swiglu, matmulGgml down, axpy
 *       in expert order into a zeroed output), at every dispatch level, 1 to 3 threads, several weight-type pairs,
 *       1 to 8 experts, matrices big enough to go to the worker pool and small enough not to;</li>
 *   <li>within {@value #REFERENCE_TOL} (relative to the largest output) of a plain Java reference built from
 *       {@link ReferenceQ8} (8-bit activations, integer dots) and Java float SwiGLU;</li>
 *   <li>nothing written past {@code out}; bad arguments are exceptions, never a crash;</li>
 *   <li>{@code KernelContext.matvecBatch} (MLA's per-head products in one call): equal to one-token matmulGgml calls
 *       bit for bit.</li>
 * </ul>
 * Weights and activations are fresh random data each run; the seed is in every message ({@code -Dmoe4j.test.seed}).
 */
class FusedExpertsKernelTest {
    static final long SEED = Long.getLong("moe4j.test.seed", System.nanoTime());
    static final double REFERENCE_TOL = 2e-3;

    /** gate/up type, down type, dim, ffn: 32-element formats, K-quants, mixed families, a pool-sized case. */
    static final Object[][] SHAPES = {
            {GgmlType.Q4_0, GgmlType.Q4_0, 64, 96},
            {GgmlType.Q8_0, GgmlType.Q8_0, 256, 160},
            {GgmlType.Q4_K, GgmlType.Q6_K, 512, 256},
            {GgmlType.Q5_0, GgmlType.Q8_0, 256, 512},
            {GgmlType.IQ4_XS, GgmlType.Q4_K, 256, 512},
            {GgmlType.Q4_0, GgmlType.Q8_0, 1024, 704}, // gate+up of 6 experts: ~2.4 MB, split over the workers
    };
    static final int[] EXPERTS = {1, 3, 8};
    static final int[] THREADS = {1, 2, 3};

    record Experts(GgmlType gu, GgmlType dn, int dim, int ffn, int k, long guRow, long dRow, MemorySegment[] gate,
                   MemorySegment[] up, MemorySegment[] down, float[] weights, MemorySegment x) {}

    static Experts make(Arena arena, GgmlType gu, GgmlType dn, int dim, int ffn, int k, Random rnd) {
        long guRow = gu.bytesFor(dim) + (k % 2 == 1 ? 2 : 0); // odd k: padded rows, so row_bytes is honoured
        long dRow = dn.bytesFor(ffn);
        MemorySegment[] gate = new MemorySegment[k];
        MemorySegment[] up = new MemorySegment[k];
        MemorySegment[] down = new MemorySegment[k];
        float[] weights = new float[k];
        for (int j = 0; j < k; j++) {
            gate[j] = copy(arena, RandomWeights.matrix(gu, ffn, dim, guRow, rnd, RandomWeights.Scales.MODERATE));
            up[j] = copy(arena, RandomWeights.matrix(gu, ffn, dim, guRow, rnd, RandomWeights.Scales.MODERATE));
            down[j] = copy(arena, RandomWeights.matrix(dn, dim, ffn, dRow, rnd, RandomWeights.Scales.MODERATE));
            weights[j] = 0.05f + rnd.nextFloat();
        }
        MemorySegment x = arena.allocate((long) dim * Float.BYTES, 64);
        MemorySegment.copy(RandomWeights.activations(dim, rnd), 0, x, JAVA_FLOAT, 0, dim);
        return new Experts(gu, dn, dim, ffn, k, guRow, dRow, gate, up, down, weights, x);
    }

    private static MemorySegment copy(Arena arena, byte[] bytes) {
        MemorySegment s = arena.allocate(bytes.length, 64);
        MemorySegment.copy(bytes, 0, s, JAVA_BYTE, 0, bytes.length);
        return s;
    }

    /** What the fused call replaces: the separate products and ops, on the same context. */
    static float[] separate(KernelContext ctx, Experts e, Arena arena) {
        MemorySegment g = arena.allocate((long) e.ffn * Float.BYTES, 64);
        MemorySegment u = arena.allocate((long) e.ffn * Float.BYTES, 64);
        MemorySegment y = arena.allocate((long) e.dim * Float.BYTES, 64);
        MemorySegment out = arena.allocate((long) e.dim * Float.BYTES, 64);
        for (int j = 0; j < e.k; j++) {
            ctx.matmulGgml(e.gu.id(), e.gate[j], e.guRow, e.ffn, e.dim, e.x, e.dim, 1, g, e.ffn);
            ctx.matmulGgml(e.gu.id(), e.up[j], e.guRow, e.ffn, e.dim, e.x, e.dim, 1, u, e.ffn);
            ctx.swiglu(g, u, e.ffn, g);
            ctx.matmulGgml(e.dn.id(), e.down[j], e.dRow, e.dim, e.ffn, g, e.ffn, 1, y, e.dim);
            ctx.axpy(e.weights[j], y, e.dim, out);
        }
        return out.toArray(JAVA_FLOAT);
    }

    /** Plain Java: ReferenceQ8 products, float SwiGLU, a float weighted sum. */
    static float[] reference(Experts e) {
        MemorySegment xq = MemorySegment.ofArray(new byte[(int) ReferenceQ8.rowBytes(e.gu, e.dim)]);
        ReferenceQ8.quantize(e.gu, e.x.toArray(JAVA_FLOAT), 0, e.dim, xq, 0);
        MemorySegment hq = MemorySegment.ofArray(new byte[(int) ReferenceQ8.rowBytes(e.dn, e.ffn)]);
        float[] out = new float[e.dim];
        float[] h = new float[e.ffn];
        for (int j = 0; j < e.k; j++) {
            for (int r = 0; r < e.ffn; r++) {
                float g = ReferenceQ8.dot(e.gu, e.gate[j], r * e.guRow, e.dim, xq, 0);
                float u = ReferenceQ8.dot(e.gu, e.up[j], r * e.guRow, e.dim, xq, 0);
                h[r] = (float) (g / (1 + Math.exp(-g))) * u;
            }
            ReferenceQ8.quantize(e.dn, h, 0, e.ffn, hq, 0);
            for (int r = 0; r < e.dim; r++) {
                out[r] += e.weights[j] * ReferenceQ8.dot(e.dn, e.down[j], r * e.dRow, e.ffn, hq, 0);
            }
        }
        return out;
    }

    @Test
    void equalsTheSeparateCallsBitForBitAndTheReferenceWithinTolerance() {
        Random rnd = new Random(SEED);
        for (Object[] shape : SHAPES) {
            GgmlType gu = (GgmlType) shape[0];
            GgmlType dn = (GgmlType) shape[1];
            int dim = (int) shape[2];
            int ffn = (int) shape[3];
            for (int k : EXPERTS) {
                try (Arena arena = Arena.ofConfined()) {
                    Experts e = make(arena, gu, dn, dim, ffn, k, rnd);
                    float[] ref = reference(e);
                    for (CpuLevel level : QuantKernelTest.levels()) {
                        for (int threads : THREADS) {
                            String where = gu + "/" + dn + " dim=" + dim + " ffn=" + ffn + " k=" + k + " level="
                                    + level.label() + " threads=" + threads + " seed=" + SEED;
                            try (KernelContext ctx = KernelContext.create(level, threads)) {
                                float[] want = separate(ctx, e, arena);
                                float[] got = fused(ctx, e, arena, where);
                                for (int i = 0; i < dim; i++) {
                                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                                        fail(where + ": out[" + i + "] = " + got[i] + ", separate calls give "
                                                + want[i]);
                                    }
                                }
                                assertCloseToReference(ref, got, where);
                            }
                        }
                    }
                }
            }
        }
    }

    /** The fused call into a buffer with a guard region after {@code out}, which must stay untouched. */
    private static float[] fused(KernelContext ctx, Experts e, Arena arena, String where) {
        int guard = 16;
        MemorySegment buf = arena.allocate((long) (e.dim + guard) * Float.BYTES, 64);
        buf.fill((byte) 0x5A);
        MemorySegment out = buf.asSlice(0, (long) e.dim * Float.BYTES);
        ctx.ffnExperts(e.gu.id(), e.dn.id(), e.dim, e.ffn, e.k, e.gate, e.up, e.down, e.guRow, e.dRow, e.weights, e.x,
                out);
        for (long b = (long) e.dim * Float.BYTES; b < buf.byteSize(); b++) {
            assertEquals((byte) 0x5A, buf.get(JAVA_BYTE, b), where + ": byte " + b + " past out was written");
        }
        return out.toArray(JAVA_FLOAT);
    }

    private static void assertCloseToReference(float[] ref, float[] got, String where) {
        double scale = 1e-30;
        for (float v : ref) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < ref.length; i++) {
            if (Math.abs(got[i] - ref[i]) > REFERENCE_TOL * scale) {
                fail(where + ": out[" + i + "] = " + got[i] + ", reference " + ref[i] + " (tolerance "
                        + REFERENCE_TOL + " x " + scale + ")");
            }
        }
    }

    /** matvecBatch: every matrix's product equals its own one-token matmulGgml bit for bit, nothing else written. */
    @Test
    void batchedProductsEqualTheSeparateCalls() {
        Random rnd = new Random(SEED);
        GgmlType[] types = {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.IQ4_NL};
        int[][] shapes = {{512, 128}, {128, 512}, {96, 256}, {1024, 256}}; // rows, cols (MLA's k_b and v_b heads)
        for (GgmlType type : types) {
            for (int[] shape : shapes) {
                int rows = shape[0];
                int cols = shape[1];
                if (cols % type.blockElems() != 0) {
                    continue;
                }
                for (int n : new int[] {1, 5, 16}) {
                    try (Arena arena = Arena.ofConfined()) {
                        long rowBytes = type.bytesFor(cols);
                        MemorySegment[] w = new MemorySegment[n];
                        for (int m = 0; m < n; m++) {
                            w[m] = copy(arena, RandomWeights.matrix(type, rows, cols, rowBytes, rnd,
                                    RandomWeights.Scales.MODERATE));
                        }
                        long xStride = cols + 32; // heads inside a wider token row
                        long yStride = rows + 16;
                        MemorySegment x = arena.allocate(n * xStride * Float.BYTES, 64);
                        MemorySegment.copy(RandomWeights.activations((int) (n * xStride), rnd), 0, x, JAVA_FLOAT, 0,
                                (int) (n * xStride));
                        for (CpuLevel level : QuantKernelTest.levels()) {
                            for (int threads : THREADS) {
                                String where = type + " " + rows + "x" + cols + " n=" + n + " level=" + level.label()
                                        + " threads=" + threads + " seed=" + SEED;
                                try (KernelContext ctx = KernelContext.create(level, threads)) {
                                    MemorySegment want = arena.allocate(n * yStride * Float.BYTES, 64);
                                    MemorySegment got = arena.allocate(n * yStride * Float.BYTES, 64);
                                    want.fill((byte) 0x33);
                                    got.fill((byte) 0x33);
                                    for (int m = 0; m < n; m++) {
                                        ctx.matmulGgml(type.id(), w[m], rowBytes, rows, cols,
                                                x.asSlice(m * xStride * Float.BYTES), cols, 1,
                                                want.asSlice(m * yStride * Float.BYTES), rows);
                                    }
                                    ctx.matvecBatch(type.id(), w, rowBytes, rows, cols, n, x, xStride, got, yStride);
                                    long diff = want.mismatch(got);
                                    if (diff >= 0) {
                                        fail(where + ": differs from the separate calls at byte " + diff
                                                + " (float " + diff / 4 + ")");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        try (Arena arena = Arena.ofConfined(); KernelContext ctx = KernelContext.create(1)) {
            MemorySegment w = copy(arena, RandomWeights.matrix(GgmlType.Q8_0, 32, 64, 68, rnd,
                    RandomWeights.Scales.MODERATE));
            MemorySegment[] ws = {w, w};
            MemorySegment x = arena.allocate(2 * 64 * Float.BYTES, 64);
            MemorySegment y = arena.allocate(2 * 32 * Float.BYTES, 64);
            assertThrows(IllegalArgumentException.class, () -> ctx.matvecBatch(8, ws, 68, 32, 64, 0, x, 64, y, 32));
            assertThrows(IllegalArgumentException.class, () -> ctx.matvecBatch(8, ws, 68, 32, 64, 3, x, 64, y, 32));
            assertThrows(IllegalArgumentException.class, () -> ctx.matvecBatch(8, ws, 68, 32, 64, 2, x, 63, y, 32));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.matvecBatch(8, ws, 68, 32, 64, 2, x, 64,
                    y.asSlice(4), 32));
            // outputs written over the inputs are refused by the native checks
            assertThrows(KernelException.class, () -> ctx.matvecBatch(8, ws, 68, 32, 64, 2, x, 64, x, 32));
            // float weights have no batched form
            MemorySegment f = arena.allocate(32L * 64 * Float.BYTES, 64);
            assertThrows(KernelException.class, () -> ctx.matvecBatch(0, new MemorySegment[] {f, f}, 256, 32, 64, 2,
                    x, 64, y, 32));
        }
    }

    @Test
    void badArgumentsAreExceptions() {
        Random rnd = new Random(SEED);
        try (Arena arena = Arena.ofConfined(); KernelContext ctx = KernelContext.create(1)) {
            Experts e = make(arena, GgmlType.Q8_0, GgmlType.Q8_0, 64, 64, 2, rnd);
            MemorySegment out = arena.allocate(64 * Float.BYTES, 64);
            // no experts, too many experts, fewer weights than experts
            assertThrows(IllegalArgumentException.class, () -> ctx.ffnExperts(8, 8, 64, 64, 0, e.gate, e.up, e.down,
                    e.guRow, e.dRow, e.weights, e.x, out));
            assertThrows(IllegalArgumentException.class, () -> ctx.ffnExperts(8, 8, 64, 64, 257, e.gate, e.up,
                    e.down, e.guRow, e.dRow, new float[257], e.x, out));
            assertThrows(IllegalArgumentException.class, () -> ctx.ffnExperts(8, 8, 64, 64, 2, e.gate, e.up, e.down,
                    e.guRow, e.dRow, new float[1], e.x, out));
            // a matrix shorter than its shape says
            MemorySegment[] shortGate = {e.gate[0], e.gate[1].asSlice(0, e.gate[1].byteSize() - 1)};
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.ffnExperts(8, 8, 64, 64, 2, shortGate, e.up,
                    e.down, e.guRow, e.dRow, e.weights, e.x, out));
            // x or out too short
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.ffnExperts(8, 8, 64, 64, 2, e.gate, e.up, e.down,
                    e.guRow, e.dRow, e.weights, e.x.asSlice(0, 60 * Float.BYTES), out));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.ffnExperts(8, 8, 64, 64, 2, e.gate, e.up, e.down,
                    e.guRow, e.dRow, e.weights, e.x, out.asSlice(0, 63 * Float.BYTES)));
            // float weights have no 8-bit-activation products (the native call refuses the type)
            MemorySegment f32 = arena.allocate(64L * 64 * Float.BYTES, 64);
            MemorySegment[] floats = {f32, f32};
            assertThrows(KernelException.class, () -> ctx.ffnExperts(0, 8, 64, 64, 2, floats, floats, e.down,
                    64 * Float.BYTES, e.dRow, e.weights, e.x, out));
            // dims that are not whole blocks
            assertThrows(IllegalArgumentException.class, () -> ctx.ffnExperts(8, 8, 48, 64, 2, e.gate, e.up, e.down,
                    e.guRow, e.dRow, e.weights, e.x, out));
            // out overlapping x
            assertThrows(KernelException.class, () -> ctx.ffnExperts(8, 8, 64, 64, 2, e.gate, e.up, e.down, e.guRow,
                    e.dRow, e.weights, e.x, e.x));
        }
    }
}
