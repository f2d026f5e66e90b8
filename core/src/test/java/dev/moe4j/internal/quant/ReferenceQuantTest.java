package dev.moe4j.internal.quant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ReferenceQuant} where the golden files do not reach: hand-decoded blocks with literal expected values, and
 * agreement with {@link SpecDecoder} (an element-by-element reading of the spec) on random blocks of every format.
 */
class ReferenceQuantTest {
    /** The formats SpecDecoder reads; ggml's own formats are checked against gguf-py (GoldenIQuantDequantTest). */
    static List<GgmlType> supported() {
        return RandomWeights.SPEC_FORMATS;
    }

    private static float[] decode(GgmlType type, byte[] bytes, int n) {
        float[] out = new float[n];
        ReferenceQuant.dequantizeRow(type, MemorySegment.ofArray(bytes), 0, out, n);
        return out;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void supportedListIsExactlyTheKernelTypes() {
        List<GgmlType> all = RandomWeights.SUPPORTED;
        assertEquals(Arrays.stream(GgmlType.values()).filter(GgmlType::kernels).toList().size(), all.size());
        assertTrue(all.stream().allMatch(GgmlType::kernels));
        assertEquals(all.size(), all.stream().distinct().count());
    }

    /** Random blocks with exact scales: the block walk and the spec's index formulas agree bit for bit. */
    @ParameterizedTest
    @MethodSource("supported")
    void agreesWithTheSpecElementByElement(GgmlType type) {
        long seed = 1000 + type.id();
        Random rnd = new Random(seed);
        int blocks = type.blockElems() == 1 ? 4096 : 64;
        byte[] bytes = RandomWeights.blocks(type, blocks, rnd, RandomWeights.Scales.EXACT);
        float[] got = decode(type, bytes, blocks * type.blockElems());
        boolean anyNonZero = false;
        for (int blk = 0; blk < blocks; blk++) {
            byte[] one = Arrays.copyOfRange(bytes, blk * type.blockBytes(), (blk + 1) * type.blockBytes());
            for (int i = 0; i < type.blockElems(); i++) {
                double want = SpecDecoder.element(type, one, i);
                float g = got[blk * type.blockElems() + i];
                anyNonZero |= g != 0;
                assertEquals(want, g, 0.0, type + " seed " + seed + " block " + blk + " element " + i);
            }
        }
        assertTrue(anyNonZero, type + ": random blocks decoded to zeros");
    }

    /** Random scales: the reference rounds like binary32 arithmetic, so it stays within a few ulps of the double spec. */
    @ParameterizedTest
    @MethodSource("supported")
    void agreesWithTheSpecForModerateScales(GgmlType type) {
        long seed = 2000 + type.id();
        Random rnd = new Random(seed);
        int blocks = type.blockElems() == 1 ? 4096 : 64;
        byte[] bytes = RandomWeights.blocks(type, blocks, rnd, RandomWeights.Scales.MODERATE);
        float[] got = decode(type, bytes, blocks * type.blockElems());
        float[] maxAbs = new float[blocks];
        for (int blk = 0; blk < blocks; blk++) {
            for (int i = 0; i < type.blockElems(); i++) {
                maxAbs[blk] = Math.max(maxAbs[blk], Math.abs(got[blk * type.blockElems() + i]));
            }
        }
        for (int blk = 0; blk < blocks; blk++) {
            byte[] one = Arrays.copyOfRange(bytes, blk * type.blockBytes(), (blk + 1) * type.blockBytes());
            for (int i = 0; i < type.blockElems(); i++) {
                double want = SpecDecoder.element(type, one, i);
                // Two or three binary32 roundings of terms no larger than the block's largest |x| plus its offset.
                double tol = 4 * Math.ulp(maxAbs[blk]) + 1e-30;
                assertEquals(want, got[blk * type.blockElems() + i], tol,
                        type + " seed " + seed + " block " + blk + " element " + i);
            }
        }
    }

    @Test
    void scalarTypes() {
        byte[] f32 = new byte[8];
        le(f32).putFloat(0, 1.5f).putFloat(4, -0x1p-140f);
        assertArrayEquals(new float[] {1.5f, -0x1p-140f}, decode(GgmlType.F32, f32, 2));

        byte[] f16 = new byte[6];
        le(f16).putShort(0, (short) 0x3C00).putShort(2, (short) 0xC500).putShort(4, (short) 0x0001);
        assertArrayEquals(new float[] {1f, -5f, 0x1p-24f}, decode(GgmlType.F16, f16, 3));

        byte[] bf16 = new byte[4];
        le(bf16).putShort(0, (short) 0x3F80).putShort(2, (short) 0xC0A0);
        assertArrayEquals(new float[] {1f, -5f}, decode(GgmlType.BF16, bf16, 2));
    }

    @Test
    void q8_0Block() {
        byte[] b = new byte[34];
        le(b).putShort(0, (short) 0x3800); // d = 0.5
        b[2] = 127;
        b[3] = -128;
        b[33] = -3;
        float[] x = decode(GgmlType.Q8_0, b, 32);
        assertEquals(63.5f, x[0]);
        assertEquals(-64f, x[1]);
        assertEquals(0f, x[2]);
        assertEquals(-1.5f, x[31]);
    }

    @Test
    void q4_0AndQ4_1UseTheSplitHalfNibbleOrder() {
        byte[] q40 = new byte[18];
        le(q40).putShort(0, (short) 0x4000); // d = 2
        q40[2] = (byte) 0xF0; // element 0 = low nibble 0, element 16 = high nibble 15
        q40[17] = (byte) 0x19; // element 15 = 9, element 31 = 1
        float[] x = decode(GgmlType.Q4_0, q40, 32);
        assertEquals(-16f, x[0]);
        assertEquals(14f, x[16]);
        assertEquals(2f, x[15]);
        assertEquals(-14f, x[31]);
        assertEquals(-16f, x[1]); // byte 0x00: nibble 0 → level −8

        byte[] q41 = new byte[20];
        le(q41).putShort(0, (short) 0x4000).putShort(2, (short) 0xBC00); // d = 2, m = −1
        q41[4] = (byte) 0xF0;
        q41[19] = (byte) 0x19;
        float[] y = decode(GgmlType.Q4_1, q41, 32);
        assertEquals(-1f, y[0]);
        assertEquals(29f, y[16]);
        assertEquals(17f, y[15]);
        assertEquals(1f, y[31]);
    }

    @Test
    void q5_0AndQ5_1TakeBitJOfQhForElementJ() {
        byte[] q50 = new byte[22];
        le(q50).putShort(0, (short) 0x3C00).putInt(2, 0x8000_0001); // d = 1; high bits of elements 0 and 31
        q50[6] = 0x21; // element 0: 1 | 16 = 17 → +1; element 16: 2 → −14
        q50[21] = (byte) 0xF0; // element 15: 0 → −16; element 31: 15 | 16 = 31 → +15
        float[] x = decode(GgmlType.Q5_0, q50, 32);
        assertEquals(1f, x[0]);
        assertEquals(-14f, x[16]);
        assertEquals(-16f, x[15]);
        assertEquals(15f, x[31]);

        byte[] q51 = new byte[24];
        le(q51).putShort(0, (short) 0x3800).putShort(2, (short) 0x4200).putInt(4, 0x0001_0000); // d=0.5, m=3, bit 16
        q51[8] = 0x21; // element 0: 1 → 3.5; element 16: 2 | 16 = 18 → 12
        float[] y = decode(GgmlType.Q5_1, q51, 32);
        assertEquals(3.5f, y[0]);
        assertEquals(12f, y[16]);
        assertEquals(3f, y[1]);
    }

    @Test
    void iq4NlAndIq4XsUseTheNonLinearLevels() {
        byte[] nl = new byte[18];
        le(nl).putShort(0, (short) 0x3800); // d = 0.5
        nl[2] = (byte) 0xF0; // element 0 → level[0] = −127, element 16 → level[15] = 113
        nl[3] = (byte) 0x78; // element 1 → level[8] = 1, element 17 → level[7] = −10
        float[] x = decode(GgmlType.IQ4_NL, nl, 32);
        assertEquals(-63.5f, x[0]);
        assertEquals(56.5f, x[16]);
        assertEquals(0.5f, x[1]);
        assertEquals(-5f, x[17]);

        byte[] xs = new byte[136];
        // d = 1; sub-block 0: ls = 0x1 | (2 << 4) = 33 → scale 1; sub-block 7: ls = 0xF | (0 << 4) = 15 → scale −17
        le(xs).putShort(0, (short) 0x3C00).putShort(2, (short) 0x0002);
        xs[4] = 0x01;
        xs[7] = (byte) 0xF0;
        xs[8] = (byte) 0xF0; // sub-block 0, element 0 → −127, element 16 → 113
        xs[8 + 16 * 7 + 15] = 0x08; // sub-block 7, element 15 → 1, element 31 → −127
        float[] y = decode(GgmlType.IQ4_XS, xs, 256);
        assertEquals(-127f, y[0]);
        assertEquals(113f, y[16]);
        assertEquals(-17f, y[224 + 15]);
        assertEquals(-127f * -17f, y[224 + 31]);
        assertEquals(-127f * (0 - 32), y[32]); // sub-block 1: ls = 0 → scale −32, nibble 0 → −127
    }

    @Test
    void dequantizeRowWritesAtTheOffsetAndNowhereElse() {
        byte[] b = RandomWeights.blocks(GgmlType.Q4_K, 2, new Random(7), RandomWeights.Scales.MODERATE);
        float[] whole = decode(GgmlType.Q4_K, b, 512);
        float[] dst = new float[600];
        Arrays.fill(dst, Float.NaN);
        MemorySegment seg = MemorySegment.ofArray(b);
        ReferenceQuant.dequantizeRow(GgmlType.Q4_K, seg, 144, dst, 10, 256);
        assertArrayEquals(Arrays.copyOfRange(whole, 256, 512), Arrays.copyOfRange(dst, 10, 266));
        assertTrue(Float.isNaN(dst[9]) && Float.isNaN(dst[266]));
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_K", "Q8_1", "I8", "I32", "F64"})
    void rejectsTypesWithoutAReference(GgmlType type) {
        assertTrue(!type.referenceDequant() && !type.kernels());
        MemorySegment src = MemorySegment.ofArray(new byte[4096]);
        var e = assertThrows(IllegalArgumentException.class,
                () -> ReferenceQuant.dequantizeRow(type, src, 0, new float[256], 256));
        assertTrue(e.getMessage().contains(type.name()), e.getMessage());
    }

    @Test
    void rejectsBadCountsAndRanges() {
        MemorySegment src = MemorySegment.ofArray(new byte[144]);
        float[] dst = new float[512];
        assertThrows(IllegalArgumentException.class, () -> ReferenceQuant.dequantizeRow(GgmlType.Q4_K, src, 0, dst, 255));
        assertThrows(IllegalArgumentException.class, () -> ReferenceQuant.dequantizeRow(GgmlType.Q4_K, src, 0, dst, -256));
        assertThrows(IndexOutOfBoundsException.class, () -> ReferenceQuant.dequantizeRow(GgmlType.Q4_K, src, 0, dst, 512));
        assertThrows(IndexOutOfBoundsException.class, () -> ReferenceQuant.dequantizeRow(GgmlType.Q4_K, src, 1, dst, 256));
        assertThrows(IndexOutOfBoundsException.class,
                () -> ReferenceQuant.dequantizeRow(GgmlType.Q4_K, src, 0, new float[255], 256));
        assertThrows(IndexOutOfBoundsException.class,
                () -> ReferenceQuant.dequantizeRow(GgmlType.Q4_K, src, 0, dst, 300, 256));
    }

    @Test
    void matvecAndMatmulAreDotsOfDequantizedRows() {
        long seed = 42;
        Random rnd = new Random(seed);
        GgmlType type = GgmlType.Q6_K;
        int rows = 5, cols = 512;
        long rowBytes = type.bytesFor(cols) + 16; // padded rows
        MemorySegment w = MemorySegment.ofArray(RandomWeights.matrix(type, rows, cols, rowBytes, rnd,
                RandomWeights.Scales.MODERATE));
        int nTokens = 3, xStride = cols + 7;
        float[] x = RandomWeights.activations(xStride * nTokens, rnd);
        float[][] dense = RandomWeights.dequantize(type, w, rowBytes, rows, cols);
        double[][] y = ReferenceQuant.matmul(type, w, rowBytes, rows, cols, x, xStride, nTokens);
        for (int t = 0; t < nTokens; t++) {
            for (int r = 0; r < rows; r++) {
                double want = 0;
                for (int c = 0; c < cols; c++) {
                    want += (double) dense[r][c] * x[t * xStride + c];
                }
                assertEquals(want, y[t][r], 0.0, "seed " + seed + " token " + t + " row " + r);
                assertEquals(want, ReferenceQuant.dot(type, w, r * rowBytes, cols, x, t * xStride), 0.0);
            }
        }
        float[] x0 = Arrays.copyOf(x, cols);
        assertArrayEquals(y[0], ReferenceQuant.matvec(type, w, rowBytes, rows, cols, x0), 0.0);
        // A unit vector picks out one dequantized element.
        float[] unit = new float[cols];
        unit[300] = 1;
        assertEquals(dense[2][300], ReferenceQuant.dot(type, w, 2 * rowBytes, cols, unit, 0), 0.0);
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceQuant.matmul(type, w, type.bytesFor(cols) - 1, rows, cols, x, xStride, 1));
        assertThrows(IllegalArgumentException.class,
                () -> ReferenceQuant.matmul(type, w, rowBytes, rows, cols, x, cols - 1, 1));
    }
}
