package dev.moe4j.bench;

import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Random weight blocks for benchmarks: random quant payloads (grid indices, signs and sub-block scales of the i-quants
 * included: every bit pattern of those is valid) with finite, moderate scales, so every kernel does the same work it
 * does on real weights (no NaN/Inf shortcuts, no zero blocks). The scale is an f16 for most types; MXFP4's is an E8M0
 * exponent byte and IQ1_M's f16 is spread over the top nibbles of its four scale words (see {@link #fill}).
 */
final class RandomWeights {
    private RandomWeights() {}

    /** Byte offsets of the f16 scale fields inside one block of each block type. */
    static int[] scaleOffsets(GgmlType t) {
        return switch (t) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS, IQ1_S, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            case TQ1_0 -> new int[] {52};
            case TQ2_0 -> new int[] {64};
            default -> new int[0];
        };
    }

    static void fill(GgmlType t, MemorySegment dst, long elements, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long bytes = t.bytesFor(elements);
        switch (t) {
            case F32 -> {
                for (long i = 0; i < elements; i++) {
                    dst.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) rnd.nextDouble(-1, 1));
                }
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) {
                    dst.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16((float) rnd.nextDouble(-1, 1)));
                }
            }
            case BF16 -> {
                for (long i = 0; i < elements; i++) {
                    int bits = Float.floatToRawIntBits((float) rnd.nextDouble(-1, 1));
                    dst.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) (bits >>> 16));
                }
            }
            default -> {
                for (long i = 0; i < bytes; i += 8) {
                    long v = rnd.nextLong();
                    for (int b = 0; b < 8 && i + b < bytes; b++) {
                        dst.set(ValueLayout.JAVA_BYTE, i + b, (byte) (v >>> (8 * b)));
                    }
                }
                int[] offs = scaleOffsets(t);
                for (long blk = 0; blk < bytes / t.blockBytes(); blk++) {
                    long at = blk * t.blockBytes();
                    for (int off : offs) {
                        float scale = (float) rnd.nextDouble(0.001, 0.02);
                        dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, at + off, Float.floatToFloat16(scale));
                    }
                    if (t == GgmlType.MXFP4) { // scale 2^(e − 128): 2^-10 .. 2^-6
                        dst.set(ValueLayout.JAVA_BYTE, at, (byte) (118 + rnd.nextInt(5)));
                    } else if (t == GgmlType.IQ1_M) { // the f16's nibbles on top of the four 3-bit-scale words
                        short h = Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.02));
                        for (int k = 0; k < 4; k++) {
                            long word = at + 48 + 2 * k;
                            int low = dst.get(ValueLayout.JAVA_SHORT_UNALIGNED, word) & 0x0FFF;
                            dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, word, (short) (low | ((h >>> (4 * k)) & 0xF) << 12));
                        }
                    }
                }
            }
        }
    }
}
