package dev.moe4j.internal.model;

import dev.moe4j.internal.gpu.CudaApi;
import dev.moe4j.internal.gpu.GpuInventory;
import dev.moe4j.internal.gpu.GpuWeights;
import dev.moe4j.internal.gpu.PlacementItem;
import dev.moe4j.internal.gpu.PlacementPlanner;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuantizer;
import dev.moe4j.testing.CudaTestLibrary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One product through {@link CudaModelKernels} against the CPU kernels, on libmoe4j_cuda's CPU emulation: a weight
 * placed on the GPU (whole, and a row slice of it, as a fused gate/up pair is used) and one that is not, strided
 * activations and outputs (the rows between the output rows must stay untouched), with and without llama.cpp's
 * activation rounding.
 */
class CudaModelKernelsTest {
    private static Path library;

    @BeforeAll
    static void findLibrary() {
        library = CudaTestLibrary.path();
    }

    @ParameterizedTest(name = "{0}, {1} tokens, ggml rounding {2}")
    @CsvSource({"F32, 1, true", "Q8_0, 1, true", "Q8_0, 3, true", "Q8_0, 3, false", "F16, 2, true", "Q4_0, 5, true"})
    void productsMatchTheCpuKernels(GgmlType type, int tokens, boolean ggml) {
        assumeTrue(library != null, CudaTestLibrary.missing());
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int rows = 48;
        int cols = 96;
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
                for (MemorySegment w : new MemorySegment[] {placed, placed.asSlice(16 * rowBytes, 32 * rowBytes),
                        cpuOnly}) {
                    int r = (int) (w.byteSize() / rowBytes);
                    MemorySegment got = filled(arena, tokens * yStride);
                    MemorySegment want = filled(arena, tokens * yStride);
                    k.matmul(type, w, rowBytes, r, cols, x, xStride, tokens, got, yStride);
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
                }
                assertEquals(2, k.gpuProducts(), where);
                assertEquals(1, k.cpuProducts(), where);
            }
        }
    }

    private static MemorySegment weight(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        long rowBytes = type.bytesFor(cols);
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

    private static MemorySegment filled(Arena arena, long n) {
        MemorySegment s = arena.allocate(n * Float.BYTES, 64);
        for (long i = 0; i < n; i++) {
            s.setAtIndex(JAVA_FLOAT, i, -7f);
        }
        return s;
    }
}
