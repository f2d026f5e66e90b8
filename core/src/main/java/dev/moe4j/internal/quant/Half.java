package dev.moe4j.internal.quant;

/**
 * The 16-bit float encodings found in GGUF files (shared/spec/quant-formats.md §1), as raw {@code short} bit patterns.
 * Every method is exact where the target can hold the value and rounds to nearest, ties to even, where it cannot.
 * Stateless and thread-safe.
 */
public final class Half {
    private Half() {}

    /**
     * IEEE binary16 to binary32, exactly (every binary16 value, subnormals and infinities included, is representable as
     * a binary32; a NaN keeps its sign and payload and comes back quiet, as with x86's F16C). Delegates to the JDK, whose
     * conversion {@code ReferenceQuantHalfTest} checks bit by bit against the spec's decoding rule for all 65,536 inputs.
     */
    public static float f16ToF32(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** binary32 to IEEE binary16: round to nearest even; overflow goes to ±infinity, NaN stays NaN. */
    public static short f32ToF16(float value) {
        return Float.floatToFloat16(value);
    }

    /** bfloat16 (the top half of a binary32) to binary32; exact. */
    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /**
     * binary32 to bfloat16 as ggml writes it: round to nearest even on the 16 dropped bits; a NaN becomes a quiet NaN
     * of the same sign (rounding could otherwise turn a NaN whose payload sits in the low bits into infinity).
     */
    public static short f32ToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }
}
