package dev.moe4j.internal.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The scalar reference of every weight format the kernels support, and of the i-quant, ternary and MXFP4 formats
 * ahead of their kernels ({@link GgmlType#referenceDequant()}): plain Java that reads each block the way
 * shared/spec/quant-formats.md (and, for the formats it leaves to ggml, llama.cpp's gguf-py) describes it, with no
 * tricks, so that it can be checked by eye against the spec and against llama.cpp's golden dequantizations, and then
 * serve as the yardstick for the native kernels at every dispatch level. The lattice ("i-quant") decoders live in
 * {@link ReferenceIQuant}, their tables in {@link QuantTables}.
 *
 * <p>Dequantization follows ggml's {@code dequantize_row_*} arithmetic: binary32 operations in the same order (Java never
 * fuses a multiply and an add), so a result is the exact float ggml's portable C computes. {@link #dot}, {@link #matvec}
 * and {@link #matmul} dequantize a row and accumulate the products in double: slower than the kernels and more
 * accurate than any of them, which is what a reference for tolerance-based comparisons needs.
 *
 * <p>All multi-byte fields are little-endian whatever the platform. Source bytes are read from a {@link MemorySegment}
 * (heap or native) and never written. Stateless and thread-safe.
 */
public final class ReferenceQuant {
    /** Super-block size of the K-quants and IQ4_XS. */
    static final int QK_K = 256;

    /** The 16 levels of IQ4_NL / IQ4_XS (ggml's {@code kvalues_iq4nl}). */
    private static final int[] IQ4NL_LEVELS = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    /** The powers of 3 that bring trit n of a TQ1_0 byte to the top ({@link #tq1_0}). */
    private static final int[] POW3 = {1, 3, 9, 27, 81};

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ReferenceQuant() {}

    // ---- dequantization -------------------------------------------------------------------------------------------

    /** {@link #dequantizeRow(GgmlType, MemorySegment, long, float[], int, int)} into {@code dst[0..n)}. */
    public static void dequantizeRow(GgmlType type, MemorySegment src, long srcOffset, float[] dst, int n) {
        dequantizeRow(type, src, srcOffset, dst, 0, n);
    }

    /**
     * Dequantizes {@code n} consecutive elements of {@code type}, stored from byte {@code srcOffset} of {@code src}, into
     * {@code dst[dstOffset .. dstOffset + n)}.
     *
     * @throws IllegalArgumentException if the reference does not decode {@code type}
     *                                  ({@link GgmlType#referenceDequant()}) or {@code n} is negative or not a whole
     *                                  number of blocks
     * @throws IndexOutOfBoundsException if the source bytes or the destination range do not fit
     */
    public static void dequantizeRow(GgmlType type, MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        requireSupported(type);
        long bytes = type.bytesFor(n);
        Objects.checkFromIndexSize(srcOffset, bytes, src.byteSize());
        Objects.checkFromIndexSize(dstOffset, n, dst.length);
        int blocks = n / type.blockElems();
        for (int b = 0; b < blocks; b++) {
            long at = srcOffset + (long) b * type.blockBytes();
            int out = dstOffset + b * type.blockElems();
            switch (type) {
                case F32 -> dst[out] = src.get(LE_FLOAT, at);
                case F16 -> dst[out] = Half.f16ToF32(src.get(LE_SHORT, at));
                case BF16 -> dst[out] = Half.bf16ToF32(src.get(LE_SHORT, at));
                case Q8_0 -> q8_0(src, at, dst, out);
                case Q4_0 -> q4_0(src, at, dst, out);
                case Q4_1 -> q4_1(src, at, dst, out);
                case Q5_0 -> q5_0(src, at, dst, out);
                case Q5_1 -> q5_1(src, at, dst, out);
                case Q2_K -> q2_K(src, at, dst, out);
                case Q3_K -> q3_K(src, at, dst, out);
                case Q4_K -> q4_K(src, at, dst, out);
                case Q5_K -> q5_K(src, at, dst, out);
                case Q6_K -> q6_K(src, at, dst, out);
                case IQ4_NL -> iq4_nl(src, at, dst, out);
                case IQ4_XS -> iq4_xs(src, at, dst, out);
                case IQ2_XXS -> ReferenceIQuant.iq2_xxs(src, at, dst, out);
                case IQ2_XS -> ReferenceIQuant.iq2_xs(src, at, dst, out);
                case IQ2_S -> ReferenceIQuant.iq2_s(src, at, dst, out);
                case IQ3_XXS -> ReferenceIQuant.iq3_xxs(src, at, dst, out);
                case IQ3_S -> ReferenceIQuant.iq3_s(src, at, dst, out);
                case IQ1_S -> ReferenceIQuant.iq1_s(src, at, dst, out);
                case IQ1_M -> ReferenceIQuant.iq1_m(src, at, dst, out);
                case TQ1_0 -> tq1_0(src, at, dst, out);
                case TQ2_0 -> tq2_0(src, at, dst, out);
                case MXFP4 -> mxfp4(src, at, dst, out);
                default -> throw new AssertionError(type); // excluded by requireSupported
            }
        }
    }

    /**
     * Throws unless this class decodes {@code type}. That includes types the kernels do not take yet: whether a model
     * may use a type is {@link GgmlType#kernels()}, checked where models are loaded.
     */
    static void requireSupported(GgmlType type) {
        Objects.requireNonNull(type, "type");
        if (!type.referenceDequant()) {
            throw new IllegalArgumentException("weight type " + type + " (id " + type.id() + ") is not supported");
        }
    }

    // Each block method decodes the block starting at byte b of s into y[o .. o + blockElems).

    /** {@code {f16 d; i8 qs[32]}}: x = d·q. */
    private static void q8_0(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        for (int j = 0; j < 32; j++) {
            y[o + j] = i8(s, b + 2 + j) * d;
        }
    }

    /** {@code {f16 d; u8 qs[16]}}: byte j holds element j (low nibble) and j+16 (high nibble); x = d·(q − 8). */
    private static void q4_0(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        long qs = b + 2;
        for (int j = 0; j < 16; j++) {
            int q = u8(s, qs + j);
            y[o + j] = ((q & 0x0F) - 8) * d;
            y[o + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    /** {@code {f16 d; f16 m; u8 qs[16]}}: Q4_0's nibble order; x = d·q + m. */
    private static void q4_1(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        float m = f16(s, b + 2);
        long qs = b + 4;
        for (int j = 0; j < 16; j++) {
            int q = u8(s, qs + j);
            y[o + j] = (q & 0x0F) * d + m;
            y[o + j + 16] = (q >>> 4) * d + m;
        }
    }

    /** {@code {f16 d; u8 qh[4]; u8 qs[16]}}: bit j of the LE uint32 qh is bit 4 of element j; x = d·(q − 16). */
    private static void q5_0(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        int qh = s.get(LE_INT, b + 2);
        long qs = b + 6;
        for (int j = 0; j < 16; j++) {
            int q = u8(s, qs + j);
            int lo = (q & 0x0F) | (((qh >>> j) & 1) << 4);
            int hi = (q >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
            y[o + j] = (lo - 16) * d;
            y[o + j + 16] = (hi - 16) * d;
        }
    }

    /** {@code {f16 d; f16 m; u8 qh[4]; u8 qs[16]}}: Q5_0's bits; x = d·q + m. */
    private static void q5_1(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        float m = f16(s, b + 2);
        int qh = s.get(LE_INT, b + 4);
        long qs = b + 8;
        for (int j = 0; j < 16; j++) {
            int q = u8(s, qs + j);
            int lo = (q & 0x0F) | (((qh >>> j) & 1) << 4);
            int hi = (q >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
            y[o + j] = lo * d + m;
            y[o + j + 16] = hi * d + m;
        }
    }

    /**
     * {@code {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}}: 16 groups of 16 two-bit quants, each with a 4-bit scale (low
     * nibble) and a 4-bit min (high nibble); x = d·scale·q − dmin·min (spec §4.4).
     */
    private static void q2_K(MemorySegment s, long b, float[] y, int o) {
        long scales = b;
        float d = f16(s, b + 80);
        float dmin = f16(s, b + 82);
        int out = o;
        int is = 0;
        for (int half = 0; half < 2; half++) {
            long q = b + 16 + 32L * half;
            for (int j = 0; j < 4; j++) {
                int shift = 2 * j;
                for (int part = 0; part < 2; part++) { // part 0 reads q[0..15], part 1 reads q[16..31]
                    int sc = u8(s, scales + is++);
                    float dl = d * (sc & 0x0F);
                    float ml = dmin * (sc >>> 4);
                    for (int l = 0; l < 16; l++) {
                        y[out++] = dl * ((u8(s, q + 16 * part + l) >>> shift) & 3) - ml;
                    }
                }
            }
        }
    }

    /**
     * {@code {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}}: Q2_K's traversal of two-bit quants plus a high bit from
     * hmask (a set bit means "no −4"), and 16 signed 6-bit scales packed in 12 bytes (spec §4.5).
     */
    private static void q3_K(MemorySegment s, long b, float[] y, int o) {
        long hmask = b;
        float d = f16(s, b + 108);
        int[] scale = q3_KScales(s, b + 96);
        int out = o;
        int is = 0;
        int m = 1;
        for (int half = 0; half < 2; half++) {
            long q = b + 32 + 32L * half;
            for (int j = 0; j < 4; j++) {
                int shift = 2 * j;
                for (int part = 0; part < 2; part++) {
                    float dl = d * scale[is++];
                    for (int l = 16 * part; l < 16 * part + 16; l++) {
                        int low = (u8(s, q + l) >>> shift) & 3;
                        int minus = (u8(s, hmask + l) & m) != 0 ? 0 : 4;
                        y[out++] = dl * (low - minus);
                    }
                }
                m <<= 1;
            }
        }
    }

    /** The 16 Q3_K scales, already minus 32: low 4 bits from bytes 0..7, high 2 bits from bytes 8..11. */
    private static int[] q3_KScales(MemorySegment s, long at) {
        int a0 = s.get(LE_INT, at);
        int a1 = s.get(LE_INT, at + 4);
        int a2 = s.get(LE_INT, at + 8);
        int[] words = {
                (a0 & 0x0F0F0F0F) | (((a2) & 0x03030303) << 4),
                (a1 & 0x0F0F0F0F) | (((a2 >>> 2) & 0x03030303) << 4),
                ((a0 >>> 4) & 0x0F0F0F0F) | (((a2 >>> 4) & 0x03030303) << 4),
                ((a1 >>> 4) & 0x0F0F0F0F) | (((a2 >>> 6) & 0x03030303) << 4),
        };
        int[] scale = new int[16];
        for (int k = 0; k < 16; k++) {
            scale[k] = ((words[k / 4] >>> (8 * (k % 4))) & 0xFF) - 32;
        }
        return scale;
    }

    /**
     * {@code {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}}: 8 sub-blocks of 32 four-bit quants with 6-bit scales and mins
     * ({@link #scaleK4}); x = d·sc·q − dmin·m (spec §4.1).
     */
    private static void q4_K(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        float dmin = f16(s, b + 2);
        long scales = b + 4;
        for (int c = 0; c < 4; c++) {
            long q = b + 16 + 32L * c;
            float d1 = d * scaleK4(s, scales, 2 * c);
            float m1 = dmin * minK4(s, scales, 2 * c);
            float d2 = d * scaleK4(s, scales, 2 * c + 1);
            float m2 = dmin * minK4(s, scales, 2 * c + 1);
            for (int l = 0; l < 32; l++) {
                int v = u8(s, q + l);
                y[o + 64 * c + l] = d1 * (v & 0x0F) - m1;
                y[o + 64 * c + 32 + l] = d2 * (v >>> 4) - m2;
            }
        }
    }

    /** {@code {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}}: Q4_K plus a fifth bit from qh (spec §4.2). */
    private static void q5_K(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        float dmin = f16(s, b + 2);
        long scales = b + 4;
        long qh = b + 16;
        for (int c = 0; c < 4; c++) {
            long q = b + 48 + 32L * c;
            float d1 = d * scaleK4(s, scales, 2 * c);
            float m1 = dmin * minK4(s, scales, 2 * c);
            float d2 = d * scaleK4(s, scales, 2 * c + 1);
            float m2 = dmin * minK4(s, scales, 2 * c + 1);
            for (int l = 0; l < 32; l++) {
                int v = u8(s, q + l);
                int h = u8(s, qh + l);
                int lo = (v & 0x0F) + 16 * ((h >>> (2 * c)) & 1);
                int hi = (v >>> 4) + 16 * ((h >>> (2 * c + 1)) & 1);
                y[o + 64 * c + l] = d1 * lo - m1;
                y[o + 64 * c + 32 + l] = d2 * hi - m2;
            }
        }
    }

    /** Scale {@code k} (0..7) of the 12-byte 6-bit scale/min packing of Q4_K and Q5_K ({@code get_scale_min_k4}). */
    private static int scaleK4(MemorySegment s, long scales, int k) {
        if (k < 4) {
            return u8(s, scales + k) & 63;
        }
        return (u8(s, scales + k + 4) & 0x0F) | ((u8(s, scales + k - 4) >>> 6) << 4);
    }

    /** Min {@code k} (0..7) of the same packing. */
    private static int minK4(MemorySegment s, long scales, int k) {
        if (k < 4) {
            return u8(s, scales + k + 4) & 63;
        }
        return (u8(s, scales + k + 4) >>> 4) | ((u8(s, scales + k) >>> 6) << 4);
    }

    /**
     * {@code {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}}: 16 sub-blocks of 16 six-bit quants (4 bits in ql, 2 in qh)
     * with signed 8-bit scales; x = d·scale·(q − 32) (spec §4.3).
     */
    private static void q6_K(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b + 208);
        for (int half = 0; half < 2; half++) {
            long ql = b + 64L * half;
            long qh = b + 128 + 32L * half;
            long sc = b + 192 + 8L * half;
            int base = o + 128 * half;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int lowA = u8(s, ql + l);
                int lowB = u8(s, ql + l + 32);
                int h = u8(s, qh + l);
                int q1 = ((lowA & 0x0F) | (((h) & 3) << 4)) - 32;
                int q2 = ((lowB & 0x0F) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((lowA >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((lowB >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                y[base + l] = d * i8(s, sc + is) * q1;
                y[base + l + 32] = d * i8(s, sc + is + 2) * q2;
                y[base + l + 64] = d * i8(s, sc + is + 4) * q3;
                y[base + l + 96] = d * i8(s, sc + is + 6) * q4;
            }
        }
    }

    /** {@code {f16 d; u8 qs[16]}}: Q4_0's nibble order, each nibble an index into the non-linear level table. */
    private static void iq4_nl(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        long qs = b + 2;
        for (int j = 0; j < 16; j++) {
            int q = u8(s, qs + j);
            y[o + j] = d * IQ4NL_LEVELS[q & 0x0F];
            y[o + j + 16] = d * IQ4NL_LEVELS[q >>> 4];
        }
    }

    /**
     * {@code {f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]}}: 8 IQ4_NL-like sub-blocks of 32, each with a 6-bit scale
     * (4 low bits in scales_l, 2 high bits in scales_h) biased by 32 (spec §5).
     */
    private static void iq4_xs(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b);
        int scalesH = s.get(LE_SHORT, b + 2) & 0xFFFF;
        long scalesL = b + 4;
        for (int ib = 0; ib < 8; ib++) {
            int ls = ((u8(s, scalesL + ib / 2) >>> (4 * (ib % 2))) & 0x0F) | (((scalesH >>> (2 * ib)) & 3) << 4);
            float dl = d * (ls - 32);
            long q = b + 8 + 16L * ib;
            for (int j = 0; j < 16; j++) {
                int v = u8(s, q + j);
                y[o + 32 * ib + j] = dl * IQ4NL_LEVELS[v & 0x0F];
                y[o + 32 * ib + 16 + j] = dl * IQ4NL_LEVELS[v >>> 4];
            }
        }
    }

    /**
     * {@code {u8 qs[48]; u8 qh[4]; f16 d}}: 256 trits, five to a byte in qs and four to a byte in qh, each byte holding
     * its trits as a base-3 fraction scaled to 0..255 (most significant trit first), so trit n is the top "digit" of
     * {@code byte·3^n mod 256}: {@code ((byte·3^n mod 256)·3) >> 8}. Element order: trit n of qs byte m (m < 32) is
     * element 32n + m; of qs byte 32 + m (m < 16) element 160 + 16n + m; of qh byte m element 240 + 4n + m.
     * x = d·(t − 1).
     */
    private static void tq1_0(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b + 52);
        for (int n = 0; n < 5; n++) {
            for (int m = 0; m < 32; m++) {
                y[o + 32 * n + m] = (trit(u8(s, b + m), n) - 1) * d;
            }
            for (int m = 0; m < 16; m++) {
                y[o + 160 + 16 * n + m] = (trit(u8(s, b + 32 + m), n) - 1) * d;
            }
        }
        for (int n = 0; n < 4; n++) {
            for (int m = 0; m < 4; m++) {
                y[o + 240 + 4 * n + m] = (trit(u8(s, b + 48 + m), n) - 1) * d;
            }
        }
    }

    /** Trit {@code n} (0, 1 or 2) of a TQ1_0 byte. */
    private static int trit(int packed, int n) {
        return (((packed * POW3[n]) & 0xFF) * 3) >>> 8;
    }

    /**
     * {@code {u8 qs[64]; f16 d}}: 2-bit codes, four to a byte; bits 2l..2l+1 of byte 32j + m are element 128j + 32l + m.
     * x = d·(q − 1).
     */
    private static void tq2_0(MemorySegment s, long b, float[] y, int o) {
        float d = f16(s, b + 64);
        for (int j = 0; j < 2; j++) {
            for (int l = 0; l < 4; l++) {
                for (int m = 0; m < 32; m++) {
                    int q = (u8(s, b + 32 * j + m) >>> (2 * l)) & 3;
                    y[o + 128 * j + 32 * l + m] = (q - 1) * d;
                }
            }
        }
    }

    /**
     * {@code {u8 e; u8 qs[16]}}: an E8M0 (power-of-two) scale and 32 E2M1 codes in Q4_0's nibble order; x = half the
     * scale times the doubled E2M1 value ({@link QuantTables#MXFP4_LEVELS}), which is the scale times the E2M1 value.
     */
    private static void mxfp4(MemorySegment s, long b, float[] y, int o) {
        float d = QuantTables.e8m0Half(u8(s, b));
        for (int j = 0; j < 16; j++) {
            int q = u8(s, b + 1 + j);
            y[o + j] = QuantTables.MXFP4_LEVELS[q & 0x0F] * d;
            y[o + j + 16] = QuantTables.MXFP4_LEVELS[q >>> 4] * d;
        }
    }

    // ---- products -------------------------------------------------------------------------------------------------

    /**
     * The dot product of one weight row ({@code cols} elements of {@code type} from byte {@code rowOffset} of {@code w})
     * with {@code x[xOffset .. xOffset + cols)}, each product and the sum taken in double.
     */
    public static double dot(GgmlType type, MemorySegment w, long rowOffset, int cols, float[] x, int xOffset) {
        Objects.checkFromIndexSize(xOffset, cols, x.length);
        float[] row = new float[cols];
        dequantizeRow(type, w, rowOffset, row, cols);
        double sum = 0;
        for (int c = 0; c < cols; c++) {
            sum += (double) row[c] * x[xOffset + c];
        }
        return sum;
    }

    /**
     * {@code y[r] = dot(W row r, x)} for a weight of {@code rows} rows of {@code cols} elements, rows {@code rowBytes}
     * apart from byte 0 of {@code w} (the layout of {@code moe_tensor_matvec}).
     */
    public static double[] matvec(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols, float[] x) {
        return matmul(type, w, rowBytes, rows, cols, x, cols, 1)[0];
    }

    /**
     * {@code Y[t][r] = dot(W row r, X[t])} for {@code t < nTokens}, where {@code X[t]} starts at {@code x[t * xStride]}
     * (the layout of {@code moe_tensor_matmul}). Returns {@code double[nTokens][rows]}.
     */
    public static double[][] matmul(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols, float[] x,
                                    int xStride, int nTokens) {
        requireSupported(type);
        if (rows < 0 || nTokens < 0 || xStride < cols || rowBytes < type.bytesFor(cols)) {
            throw new IllegalArgumentException("matmul: rows=" + rows + " cols=" + cols + " rowBytes=" + rowBytes
                    + " xStride=" + xStride + " nTokens=" + nTokens + " for " + type);
        }
        double[][] y = new double[nTokens][rows];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            dequantizeRow(type, w, r * rowBytes, row, cols);
            for (int t = 0; t < nTokens; t++) {
                int xo = t * xStride;
                Objects.checkFromIndexSize(xo, cols, x.length);
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += (double) row[c] * x[xo + c];
                }
                y[t][r] = sum;
            }
        }
        return y;
    }

    // ---- field readers --------------------------------------------------------------------------------------------

    private static int u8(MemorySegment s, long at) {
        return Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, at));
    }

    private static int i8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at);
    }

    private static float f16(MemorySegment s, long at) {
        return Half.f16ToF32(s.get(LE_SHORT, at));
    }
}
