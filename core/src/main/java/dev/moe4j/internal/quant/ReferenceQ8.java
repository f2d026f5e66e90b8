package dev.moe4j.internal.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The scalar reference of llama.cpp's products with 8-bit activations, as the native {@code moe_tensor_q8_*} kernels
 * compute them (the arithmetic and row layouts are defined in {@code native-kernels/src/q8_blocks.h} and moe4j.h):
 * <ul>
 *   <li>{@link #quantize}: an activation row to the weight type's ggml {@code vec_dot_type} - blocks of 32 to Q8_0 (d =
 *       fp16(max|x|/127), q = round-half-even(x·127/max|x|), plus Q8_1's s = fp16(d·Σq) and the exact Σq) for Q4_0,
 *       Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL; blocks of 256 to Q8_K (the first element of largest magnitude sets
 *       iscale = −127/max, q = min(127, round-half-even(iscale·x)), d = 1/iscale, sums of 16 quants) for the K-quants
 *       and IQ4_XS;</li>
 *   <li>{@link #dot}: per weight block the exact integer dot product with the activation quants, scaled in f32 with
 *       ggml's scalar formula (D = dw·dx; D·isum, + m·s for Q4_1/Q5_1, − (dmin·dx)·Σ bsums·mins for Q2_K/Q4_K/Q5_K),
 *       block b added into lane b % 16 of 16 f32 lanes, the lanes summed in a fixed tree.</li>
 * </ul>
 * Java float arithmetic is IEEE binary32 with one rounding per operation, so this returns the native kernels' floats
 * bit for bit at every dispatch level. Stateless and thread-safe; inputs are read, never written (but the output).
 */
public final class ReferenceQ8 {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int[] IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private ReferenceQ8() {}

    /** Whether products with {@code type} weights take quantized activations (every supported block format). */
    public static boolean hasQ8(GgmlType type) {
        return type.kernels() && type.blockElems() > 1;
    }

    /** Bytes of one quantized activation row of {@code cols} elements for {@code type} weights (moe4j.h's layout). */
    public static long rowBytes(GgmlType type, int cols) {
        int nb = blocks(type, cols);
        return type.blockElems() == 32 ? (long) padded(nb) * 44 : ((long) nb * 292 + 63) / 64 * 64;
    }

    /**
     * Quantizes {@code x[off .. off + cols)} for products with {@code type} weights into {@link #rowBytes} bytes of
     * {@code out} from byte {@code outOff} (padding included).
     */
    public static void quantize(GgmlType type, float[] x, int off, int cols, MemorySegment out, long outOff) {
        int nb = blocks(type, cols);
        Objects.checkFromIndexSize(off, cols, x.length);
        Objects.checkFromIndexSize(outOff, rowBytes(type, cols), out.byteSize());
        out.asSlice(outOff, rowBytes(type, cols)).fill((byte) 0);
        if (type.blockElems() == 32) {
            quantizeQ8s(x, off, nb, out, outOff);
        } else {
            quantizeQ8K(x, off, nb, out, outOff);
        }
    }

    /**
     * The product of one weight row ({@code cols} elements of {@code type} at byte {@code wOff} of {@code w}) with one
     * quantized activation row (at byte {@code xqOff} of {@code xq}), as the native kernels compute it.
     */
    public static float dot(GgmlType type, MemorySegment w, long wOff, int cols, MemorySegment xq, long xqOff) {
        int nb = blocks(type, cols);
        Objects.checkFromIndexSize(wOff, type.bytesFor(cols), w.byteSize());
        Objects.checkFromIndexSize(xqOff, rowBytes(type, cols), xq.byteSize());
        float[] lanes = new float[16];
        for (int b = 0; b < nb; b++) {
            long blk = wOff + (long) b * type.blockBytes();
            lanes[b & 15] += type.blockElems() == 32 ? smallBlock(type, w, blk, xq, xqOff, nb, b)
                    : kBlock(type, w, blk, xq, xqOff, nb, b);
        }
        return sum16(lanes);
    }

    // ---- quantizers -----------------------------------------------------------------------------------------------

    private static void quantizeQ8s(float[] x, int off, int nb, MemorySegment out, long o) {
        long np = padded(nb);
        for (int b = 0; b < nb; b++) {
            int xb = off + 32 * b;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[xb + j]));
            }
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                int q = roundHalfEven(x[xb + j] * id);
                out.set(ValueLayout.JAVA_BYTE, o + 32L * b + j, (byte) q);
                sum += q;
            }
            out.set(LE_FLOAT, o + 32 * np + 4L * b, f16Round(d));
            out.set(LE_FLOAT, o + 36 * np + 4L * b, f16Round(d * (float) sum));
            out.set(LE_INT, o + 40 * np + 4L * b, sum);
        }
    }

    private static void quantizeQ8K(float[] x, int off, int nb, MemorySegment out, long o) {
        for (int b = 0; b < nb; b++) {
            int xb = off + 256 * b;
            float amax = 0;
            float max = 0;
            for (int j = 0; j < 256; j++) {
                float a = Math.abs(x[xb + j]);
                if (a > amax) {
                    amax = a;
                    max = x[xb + j];
                }
            }
            if (amax == 0f) {
                continue; // quants, bsums and d stay 0
            }
            float iscale = -127f / max;
            for (int g = 0; g < 16; g++) {
                int sum = 0;
                for (int j = 16 * g; j < 16 * g + 16; j++) {
                    int q = Math.min(127, roundHalfEven(iscale * x[xb + j]));
                    out.set(ValueLayout.JAVA_BYTE, o + 256L * b + j, (byte) q);
                    sum += q;
                }
                out.set(LE_SHORT, o + 260L * nb + 2L * (16 * b + g), (short) sum);
            }
            out.set(LE_FLOAT, o + 256L * nb + 4L * b, 1f / iscale);
        }
    }

    // ---- products: 32-element blocks ------------------------------------------------------------------------------

    private static float smallBlock(GgmlType type, MemorySegment w, long blk, MemorySegment xq, long o, int nb, int b) {
        long np = padded(nb);
        long q = o + 32L * b;
        float dx = xq.get(LE_FLOAT, o + 32 * np + 4L * b);
        float dw = f16(w, blk);
        int isum = 0;
        for (int j = 0; j < 32; j++) {
            isum += weightValue(type, w, blk, j) * i8(xq, q + j);
        }
        float D = dw * dx;
        float c = D * (float) isum;
        if (type == GgmlType.Q4_1 || type == GgmlType.Q5_1) {
            float m = f16(w, blk + 2) * xq.get(LE_FLOAT, o + 36 * np + 4L * b);
            c = c + m;
        }
        return c;
    }

    /** The integer value of element j (0..31) of a 32-element block (without its scales and offsets applied). */
    private static int weightValue(GgmlType type, MemorySegment w, long blk, int j) {
        return switch (type) {
            case Q4_0 -> nibble(w, blk + 2, j) - 8;
            case Q4_1 -> nibble(w, blk + 4, j);
            case Q5_0 -> nibble(w, blk + 6, j) + 16 * ((w.get(LE_INT, blk + 2) >>> j) & 1) - 16;
            case Q5_1 -> nibble(w, blk + 8, j) + 16 * ((w.get(LE_INT, blk + 4) >>> j) & 1);
            case Q8_0 -> i8(w, blk + 2 + j);
            case IQ4_NL -> IQ4NL[nibble(w, blk + 2, j)];
            default -> throw new IllegalArgumentException(type + " has no 32-element quantized-activation product");
        };
    }

    /** Element j of 32 stored as 16 bytes: low nibbles are elements 0..15, high nibbles 16..31. */
    private static int nibble(MemorySegment w, long qs, int j) {
        int v = u8(w, qs + (j & 15));
        return j < 16 ? v & 0x0F : v >>> 4;
    }

    // ---- products: 256-element super-blocks -----------------------------------------------------------------------

    private static float kBlock(GgmlType type, MemorySegment w, long blk, MemorySegment xq, long o, int nb, int b) {
        long q = o + 256L * b;
        long bs = o + 260L * nb + 32L * b;
        float dx = xq.get(LE_FLOAT, o + 256L * nb + 4L * b);
        int[] v = new int[256];
        int[] scale = new int[16]; // per 16 elements
        int[] min = new int[16];   // per 16 elements (0 without mins)
        float dw;
        float dmin = 0f;
        switch (type) {
            case Q2_K -> {
                for (int k = 0; k < 16; k++) {
                    scale[k] = u8(w, blk + k) & 0x0F;
                    min[k] = u8(w, blk + k) >>> 4;
                }
                for (int e = 0; e < 256; e++) { // element e = 128n + 32j + l, l < 32: bits 2j of qs[32n + l]
                    int n = e / 128;
                    int j = (e % 128) / 32;
                    v[e] = (u8(w, blk + 16 + 32 * n + e % 32) >>> (2 * j)) & 3;
                }
                dw = f16(w, blk + 80);
                dmin = f16(w, blk + 82);
            }
            case Q3_K -> {
                int[] f = q3Fields(w, blk + 96);
                for (int k = 0; k < 16; k++) {
                    scale[k] = f[k] - 32;
                }
                for (int e = 0; e < 256; e++) {
                    int n = e / 128;
                    int j = (e % 128) / 32;
                    int low = (u8(w, blk + 32 + 32 * n + e % 32) >>> (2 * j)) & 3;
                    int high = (u8(w, blk + e % 32) >>> (4 * n + j)) & 1;
                    v[e] = low - (high != 0 ? 0 : 4);
                }
                dw = f16(w, blk + 108);
            }
            case Q4_K, Q5_K -> {
                int[] sm = scaleMinK4(w, blk + 4);
                boolean five = type == GgmlType.Q5_K;
                for (int k = 0; k < 16; k++) {
                    scale[k] = sm[k / 2];
                    min[k] = sm[8 + k / 2];
                }
                long qs = blk + (five ? 48 : 16);
                for (int e = 0; e < 256; e++) { // chunk c = e / 64: low nibbles elements 0..31, high 32..63
                    int c = e / 64;
                    int l = e % 32;
                    boolean high = (e % 64) >= 32;
                    int byt = u8(w, qs + 32 * c + l);
                    v[e] = high ? byt >>> 4 : byt & 0x0F;
                    if (five) {
                        v[e] += 16 * ((u8(w, blk + 16 + l) >>> (2 * c + (high ? 1 : 0))) & 1);
                    }
                }
                dw = f16(w, blk);
                dmin = f16(w, blk + 2);
            }
            case Q6_K -> {
                for (int k = 0; k < 16; k++) {
                    scale[k] = i8(w, blk + 192 + k);
                }
                for (int e = 0; e < 256; e++) { // half n: l < 32 -> ql[l] lo, ql[l+32] lo, ql[l] hi, ql[l+32] hi
                    int n = e / 128;
                    int r = e % 128;
                    int l = r % 32;
                    int part = r / 32;
                    int ql = u8(w, blk + 64 * n + l + (part % 2) * 32);
                    int qh = u8(w, blk + 128 + 32 * n + l);
                    int low = part < 2 ? ql & 0x0F : ql >>> 4;
                    v[e] = (low | (((qh >>> (2 * part)) & 3) << 4)) - 32;
                }
                dw = f16(w, blk + 208);
            }
            case IQ4_XS -> {
                int scalesH = w.get(LE_SHORT, blk + 2) & 0xFFFF;
                for (int ib = 0; ib < 8; ib++) {
                    int ls = ((u8(w, blk + 4 + ib / 2) >>> (4 * (ib % 2))) & 0x0F) | (((scalesH >>> (2 * ib)) & 3) << 4);
                    scale[2 * ib] = scale[2 * ib + 1] = ls - 32;
                    for (int j = 0; j < 32; j++) {
                        v[32 * ib + j] = IQ4NL[nibble(w, blk + 8 + 16 * ib, j)];
                    }
                }
                dw = f16(w, blk);
            }
            default -> throw new IllegalArgumentException(type + " has no 256-element quantized-activation product");
        }
        int isum = 0;
        int summs = 0;
        for (int k = 0; k < 16; k++) {
            int sub = 0;
            for (int e = 16 * k; e < 16 * k + 16; e++) {
                sub += v[e] * i8(xq, q + e);
            }
            isum += scale[k] * sub;
            summs += min[k] * xq.get(LE_SHORT, bs + 2L * k);
        }
        float D = dw * dx;
        float M = dmin * dx;
        float a = D * (float) isum;
        float m = M * (float) summs;
        return a - m;
    }

    /** Q3_K's 16 six-bit scale fields (0..63; the scale is the field minus 32). */
    private static int[] q3Fields(MemorySegment w, long at) {
        int a0 = w.get(LE_INT, at);
        int a1 = w.get(LE_INT, at + 4);
        int a2 = w.get(LE_INT, at + 8);
        int[] words = {
                (a0 & 0x0F0F0F0F) | ((a2 & 0x03030303) << 4),
                (a1 & 0x0F0F0F0F) | (((a2 >>> 2) & 0x03030303) << 4),
                ((a0 >>> 4) & 0x0F0F0F0F) | (((a2 >>> 4) & 0x03030303) << 4),
                ((a1 >>> 4) & 0x0F0F0F0F) | (((a2 >>> 6) & 0x03030303) << 4),
        };
        int[] f = new int[16];
        for (int k = 0; k < 16; k++) {
            f[k] = (words[k / 4] >>> (8 * (k % 4))) & 0xFF;
        }
        return f;
    }

    /** Q4_K/Q5_K's 8 six-bit scales (0..7) and mins (8..15), ggml's get_scale_min_k4. */
    private static int[] scaleMinK4(MemorySegment w, long at) {
        int[] sm = new int[16];
        for (int k = 0; k < 8; k++) {
            if (k < 4) {
                sm[k] = u8(w, at + k) & 63;
                sm[8 + k] = u8(w, at + k + 4) & 63;
            } else {
                sm[k] = (u8(w, at + k + 4) & 0x0F) | ((u8(w, at + k - 4) >>> 6) << 4);
                sm[8 + k] = (u8(w, at + k + 4) >>> 4) | ((u8(w, at + k) >>> 6) << 4);
            }
        }
        return sm;
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private static int blocks(GgmlType type, int cols) {
        Objects.requireNonNull(type, "type");
        if (!hasQ8(type)) {
            throw new IllegalArgumentException(type + " has no quantized-activation products");
        }
        if (cols <= 0 || cols % type.blockElems() != 0) {
            throw new IllegalArgumentException(cols + " columns is not a positive multiple of " + type.blockElems()
                    + " for " + type);
        }
        return cols / type.blockElems();
    }

    /** Blocks of a Q8_0-family row with its zero padding to a multiple of 16. */
    private static int padded(int nb) {
        return (nb + 15) / 16 * 16;
    }

    /** The fixed tree: halves, quarters, pairs. */
    private static float sum16(float[] l) {
        float[] s8 = new float[8];
        for (int i = 0; i < 8; i++) {
            s8[i] = l[i] + l[i + 8];
        }
        float[] s4 = new float[4];
        for (int i = 0; i < 4; i++) {
            s4[i] = s8[i] + s8[i + 4];
        }
        float a = s4[0] + s4[2];
        float b = s4[1] + s4[3];
        return a + b;
    }

    /** Round half to even of a float product (|v| well inside int range for finite activations). */
    private static int roundHalfEven(float v) {
        return (int) Math.rint(v);
    }

    private static float f16Round(float v) {
        return Half.f16ToF32(Half.f32ToF16(v));
    }

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
