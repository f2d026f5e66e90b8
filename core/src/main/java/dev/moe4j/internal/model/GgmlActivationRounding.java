package dev.moe4j.internal.model;

import dev.moe4j.internal.quant.GgmlType;

/**
 * Rounds activations the way ggml's CPU backend does before a product with a weight of a given type (its
 * {@code vec_dot_type}, {@link GgmlType#activation()}): blocks of 32 to Q8_0 (Q8_1, the same values, for Q4_1/Q5_1;
 * MXFP4 among them), blocks of 256 to Q8_K (the K-quants, the i-quants, TQ1_0/TQ2_0), f16 for F16 and bf16 for BF16
 * weights; F32 weights see the activations unchanged. The rounded values are written back as floats, so any
 * f32-activation kernel then computes what ggml's integer dot products compute, up to summation order. Used with the
 * reference kernels; the native kernels quantize in C and take the integer products themselves
 * (dev.moe4j.internal.quant.ReferenceQ8 is their reference).
 *
 * <p>Why: a model whose router sits near a tie picks different experts when its inputs move by an 8-bit rounding, and
 * the golden logits are llama.cpp's. Rounding twice is harmless: values already on the grid map to themselves.
 */
final class GgmlActivationRounding {
    private GgmlActivationRounding() {}

    /** Whether products with {@code weightType} round their activations at all. */
    static boolean rounds(GgmlType weightType) {
        return weightType != GgmlType.F32;
    }

    /** Rounds {@code x[off .. off+n)} in place for a product with a weight of {@code weightType}. */
    static void round(GgmlType weightType, float[] x, int off, int n) {
        switch (weightType.activation()) {
            case F32 -> { }
            case F16 -> {
                for (int i = off; i < off + n; i++) {
                    x[i] = Float.float16ToFloat(Float.floatToFloat16(x[i]));
                }
            }
            case BF16 -> {
                for (int i = off; i < off + n; i++) {
                    x[i] = bf16(x[i]);
                }
            }
            case Q8_0 -> {
                for (int b = off; b < off + n; b += 32) {
                    q8_0(x, b, Math.min(32, off + n - b));
                }
            }
            case Q8_K -> {
                for (int b = off; b < off + n; b += 256) {
                    q8K(x, b, Math.min(256, off + n - b));
                }
            }
            case NONE -> throw new IllegalArgumentException(weightType + " is not a weight type");
        }
    }

    /** Q8_0 (ggml's x86 quantize_row_q8_0): d = amax/127 stored as f16, q = round-half-even(x · 127/amax). */
    static void q8_0(float[] x, int off, int n) {
        float amax = 0;
        for (int i = off; i < off + n; i++) {
            amax = Math.max(amax, Math.abs(x[i]));
        }
        float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
        float id = amax != 0f ? 127f / amax : 0f;
        for (int i = off; i < off + n; i++) {
            x[i] = d * (float) Math.rint(x[i] * id);
        }
    }

    /**
     * Q8_K (ggml's quantize_row_q8_K_ref): the element of largest magnitude, {@code max} with its sign, sets
     * {@code iscale = -127/max}; q = min(127, round-half-even(iscale · x)); d = 1/iscale kept as f32.
     */
    static void q8K(float[] x, int off, int n) {
        float amax = 0;
        float max = 0;
        for (int i = off; i < off + n; i++) {
            float ax = Math.abs(x[i]);
            if (ax > amax) {
                amax = ax;
                max = x[i];
            }
        }
        if (amax == 0f) {
            for (int i = off; i < off + n; i++) {
                x[i] = 0f;
            }
            return;
        }
        float iscale = -127f / max;
        float d = 1f / iscale;
        for (int i = off; i < off + n; i++) {
            x[i] = d * Math.min(127, (int) Math.rint(iscale * x[i]));
        }
    }

    /** f32 → bf16 → f32 with round-half-even, as ggml_compute_fp32_to_bf16. */
    static float bf16(float v) {
        if (Float.isNaN(v)) {
            return v;
        }
        int u = Float.floatToRawIntBits(v);
        u = (u + (0x7fff + ((u >>> 16) & 1))) >>> 16;
        return Float.intBitsToFloat(u << 16);
    }
}
