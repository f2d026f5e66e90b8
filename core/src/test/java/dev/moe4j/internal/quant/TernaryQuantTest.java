package dev.moe4j.internal.quant;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The ternary formats TQ1_0 and TQ2_0. TQ1_0 is in no golden file, so it is checked twice: on blocks built here from the
 * layout (trits packed as base-3 fractions, written independently of the decoder's multiply-and-shift reading), and
 * against gguf-py's own TQ1_0 decoding of random blocks, embedded below. TQ2_0 (also in golden-iq) gets a hand block.
 */
class TernaryQuantTest {
    private static final int BLOCK = 256;

    private static float[] decode(GgmlType type, byte[] bytes) {
        float[] out = new float[bytes.length / type.blockBytes() * BLOCK];
        ReferenceQuant.dequantizeRow(type, MemorySegment.ofArray(bytes), 0, out, out.length);
        return out;
    }

    /**
     * A TQ1_0 block holding {@code trits[i]} (0, 1, 2 for −1, 0, +1) and scale {@code d}: each byte stores up to five
     * trits as the base-3 number v (first trit most significant, missing ones 0) rounded up to the byte ⌈v·256/243⌉.
     * Byte m < 32 holds elements 32n + m, byte 32 + m (m < 16) elements 160 + 16n + m, qh byte m (m < 4) the four
     * elements 240 + 4n + m.
     */
    static byte[] tq1_0Block(int[] trits, short d) {
        byte[] b = new byte[54];
        for (int m = 0; m < 32; m++) {
            b[m] = packTrits(trits, m, 32, 5);
        }
        for (int m = 0; m < 16; m++) {
            b[32 + m] = packTrits(trits, 160 + m, 16, 5);
        }
        for (int m = 0; m < 4; m++) {
            b[48 + m] = packTrits(trits, 240 + m, 4, 4);
        }
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(52, d);
        return b;
    }

    /** The byte of trits {@code trits[first + stride·n]}, n < count, as a 5-digit base-3 fraction. */
    private static byte packTrits(int[] trits, int first, int stride, int count) {
        int v = 0;
        for (int n = 0; n < 5; n++) {
            v = 3 * v + (n < count ? trits[first + stride * n] : 0);
        }
        return (byte) ((v * 256 + 242) / 243);
    }

    @Test
    void tq1_0ExtremeBytes() {
        byte[] b = new byte[54];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(52, (short) 0x4000); // d = 2
        b[0] = (byte) 0xFF; // every trit 2 → +d: elements 0, 32, 64, 96, 128
        b[48] = (byte) 0xFF; // qh byte 0: elements 240, 244, 248, 252
        b[33] = (byte) 187; // v = 177 = 2·81 + 0·27 + 1·9 + 2·3 + 0: elements 161, 177, 193, 209, 225
        float[] x = decode(GgmlType.TQ1_0, b);
        for (int e : new int[] {0, 32, 64, 96, 128, 240, 244, 248, 252}) {
            assertEquals(2f, x[e], "element " + e);
        }
        assertArrayEquals(new float[] {2, -2, 0, 2, -2}, new float[] {x[161], x[177], x[193], x[209], x[225]});
        assertEquals(-2f, x[1]); // byte 0 → every trit 0 → −d
        assertEquals(-2f, x[255]);
    }

    @Test
    void tq1_0BlocksBuiltFromTheLayout() {
        Random rnd = new Random(34);
        for (int round = 0; round < 16; round++) {
            int[] trits = new int[BLOCK];
            for (int i = 0; i < BLOCK; i++) {
                trits[i] = rnd.nextInt(3);
            }
            short dBits = (short) (0x2000 + rnd.nextInt(0x2000) | (rnd.nextBoolean() ? 0x8000 : 0)); // finite, either sign
            float d = Half.f16ToF32(dBits);
            float[] x = decode(GgmlType.TQ1_0, tq1_0Block(trits, dBits));
            for (int i = 0; i < BLOCK; i++) {
                assertEquals((trits[i] - 1) * d, x[i], "round " + round + " element " + i);
            }
        }
    }

    /**
     * Random 54-byte blocks (any byte values, a random finite f16 scale) and gguf-py's {@code TQ1_0.dequantize_blocks}
     * of each, from {@code python3 tools/quant_tables.py --gguf-py ../ext/llama.cpp/gguf-py tq1_0 --blocks 3} (seed
     * 2025). gguf-py's every output is exactly d·t with t in {−1, 0, 1} (the script asserts it), so its floats are written
     * losslessly as t: '-', '0', '+'.
     */
    private static final String[][] GGUF_PY_TQ1_0 = {
        {"db978d7266c994fe07e019feef63cb6125571ef4dff8bfd38c31b3a39d5c56d6f9c329c4899ecef95452df62fd04c5136def6d74b63e",
         "+0000+0+-+-++0+0-0-+++++0-+0000+0+00-0++-0-++-0-0-0+0+-000-++--0+-+-0--+-+++00-0---0+++0++-+0--0-++-+-0++00+-"
                + "00-+--+0---+-+-0+-0-+0--0+0-++00--++00-000+-000+--+++-+00++--+0+-+-+-0-0+0+++0-+---++0++0-++++0+-++-0-+00+"
                + "-+000+0+-+++-0+-+0+0-----0+00-+-0+0+-0-0-"},
        {"9bfc2ff7adc905ad36d6b8a2aed22b49981dd9037817b9631c664e7446abef3a82827acb49f7bd2aed48d17a1c9c4727c6c7ff58dfb4",
         "0+-+++-+-++0++--0-+-0-+0-0-0-++-++0+-0--00-+-00++00-0-----+0+-++0+0+----+00+-0000-0--+00+0+-0-0-00+---0-+00-"
                + "0-0+--+-0000++--0----++-+00+-+---00---0++-0-+-++--00000+-++-+-+0-0--0000++-0++00-++000--0+00-00-+000+++0+-"
                + "+0+0-++00---0---+-++-0+000+++0--+-+++-+++-"},
        {"63c74538c2322a10fb8ea6e1a19cd87dcee9d19f10dfd049a7be5e0ee47c2c36e9753323dc491a3510e3ab247cb03a94ba5d1a1d363e",
         "0+--+---+00+00+0+++0-++-0+0-+0----+0-00-+0+0++000+0+-00++---+0000+0+++00++++0000--000+-0++-0-00+0+-+0-0+0+0++"
                + "0+-+0-++0++0-+0--0+-+++0+--0+0-+000-+---0+-+-+0--+-+0--+----++-0+-0+0000+-0-0-00-++--+-+0++0+--0---000+-++"
                + "0++-+-0-0+---0--+-+-0-+0++0-----00-+-0++-"},
    };

    @Test
    void tq1_0MatchesGgufPyOnRandomBlocks() {
        for (String[] c : GGUF_PY_TQ1_0) {
            byte[] block = HexFormat.of().parseHex(c[0]);
            assertEquals(BLOCK, c[1].length());
            float d = Half.f16ToF32(ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN).getShort(52));
            float[] x = decode(GgmlType.TQ1_0, block);
            for (int i = 0; i < BLOCK; i++) {
                int t = "-0+".indexOf(c[1].charAt(i)) - 1;
                assertEquals(t * d, x[i], "block " + c[0].substring(0, 8) + " element " + i);
            }
        }
    }

    @Test
    void tq2_0TakesTwoBitsPerWeightInGroupsOf32() {
        byte[] b = new byte[66];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(64, (short) 0xB800); // d = −0.5
        b[0] = (byte) 0b11_10_01_00; // elements 0, 32, 64, 96 ← codes 0, 1, 2, 3
        b[32 + 5] = 0b00_00_00_10; // element 128 + 5 ← code 2, elements 165, 197, 229 ← code 0
        float[] x = decode(GgmlType.TQ2_0, b);
        assertEquals(0.5f, x[0]);
        assertEquals(-0f, x[32]); // code 1 → 0·d: −0.0 for a negative d, as in ggml
        assertEquals(-0.5f, x[64]);
        assertEquals(-1f, x[96]); // code 3 is not a trit, but decodes as 2·d like in ggml and gguf-py
        assertEquals(-0.5f, x[133]);
        assertEquals(0.5f, x[165]);
        assertEquals(0.5f, x[1]);
    }
}
