package dev.moe4j.internal.quant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The formats {@link ReferenceQuant} decoded ahead of the kernels (the i-quants, TQ1_0, TQ2_0, MXFP4; they have kernels
 * now): their flags, the argument checks (the same exceptions as for the other formats), and hand-decoded blocks for
 * the parts of the layouts that golden data does not single out (IQ1_M's scattered f16 scale, the E8M0 extremes of
 * MXFP4). Exactness on real data is GoldenIQuantDequantTest's; TQ1_0 and TQ2_0 are TernaryQuantTest's.
 */
class ReferenceOnlyFormatsTest {
    private static final String[] GGML_FORMATS = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M",
            "TQ1_0", "TQ2_0", "MXFP4"};

    private static float[] decode(GgmlType type, byte[] bytes) {
        float[] out = new float[bytes.length / type.blockBytes() * type.blockElems()];
        ReferenceQuant.dequantizeRow(type, MemorySegment.ofArray(bytes), 0, out, out.length);
        return out;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void theTenHaveKernelsAndNoTypeIsReferenceOnly() {
        for (GgmlType t : GgmlType.values()) {
            assertEquals(t.kernels(), t.referenceDequant(), t + ": a reference without kernels, or the other way");
        }
        for (String name : GGML_FORMATS) {
            assertTrue(GgmlType.valueOf(name).kernels(), name);
        }
        assertEquals(Arrays.asList(GGML_FORMATS), RandomWeights.GGML_FORMATS.stream().map(GgmlType::name).toList());
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M",
            "TQ1_0", "TQ2_0", "MXFP4"})
    void rejectsBadCountsAndRangesLikeTheKernelFormats(GgmlType type) {
        int block = type.blockElems();
        MemorySegment two = MemorySegment.ofArray(new byte[2 * type.blockBytes()]);
        float[] dst = new float[2 * block];
        ReferenceQuant.dequantizeRow(type, two, 0, dst, 2 * block); // the valid call the others spoil

        assertThrows(IllegalArgumentException.class, () -> ReferenceQuant.dequantizeRow(type, two, 0, dst, block / 2));
        assertThrows(IllegalArgumentException.class, () -> ReferenceQuant.dequantizeRow(type, two, 0, dst, block + 1));
        assertThrows(IllegalArgumentException.class, () -> ReferenceQuant.dequantizeRow(type, two, 0, dst, -block));
        MemorySegment short1 = MemorySegment.ofArray(new byte[2 * type.blockBytes() - 1]);
        assertThrows(IndexOutOfBoundsException.class, () -> ReferenceQuant.dequantizeRow(type, short1, 0, dst, 2 * block));
        assertThrows(IndexOutOfBoundsException.class, () -> ReferenceQuant.dequantizeRow(type, two, 1, dst, 2 * block));
        assertThrows(IndexOutOfBoundsException.class, () -> ReferenceQuant.dequantizeRow(type, two, 0, dst, 1, 2 * block));
        assertThrows(IndexOutOfBoundsException.class,
                () -> ReferenceQuant.dequantizeRow(type, two, 0, new float[2 * block - 1], 2 * block));
    }

    @Test
    void iq2_xxsBlock() {
        byte[] b = new byte[66];
        le(b).putShort(0, (short) 0x3C00); // d = 1
        b[2] = 1; // group 0: iq2xxs_grid[1] = 0x080808080808082b, element 0 first: 43, 8, 8, ...
        b[4] = (byte) 255; // group 2: iq2xxs_grid[255] = 0x2b2b2b1908081908: 8, 25, 8, 8, 25, 43, 43, 43
        // scale 3 → db = (0.5 + 3)·0.25 = 0.875; group 0 signs ksigns[1] = 0x81 (elements 0, 7), group 1 ksigns[3] = 0x03
        le(b).putInt(6, 3 << 28 | 1 | 3 << 7);
        float[] x = decode(GgmlType.IQ2_XXS, b);
        assertEquals(-37.625f, x[0]);
        assertEquals(7f, x[1]);
        assertEquals(-7f, x[7]);
        assertEquals(-7f, x[8]);
        assertEquals(-7f, x[9]);
        assertEquals(7f, x[10]);
        assertEquals(21.875f, x[17]);
        assertEquals(37.625f, x[23]);
        assertEquals(1f, x[32]); // sub-block 1 all zero: db = 0.125, point 0 = all 8s, no signs
    }

    @Test
    void iq1_mAssemblesItsScaleFromTheTopNibblesOfTheScaleWords() {
        byte[] b = new byte[56];
        // d = 1.0 = f16 0x3C00: nibbles 0, 0, 0xC, 0x3 from the tops of words 0..3; word 0's low 6 bits are sub-block 0's
        // scales: 1 for its first half (dl = 1·(2·1 + 1) = 3), 2 for its second (dl = 5).
        le(b).putShort(48, (short) (2 << 3 | 1)).putShort(50, (short) 0).putShort(52, (short) 0xC000)
                .putShort(54, (short) 0x3000);
        b[0] = 1; // point 0: iq1s_grid[1] = 0xffffffffffffff01 → 1, −1, −1, ...; qh nibble 0 = 0: delta +0.125
        b[32] = (byte) 0x80; // qh nibble 1: bit 3 set → point 1 (iq1s_grid[0] = all −1) takes delta −0.125
        float[] x = decode(GgmlType.IQ1_M, b);
        assertEquals(3.375f, x[0]);
        assertEquals(-2.625f, x[1]);
        assertEquals(-3.375f, x[8]);
        assertEquals(-4.375f, x[16]); // second half: dl 5, point 0, delta +0.125
        assertEquals(-0.875f, x[32]); // sub-block 1: scale 0 → dl 1
    }

    @Test
    void mxfp4DecodesE2M1WithAnE8M0Scale() {
        byte[] b = new byte[3 * 17];
        b[0] = 127; // 2^0: half of it times the doubled E2M1 values
        b[1] = (byte) 0xF7; // element 0 ← code 7 (6.0), element 16 ← code 15 (−6.0)
        b[2] = 0x08; // code 8 is E2M1's −0, decoded as +0 (kvalues_mxfp4[8] = 0)
        b[17] = 0; // 2^−127: half of it is a binary32 subnormal
        b[18] = (byte) 0xE1;
        b[34] = (byte) 0xFF; // 2^128, NaN in the OCP MX spec, is read by ggml as an ordinary exponent
        b[35] = 0x71;
        float[] x = decode(GgmlType.MXFP4, b);
        assertEquals(6f, x[0]);
        assertEquals(-6f, x[16]);
        assertEquals(0f, x[1]);
        assertEquals(0f, x[17]);
        assertEquals(0x1p-128f, x[32]);
        assertEquals(-0x1p-125f, x[48]);
        assertEquals(0x1p127f, x[64]);
        assertEquals(Float.POSITIVE_INFINITY, x[80]); // 12 · 2^127 overflows, as in ggml and gguf-py
        assertFalse(Float.isNaN(x[80]));
    }
}
