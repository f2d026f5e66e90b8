package dev.moe4j.internal.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Plain round-to-nearest quantizers, bit-compatible with ggml's {@code quantize_row_*_ref} reference quantizers, used to
 * build realistic weights for tests and tools (llama.cpp's importance-weighted quantizers are not reproduced).
 * Output is written little-endian into a {@link MemorySegment}, one row of {@code n} elements at a time.
 * Stateless and thread-safe.
 */
public final class ReferenceQuantizer {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private ReferenceQuantizer() {}

    /**
     * Quantizes {@code src[srcOffset .. srcOffset + n)} to {@code type} at byte {@code dstOffset} of {@code dst}, which
     * receives {@code type.bytesFor(n)} bytes. Supported: F32, F16, BF16, Q8_0, Q4_0.
     *
     * @throws IllegalArgumentException for another type, or {@code n} not a whole number of blocks
     * @throws IndexOutOfBoundsException if a range does not fit
     */
    public static void quantizeRow(GgmlType type, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        Objects.requireNonNull(type, "type");
        switch (type) {
            case F32 -> {
                check(type, src, srcOffset, n, dst, dstOffset);
                for (int i = 0; i < n; i++) {
                    dst.set(LE_FLOAT, dstOffset + 4L * i, src[srcOffset + i]);
                }
            }
            case F16 -> {
                check(type, src, srcOffset, n, dst, dstOffset);
                for (int i = 0; i < n; i++) {
                    dst.set(LE_SHORT, dstOffset + 2L * i, Half.f32ToF16(src[srcOffset + i]));
                }
            }
            case BF16 -> {
                check(type, src, srcOffset, n, dst, dstOffset);
                for (int i = 0; i < n; i++) {
                    dst.set(LE_SHORT, dstOffset + 2L * i, Half.f32ToBf16(src[srcOffset + i]));
                }
            }
            case Q8_0 -> quantizeQ8_0(src, srcOffset, n, dst, dstOffset);
            case Q4_0 -> quantizeQ4_0(src, srcOffset, n, dst, dstOffset);
            default -> throw new IllegalArgumentException("no reference quantizer for " + type);
        }
    }

    /**
     * Q8_0 per block of 32: {@code d = max|x| / 127}, {@code q = round(x / d)} (half away from zero, like C's
     * {@code roundf}); an all-zero block stores d = 0 and q = 0. Error bound: |x − d·q| ≤ d/2 plus the f16 rounding of d.
     */
    public static void quantizeQ8_0(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        check(GgmlType.Q8_0, src, srcOffset, n, dst, dstOffset);
        for (int b = 0; b < n / 32; b++) {
            int x = srcOffset + 32 * b;
            long out = dstOffset + 34L * b;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(src[x + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(LE_SHORT, out, Half.f32ToF16(d));
            for (int j = 0; j < 32; j++) {
                dst.set(ValueLayout.JAVA_BYTE, out + 2 + j, (byte) roundHalfAway(src[x + j] * id));
            }
        }
    }

    /**
     * Q4_0 per block of 32: the element of largest magnitude, {@code max} (sign kept), maps to level −8:
     * {@code d = max / −8}, {@code q = min(15, trunc(x / d + 8.5))}; element j goes to the low nibble of byte j and
     * element j+16 to its high nibble. Error bound: |x − d·(q − 8)| ≤ |d|/2, except within |d|/2 of {@code −max} where
     * the missing level +8 clamps to +7 (error ≤ |d| = max|x|/8); plus the f16 rounding of d.
     */
    public static void quantizeQ4_0(float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        check(GgmlType.Q4_0, src, srcOffset, n, dst, dstOffset);
        for (int b = 0; b < n / 32; b++) {
            int x = srcOffset + 32 * b;
            long out = dstOffset + 18L * b;
            float amax = 0;
            float max = 0;
            for (int j = 0; j < 32; j++) {
                float v = src[x + j];
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            dst.set(LE_SHORT, out, Half.f32ToF16(d));
            for (int j = 0; j < 16; j++) {
                int lo = Math.min(15, (int) (src[x + j] * id + 8.5f));
                int hi = Math.min(15, (int) (src[x + j + 16] * id + 8.5f));
                dst.set(ValueLayout.JAVA_BYTE, out + 2 + j, (byte) (lo | (hi << 4)));
            }
        }
    }

    /** C's {@code roundf}: nearest integer, halves away from zero (Math.round would send −2.5 to −2). */
    private static int roundHalfAway(float v) {
        double r = Math.floor(Math.abs((double) v) + 0.5); // exact: |v| + 0.5 needs at most 25 more bits than a float
        return (int) Math.copySign(r, v);
    }

    private static void check(GgmlType type, float[] src, int srcOffset, int n, MemorySegment dst, long dstOffset) {
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        long bytes = type.bytesFor(n);
        Objects.checkFromIndexSize(srcOffset, n, src.length);
        Objects.checkFromIndexSize(dstOffset, bytes, dst.byteSize());
    }
}
