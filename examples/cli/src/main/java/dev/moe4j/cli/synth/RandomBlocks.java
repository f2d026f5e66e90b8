package dev.moe4j.cli.synth;

import dev.moe4j.internal.gguf.GgufWriter.TensorData;
import dev.moe4j.internal.quant.GgmlType;

import java.util.SplittableRandom;

/**
 * Random tensor data of any weight type the kernels compute with, produced chunk by chunk for
 * {@link dev.moe4j.internal.gguf.GgufWriter}. Block types get random payload bytes (quants, sub-block scales and
 * mins alike: every bit pattern of those fields is a valid block) and then a fixed, finite f16 super-scale {@code d}
 * (and {@code dmin} / {@code m} for the types with a minimum) chosen so that dequantized elements have roughly the
 * requested RMS; scalar types get uniform values. That is fast enough to write gigabytes on two cores, and the
 * weights are meant to be random anyway.
 *
 * <p>The bytes of a chunk depend only on the seed and the chunk's offset, so a file is the same whichever thread writes
 * which chunk. The writer hands out little-endian chunks of whole blocks. Stateless; the returned sources are
 * thread-safe.
 */
final class RandomBlocks {
    private RandomBlocks() {}

    /**
     * Where a block type keeps its f16 scale {@code d} and its f16 minimum, and how the minimum relates to {@code d}.
     *
     * @param unitRms   RMS of a dequantized element for {@code d = 1} with uniformly random payload bytes (derived per
     *                  format from the uniform distributions of its quants and 4/6-bit or int8 sub-scales)
     * @param minAt     byte offset of the f16 minimum ({@code m} / {@code dmin}) in a block, or -1
     * @param minFactor the minimum as a multiple of {@code d} that roughly centres the elements on zero
     */
    private record Format(int dAt, double unitRms, int minAt, double minFactor) {}

    private static Format format(GgmlType type) {
        return switch (type) {
            case Q4_0 -> new Format(0, 4.64, -1, 0);            // d·(q − 8), q ∈ 0..15
            case Q4_1 -> new Format(0, 4.61, 2, -7.5);          // d·q + m
            case Q5_0 -> new Format(0, 9.25, -1, 0);            // d·(q − 16), q ∈ 0..31
            case Q5_1 -> new Format(0, 9.23, 2, -15.5);         // d·q + m
            case Q8_0 -> new Format(0, 73.9, -1, 0);            // d·q, q ∈ −127..127
            case Q2_K -> new Format(80, 13.9, 82, 1.5);         // d·sc·q − dmin·m, 4-bit sc, m; q ∈ 0..3
            case Q3_K -> new Format(108, 43.3, -1, 0);          // d·(sc − 32)·q, q ∈ −4..3
            case Q4_K -> new Format(0, 258, 2, 7.5);            // d·sc·q − dmin·m, 6-bit sc, m; q ∈ 0..15
            case Q5_K -> new Format(0, 527, 2, 15.5);           // as Q4_K with q ∈ 0..31
            case Q6_K -> new Format(208, 1366, -1, 0);          // d·sc·(q − 32), int8 sc, q ∈ 0..63
            case IQ4_NL -> new Format(0, 67.4, -1, 0);          // d·kvalues[q]
            case IQ4_XS -> new Format(0, 1246, -1, 0);          // d·(ls − 32)·kvalues[q], 6-bit ls
            default -> throw new IllegalArgumentException("no random block generator for " + type);
        };
    }

    /** Whether {@link #matrix} can produce {@code type}. */
    static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS -> true;
            default -> false;
        };
    }

    /** Weights of {@code type} whose dequantized elements have an RMS of about {@code rms}. */
    static TensorData matrix(GgmlType type, double rms, long seed) {
        return switch (type) {
            case F32, F16, BF16 -> {
                float a = (float) (rms * Math.sqrt(3)); // uniform on [−a, a] has RMS a/√3
                yield floats(type, seed, (i, r) -> a * uniform(r));
            }
            default -> blocks(type, rms, seed);
        };
    }

    /** A value of element {@code index}, possibly drawn from {@code rng} (which advances once per element). */
    @FunctionalInterface
    interface Values {
        float at(long index, SplittableRandom rng);
    }

    /** Scalar-type data (F32, F16 or BF16) with element {@code i} = {@code values.at(i, rng)}. */
    static TensorData floats(GgmlType type, long seed, Values values) {
        int size = switch (type) {
            case F32 -> 4;
            case F16, BF16 -> 2;
            default -> throw new IllegalArgumentException(type + " is not a scalar float type");
        };
        return (offset, chunk) -> {
            SplittableRandom r = rng(seed, offset);
            long first = offset / size;
            int n = chunk.remaining() / size;
            for (int i = 0; i < n; i++) {
                float v = values.at(first + i, r);
                switch (type) {
                    case F32 -> chunk.putFloat(v);
                    case F16 -> chunk.putShort(Float.floatToFloat16(v));
                    default -> chunk.putShort((short) (Float.floatToRawIntBits(v) >>> 16)); // BF16: truncated
                }
            }
        };
    }

    /** Uniform on [−1, 1). */
    static float uniform(SplittableRandom r) {
        return (r.nextInt() >>> 8) * 0x1.0p-23f - 1f;
    }

    private static TensorData blocks(GgmlType type, double rms, long seed) {
        Format f = format(type);
        int bb = type.blockBytes();
        short d = finiteHalf(rms / f.unitRms());
        short min = f.minAt() < 0 ? 0 : finiteHalf(f.minFactor() * rms / f.unitRms());
        boolean q8 = type == GgmlType.Q8_0;
        return (offset, chunk) -> {
            SplittableRandom r = rng(seed, offset);
            int start = chunk.position();
            int len = chunk.remaining();
            int i = 0;
            for (; i + 8 <= len; i += 8) {
                long v = r.nextLong();
                chunk.putLong(start + i, q8 ? noMinus128(v) : v);
            }
            for (; i < len; i++) {
                byte b = (byte) r.nextInt();
                chunk.put(start + i, q8 && b == Byte.MIN_VALUE ? (byte) -127 : b);
            }
            for (int b = 0; b + bb <= len; b += bb) {
                chunk.putShort(start + b + f.dAt(), d);
                if (f.minAt() >= 0) {
                    chunk.putShort(start + b + f.minAt(), min);
                }
            }
            chunk.position(start + len);
        };
    }

    /**
     * Turns every byte 0x80 (−128, a level ggml's quantizer never produces) into 0x81 (−127): bytes equal to 0x80 are
     * the zero bytes of {@code v ^ 0x80..}, flagged in their top bit by the usual zero-byte test. A borrow can also flag
     * a byte 0x81 above a real match; OR-ing 1 into it changes nothing.
     */
    static long noMinus128(long v) {
        long t = v ^ 0x8080808080808080L;
        long zero = (t - 0x0101010101010101L) & ~t & 0x8080808080808080L;
        return v | (zero >>> 7);
    }

    /** {@code x} as f16, kept finite and non-zero (a tiny RMS becomes the smallest subnormal of its sign). */
    private static short finiteHalf(double x) {
        short h = Float.floatToFloat16((float) x);
        if (!Float.isFinite(Float.float16ToFloat(h))) {
            throw new IllegalArgumentException("scale " + x + " does not fit in f16");
        }
        if ((h & 0x7FFF) == 0) {
            h = (short) (x < 0 ? 0x8001 : 0x0001);
        }
        return h;
    }

    /** An independent stream per (seed, chunk offset). */
    private static SplittableRandom rng(long seed, long offset) {
        return new SplittableRandom(mix(seed ^ mix(offset + 0x632BE59BD9B4E019L)));
    }

    /** The SplitMix64 finaliser: a bijective mix of 64 bits. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
