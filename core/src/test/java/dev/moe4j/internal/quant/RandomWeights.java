package dev.moe4j.internal.quant;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

/**
 * Random weight bytes for every supported format: every quant bit random, and the f16 scale fields (d, dmin, m) set to
 * finite, non-zero values so that no block decodes to all zeros, NaN or infinity.
 */
final class RandomWeights {
    /** How the f16 scale fields are drawn. */
    enum Scales {
        /**
         * Powers of two, with Q4_1/Q5_1's m an integer multiple of d and K-quants' dmin = d: every product and sum the
         * formats make is then exact in binary32, so decoders that order their operations differently agree bit for bit.
         */
        EXACT,
        /** Random magnitudes in [2^-8, 2^-3) with random signs (d, dmin and m alike): real weights and then some. */
        MODERATE
    }

    /** The formats the kernels support, in a fixed order. */
    static final List<GgmlType> SUPPORTED = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    private RandomWeights() {}

    /** Byte offsets, inside one block, of the f16 fields that multiply the quants ({d}, or {d, dmin}/{d, m}). */
    static int[] scaleOffsets(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException("no block scales in " + type);
        };
    }

    /** {@code blocks} random blocks of {@code type} (for F32/F16/BF16, a block is one element). */
    static byte[] blocks(GgmlType type, int blocks, Random rnd, Scales scales) {
        byte[] out = new byte[blocks * type.blockBytes()];
        ByteBuffer buf = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> {
                for (int i = 0; i < blocks; i++) {
                    buf.putFloat(4 * i, element(rnd, scales));
                }
            }
            case F16 -> {
                for (int i = 0; i < blocks; i++) {
                    buf.putShort(2 * i, Half.f32ToF16(element(rnd, scales)));
                }
            }
            case BF16 -> {
                for (int i = 0; i < blocks; i++) {
                    buf.putShort(2 * i, Half.f32ToBf16(element(rnd, scales)));
                }
            }
            default -> {
                rnd.nextBytes(out);
                int[] at = scaleOffsets(type);
                boolean withMin = type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
                for (int b = 0; b < blocks; b++) {
                    int base = b * type.blockBytes();
                    float d = scale(rnd, scales);
                    buf.putShort(base + at[0], Half.f32ToF16(d));
                    if (at.length == 2) {
                        float second;
                        if (scales == Scales.EXACT) {
                            second = withMin ? d * (rnd.nextInt(65) - 32) : d;
                        } else {
                            second = scale(rnd, scales);
                        }
                        buf.putShort(base + at[1], Half.f32ToF16(second));
                    }
                }
            }
        }
        return out;
    }

    /** A weight matrix of {@code rows} rows of {@code cols} elements, rows {@code rowBytes} apart (padding random). */
    static byte[] matrix(GgmlType type, int rows, int cols, long rowBytes, Random rnd, Scales scales) {
        int blocksPerRow = cols / type.blockElems();
        byte[] out = new byte[Math.toIntExact(rows * rowBytes)];
        rnd.nextBytes(out); // padding between rows stays random: kernels must not read it
        for (int r = 0; r < rows; r++) {
            byte[] row = blocks(type, blocksPerRow, rnd, scales);
            System.arraycopy(row, 0, out, Math.toIntExact(r * rowBytes), row.length);
        }
        return out;
    }

    /** Uniform floats in [-1, 1). */
    static float[] activations(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextFloat() * 2 - 1;
        }
        return x;
    }

    /** Dequantizes a whole matrix with the reference, row by row: {@code [rows][cols]}. */
    static float[][] dequantize(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols) {
        float[][] out = new float[rows][cols];
        for (int r = 0; r < rows; r++) {
            ReferenceQuant.dequantizeRow(type, w, r * rowBytes, out[r], cols);
        }
        return out;
    }

    private static float scale(Random rnd, Scales scales) {
        if (scales == Scales.EXACT) {
            return (float) Math.scalb(1.0, -(4 + rnd.nextInt(6))); // 2^-4 .. 2^-9
        }
        // [2^-8, 2^-3), either sign: ggml's Q4_0 quantizer writes negative d whenever a block's largest value is positive
        double magnitude = Math.scalb(1 + rnd.nextDouble(), -(4 + rnd.nextInt(5)));
        return (float) (rnd.nextBoolean() ? magnitude : -magnitude);
    }

    private static float element(Random rnd, Scales scales) {
        if (scales == Scales.EXACT) {
            return (rnd.nextInt(255) - 127) / 128f; // exact in f16 and bf16
        }
        return rnd.nextFloat() * 2 - 1;
    }
}
