package dev.moe4j.internal.quant;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Random weight bytes for every supported format: every quant bit random, and the f16 scale fields (d, dmin, m) set to
 * finite, non-zero values so that no block decodes to all zeros, NaN or infinity (IQ1_M's scale, spread over the top
 * nibbles of its scale words, likewise; MXFP4's E8M0 exponent to half-scales 2^-10 .. 2^5). The grid indices of the
 * lattice formats are not left to chance: the points of one call walk every index of the grid ({@link GridWalk}), so
 * a matrix of at least as many points as its grid uses every grid point.
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

    /** The formats of shared/spec/quant-formats.md (and Q4_1/Q5_0/Q5_1), which {@link SpecDecoder} reads. */
    static final List<GgmlType> SPEC_FORMATS = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS);

    /** The formats defined by ggml alone (gguf-py's decoders are their reference): i-quants, ternary, MXFP4. */
    static final List<GgmlType> GGML_FORMATS = List.of(GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S,
            GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M, GgmlType.TQ1_0, GgmlType.TQ2_0,
            GgmlType.MXFP4);

    /** The formats the kernels support, in a fixed order. */
    static final List<GgmlType> SUPPORTED = Stream.concat(SPEC_FORMATS.stream(), GGML_FORMATS.stream()).toList();

    private RandomWeights() {}

    /** Byte offsets, inside one block, of the f16 fields that multiply the quants ({d}, or {d, dmin}/{d, m}). */
    static int[] scaleOffsets(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q5_0, IQ4_NL, IQ4_XS -> new int[] {0};
            case Q4_1, Q5_1, Q4_K, Q5_K -> new int[] {0, 2};
            case Q2_K -> new int[] {80, 82};
            case Q3_K -> new int[] {108};
            case Q6_K -> new int[] {208};
            case IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S -> new int[] {0};
            case TQ1_0 -> new int[] {52};
            case TQ2_0 -> new int[] {64};
            case IQ1_M, MXFP4 -> new int[0]; // no plain f16 field: set by blocks()
            default -> throw new IllegalArgumentException("no block scales in " + type);
        };
    }

    /** {@code blocks} random blocks of {@code type} (for F32/F16/BF16, a block is one element). */
    static byte[] blocks(GgmlType type, int blocks, Random rnd, Scales scales) {
        return blocks(type, blocks, rnd, scales, new GridWalk(type, rnd));
    }

    private static byte[] blocks(GgmlType type, int blocks, Random rnd, Scales scales, GridWalk walk) {
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
                    walk.writeIndices(type, out, base);
                    float d = scale(rnd, scales);
                    if (type == GgmlType.IQ1_M) { // d's 16 bits are the top nibbles of the 4 scale words (word 0 lowest)
                        short h = Half.f32ToF16(d);
                        for (int k = 0; k < 4; k++) {
                            int hi = base + 49 + 2 * k;
                            out[hi] = (byte) ((out[hi] & 0x0F) | ((h >>> (4 * k)) & 0x0F) << 4);
                        }
                        continue;
                    }
                    if (type == GgmlType.MXFP4) {
                        out[base] = (byte) (118 + rnd.nextInt(16));
                        continue;
                    }
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
        GridWalk walk = new GridWalk(type, rnd); // one walk over all rows: the matrix covers the grid when big enough
        for (int r = 0; r < rows; r++) {
            byte[] row = blocks(type, blocksPerRow, rnd, scales, walk);
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

    /** Points of the grid of a lattice format (0 for the others). */
    static int gridPoints(GgmlType type) {
        return switch (type) {
            case IQ2_XXS, IQ3_XXS -> 256;
            case IQ2_XS, IQ3_S -> 512;
            case IQ2_S -> 1024;
            case IQ1_S, IQ1_M -> 2048;
            default -> 0;
        };
    }

    /**
     * The grid indices a block of a lattice format uses, in point order, read from the layout (ggml-common.h's block
     * structs; ReferenceIQuant documents them): for checking that random weights cover a grid.
     */
    static int[] gridIndices(GgmlType type, byte[] w, int base) {
        ByteBuffer b = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
        int[] idx = new int[type == GgmlType.IQ3_XXS || type == GgmlType.IQ3_S ? 64 : 32];
        for (int k = 0; k < idx.length; k++) {
            int ib = type == GgmlType.IQ3_XXS || type == GgmlType.IQ3_S ? k / 8 : k / 4;
            idx[k] = switch (type) {
                case IQ2_XXS -> w[base + 2 + 8 * ib + k % 4] & 0xFF;
                case IQ2_XS -> b.getShort(base + 2 + 2 * k) & 511;
                case IQ2_S -> (w[base + 2 + k] & 0xFF) | ((w[base + 66 + ib] >>> (2 * (k % 4))) & 3) << 8;
                case IQ3_XXS -> w[base + 2 + k] & 0xFF;
                case IQ3_S -> (w[base + 2 + k] & 0xFF) | ((w[base + 66 + ib] >>> (k % 8)) & 1) << 8;
                case IQ1_S -> (w[base + 2 + k] & 0xFF) | ((b.getShort(base + 34 + 2 * ib) >>> (3 * (k % 4))) & 7) << 8;
                case IQ1_M -> (w[base + k] & 0xFF) | ((w[base + 32 + k / 2] >>> (4 * (k % 2))) & 7) << 8;
                default -> throw new IllegalArgumentException(type + " has no grid");
            };
        }
        return idx;
    }

    /** Adds the grid indices used by a weight matrix (rows {@code rowBytes} apart) to {@code seen}. */
    static void markGrid(GgmlType type, byte[] w, int rows, long rowBytes, int cols, BitSet seen) {
        if (gridPoints(type) == 0) {
            return;
        }
        for (int r = 0; r < rows; r++) {
            for (int blk = 0; blk < cols / type.blockElems(); blk++) {
                for (int i : gridIndices(type, w, Math.toIntExact(r * rowBytes) + blk * type.blockBytes())) {
                    seen.set(i);
                }
            }
        }
    }

    /** Fails unless {@code seen} holds every index of {@code type}'s grid (nothing to check for other formats). */
    static void requireGridCovered(GgmlType type, BitSet seen, String where) {
        int points = gridPoints(type);
        if (points > 0 && seen.cardinality() != points) {
            throw new AssertionError(where + ": random " + type + " weights used " + seen.cardinality() + " of the "
                    + points + " grid points (first unused: " + seen.nextClearBit(0) + ")");
        }
    }

    /**
     * Grid indices for the points of lattice blocks: point n of a walk gets (start + stride·n) mod N with a random start
     * and a random odd stride, so any N consecutive points use each of the N indices once. The other bits of a block
     * (signs, scales, the delta signs) stay random.
     */
    static final class GridWalk {
        private final int points;
        private final int start;
        private final int stride;
        private int next;

        GridWalk(GgmlType type, Random rnd) {
            points = gridPoints(type);
            start = points == 0 ? 0 : rnd.nextInt(points);
            stride = points == 0 ? 0 : 2 * rnd.nextInt(points / 2) + 1;
        }

        /** Writes the next indices into every grid point of the block at {@code base} (nothing for other formats). */
        void writeIndices(GgmlType type, byte[] w, int base) {
            if (points == 0) {
                return;
            }
            ByteBuffer b = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
            int count = type == GgmlType.IQ3_XXS || type == GgmlType.IQ3_S ? 64 : 32;
            for (int k = 0; k < count; k++) {
                int i = (start + stride * next++) & (points - 1);
                int ib = count == 64 ? k / 8 : k / 4;
                switch (type) {
                    case IQ2_XXS -> w[base + 2 + 8 * ib + k % 4] = (byte) i;
                    case IQ2_XS -> b.putShort(base + 2 + 2 * k, (short) ((b.getShort(base + 2 + 2 * k) & ~511) | i));
                    case IQ2_S -> {
                        w[base + 2 + k] = (byte) i;
                        int sh = 2 * (k % 4);
                        w[base + 66 + ib] = (byte) ((w[base + 66 + ib] & ~(3 << sh)) | (i >>> 8) << sh);
                    }
                    case IQ3_XXS -> w[base + 2 + k] = (byte) i;
                    case IQ3_S -> {
                        w[base + 2 + k] = (byte) i;
                        int sh = k % 8;
                        w[base + 66 + ib] = (byte) ((w[base + 66 + ib] & ~(1 << sh)) | (i >>> 8) << sh);
                    }
                    case IQ1_S -> {
                        w[base + 2 + k] = (byte) i;
                        int at = base + 34 + 2 * ib;
                        int sh = 3 * (k % 4);
                        b.putShort(at, (short) ((b.getShort(at) & ~(7 << sh)) | (i >>> 8) << sh));
                    }
                    case IQ1_M -> {
                        w[base + k] = (byte) i;
                        int at = base + 32 + k / 2;
                        int sh = 4 * (k % 2);
                        w[at] = (byte) ((w[at] & ~(7 << sh)) | (i >>> 8) << sh);
                    }
                    default -> throw new IllegalArgumentException(type + " has no grid");
                }
            }
        }
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
