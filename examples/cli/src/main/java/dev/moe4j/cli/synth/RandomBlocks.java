package dev.moe4j.cli.synth;

import dev.moe4j.tooling.GgufFileWriter.TensorData;
import dev.moe4j.tooling.TensorType;

import java.util.SplittableRandom;

/**
 * Random tensor data of any weight type the kernels compute with, produced chunk by chunk for
 * {@link dev.moe4j.tooling.GgufFileWriter}. Block types get random payload bytes (quants, grid indices, sign bits,
 * sub-block scales and mins alike: every bit pattern of those fields is a valid block) and then a fixed, finite
 * super-scale (an f16 {@code d}, MXFP4's E8M0 exponent, IQ1_M's f16 spread over the top nibbles of its four scale
 * words; and {@code dmin} / {@code m} for the types with a minimum) chosen so that dequantized elements have roughly
 * the requested RMS; scalar types get uniform values. Two payload fields have levels the quantizers never write and
 * are kept off them: Q8_0's −128 and TQ2_0's fourth 2-bit level (+2, which would make a ternary model lopsided). That is
 * fast enough to write gigabytes on two cores, and the weights are meant to be random anyway.
 *
 * <p>The bytes of a chunk depend only on the seed and the chunk's offset, so a file is the same whichever thread writes
 * which chunk. The writer hands out little-endian chunks of whole blocks. Stateless; the returned sources are
 * thread-safe.
 */
final class RandomBlocks {
    private RandomBlocks() {}

    /** How a block stores its super-scale. */
    private enum Scale {
        /** An f16 at {@code dAt}. */
        F16,
        /** MXFP4: one E8M0 byte at {@code dAt}, the scale 2^(e − 128) (ggml's {@code GGML_E8M0_TO_FP32_HALF}). */
        E8M0,
        /** IQ1_M: the f16's four nibbles in the top nibbles of the four u16 scale words from {@code dAt}, low first. */
        IQ1M
    }

    /** Payload levels kept out (see the class comment). */
    private enum Fix { NONE, Q8_NO_MINUS_128, TQ2_TERNARY }

    /**
     * Where a block type keeps its scale and its f16 minimum, and how the minimum relates to {@code d}.
     *
     * @param unitRms   RMS of a dequantized element for a scale of 1 with uniformly random payload bytes (derived per
     *                  format from the uniform distributions of its quants and 4/6-bit or int8 sub-scales; for the
     *                  grid formats measured with the Java reference decoder over 40 000 random blocks)
     * @param minAt     byte offset of the f16 minimum ({@code m} / {@code dmin}) in a block, or -1
     * @param minFactor the minimum as a multiple of {@code d} that roughly centres the elements on zero
     */
    private record Format(int dAt, double unitRms, int minAt, double minFactor, Scale scale, Fix fix) {
        Format(int dAt, double unitRms, int minAt, double minFactor) {
            this(dAt, unitRms, minAt, minFactor, Scale.F16, Fix.NONE);
        }

        Format(int dAt, double unitRms) {
            this(dAt, unitRms, -1, 0);
        }
    }

    private static Format format(TensorType type) {
        return switch (type) {
            case Q4_0 -> new Format(0, 4.64);                   // d·(q − 8), q ∈ 0..15
            case Q4_1 -> new Format(0, 4.61, 2, -7.5);          // d·q + m
            case Q5_0 -> new Format(0, 9.25);                   // d·(q − 16), q ∈ 0..31
            case Q5_1 -> new Format(0, 9.23, 2, -15.5);         // d·q + m
            case Q8_0 -> new Format(0, 73.9, -1, 0, Scale.F16, Fix.Q8_NO_MINUS_128); // d·q, q ∈ −127..127
            case Q2_K -> new Format(80, 13.9, 82, 1.5);         // d·sc·q − dmin·m, 4-bit sc, m; q ∈ 0..3
            case Q3_K -> new Format(108, 43.3);                 // d·(sc − 32)·q, q ∈ −4..3
            case Q4_K -> new Format(0, 258, 2, 7.5);            // d·sc·q − dmin·m, 6-bit sc, m; q ∈ 0..15
            case Q5_K -> new Format(0, 527, 2, 15.5);           // as Q4_K with q ∈ 0..31
            case Q6_K -> new Format(208, 1366);                 // d·sc·(q − 32), int8 sc, q ∈ 0..63
            case IQ4_NL -> new Format(0, 67.4);                 // d·kvalues[q]
            case IQ4_XS -> new Format(0, 1246);                 // d·(ls − 32)·kvalues[q], 6-bit ls
            case IQ2_XXS -> new Format(0, 53.4);                // d·(ls + ½)/4·grid·sign, 4-bit ls per 32
            case IQ2_XS -> new Format(0, 55.8);                 // as IQ2_XXS, ls per 16, 512-entry grid
            case IQ2_S -> new Format(0, 56.5);                  // as IQ2_XS, 1024-entry grid, explicit signs
            case IQ3_XXS -> new Format(0, 142);                 // d·(ls + ½)/2·grid·sign, grid values 4..62
            case IQ3_S -> new Format(0, 140);                   // d·(2·ls + 1)·grid·sign, grid values 1..15
            case IQ1_S -> new Format(0, 7.19);                  // d·(2·ls + 1)·(grid ± ⅛), grid ∈ {−1, 0, 1}
            case IQ1_M -> new Format(48, 7.20, -1, 0, Scale.IQ1M, Fix.NONE); // as IQ1_S, 3-bit ls per 16
            case TQ1_0 -> new Format(52, 0.817);                // d·(trit − 1), base-3 packed trits
            case TQ2_0 -> new Format(64, 0.707, -1, 0, Scale.F16, Fix.TQ2_TERNARY); // d·(q − 1), q ∈ {0, 1, 1, 2}
            case MXFP4 -> new Format(0, 5.85, -1, 0, Scale.E8M0, Fix.NONE); // 2^(e − 128)·kvalues[q], ±{0..12}
            default -> throw new IllegalArgumentException("no random block generator for " + type);
        };
    }

    /** Whether {@link #matrix} can produce {@code type}. */
    static boolean supports(TensorType type) {
        return switch (type) {
            case F32, F16, BF16 -> true;
            default -> {
                try {
                    format(type);
                    yield true;
                } catch (IllegalArgumentException e) {
                    yield false;
                }
            }
        };
    }

    /** Weights of {@code type} whose dequantized elements have an RMS of about {@code rms}. */
    static TensorData matrix(TensorType type, double rms, long seed) {
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
    static TensorData floats(TensorType type, long seed, Values values) {
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

    /**
     * I32 rows of {@code k} distinct values in {@code 0..n-1} (deepseek4's token-to-experts table): row {@code j}
     * depends only on the seed and {@code j}, drawn uniformly by rejection.
     */
    static TensorData distinctRows(int k, int n, long seed) {
        if (k < 1 || k > n) {
            throw new IllegalArgumentException(k + " distinct values out of " + n);
        }
        return (offset, chunk) -> {
            long first = offset / Integer.BYTES;
            int count = chunk.remaining() / Integer.BYTES;
            int[] row = new int[k];
            long rowAt = -1;
            for (int i = 0; i < count; i++) {
                long e = first + i;
                if (e / k != rowAt) {
                    rowAt = e / k;
                    SplittableRandom r = rng(seed, rowAt);
                    for (int j = 0; j < k; j++) {
                        row[j] = draw(r, n, row, j);
                    }
                }
                chunk.putInt(row[(int) (e % k)]);
            }
        };
    }

    /** A value of {@code 0..n-1} not among {@code taken[0..j)}. */
    private static int draw(SplittableRandom r, int n, int[] taken, int j) {
        while (true) {
            int v = r.nextInt(n);
            boolean fresh = true;
            for (int i = 0; i < j && fresh; i++) {
                fresh = taken[i] != v;
            }
            if (fresh) {
                return v;
            }
        }
    }

    /** Uniform on [−1, 1). */
    static float uniform(SplittableRandom r) {
        return (r.nextInt() >>> 8) * 0x1.0p-23f - 1f;
    }

    private static TensorData blocks(TensorType type, double rms, long seed) {
        Format f = format(type);
        int bb = type.blockBytes();
        double scale = rms / f.unitRms();
        short d = f.scale() == Scale.E8M0 ? e8m0(scale) : finiteHalf(scale);
        short min = f.minAt() < 0 ? 0 : finiteHalf(f.minFactor() * scale);
        return (offset, chunk) -> {
            SplittableRandom r = rng(seed, offset);
            int start = chunk.position();
            int len = chunk.remaining();
            int i = 0;
            for (; i + 8 <= len; i += 8) {
                long v = r.nextLong();
                chunk.putLong(start + i, switch (f.fix()) {
                    case NONE -> v;
                    case Q8_NO_MINUS_128 -> noMinus128(v);
                    case TQ2_TERNARY -> noLevel3(v);
                });
            }
            for (; i < len; i++) {
                chunk.put(start + i, (byte) switch (f.fix()) {
                    case NONE -> r.nextInt();
                    case Q8_NO_MINUS_128 -> noMinus128(r.nextInt());
                    case TQ2_TERNARY -> noLevel3(r.nextInt());
                });
            }
            for (int b = 0; b + bb <= len; b += bb) {
                int at = start + b + f.dAt();
                switch (f.scale()) {
                    case F16 -> chunk.putShort(at, d);
                    case E8M0 -> chunk.put(at, (byte) d);
                    case IQ1M -> {
                        for (int k = 0; k < 4; k++) {
                            int w = chunk.getShort(at + 2 * k) & 0x0FFF; // keep the four 3-bit sub-block scales
                            chunk.putShort(at + 2 * k, (short) (w | ((d >>> (4 * k)) & 0xF) << 12));
                        }
                    }
                }
                if (f.minAt() >= 0) {
                    chunk.putShort(start + b + f.minAt(), min);
                }
            }
            chunk.position(start + len);
        };
    }

    /**
     * Turns every 2-bit field 3 into 1 (TQ2_0's +2 into 0), leaving 0, 1, 2 (−1, 0, +1): the fields equal to 3 are
     * those with both bits set; clearing their high bit gives 1. −1 and +1 keep a quarter each, so the mean stays 0.
     */
    static long noLevel3(long v) {
        long both = v & (v >>> 1) & 0x5555555555555555L;
        return v & ~(both << 1);
    }

    /**
     * The E8M0 exponent e whose MXFP4 scale 2^(e − 128) is nearest {@code x} in ratio (within √2), kept to the normal
     * range 1..254 (0 is ggml's subnormal case, 255 NaN).
     */
    private static short e8m0(double x) {
        if (!(x > 0) || !Double.isFinite(x)) {
            throw new IllegalArgumentException("scale " + x + " has no E8M0 exponent");
        }
        long e = 128 + Math.round(Math.log(x) / Math.log(2));
        return (short) Math.max(1, Math.min(254, e));
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
