package dev.moe4j.internal.quant;

import dev.moe4j.testing.GoldenDump;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ReferenceQuantizer}: error bounds on random data, ggml's rounding rules, and re-creating llama.cpp's bytes. */
class ReferenceQuantizerTest {
    /** Relative rounding of a binary16 (normal range): the stored scale is within this fraction of the exact one. */
    private static final double F16_EPS = 0x1p-11;

    private static byte[] quantize(GgmlType type, float[] x) {
        byte[] out = new byte[Math.toIntExact(type.bytesFor(x.length))];
        ReferenceQuantizer.quantizeRow(type, x, 0, x.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    private static float[] dequantize(GgmlType type, byte[] bytes, int n) {
        float[] out = new float[n];
        ReferenceQuant.dequantizeRow(type, MemorySegment.ofArray(bytes), 0, out, n);
        return out;
    }

    private static float[] randomRow(Random rnd, int n) {
        float[] x = new float[n];
        for (int b = 0; b < n / 32; b++) {
            double blockScale = Math.scalb(1.0, rnd.nextInt(12) - 8); // blocks of very different magnitude
            for (int j = 0; j < 32; j++) {
                x[32 * b + j] = (float) (rnd.nextGaussian() * blockScale);
            }
        }
        return x;
    }

    /** |x − x'| ≤ d·(1/2 + 127·ε16) per element with d = max|x|/127 of its block, and the bound is nearly reached. */
    @ParameterizedTest
    @ValueSource(ints = {32, 256, 2816})
    void q8_0RoundTripStaysWithinHalfAStep(int n) {
        long seed = 8000 + n;
        float[] x = randomRow(new Random(seed), n);
        float[] y = dequantize(GgmlType.Q8_0, quantize(GgmlType.Q8_0, x), n);
        double worstFraction = 0;
        for (int b = 0; b < n / 32; b++) {
            double amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[32 * b + j]));
            }
            double d = amax / 127;
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                double err = Math.abs(x[i] - y[i]);
                assertTrue(err <= d * (0.5 + 127 * F16_EPS) + 1e-7 * d,
                        "seed " + seed + " element " + i + ": " + x[i] + " -> " + y[i] + " (step " + d + ")");
                worstFraction = Math.max(worstFraction, err / d);
            }
        }
        assertTrue(worstFraction > 0.3, "seed " + seed + ": suspiciously exact round trip " + worstFraction);
    }

    /** |x − x'| ≤ |d|·(1/2 + 8·ε16) with d = max/−8, or ≤ |d|·(1 + 8·ε16) near −max where level +8 is missing. */
    @ParameterizedTest
    @ValueSource(ints = {32, 256, 2816})
    void q4_0RoundTripStaysWithinHalfAStep(int n) {
        long seed = 4000 + n;
        float[] x = randomRow(new Random(seed), n);
        float[] y = dequantize(GgmlType.Q4_0, quantize(GgmlType.Q4_0, x), n);
        double worstFraction = 0;
        for (int b = 0; b < n / 32; b++) {
            float max = 0;
            for (int j = 0; j < 32; j++) {
                if (Math.abs(x[32 * b + j]) > Math.abs(max)) {
                    max = x[32 * b + j];
                }
            }
            double d = Math.abs(max / 8.0);
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                double err = Math.abs(x[i] - y[i]);
                boolean clamped = Math.abs(x[i] + max) <= d / 2 + 1e-6 * d;
                double bound = d * ((clamped ? 1 : 0.5) + 8 * F16_EPS) + 1e-6 * d;
                assertTrue(err <= bound, "seed " + seed + " element " + i + ": " + x[i] + " -> " + y[i] + " (step " + d + ")");
                worstFraction = Math.max(worstFraction, err / d);
            }
        }
        assertTrue(worstFraction > 0.3, "seed " + seed + ": suspiciously exact round trip " + worstFraction);
    }

    @Test
    void q8_0RoundsHalvesAwayFromZeroLikeRoundf() {
        float[] x = new float[32];
        x[0] = 127; // d = 1, so x·(1/d) is x itself
        x[1] = 2.5f;
        x[2] = -2.5f;
        x[3] = 0.5f;
        x[4] = -0.5f;
        x[5] = -127;
        byte[] q = quantize(GgmlType.Q8_0, x);
        assertEquals(0x3C00, (q[0] & 0xFF) | (q[1] & 0xFF) << 8, "d = 1.0 as f16");
        assertArrayEquals(new byte[] {127, 3, -3, 1, -1, -127, 0}, Arrays.copyOfRange(q, 2, 9));
    }

    @Test
    void q4_0MapsTheSignedMaximumToLevelMinus8AndTruncatesAfterAddingEightAndAHalf() {
        float[] x = new float[32];
        x[0] = -8; // max = −8, d = 1
        x[1] = 7; // 15.5 → 15
        x[2] = 7.9f; // 16.4 → 16, clamped to 15
        x[3] = 0.5f; // 9.0 → 9: a half rounds up
        x[4] = -0.5f; // 8.0 → 8
        x[16] = -7.5f; // 1.0 → 1 (high nibble of byte 0)
        byte[] q = quantize(GgmlType.Q4_0, x);
        assertEquals(0x3C00, (q[0] & 0xFF) | (q[1] & 0xFF) << 8, "d = 1.0 as f16");
        assertEquals(0x10, q[2] & 0xFF, "element 0 (level 0) and element 16 (level 1)");
        assertEquals(15, q[3] & 0x0F);
        assertEquals(15, q[4] & 0x0F);
        assertEquals(9, q[5] & 0x0F);
        assertEquals(8, q[6] & 0x0F);
        float[] y = dequantize(GgmlType.Q4_0, q, 32);
        assertEquals(-8f, y[0]);
        assertEquals(7f, y[2]);
        assertEquals(-7f, y[16]);
    }

    @Test
    void anAllZeroBlockStoresZeros() {
        byte[] q8 = quantize(GgmlType.Q8_0, new float[64]);
        assertArrayEquals(new byte[q8.length], q8);
        assertArrayEquals(new float[64], dequantize(GgmlType.Q8_0, q8, 64));

        // Q4_0: d = 0 / −8 = −0 (f16 0x8000, as ggml writes it) and every level is 0, i.e. nibble 8.
        byte[] q4 = quantize(GgmlType.Q4_0, new float[64]);
        for (int b = 0; b < 2; b++) {
            assertEquals(0x00, q4[18 * b] & 0xFF);
            assertEquals(0x80, q4[18 * b + 1] & 0xFF);
            for (int j = 2; j < 18; j++) {
                assertEquals((byte) 0x88, q4[18 * b + j]);
            }
        }
        float[] y = dequantize(GgmlType.Q4_0, q4, 64);
        for (float v : y) {
            assertEquals(0f, Math.abs(v));
        }
    }

    @ParameterizedTest
    @CsvSource({"F32", "F16", "BF16"})
    void floatFormatsRoundTripRepresentableValues(GgmlType type) {
        float[] x = {1f, -2.5f, 0.375f, 0f, -0f, 49152f, -0x1p-14f, 3f}; // exact in f16 and bf16
        assertArrayEquals(x, dequantize(type, quantize(type, x), x.length));
    }

    @Test
    void rejectsWhatItCannotDo() {
        MemorySegment dst = MemorySegment.ofArray(new byte[1024]);
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceQuantizer.quantizeRow(GgmlType.Q4_K, new float[256], 0, 256, dst, 0));
        assertThrows(IllegalArgumentException.class, () -> ReferenceQuantizer.quantizeQ8_0(new float[40], 0, 40, dst, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> ReferenceQuantizer.quantizeQ4_0(new float[64], 0, 64, dst, 1000));
        assertThrows(IndexOutOfBoundsException.class, () -> ReferenceQuantizer.quantizeQ8_0(new float[32], 1, 32, dst, 0));
    }

    /**
     * llama.cpp quantized the golden Q8_0/Q4_0 tensors with these same round-to-nearest rules, so quantizing their
     * dequantized rows again must give back the file's bytes exactly (the element of largest magnitude lands on
     * ±127 or −8, which reproduces d, and every other element lands on its own level).
     */
    @ParameterizedTest
    @CsvSource({
            "ds2-tiny-q8e, blk.1.ffn_gate_exps.weight",
            "qwen3moe-k256-q5_k_m, blk.0.attn_k.weight",
            "ds2-tiny-q4e, blk.1.ffn_gate_exps.weight"})
    void requantizingLlamaCppTensorsReproducesTheirBytes(String folder, String tensorName) throws IOException {
        Path dir = GoldenFiles.goldenDir().resolve(folder);
        GoldenDump.Tensor t = GoldenDump.read(dir.resolve("gguf_dump.txt")).tensor(tensorName);
        int rows = 64;
        int cols = Math.toIntExact(t.rowLength());
        long bytes = t.type().bytesFor((long) rows * cols);
        try (Arena arena = Arena.ofConfined();
             var ch = java.nio.channels.FileChannel.open(dir.resolve("model.gguf"))) {
            MemorySegment original = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, t.offset(), bytes, arena);
            float[] x = new float[rows * cols];
            ReferenceQuant.dequantizeRow(t.type(), original, 0, x, x.length);
            byte[] again = new byte[Math.toIntExact(bytes)];
            ReferenceQuantizer.quantizeRow(t.type(), x, 0, x.length, MemorySegment.ofArray(again), 0);
            byte[] want = original.toArray(ValueLayout.JAVA_BYTE);
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], again[i], folder + "/" + tensorName + ": byte " + i + " (block "
                        + i / t.type().blockBytes() + ")");
            }
        }
        assertTrue(Files.size(dir.resolve("model.gguf")) > t.offset() + bytes);
    }
}
