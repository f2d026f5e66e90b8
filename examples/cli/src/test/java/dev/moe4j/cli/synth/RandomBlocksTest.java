package dev.moe4j.cli.synth;

import dev.moe4j.tooling.GgufFileWriter.TensorData;
import dev.moe4j.tooling.TensorType;
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
 * near zero, the same bytes whatever the chunking, Q8_0 never uses the level −128 and TQ2_0 stays ternary.
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
    @EnumSource(value = TensorType.class, names = {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K",
            "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S",
            "IQ3_XXS", "IQ3_S", "TQ1_0", "TQ2_0", "MXFP4"})
    void dequantizedValuesAreFiniteWithTheRequestedRms(TensorType type) {
        assertTrue(RandomBlocks.supports(type));
        for (double rms : new double[] {0.03, 1 / Math.sqrt(18432)}) { // a typical row, and DeepSeek-V3's widest
            checkRms(type, rms);
        }
    }

    private static void checkRms(TensorType type, double rms) {
        long bytes = type.bytesFor((long) COLS * ROWS);
        byte[] data = generate(RandomBlocks.matrix(type, rms, 7), bytes, type.blockBytes() * 5);
        MemorySegment seg = MemorySegment.ofArray(data);
        float[] row = new float[COLS];
        double sum = 0;
        double sumSq = 0;
        long rowBytes = type.bytesFor(COLS);
        for (int r = 0; r < ROWS; r++) {
            type.dequantizeRow(seg, r * rowBytes, row, COLS);
            for (float v : row) {
                assertTrue(Float.isFinite(v), type + ": non-finite element in row " + r);
                sum += v;
                sumSq += (double) v * v;
            }
        }
        int n = COLS * ROWS;
        double measured = Math.sqrt(sumSq / n);
        double mean = sum / n;
        // the unit RMS of each format is an estimate from uniform payloads (and MXFP4's power-of-two scale is within
        // √2 of the wish); within a factor 1.5 is close enough for activations to keep their scale, and far from the
        // orders of magnitude a misplaced scale gives
        assertTrue(measured > rms / 1.5 && measured < rms * 1.5, type + ": RMS " + measured + " for " + rms);
        assertTrue(Math.abs(mean) < 0.5 * rms, type + ": mean " + mean + " is not near zero");
    }

    /** A chunk's bytes depend on (seed, offset) only, so any thread may write any chunk of the file. */
    @ParameterizedTest
    @EnumSource(value = TensorType.class, names = {"F16", "Q4_0", "Q8_0", "Q4_K", "Q6_K", "IQ4_XS", "IQ1_M", "IQ2_XXS",
            "TQ2_0", "MXFP4"})
    void bytesAreAFunctionOfSeedAndOffset(TensorType type) {
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
        long bytes = TensorType.Q8_0.bytesFor(32L * 20000);
        byte[] data = generate(RandomBlocks.matrix(TensorType.Q8_0, 0.1, 3), bytes, 34 * 1000 + 34);
        for (int b = 0; b < data.length; b += 34) {
            for (int j = 2; j < 34; j++) {
                assertTrue(data[b + j] != Byte.MIN_VALUE, "block " + b / 34 + " quant " + (j - 2));
            }
        }
    }

    @Test
    void tq2PayloadIsTernary() {
        long bytes = TensorType.TQ2_0.bytesFor(256L * 2000);
        byte[] data = generate(RandomBlocks.matrix(TensorType.TQ2_0, 0.1, 3), bytes, 66 * 100 + 66);
        long[] levels = new long[4];
        for (int b = 0; b < data.length; b += 66) {
            for (int j = 0; j < 64; j++) {
                for (int k = 0; k < 8; k += 2) {
                    levels[(data[b + j] >>> k) & 3]++;
                }
            }
        }
        assertEquals(0, levels[3], "no 2-bit level 3 (+2)");
        long n = levels[0] + levels[1] + levels[2];
        // −1 and +1 a quarter each, 0 half: ±1 % over 512 000 fields is over 20 standard deviations
        assertEquals(0.25, (double) levels[0] / n, 0.01);
        assertEquals(0.5, (double) levels[1] / n, 0.01);
        assertEquals(0.25, (double) levels[2] / n, 0.01);
    }

    @Test
    void noLevel3MapsExactlyTheFields3() {
        SplittableRandom r = new SplittableRandom(6);
        for (int i = 0; i < 100_000; i++) {
            long v = r.nextLong();
            long got = RandomBlocks.noLevel3(v);
            for (int k = 0; k < 64; k += 2) {
                long in = (v >>> k) & 3;
                assertEquals(in == 3 ? 1 : in, (got >>> k) & 3, "field " + k / 2 + " of " + Long.toHexString(v));
            }
        }
    }

    /** MXFP4's E8M0 byte and IQ1_M's scattered f16: the scale lands where ggml reads it, the rest stays random. */
    @Test
    void unusualScalesAreWhereTheDecoderReadsThem() {
        double rms = 0.02;
        byte[] mx = generate(RandomBlocks.matrix(TensorType.MXFP4, rms, 4), TensorType.MXFP4.bytesFor(32L * 64), 17 * 8);
        int e = 128 + (int) Math.round(Math.log(rms / 5.85) / Math.log(2));
        for (int b = 0; b < mx.length; b += 17) {
            assertEquals(e, mx[b] & 0xFF, "block " + b / 17);
        }
        byte[] m = generate(RandomBlocks.matrix(TensorType.IQ1_M, rms, 4), TensorType.IQ1_M.bytesFor(256L * 64), 56 * 8);
        short want = Float.floatToFloat16((float) (rms / 7.20));
        java.util.Set<Integer> low = new java.util.HashSet<>();
        for (int b = 0; b < m.length; b += 56) {
            int h = 0;
            for (int k = 0; k < 4; k++) {
                int w = (m[b + 48 + 2 * k] & 0xFF) | (m[b + 49 + 2 * k] & 0xFF) << 8;
                h |= (w >>> 12) << (4 * k);
                low.add(w & 0x0FFF);
            }
            assertEquals(want, (short) h, "block " + b / 56);
        }
        assertTrue(low.size() > 200, "the 3-bit sub-block scales stay random: " + low.size() + " distinct");
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

    /**
     * deepseek4's token-to-experts table: every row holds distinct experts (also when a row takes them all), the same
     * whatever the chunking.
     */
    @Test
    void hashRowsAreDistinctExpertsWhateverTheChunking() {
        int k = 6;
        int rows = 1000;
        for (int experts : new int[] {6, 8, 256}) {
            TensorData data = RandomBlocks.distinctRows(k, experts, 42);
            byte[] whole = generate(data, 4L * k * rows, 4 * k * rows);
            assertArrayEquals(whole, generate(data, 4L * k * rows, 4 * 7), "chunks that cut rows");
            ByteBuffer b = ByteBuffer.wrap(whole).order(ByteOrder.LITTLE_ENDIAN);
            for (int t = 0; t < rows; t++) {
                java.util.Set<Integer> seen = new java.util.HashSet<>();
                for (int j = 0; j < k; j++) {
                    int e = b.getInt();
                    assertTrue(e >= 0 && e < experts && seen.add(e), "row " + t + ": " + e);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> RandomBlocks.distinctRows(9, 8, 1));
    }

    @Test
    void unsupportedTypesAreRefused() {
        assertFalse(RandomBlocks.supports(TensorType.Q8_K)); // an activation format, never a weight
        assertFalse(RandomBlocks.supports(TensorType.I32));
        assertThrows(IllegalArgumentException.class, () -> RandomBlocks.matrix(TensorType.Q8_K, 0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> RandomBlocks.floats(TensorType.Q8_0, 1, (i, r) -> 0f));
    }
}
