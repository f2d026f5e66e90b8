package dev.moe4j.cli.synth;

import dev.moe4j.internal.gguf.GgufWriter.TensorData;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random weights dequantize (with the Java reference decoder) to finite values of about the requested RMS and mean
 * near zero, the same bytes whatever the chunking, and Q8_0 never uses the level −128.
 */
class RandomBlocksTest {
    private static final int COLS = 1024;
    private static final int ROWS = 24;

    private static byte[] generate(TensorData data, long bytes, int chunk) {
        ByteBuffer all = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long at = 0; at < bytes; at += chunk) {
            ByteBuffer part = all.slice((int) at, (int) Math.min(chunk, bytes - at)).order(ByteOrder.LITTLE_ENDIAN);
            data.fill(at, part);
            assertFalse(part.hasRemaining(), "the source fills its whole chunk");
        }
        return all.array();
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K",
            "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"})
    void dequantizedValuesAreFiniteWithTheRequestedRms(GgmlType type) {
        double rms = 0.03;
        long bytes = type.bytesFor((long) COLS * ROWS);
        byte[] data = generate(RandomBlocks.matrix(type, rms, 7), bytes, type.blockBytes() * 5);
        MemorySegment seg = MemorySegment.ofArray(data);
        float[] row = new float[COLS];
        double sum = 0;
        double sumSq = 0;
        long rowBytes = type.bytesFor(COLS);
        for (int r = 0; r < ROWS; r++) {
            ReferenceQuant.dequantizeRow(type, seg, r * rowBytes, row, COLS);
            for (float v : row) {
                assertTrue(Float.isFinite(v), type + ": non-finite element in row " + r);
                sum += v;
                sumSq += (double) v * v;
            }
        }
        int n = COLS * ROWS;
        double measured = Math.sqrt(sumSq / n);
        double mean = sum / n;
        // the unit RMS of each format is an estimate from uniform payloads; within a factor 1.5 is close enough for
        // activations to keep their scale, and far from the orders of magnitude a wrong scale offset would give
        assertTrue(measured > rms / 1.5 && measured < rms * 1.5, type + ": RMS " + measured + " for " + rms);
        assertTrue(Math.abs(mean) < 0.5 * rms, type + ": mean " + mean + " is not near zero");
    }

    /** A chunk's bytes depend on (seed, offset) only, so any thread may write any chunk of the file. */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "Q4_0", "Q8_0", "Q4_K", "Q6_K", "IQ4_XS"})
    void bytesAreAFunctionOfSeedAndOffset(GgmlType type) {
        long bytes = type.bytesFor(256L * 40);
        int chunk = type.blockBytes() * 3;
        byte[] a = generate(RandomBlocks.matrix(type, 0.1, 99), bytes, chunk);
        assertArrayEquals(a, generate(RandomBlocks.matrix(type, 0.1, 99), bytes, chunk));
        assertFalse(java.util.Arrays.equals(a, generate(RandomBlocks.matrix(type, 0.1, 100), bytes, chunk)));
        // the same chunk asked for on its own (as another writer thread would) gives the same bytes
        ByteBuffer third = ByteBuffer.allocate(chunk).order(ByteOrder.LITTLE_ENDIAN);
        RandomBlocks.matrix(type, 0.1, 99).fill(2L * chunk, third);
        assertArrayEquals(java.util.Arrays.copyOfRange(a, 2 * chunk, 3 * chunk), third.array());
    }

    @Test
    void q8PayloadNeverHoldsMinus128() {
        long bytes = GgmlType.Q8_0.bytesFor(32L * 20000);
        byte[] data = generate(RandomBlocks.matrix(GgmlType.Q8_0, 0.1, 3), bytes, 34 * 1000 + 34);
        for (int b = 0; b < data.length; b += 34) {
            for (int j = 2; j < 34; j++) {
                assertTrue(data[b + j] != Byte.MIN_VALUE, "block " + b / 34 + " quant " + (j - 2));
            }
        }
    }

    @Test
    void noMinus128MapsExactlyTheBytes0x80() {
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < 200_000; i++) {
            long v = r.nextLong();
            for (int k = 0; k < 8; k++) { // plant 0x80 and 0x81 bytes next to each other often
                int pick = r.nextInt(4);
                if (pick == 0) {
                    v = v & ~(0xFFL << (8 * k)) | (0x80L << (8 * k));
                } else if (pick == 1) {
                    v = v & ~(0xFFL << (8 * k)) | (0x81L << (8 * k));
                }
            }
            long got = RandomBlocks.noMinus128(v);
            for (int k = 0; k < 8; k++) {
                int in = (int) (v >>> (8 * k)) & 0xFF;
                int out = (int) (got >>> (8 * k)) & 0xFF;
                assertEquals(in == 0x80 ? 0x81 : in, out, "byte " + k + " of " + Long.toHexString(v));
            }
        }
    }

    @Test
    void unsupportedTypesAreRefused() {
        assertFalse(RandomBlocks.supports(GgmlType.IQ2_XXS));
        assertThrows(IllegalArgumentException.class, () -> RandomBlocks.matrix(GgmlType.IQ2_XXS, 0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> RandomBlocks.floats(GgmlType.Q8_0, 1, (i, r) -> 0f));
    }
}
