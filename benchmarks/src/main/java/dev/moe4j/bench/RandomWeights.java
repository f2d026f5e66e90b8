package dev.moe4j.bench;

import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Random weight blocks for benchmarks: random quant payloads with finite, moderate f16 scales, so every kernel does the
 * same work it does on real weights (no NaN/Inf shortcuts, no zero blocks).
 */
final class RandomWeights {
    private RandomWeights() {}

    /** Byte offsets of the f16 scale fields inside one block of each block type. */
    static int[] scaleOffsets(GgmlType t) {
        return switch (t) {
            case Q4_0, Q5_0, Q8_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
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
                    for (int off : offs) {
                        float scale = (float) rnd.nextDouble(0.001, 0.02);
                        dst.set(ValueLayout.JAVA_SHORT_UNALIGNED, blk * t.blockBytes() + off, Float.floatToFloat16(scale));
                    }
                }
            }
        }
    }
}
