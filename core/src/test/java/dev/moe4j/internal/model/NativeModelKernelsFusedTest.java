package dev.moe4j.internal.model;

import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model's kernels take the fused one-token calls (moeExperts, matvecBatch) exactly when they apply: quantized
 * weights with llama.cpp's 8-bit activations; not for float weights, not with f32 activations (then the callers make
 * the separate calls, whose numbers those are). The fused calls' arithmetic is FusedExpertsKernelTest's subject.
 */
class NativeModelKernelsFusedTest {
    @Test
    void fusedCallsApplyToQuantizedWeightsWithGgmlActivationsOnly() {
        int dim = 64;
        int ffn = 64;
        try (Arena arena = Arena.ofConfined();
             NativeModelKernels ggml = new NativeModelKernels(2, true);
             NativeModelKernels f32 = new NativeModelKernels(2, false)) {
            MemorySegment w = arena.allocate((long) dim * ffn * Float.BYTES, 64); // zeros: valid blocks of any type
            MemorySegment[] one = {w};
            MemorySegment x = arena.allocate((long) dim * Float.BYTES, 64);
            MemorySegment out = arena.allocate((long) dim * Float.BYTES, 64);
            float[] weight = {1f};
            long q8Row = GgmlType.Q8_0.bytesFor(dim);
            long q4Row = GgmlType.Q4_0.bytesFor(dim);
            assertTrue(ggml.moeExperts(GgmlType.Q4_0, GgmlType.Q8_0, dim, ffn, 1, one, one, one, q4Row, q8Row, weight,
                    x, out));
            assertTrue(ggml.matvecBatch(GgmlType.Q8_0, one, q8Row, ffn, dim, 1, x, dim, out, ffn));
            assertFalse(ggml.moeExperts(GgmlType.F32, GgmlType.Q8_0, dim, ffn, 1, one, one, one, dim * 4L, q8Row,
                    weight, x, out));
            assertFalse(ggml.matvecBatch(GgmlType.F16, one, dim * 2L, ffn, dim, 1, x, dim, out, ffn));
            assertFalse(f32.moeExperts(GgmlType.Q4_0, GgmlType.Q8_0, dim, ffn, 1, one, one, one, q4Row, q8Row, weight,
                    x, out));
            assertFalse(f32.matvecBatch(GgmlType.Q8_0, one, q8Row, ffn, dim, 1, x, dim, out, ffn));
        }
    }
}
