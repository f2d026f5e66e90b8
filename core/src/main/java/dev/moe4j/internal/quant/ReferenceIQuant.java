package dev.moe4j.internal.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.moe4j.internal.quant.QuantTables.IQ1S_GRID;
import static dev.moe4j.internal.quant.QuantTables.IQ1_DELTA;
import static dev.moe4j.internal.quant.QuantTables.IQ2S_GRID;
import static dev.moe4j.internal.quant.QuantTables.IQ2XS_GRID;
import static dev.moe4j.internal.quant.QuantTables.IQ2XXS_GRID;
import static dev.moe4j.internal.quant.QuantTables.IQ3S_GRID;
import static dev.moe4j.internal.quant.QuantTables.IQ3XXS_GRID;
import static dev.moe4j.internal.quant.QuantTables.KMASK_IQ2XS;
import static dev.moe4j.internal.quant.QuantTables.KSIGNS_IQ2XS;

/**
 * {@link ReferenceQuant}'s block decoders for the lattice ("i-quant") formats: each group of 8 (or 4) weights is one
 * point of a fixed grid ({@link QuantTables}), picked by an index, with per-element signs and a per-group scale.
 * Every block is 256 weights in 8 sub-blocks of 32.
 *
 * <p>The arithmetic is ggml's {@code dequantize_row_iq*}, one binary32 operation at a time in the same order (a scale,
 * then times the grid element, then times ±1; or a scale times grid element plus delta), so results are ggml's floats
 * bit for bit. Each method decodes the block at byte {@code b} of {@code s} into {@code y[o .. o + 256)}.
 */
final class ReferenceIQuant {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ReferenceIQuant() {}

    /**
     * {@code {f16 d; u8 qs[64]}}, 2.06 bits per weight: sub-block ib is two LE uint32 at {@code qs + 8·ib}. The first
     * word's 4 bytes index 4 points of {@code iq2xxs_grid}; the second holds 4 seven-bit sign indices (bits 7l..7l+6,
     * into {@code ksigns_iq2xs}) and a 4-bit scale s in bits 28..31. x = d·(0.5 + s)·0.25 · grid · sign.
     */
    static void iq2_xxs(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        for (int ib = 0; ib < 8; ib++) {
            long q = b + 2 + 8L * ib;
            int aux = s.get(LE_INT, q + 4);
            float db = d * (0.5f + (aux >>> 28)) * 0.25f;
            for (int l = 0; l < 4; l++) {
                int signs = KSIGNS_IQ2XS[(aux >>> (7 * l)) & 127] & 0xFF;
                signedPoint(y, o + 32 * ib + 8 * l, db, IQ2XXS_GRID, 8, u8(s, q + l), signs);
            }
        }
    }

    /**
     * {@code {f16 d; u16 qs[32]; u8 scales[8]}}, 2.31 bits per weight: each LE uint16 of qs is a 9-bit index into
     * {@code iq2xs_grid} (low bits) and a 7-bit sign index (high bits); scales[ib] holds the 4-bit scales of the two
     * halves of sub-block ib (low nibble first). x = d·(0.5 + s)·0.25 · grid · sign.
     */
    static void iq2_xs(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        for (int ib = 0; ib < 8; ib++) {
            int sc = u8(s, b + 66 + ib);
            float db0 = d * (0.5f + (sc & 0x0F)) * 0.25f;
            float db1 = d * (0.5f + (sc >>> 4)) * 0.25f;
            for (int l = 0; l < 4; l++) {
                int v = u16(s, b + 2 + 2L * (4 * ib + l));
                int signs = KSIGNS_IQ2XS[v >>> 9] & 0xFF;
                signedPoint(y, o + 32 * ib + 8 * l, l < 2 ? db0 : db1, IQ2XS_GRID, 8, v & 511, signs);
            }
        }
    }

    /**
     * {@code {f16 d; u8 qs[32]; u8 signs[32]; u8 qh[8]; u8 scales[8]}}, 2.56 bits per weight: point k of sub-block ib
     * (k = 4·ib + l) indexes {@code iq2s_grid} with qs[k] plus bits 2l..2l+1 of qh[ib] as bits 8..9; signs[k] holds its
     * 8 signs outright; scales as IQ2_XS. x = d·(0.5 + s)·0.25 · grid · sign.
     */
    static void iq2_s(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        for (int ib = 0; ib < 8; ib++) {
            int sc = u8(s, b + 74 + ib);
            float db0 = d * (0.5f + (sc & 0x0F)) * 0.25f;
            float db1 = d * (0.5f + (sc >>> 4)) * 0.25f;
            int qh = u8(s, b + 66 + ib);
            for (int l = 0; l < 4; l++) {
                int k = 4 * ib + l;
                int point = u8(s, b + 2 + k) | ((qh >>> (2 * l)) & 3) << 8;
                int signs = u8(s, b + 34 + k);
                signedPoint(y, o + 32 * ib + 8 * l, l < 2 ? db0 : db1, IQ2S_GRID, 8, point, signs);
            }
        }
    }

    /**
     * {@code {f16 d; u8 qs[64]; u8 scales_and_signs[32]}}, 3.06 bits per weight: qs[8·ib + j] indexes the 4-wide
     * {@code iq3xxs_grid}; the LE uint32 at {@code scales_and_signs + 4·ib} holds 4 seven-bit sign indices (one per 8
     * weights) and a 4-bit scale in bits 28..31. x = d·(0.5 + s)·0.5 · grid · sign.
     */
    static void iq3_xxs(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        for (int ib = 0; ib < 8; ib++) {
            int aux = s.get(LE_INT, b + 66 + 4L * ib);
            float db = d * (0.5f + (aux >>> 28)) * 0.5f;
            long q = b + 2 + 8L * ib;
            for (int l = 0; l < 4; l++) {
                int signs = KSIGNS_IQ2XS[(aux >>> (7 * l)) & 127] & 0xFF;
                int at = o + 32 * ib + 8 * l;
                signedPoint(y, at, db, IQ3XXS_GRID, 4, u8(s, q + 2 * l), signs);
                signedPoint(y, at + 4, db, IQ3XXS_GRID, 4, u8(s, q + 2 * l + 1), signs >>> 4);
            }
        }
    }

    /**
     * {@code {f16 d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4]}}, 3.44 bits per weight: point j of sub-block ib
     * indexes the 4-wide {@code iq3s_grid} with qs[8·ib + j] plus bit j of qh[ib] as bit 8; signs holds one bit per
     * weight in order; scales holds a 4-bit odd-integer scale per sub-block (low nibble first). x = d·(1 + 2s) · grid ·
     * sign.
     */
    static void iq3_s(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        for (int ib = 0; ib < 8; ib++) {
            int sc = (u8(s, b + 106 + ib / 2) >>> (4 * (ib % 2))) & 0x0F;
            float db = d * (1 + 2 * sc);
            int qh = u8(s, b + 66 + ib);
            long q = b + 2 + 8L * ib;
            for (int l = 0; l < 4; l++) {
                int p1 = u8(s, q + 2 * l) | ((qh >>> (2 * l)) & 1) << 8;
                int p2 = u8(s, q + 2 * l + 1) | ((qh >>> (2 * l + 1)) & 1) << 8;
                int signs = u8(s, b + 74 + 4L * ib + l);
                int at = o + 32 * ib + 8 * l;
                signedPoint(y, at, db, IQ3S_GRID, 4, p1, signs);
                signedPoint(y, at + 4, db, IQ3S_GRID, 4, p2, signs >>> 4);
            }
        }
    }

    /**
     * {@code {f16 d; u8 qs[32]; u16 qh[8]}}, 1.56 bits per weight: for sub-block ib the LE uint16 qh[ib] holds the
     * high 3 index bits of its 4 points of the ternary {@code iq1s_grid} (bits 3l..3l+2, below qs[4·ib + l]), a 3-bit
     * scale s in bits 12..14 and the sign of the delta in bit 15. x = d·(2s + 1) · (grid ± 0.125).
     */
    static void iq1_s(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        for (int ib = 0; ib < 8; ib++) {
            int qh = u16(s, b + 34 + 2L * ib);
            float dl = d * (2 * ((qh >>> 12) & 7) + 1);
            float delta = (qh & 0x8000) != 0 ? -IQ1_DELTA : IQ1_DELTA;
            for (int l = 0; l < 4; l++) {
                int point = u8(s, b + 2 + 4 * ib + l) | ((qh >>> (3 * l)) & 7) << 8;
                shiftedPoint(y, o + 32 * ib + 8 * l, dl, point, delta);
            }
        }
    }

    /**
     * {@code {u8 qs[32]; u8 qh[16]; u16 scales[4]}}, 1.75 bits per weight. The f16 super-block scale has no field of
     * its own: its 16 bits are the top nibbles of the four LE uint16 scales words (word 0's nibble lowest). Point k
     * (k = 4·ib + l) takes nibble k of qh (byte k/2, low nibble first): bits 0..2 are index bits 8..10 below qs[k], bit
     * 3 the sign of its delta. Each half sub-block (16 weights) has a 3-bit scale: bits 6·(ib%2) (first half) and
     * 6·(ib%2) + 3 (second) of word ib/2. x = d·(2s + 1) · (grid ± 0.125).
     */
    static void iq1_m(MemorySegment s, long b, float[] y, int o) {
        int[] sc = new int[4];
        for (int k = 0; k < 4; k++) {
            sc[k] = u16(s, b + 48 + 2L * k);
        }
        int dBits = (sc[0] >>> 12) | ((sc[1] >>> 8) & 0x00F0) | ((sc[2] >>> 4) & 0x0F00) | (sc[3] & 0xF000);
        float d = Half.f16ToF32((short) dBits);
        for (int ib = 0; ib < 8; ib++) {
            int shift = 6 * (ib % 2);
            float dl1 = d * (2 * ((sc[ib / 2] >>> shift) & 7) + 1);
            float dl2 = d * (2 * ((sc[ib / 2] >>> (shift + 3)) & 7) + 1);
            for (int l = 0; l < 4; l++) {
                int k = 4 * ib + l;
                int h = (u8(s, b + 32 + k / 2) >>> (4 * (k % 2))) & 0x0F;
                int point = u8(s, b + k) | (h & 7) << 8;
                float delta = (h & 8) != 0 ? -IQ1_DELTA : IQ1_DELTA;
                shiftedPoint(y, o + 32 * ib + 8 * l, l < 2 ? dl1 : dl2, point, delta);
            }
        }
    }

    /** {@code y[at + j] = scale · grid[point][j] · (bit j of signs ? −1 : 1)} for j < width, in ggml's order. */
    private static void signedPoint(float[] y, int at, float scale, byte[] grid, int width, int point, int signs) {
        for (int j = 0; j < width; j++) {
            y[at + j] = scale * grid[width * point + j] * ((signs & KMASK_IQ2XS[j] & 0xFF) != 0 ? -1f : 1f);
        }
    }

    /** {@code y[at + j] = scale · (iq1s_grid[point][j] + delta)} for j < 8. */
    private static void shiftedPoint(float[] y, int at, float scale, int point, float delta) {
        for (int j = 0; j < 8; j++) {
            y[at + j] = scale * (IQ1S_GRID[8 * point + j] + delta);
        }
    }

    private static int u8(MemorySegment s, long at) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, at));
    }

    private static int u16(MemorySegment s, long at) {
        return Short.toUnsignedInt(s.get(LE_SHORT, at));
    }

    private static float f16(MemorySegment s, long at) {
        return Half.f16ToF32(s.get(LE_SHORT, at));
    }
}
