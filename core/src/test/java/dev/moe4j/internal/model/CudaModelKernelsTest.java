package dev.moe4j.internal.model;

import dev.moe4j.internal.gpu.CudaApi;
import dev.moe4j.internal.gpu.GpuInventory;
import dev.moe4j.internal.gpu.GpuWeights;
import dev.moe4j.internal.gpu.PlacementItem;
import dev.moe4j.internal.gpu.PlacementPlanner;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuant;
import dev.moe4j.internal.quant.ReferenceQuantizer;
import dev.moe4j.testing.CudaTestLibrary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One product through {@link CudaModelKernels} against the CPU kernels, on libmoe4j_cuda's CPU emulation: a weight
 * placed on the GPU (whole, and a row slice of it, as a fused gate/up pair is used) and one that is not, strided
 * activations and outputs (the rows between the output rows must stay untouched), with and without llama.cpp's
 * activation rounding.
 *
 * <p>The i-quant, ternary and MXFP4 weights are random blocks (every bit random but the scales, which are finite and
 * moderate), checked against the Java reference instead: {@link ReferenceQuant}'s dequantized rows times the
 * activations rounded as the GPU path rounds them, in f64, within {@code 1e-5 * sum|w*x| + 1e-6} (f32 sums over 512
 * columns). That is the CUDA library's promise (dequantized values bit for bit, f32 products); the CPU's integer
 * products for these types are their own levels' business, so the weight that is not placed is left out for them.
 */
class CudaModelKernelsTest {
    /** What {@link ReferenceQuantizer#quantizeRow} writes; the other types get random blocks. */
    private static final Set<GgmlType> QUANTIZER_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q8_0, GgmlType.Q4_0);

    private static Path library;

    @BeforeAll
    static void findLibrary() {
        library = CudaTestLibrary.path();
    }

    @ParameterizedTest(name = "{0}, {1} tokens, ggml rounding {2}")
    @CsvSource({"F32, 1, true", "Q8_0, 1, true", "Q8_0, 3, true", "Q8_0, 3, false", "F16, 2, true", "Q4_0, 5, true",
            "IQ1_S, 1, true", "IQ1_M, 3, true", "IQ2_XXS, 1, true", "IQ2_XS, 2, true", "IQ2_S, 5, false",
            "IQ3_XXS, 1, true", "IQ3_S, 3, true", "TQ1_0, 2, true", "TQ2_0, 1, false", "MXFP4, 3, true",
            "MXFP4, 1, false"})
    void productsMatchTheCpuKernels(GgmlType type, int tokens, boolean ggml) {
        assumeTrue(library != null, CudaTestLibrary.missing());
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int rows = 48;
        int cols = type.blockElems() == 256 ? 512 : 96;
        long rowBytes = type.bytesFor(cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment placed = weight(arena, type, rows, cols, rnd);
            MemorySegment cpuOnly = weight(arena, type, rows, cols, rnd);
            PlacementItem item = new PlacementItem("w", PlacementItem.Kind.LAYER_WEIGHT, 0, -1, placed.byteSize());
            var plan = PlacementPlanner.plan(List.of(item), placed.byteSize(), null);
            try (GpuWeights gpu = GpuWeights.upload(CudaApi.at(library), 0, plan,
                    List.of(new GpuInventory.Entry(item, List.of(placed))));
                 CudaModelKernels k = new CudaModelKernels(new NativeModelKernels(1, ggml), gpu, ggml);
                 NativeModelKernels ref = new NativeModelKernels(1, ggml)) {
                long xStride = cols + 7;
                long yStride = rows + 5;
                MemorySegment x = arena.allocate(tokens * xStride * Float.BYTES, 64);
                for (long i = 0; i < tokens * xStride; i++) {
                    x.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextGaussian());
                }
                String where = type + " seed " + seed;
                boolean cpuReference = QUANTIZER_TYPES.contains(type);
                MemorySegment[] weights = cpuReference
                        ? new MemorySegment[] {placed, placed.asSlice(16 * rowBytes, 32 * rowBytes), cpuOnly}
                        : new MemorySegment[] {placed, placed.asSlice(16 * rowBytes, 32 * rowBytes)};
                for (MemorySegment w : weights) {
                    int r = (int) (w.byteSize() / rowBytes);
                    MemorySegment got = filled(arena, tokens * yStride);
                    k.matmul(type, w, rowBytes, r, cols, x, xStride, tokens, got, yStride);
                    if (cpuReference) {
                        MemorySegment want = filled(arena, tokens * yStride);
                        ref.matmul(type, w, rowBytes, r, cols, x, xStride, tokens, want, yStride);
                        for (long i = 0; i < tokens * yStride; i++) {
                            float a = got.getAtIndex(JAVA_FLOAT, i);
                            float b = want.getAtIndex(JAVA_FLOAT, i);
                            if (i % yStride >= r) {
                                assertEquals(-7f, a, where + ": wrote between output rows at " + i);
                            } else {
                                assertEquals(b, a, 2e-4 * (1 + Math.abs(b)), where + ": element " + i);
                            }
                        }
                    } else {
                        checkAgainstJava(type, w, rowBytes, r, cols, x, xStride, tokens, got, yStride, ggml, where);
                    }
                }
                assertEquals(2, k.gpuProducts(), where);
                assertEquals(cpuReference ? 1 : 0, k.cpuProducts(), where);
            }
        }
    }

    /** The Java reference's f64 products with the activations the GPU path saw; the gaps stay untouched. */
    private static void checkAgainstJava(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols,
                                         MemorySegment x, long xStride, int tokens, MemorySegment got, long yStride,
                                         boolean ggml, String where) {
        float[] row = new float[cols];
        for (int t = 0; t < tokens; t++) {
            float[] xt = new float[cols];
            MemorySegment.copy(x, JAVA_FLOAT, t * xStride * Float.BYTES, xt, 0, cols);
            if (ggml && GgmlActivationRounding.rounds(type)) {
                GgmlActivationRounding.round(type, xt, 0, cols);
            }
            for (int r = 0; r < rows; r++) {
                ReferenceQuant.dequantizeRow(type, w, r * rowBytes, row, cols);
                double want = 0;
                double mag = 0;
                for (int c = 0; c < cols; c++) {
                    want += (double) row[c] * xt[c];
                    mag += Math.abs((double) row[c] * xt[c]);
                }
                float a = got.getAtIndex(JAVA_FLOAT, t * yStride + r);
                assertEquals(want, a, 1e-5 * mag + 1e-6, where + ": token " + t + " row " + r);
            }
            for (long g = rows; g < yStride && t + 1 < tokens; g++) {
                assertEquals(-7f, got.getAtIndex(JAVA_FLOAT, t * yStride + g), where + ": wrote between output rows");
            }
        }
    }

    private static MemorySegment weight(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        long rowBytes = type.bytesFor(cols);
        if (!QUANTIZER_TYPES.contains(type)) {
            return randomBlocks(arena, type, rows * type.bytesFor(cols) / type.blockBytes(), rnd);
        }
        MemorySegment w = arena.allocate(rows * rowBytes, 64);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) rnd.nextGaussian() * 0.5f;
            }
            ReferenceQuantizer.quantizeRow(type, row, 0, cols, w, r * rowBytes);
        }
        assertTrue(w.byteSize() > 0);
        return w;
    }

    /**
     * Random blocks of a type the reference quantizer does not write: every byte random, then the scale made finite
     * and moderate (f16 of magnitude [2^-8, 2^-3), either sign; MXFP4's E8M0 exponent in 2^-10 .. 2^5).
     */
    private static MemorySegment randomBlocks(Arena arena, GgmlType type, long blocks, Random rnd) {
        int bb = type.blockBytes();
        MemorySegment w = arena.allocate(blocks * bb, 64);
        byte[] b = new byte[bb];
        for (long i = 0; i < blocks; i++) {
            rnd.nextBytes(b);
            float d = (float) Math.scalb(1 + rnd.nextDouble(), -(4 + rnd.nextInt(5))) * (rnd.nextBoolean() ? 1 : -1);
            short h = Float.floatToFloat16(d);
            switch (type) {
                case IQ1_S, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S -> putShort(b, 0, h);
                case TQ1_0 -> putShort(b, 52, h);
                case TQ2_0 -> putShort(b, 64, h);
                case IQ1_M -> { // the f16 is the top nibbles of the four scale words at byte 48, word 0's lowest
                    for (int k = 0; k < 4; k++) {
                        b[49 + 2 * k] = (byte) ((b[49 + 2 * k] & 0x0F) | ((h >> (4 * k)) & 0x0F) << 4);
                    }
                }
                case MXFP4 -> b[0] = (byte) (118 + rnd.nextInt(16));
                default -> throw new IllegalArgumentException("no random blocks for " + type);
            }
            MemorySegment.copy(b, 0, w, JAVA_BYTE, i * bb, bb);
        }
        return w;
    }

    private static void putShort(byte[] b, int at, short v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
    }

    private static MemorySegment filled(Arena arena, long n) {
        MemorySegment s = arena.allocate(n * Float.BYTES, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, -7f);
        }
        return s;
    }
}
