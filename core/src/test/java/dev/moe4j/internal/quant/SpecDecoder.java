package dev.moe4j.internal.quant;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A second, deliberately different reading of shared/spec/quant-formats.md: element {@code i} of a block computed on
 * its own, straight from the spec's index formulas, in double. {@link ReferenceQuant} walks blocks the way ggml's loops
 * do; agreement of the two on random blocks checks the reference where no golden file exists (Q4_1, Q5_0, Q5_1,
 * IQ4_NL, IQ4_XS, F16, BF16).
 */
final class SpecDecoder {
    private static final int[] IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private SpecDecoder() {}

    /** Element {@code i} (0 ≤ i < blockElems) of the block at {@code block[0..]}. */
    static double element(GgmlType type, byte[] block, int i) {
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        return switch (type) {
            case F32 -> b.getFloat(0);
            case F16 -> f16(b, 0);
            case BF16 -> Float.intBitsToFloat((b.getShort(0) & 0xFFFF) << 16);
            case Q8_0 -> f16(b, 0) * block[2 + i];
            case Q4_0 -> f16(b, 0) * (nibble(block, 2, i) - 8);
            case Q4_1 -> f16(b, 0) * nibble(block, 4, i) + f16(b, 2);
            case Q5_0 -> f16(b, 0) * ((nibble(block, 6, i) | (bit(b.getInt(2), i) << 4)) - 16);
            case Q5_1 -> f16(b, 0) * (nibble(block, 8, i) | (bit(b.getInt(4), i) << 4)) + f16(b, 2);
            case IQ4_NL -> f16(b, 0) * IQ4NL[nibble(block, 2, i)];
            case IQ4_XS -> iq4xs(block, b, i);
            case Q2_K -> q2k(block, b, i);
            case Q3_K -> q3k(block, b, i);
            case Q4_K -> q45k(block, b, i, false);
            case Q5_K -> q45k(block, b, i, true);
            case Q6_K -> q6k(block, b, i);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** Element i of a 32-element Q4_0-style nibble array at {@code qs}: low nibbles first, then high nibbles. */
    private static int nibble(byte[] block, int qs, int i) {
        int v = block[qs + i % 16] & 0xFF;
        return i < 16 ? v & 0xF : v >> 4;
    }

    private static int bit(int word, int i) {
        return (word >>> i) & 1;
    }

    private static int u8(byte[] block, int at) {
        return block[at] & 0xFF;
    }

    private static double f16(ByteBuffer b, int at) {
        return Float.float16ToFloat(b.getShort(at));
    }

    private static double iq4xs(byte[] block, ByteBuffer b, int i) {
        int ib = i / 32;
        int r = i % 32;
        int scaleLow = (u8(block, 4 + ib / 2) >> (4 * (ib % 2))) & 0xF;
        int scaleHigh = ((b.getShort(2) & 0xFFFF) >> (2 * ib)) & 3;
        int ls = scaleLow | (scaleHigh << 4);
        int v = u8(block, 8 + 16 * ib + r % 16);
        return f16(b, 0) * (ls - 32) * IQ4NL[r < 16 ? v & 0xF : v >> 4];
    }

    // Q2_K and Q3_K: element i = 128·n + 32·j + 16·part + l reads byte 32·n + 16·part + l at bit 2·j,
    // with scale index 8·n + 2·j + part (and, for Q3_K, the hmask bit 4·n + j of byte 16·part + l).

    private static double q2k(byte[] block, ByteBuffer b, int i) {
        int n = i / 128, j = (i % 128) / 32, part = (i % 32) / 16, l = i % 16;
        int q = (u8(block, 16 + 32 * n + 16 * part + l) >> (2 * j)) & 3;
        int s = u8(block, 8 * n + 2 * j + part);
        return f16(b, 80) * (s & 0xF) * q - f16(b, 82) * (s >> 4);
    }

    private static double q3k(byte[] block, ByteBuffer b, int i) {
        int n = i / 128, j = (i % 128) / 32, part = (i % 32) / 16, l = i % 16;
        int q = (u8(block, 32 + 32 * n + 16 * part + l) >> (2 * j)) & 3;
        boolean high = ((u8(block, 16 * part + l) >> (4 * n + j)) & 1) != 0;
        int k = 8 * n + 2 * j + part;
        // 6-bit scale k: low 4 bits are nibble (k / 8) of byte (k % 8), high 2 bits are bits 2·(k / 4) of byte 8 + k % 4.
        int low = (u8(block, 96 + k % 8) >> (4 * (k / 8))) & 0xF;
        int hi = (u8(block, 96 + 8 + k % 4) >> (2 * (k / 4))) & 3;
        int scale = (low | (hi << 4)) - 32;
        return f16(b, 108) * scale * (q - (high ? 0 : 4));
    }

    private static double q45k(byte[] block, ByteBuffer b, int i, boolean fifthBit) {
        int c = i / 64, upper = (i % 64) / 32, l = i % 32;
        int sub = 2 * c + upper;
        int qs = fifthBit ? 48 : 16;
        int v = u8(block, qs + 32 * c + l);
        int q = upper == 0 ? v & 0xF : v >> 4;
        if (fifthBit) {
            q += 16 * ((u8(block, 16 + l) >> sub) & 1);
        }
        int sc, m;
        if (sub < 4) {
            sc = u8(block, 4 + sub) & 63;
            m = u8(block, 4 + sub + 4) & 63;
        } else {
            sc = (u8(block, 4 + sub + 4) & 0xF) | ((u8(block, 4 + sub - 4) >> 6) << 4);
            m = (u8(block, 4 + sub + 4) >> 4) | ((u8(block, 4 + sub) >> 6) << 4);
        }
        return f16(b, 0) * sc * q - f16(b, 2) * m;
    }

    private static double q6k(byte[] block, ByteBuffer b, int i) {
        int n = i / 128, quarter = (i % 128) / 32, l = i % 32;
        int lowByte = u8(block, 64 * n + l + (quarter % 2 == 1 ? 32 : 0));
        int low = quarter < 2 ? lowByte & 0xF : lowByte >> 4;
        int high = (u8(block, 128 + 32 * n + l) >> (2 * quarter)) & 3;
        int scale = block[192 + 8 * n + l / 16 + 2 * quarter];
        return f16(b, 208) * scale * ((low | (high << 4)) - 32);
    }
}
