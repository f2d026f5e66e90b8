package dev.moe4j.internal.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * The scalar reference of llama.cpp's products with 8-bit activations, as the native {@code moe_tensor_q8_*} kernels
 * compute them (the arithmetic and row layouts are defined in {@code native-kernels/src/q8_blocks.h} and moe4j.h):
 * <ul>
 *   <li>{@link #quantize}: an activation row to the weight type's ggml {@code vec_dot_type}
 *       ({@link GgmlType#activation()}) - blocks of 32 to Q8_0 (d = fp16(max|x|/127), q = round-half-even(x·127/max|x|),
 *       plus Q8_1's s = fp16(d·Σq) and the exact Σq) for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL, MXFP4; blocks of 256 to
 *       Q8_K (the first element of largest magnitude sets iscale = −127/max, q = min(127, round-half-even(iscale·x)),
 *       d = 1/iscale, sums of 16 quants) for the K-quants, IQ4_XS, the lattice i-quants and TQ1_0/TQ2_0;</li>
 *   <li>{@link #dot}: per weight block the exact integer dot product with the activation quants, scaled in f32 with
 *       ggml's scalar formula (D = dw·dx; D·isum, + m·s for Q4_1/Q5_1, − (dmin·dx)·Σ bsums·mins for Q2_K/Q4_K/Q5_K;
 *       dw = fp16(d) scaled by 1/8 for IQ2_*, 1/4 for IQ3_XXS, and the halved E8M0 scale for MXFP4; for IQ1_S/IQ1_M
 *       D·(sumi + 0.125·sumi1), the delta term's integer sum converted and scaled in f32), block b added into lane
 *       b % 16 of 16 f32 lanes, the lanes summed in a fixed tree.</li>
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
        return type.kernels() && (type.activation() == GgmlType.Activation.Q8_0
                || type.activation() == GgmlType.Activation.Q8_K);
    }

    /** Bytes of one quantized activation row of {@code cols} elements for {@code type} weights (moe4j.h's layout). */
    public static long rowBytes(GgmlType type, int cols) {
        int nb = blocks(type, cols);
        return small(type) ? (long) padded(nb) * 44 : ((long) nb * 292 + 63) / 64 * 64;
    }

    /** Whether {@code type}'s activations are Q8_0 blocks of 32 (else Q8_K blocks of 256). */
    private static boolean small(GgmlType type) {
        return type.activation() == GgmlType.Activation.Q8_0;
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
        if (small(type)) {
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
            lanes[b & 15] += small(type) ? smallBlock(type, w, blk, xq, xqOff, nb, b)
                    : lattice(type) ? latticeBlock(type, w, blk, xq, xqOff, nb, b)
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
        float dw = type == GgmlType.MXFP4 ? QuantTables.e8m0Half(u8(w, blk)) : f16(w, blk);
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
            case MXFP4 -> QuantTables.MXFP4_LEVELS[nibble(w, blk + 1, j)];
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

    // ---- products: the lattice i-quants and the ternary formats (Q8_K, 256 per block) ------------------------------

    private static boolean lattice(GgmlType type) {
        return switch (type) {
            case IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M, TQ1_0, TQ2_0 -> true;
            default -> false;
        };
    }

    /**
     * One block of an i-quant or ternary format: its 256 integer values (grid element · sign, or trit − 1), an odd
     * integer scale per 16 elements and, for IQ1_S/IQ1_M, the delta's sign per 8 elements, read from the layout
     * ({@link ReferenceIQuant} documents each); then ggml's generic integer sums and per-block formula.
     */
    private static float latticeBlock(GgmlType type, MemorySegment w, long blk, MemorySegment xq, long o, int nb, int b) {
        long q = o + 256L * b;
        float dx = xq.get(LE_FLOAT, o + 256L * nb + 4L * b);
        int[] v = new int[256];
        int[] scale = new int[16];
        int[] delta = new int[32];
        float dw;
        switch (type) {
            case IQ2_XXS -> {
                for (int ib = 0; ib < 8; ib++) {
                    int aux = w.get(LE_INT, blk + 2 + 8L * ib + 4);
                    scale[2 * ib] = scale[2 * ib + 1] = 2 * (aux >>> 28) + 1;
                    for (int l = 0; l < 4; l++) {
                        int signs = QuantTables.KSIGNS_IQ2XS[(aux >>> (7 * l)) & 127] & 0xFF;
                        signedPoint(v, 32 * ib + 8 * l, QuantTables.IQ2XXS_GRID, 8, u8(w, blk + 2 + 8L * ib + l), signs);
                    }
                }
                dw = 0.125f * f16(w, blk);
            }
            case IQ2_XS -> {
                for (int ib = 0; ib < 8; ib++) {
                    int sc = u8(w, blk + 66 + ib);
                    scale[2 * ib] = 2 * (sc & 0x0F) + 1;
                    scale[2 * ib + 1] = 2 * (sc >>> 4) + 1;
                    for (int l = 0; l < 4; l++) {
                        int word = w.get(LE_SHORT, blk + 2 + 2L * (4 * ib + l)) & 0xFFFF;
                        signedPoint(v, 32 * ib + 8 * l, QuantTables.IQ2XS_GRID, 8, word & 511,
                                QuantTables.KSIGNS_IQ2XS[word >>> 9] & 0xFF);
                    }
                }
                dw = 0.125f * f16(w, blk);
            }
            case IQ2_S -> {
                for (int ib = 0; ib < 8; ib++) {
                    int sc = u8(w, blk + 74 + ib);
                    scale[2 * ib] = 2 * (sc & 0x0F) + 1;
                    scale[2 * ib + 1] = 2 * (sc >>> 4) + 1;
                    int qh = u8(w, blk + 66 + ib);
                    for (int l = 0; l < 4; l++) {
                        int k = 4 * ib + l;
                        int point = u8(w, blk + 2 + k) | ((qh >>> (2 * l)) & 3) << 8;
                        signedPoint(v, 8 * k, QuantTables.IQ2S_GRID, 8, point, u8(w, blk + 34 + k));
                    }
                }
                dw = 0.125f * f16(w, blk);
            }
            case IQ3_XXS -> {
                for (int ib = 0; ib < 8; ib++) {
                    int aux = w.get(LE_INT, blk + 66 + 4L * ib);
                    scale[2 * ib] = scale[2 * ib + 1] = 2 * (aux >>> 28) + 1;
                    for (int l = 0; l < 4; l++) {
                        int signs = QuantTables.KSIGNS_IQ2XS[(aux >>> (7 * l)) & 127] & 0xFF;
                        int at = 32 * ib + 8 * l;
                        signedPoint(v, at, QuantTables.IQ3XXS_GRID, 4, u8(w, blk + 2 + 8L * ib + 2 * l), signs);
                        signedPoint(v, at + 4, QuantTables.IQ3XXS_GRID, 4, u8(w, blk + 3 + 8L * ib + 2 * l), signs >> 4);
                    }
                }
                dw = 0.25f * f16(w, blk);
            }
            case IQ3_S -> {
                for (int ib = 0; ib < 8; ib++) {
                    scale[2 * ib] = scale[2 * ib + 1] = 2 * ((u8(w, blk + 106 + ib / 2) >>> (4 * (ib % 2))) & 0x0F) + 1;
                    int qh = u8(w, blk + 66 + ib);
                    for (int j = 0; j < 8; j++) { // point j of the sub-block: 4 elements, index bit 8 = bit j of qh
                        int point = u8(w, blk + 2 + 8L * ib + j) | ((qh >>> j) & 1) << 8;
                        int signs = u8(w, blk + 74 + 4L * ib + j / 2) >>> (4 * (j % 2));
                        signedPoint(v, 32 * ib + 4 * j, QuantTables.IQ3S_GRID, 4, point, signs);
                    }
                }
                dw = f16(w, blk);
            }
            case IQ1_S -> {
                for (int ib = 0; ib < 8; ib++) {
                    int qh = w.get(LE_SHORT, blk + 34 + 2L * ib) & 0xFFFF;
                    scale[2 * ib] = scale[2 * ib + 1] = 2 * ((qh >>> 12) & 7) + 1;
                    for (int l = 0; l < 4; l++) {
                        int point = u8(w, blk + 2 + 4L * ib + l) | ((qh >>> (3 * l)) & 7) << 8;
                        iq1Point(v, 32 * ib + 8 * l, point);
                        delta[4 * ib + l] = (qh & 0x8000) != 0 ? -1 : 1;
                    }
                }
                dw = f16(w, blk);
            }
            case IQ1_M -> {
                int[] sc = new int[4];
                for (int k = 0; k < 4; k++) {
                    sc[k] = w.get(LE_SHORT, blk + 48 + 2L * k) & 0xFFFF;
                }
                for (int h = 0; h < 16; h++) { // half sub-block h = 2·ib + (0 or 1): bits 3·(h % 4) of word h / 4
                    scale[h] = 2 * ((sc[h / 4] >>> (3 * (h % 4))) & 7) + 1;
                }
                for (int k = 0; k < 32; k++) {
                    int nib = (u8(w, blk + 32 + k / 2) >>> (4 * (k % 2))) & 0x0F;
                    iq1Point(v, 8 * k, u8(w, blk + k) | (nib & 7) << 8);
                    delta[k] = (nib & 8) != 0 ? -1 : 1;
                }
                int bits = (sc[0] >>> 12) | ((sc[1] >>> 8) & 0x00F0) | ((sc[2] >>> 4) & 0x0F00) | (sc[3] & 0xF000);
                dw = Half.f16ToF32((short) bits);
            }
            case TQ1_0 -> {
                for (int n = 0; n < 5; n++) { // trit n of qs byte m: element 32n + m (m < 32), 160 + 16n + m (m < 16)
                    for (int m = 0; m < 32; m++) {
                        v[32 * n + m] = trit(u8(w, blk + m), n) - 1;
                    }
                    for (int m = 0; m < 16; m++) {
                        v[160 + 16 * n + m] = trit(u8(w, blk + 32 + m), n) - 1;
                    }
                }
                for (int n = 0; n < 4; n++) { // trit n of qh byte m: element 240 + 4n + m
                    for (int m = 0; m < 4; m++) {
                        v[240 + 4 * n + m] = trit(u8(w, blk + 48 + m), n) - 1;
                    }
                }
                Arrays.fill(scale, 1);
                dw = f16(w, blk + 52);
            }
            case TQ2_0 -> {
                for (int e = 0; e < 256; e++) { // element 128j + 32l + m: bits 2l of byte 32j + m
                    v[e] = ((u8(w, blk + 32L * (e / 128) + e % 32) >>> (2 * ((e % 128) / 32))) & 3) - 1;
                }
                Arrays.fill(scale, 1);
                dw = f16(w, blk + 64);
            }
            default -> throw new IllegalArgumentException(type + " is not a lattice or ternary format");
        }
        int sumi = 0;
        int sumi1 = 0;
        for (int k = 0; k < 16; k++) {
            int sub = 0;
            for (int e = 16 * k; e < 16 * k + 16; e++) {
                sub += v[e] * i8(xq, q + e);
            }
            sumi += scale[k] * sub;
        }
        float D = dw * dx;
        if (type != GgmlType.IQ1_S && type != GgmlType.IQ1_M) {
            return D * (float) sumi;
        }
        for (int g = 0; g < 32; g++) { // the delta term: Σ scale · sign · Σq per 8 elements
            int qsum = 0;
            for (int e = 8 * g; e < 8 * g + 8; e++) {
                qsum += i8(xq, q + e);
            }
            sumi1 += scale[g / 2] * delta[g] * qsum;
        }
        float t = QuantTables.IQ1_DELTA * (float) sumi1;
        float u = (float) sumi + t;
        return D * u;
    }

    /** {@code v[at + j] = grid[point][j] · (bit j of signs ? −1 : 1)} for j < width. */
    private static void signedPoint(int[] v, int at, byte[] grid, int width, int point, int signs) {
        for (int j = 0; j < width; j++) {
            v[at + j] = grid[width * point + j] * ((signs >>> j & 1) != 0 ? -1 : 1);
        }
    }

    /** Trit {@code n} (0, 1, 2) of a TQ1_0 byte: the byte is a base-3 fraction, ×3^n (mod 256) brings trit n on top. */
    private static int trit(int packed, int n) {
        int pow3 = n == 0 ? 1 : n == 1 ? 3 : n == 2 ? 9 : n == 3 ? 27 : 81;
        return (((packed * pow3) & 0xFF) * 3) >>> 8;
    }

    /** {@code v[at + j] = iq1s_grid[point][j]} (−1, 0 or 1) for j < 8. */
    private static void iq1Point(int[] v, int at, int point) {
        for (int j = 0; j < 8; j++) {
            v[at + j] = QuantTables.IQ1S_GRID[8 * point + j];
        }
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
