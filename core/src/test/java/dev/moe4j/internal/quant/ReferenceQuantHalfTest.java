package dev.moe4j.internal.quant;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Half}: every 16-bit pattern against the decoding rules of shared/spec/quant-formats.md §1. */
class ReferenceQuantHalfTest {
    /** The spec's binary16 rule, written out independently of the JDK. */
    private static float specF16(int h) {
        int sign = (h >>> 15) & 1;
        int e = (h >>> 10) & 0x1F;
        int m = h & 0x3FF;
        double v;
        if (e == 0) {
            v = m * Math.pow(2, -24);
        } else if (e == 31) {
            v = m == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        } else {
            v = (1024 + m) * Math.pow(2, e - 25);
        }
        return (float) (sign == 1 ? -v : v);
    }

    @Test
    void f16DecodesEveryPatternExactly() {
        for (int h = 0; h < 0x10000; h++) {
            float got = Half.f16ToF32((short) h);
            float want = specF16(h);
            if (Float.isNaN(want)) {
                assertTrue(Float.isNaN(got), "f16 0x" + Integer.toHexString(h) + " must be NaN");
                // Sign and payload move up by 13 bits; a signalling NaN comes back quiet (top mantissa bit set), as
                // with x86's F16C conversion.
                int bits = Float.floatToRawIntBits(got);
                assertEquals(h >>> 15, bits >>> 31, "NaN sign of 0x" + Integer.toHexString(h));
                assertEquals(h & 0x1FF, (bits >>> 13) & 0x1FF, "NaN payload of 0x" + Integer.toHexString(h));
                assertEquals(0x200, (bits >>> 13) & 0x200, "quiet bit of 0x" + Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got),
                        "f16 0x" + Integer.toHexString(h) + ": " + got + " vs spec " + want);
            }
        }
        assertEquals(Math.pow(2, -24), Half.f16ToF32((short) 0x0001)); // smallest subnormal
        assertEquals(65504f, Half.f16ToF32((short) 0x7BFF)); // largest finite
        assertEquals(Float.NEGATIVE_INFINITY, Half.f16ToF32((short) 0xFC00));
        assertEquals(0x8000_0000, Float.floatToRawIntBits(Half.f16ToF32((short) 0x8000))); // -0 keeps its sign
    }

    @Test
    void f16EncodeRoundTripsAndRoundsToNearestEven() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Half.f16ToF32((short) h);
            if (!Float.isNaN(f)) {
                assertEquals((short) h, Half.f32ToF16(f), "round trip of 0x" + Integer.toHexString(h));
            }
        }
        // 1 + 2^-11 lies halfway between 1 (mantissa even) and 1 + 2^-10: ties go to even.
        assertEquals((short) 0x3C00, Half.f32ToF16(1f + 0x1p-11f));
        // 1 + 3·2^-11 lies halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even).
        assertEquals((short) 0x3C02, Half.f32ToF16(1f + 3 * 0x1p-11f));
        assertEquals((short) 0x7C00, Half.f32ToF16(65520f)); // rounds past the largest finite: infinity
        assertEquals((short) 0x0001, Half.f32ToF16(0x1p-24f));
        assertEquals((short) 0x0000, Half.f32ToF16(0x1p-26f));
    }

    @Test
    void bf16IsTheTopHalfOfABinary32() {
        for (int h = 0; h < 0x10000; h++) {
            assertEquals(h << 16, Float.floatToRawIntBits(Half.bf16ToF32((short) h)), "bf16 0x" + Integer.toHexString(h));
            float f = Half.bf16ToF32((short) h);
            if (!Float.isNaN(f)) {
                assertEquals((short) h, Half.f32ToBf16(f), "round trip of bf16 0x" + Integer.toHexString(h));
            }
        }
    }

    @Test
    void bf16EncodeRoundsToNearestEvenAndKeepsNaN() {
        long seed = 0xBF16L;
        Random rnd = new Random(seed);
        for (int i = 0; i < 100_000; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(f) || Float.isInfinite(f)) {
                continue;
            }
            int r = Half.f32ToBf16(f) & 0xFFFF;
            if ((r & 0x7FFF) == 0x7F80) {
                // Overflow to infinity only from at least halfway between the largest finite bf16 and 2^128.
                assertTrue((Float.floatToRawIntBits(f) & 0x7FFFFFFF) >= 0x7F7F8000, "seed " + seed + ": " + f);
                continue;
            }
            double err = Math.abs((double) Half.bf16ToF32((short) r) - f);
            // Neither neighbour of the result is closer; on a tie the result is even.
            for (int nb : new int[] {r - 1, r + 1}) {
                double otherErr = Math.abs((double) Half.bf16ToF32((short) nb) - f); // NaN/inf neighbours: never closer
                assertTrue(!(otherErr < err) && (err != otherErr || (r & 1) == 0),
                        "seed " + seed + ": " + f + " -> bf16 0x" + Integer.toHexString(r));
            }
        }
        short nan = Half.f32ToBf16(Float.intBitsToFloat(0x7F800001)); // payload only in the dropped bits
        assertTrue(Float.isNaN(Half.bf16ToF32(nan)), "NaN must stay NaN, got 0x" + Integer.toHexString(nan));
        assertEquals((short) 0xFF80, Half.f32ToBf16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x3F80, Half.f32ToBf16(1f + 0x1p-8f)); // tie between 1 (even) and 1 + 2^-7
        assertEquals((short) 0x3F82, Half.f32ToBf16(1f + 3 * 0x1p-8f)); // tie between 1 + 2^-7 (odd) and 1 + 2^-6
    }
}
