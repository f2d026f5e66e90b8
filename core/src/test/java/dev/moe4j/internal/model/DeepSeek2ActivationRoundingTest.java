package dev.moe4j.internal.model;

import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuant;
import dev.moe4j.internal.quant.ReferenceQuantizer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GgmlActivationRounding} on fresh random activations (odd and even block counts, mixed magnitudes):
 * Q8_0 values are {@code f16(amax/127) · q} with |q| ≤ 127 and within half a step of the input, and agree with the
 * Q8_0 reference quantizer's round trip except at exact rounding ties; Q8_K keeps the extreme element exactly; f16 and
 * bf16 round to nearest even; rounding twice changes nothing.
 */
class DeepSeek2ActivationRoundingTest {
    private final SplittableRandom random = new SplittableRandom(7);

    @Test
    void q8_0IsTheReferenceQuantizerRoundTrip() {
        for (int blocks : new int[] {1, 3, 8}) {
            float[] x = activations(32 * blocks);
            float[] mine = x.clone();
            GgmlActivationRounding.round(GgmlType.Q8_0, mine, 0, mine.length);
            float[] ref = new float[x.length];
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment q = arena.allocate(GgmlType.Q8_0.bytesFor(x.length));
                ReferenceQuantizer.quantizeQ8_0(x, 0, x.length, q, 0);
                ReferenceQuant.dequantizeRow(GgmlType.Q8_0, q, 0, ref, x.length);
            }
            int differ = 0;
            for (int b = 0; b < blocks; b++) {
                float amax = 0;
                for (int i = 32 * b; i < 32 * b + 32; i++) {
                    amax = Math.max(amax, Math.abs(x[i]));
                }
                float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
                for (int i = 32 * b; i < 32 * b + 32; i++) {
                    float q = mine[i] / d;
                    assertEquals(Math.rint(q), q, 1e-3, "on the grid");
                    assertTrue(Math.abs(q) <= 127.001f);
                    assertTrue(Math.abs(mine[i] - x[i]) <= 0.5001 * amax / 127 + Math.abs(d - amax / 127) * 127,
                            "within half a step");
                    if (mine[i] != ref[i]) {
                        differ++;
                        assertEquals(d, Math.abs(mine[i] - ref[i]), 1e-6 * d, "only a tie may round the other way");
                    }
                }
            }
            assertTrue(differ <= x.length / 100 + 1, differ + " of " + x.length + " differ from the reference");
            assertIdempotent(GgmlType.Q8_0, mine);
        }
    }

    @Test
    void q8KUsesOneSignedScalePer256() {
        for (int blocks : new int[] {1, 2, 5}) {
            float[] x = activations(256 * blocks);
            float[] mine = x.clone();
            GgmlActivationRounding.round(GgmlType.Q4_K, mine, 0, mine.length);
            for (int b = 0; b < blocks; b++) {
                int arg = 256 * b;
                for (int i = 256 * b; i < 256 * (b + 1); i++) {
                    if (Math.abs(x[i]) > Math.abs(x[arg])) {
                        arg = i;
                    }
                }
                float max = x[arg];
                float iscale = -127f / max;
                float d = 1f / iscale;
                assertEquals(max, mine[arg], Math.ulp(max) * 2, "the extreme value survives");
                for (int i = 256 * b; i < 256 * (b + 1); i++) {
                    float q = (float) Math.rint(iscale * x[i]);
                    assertEquals(d * Math.min(127, q), mine[i], 0f, "element " + i);
                }
            }
            assertIdempotent(GgmlType.Q6_K, mine);
        }
        float[] zeros = new float[256];
        GgmlActivationRounding.round(GgmlType.Q2_K, zeros, 0, 256);
        assertArrayEquals(new float[256], zeros);
    }

    /**
     * Every block type a model may hold (one the Java reference decodes) rounds as its ggml vec_dot_type
     * ({@link GgmlType#activation()}): the 32-element formats, MXFP4 among them, to Q8_0 blocks; the 256-element ones,
     * the i-quants and TQ1_0/TQ2_0 among them, to Q8_K.
     */
    @Test
    void everyBlockTypeRoundsToItsActivationFamily() {
        float[] x = activations(256 * 3);
        float[] q8_0 = x.clone();
        GgmlActivationRounding.q8_0(q8_0, 0, 32);
        for (int b = 32; b < x.length; b += 32) {
            GgmlActivationRounding.q8_0(q8_0, b, 32);
        }
        float[] q8K = x.clone();
        for (int b = 0; b < x.length; b += 256) {
            GgmlActivationRounding.q8K(q8K, b, 256);
        }
        assertTrue(!java.util.Arrays.equals(q8_0, q8K), "the two families differ on these activations");
        int checked = 0;
        for (GgmlType t : GgmlType.values()) {
            if (!t.referenceDequant() || t.blockElems() == 1) {
                continue;
            }
            assertEquals(t.blockElems() == 32 ? GgmlType.Activation.Q8_0 : GgmlType.Activation.Q8_K, t.activation(),
                    t.name());
            float[] mine = x.clone();
            GgmlActivationRounding.round(t, mine, 0, mine.length);
            assertArrayEquals(t.blockElems() == 32 ? q8_0 : q8K, mine, t.name());
            checked++;
        }
        assertTrue(checked >= 22, checked + " block types");
        float[] m = x.clone();
        GgmlActivationRounding.round(GgmlType.MXFP4, m, 0, m.length);
        assertArrayEquals(q8_0, m, "MXFP4 takes Q8_0 activations");
        for (GgmlType t : new GgmlType[] {GgmlType.IQ1_S, GgmlType.IQ1_M, GgmlType.IQ2_XXS, GgmlType.IQ2_XS,
                GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.TQ1_0, GgmlType.TQ2_0}) {
            float[] k = x.clone();
            GgmlActivationRounding.round(t, k, 0, k.length);
            assertArrayEquals(q8K, k, t + " takes Q8_K activations");
        }
    }

    @Test
    void halfPrecisionTypesRoundToNearestEven() {
        float[] x = activations(96);
        float[] h = x.clone();
        GgmlActivationRounding.round(GgmlType.F16, h, 0, h.length);
        float[] b = x.clone();
        GgmlActivationRounding.round(GgmlType.BF16, b, 0, b.length);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(x[i])), h[i]);
            // bf16 keeps the top 16 bits: the result is one of the two neighbours, the nearer one
            int bits = Float.floatToRawIntBits(x[i]);
            float down = Float.intBitsToFloat(bits & 0xffff0000);
            float up = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
            float expect = Math.abs(x[i] - down) < Math.abs(up - x[i]) ? down
                    : Math.abs(x[i] - down) > Math.abs(up - x[i]) ? up
                    : ((Float.floatToRawIntBits(down) >>> 16) & 1) == 0 ? down : up;
            assertEquals(expect, b[i], "bf16 of " + x[i]);
        }
        assertEquals(1f + 1f / 128, GgmlActivationRounding.bf16(1f + 3f / 512)); // above the midpoint: up
        assertEquals(1f, GgmlActivationRounding.bf16(1f + 1f / 256));            // tie: to even
        float[] f = x.clone();
        GgmlActivationRounding.round(GgmlType.F32, f, 0, f.length);
        assertArrayEquals(x, f);
    }

    private static void assertIdempotent(GgmlType type, float[] once) {
        float[] twice = once.clone();
        GgmlActivationRounding.round(type, twice, 0, twice.length);
        for (int i = 0; i < once.length; i++) {
            assertEquals(once[i], twice[i], Math.ulp(once[i]) * 2, "rounding twice, element " + i);
        }
    }

    /** Normal-ish values with a few large ones, never all zero. */
    private float[] activations(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            double g = random.nextDouble() * 2 - 1;
            v[i] = (float) (random.nextInt(10) == 0 ? g * 8 : g);
        }
        return v;
    }
}
