package dev.moe4j.internal.model;

import dev.moe4j.internal.nativeio.RopeParams;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link RotaryEmbedding}: without factors it is the kernels' rope; with factors (the Java path) it must equal
 * <ul>
 * <li>the kernels' rope where that can express the same rotation: all factors equal to c is RoPE with
 *     {@code freq_scale = 1/c} (checked against the native and the reference kernels, NORM and NEOX),</li>
 * <li>with unit factors under YaRN, the kernels' YaRN rope (the ramp and the magnitude of the Java path),</li>
 * <li>and, for arbitrary factors, a double-precision statement of ggml's formula
 *     {@code angle_i = pos · base^(-2i/n) / f_i}.</li>
 * </ul>
 * Random inputs, odd head counts, rotary dims smaller than the head. Tolerance: 2e-5 absolute on values of magnitude
 * ≤ 1 (float angles at positions up to 300).
 */
class RotaryEmbeddingTest {
    static final double TOL = 2e-5;
    private final SplittableRandom random = new SplittableRandom(0xA11CEL);

    @Test
    void equalFactorsAreFrequencyScaling() {
        for (int mode : new int[] {RopeParams.MODE_NORM, RopeParams.MODE_NEOX}) {
            float c = 2.5f;
            int nRot = 24;
            RopeParams withFactors = RopeParams.plain(mode, 10000f);
            RopeParams scaled = new RopeParams(mode, 10000f, 1f / c, 0f, 1f, 32f, 1f, 512);
            float[] factors = new float[nRot / 2];
            Arrays.fill(factors, c);
            for (ModelKernels k : new ModelKernels[] {new NativeModelKernels(1), new ReferenceModelKernels()}) {
                try (k) {
                    compare(new RotaryEmbedding(withFactors, nRot, factors), new RotaryEmbedding(scaled, nRot, null),
                            k, "mode " + mode + " " + k.getClass().getSimpleName());
                }
            }
        }
    }

    /**
     * The Java path's YaRN (ramp between interpolated and original angles over ggml's correction dims, and the
     * magnitude {@code 1 + 0.1·ln(1/freq_scale)}) against the kernels' YaRN: unit factors change no angle, so the
     * factor path must rotate exactly as the kernels do with the same YaRN parameters (scale 1/8, so the ramp and
     * the magnitude both matter).
     */
    @Test
    void yarnOnTheFactorPathEqualsTheKernels() {
        for (int mode : new int[] {RopeParams.MODE_NORM, RopeParams.MODE_NEOX}) {
            int nRot = 24;
            RopeParams yarn = new RopeParams(mode, 10000f, 1f / 8, 1f, 1f, 32f, 1f, 64);
            float[] ones = new float[nRot / 2];
            Arrays.fill(ones, 1f);
            for (ModelKernels k : new ModelKernels[] {new NativeModelKernels(1), new ReferenceModelKernels()}) {
                try (k) {
                    compare(new RotaryEmbedding(yarn, nRot, ones), new RotaryEmbedding(yarn, nRot, null), k,
                            "YaRN mode " + mode + " " + k.getClass().getSimpleName());
                }
            }
        }
    }

    @Test
    void arbitraryFactorsFollowGgmlsFormula() {
        int nRot = 16;
        int headDim = 20; // the last 4 dims are not rotated
        int heads = 3;
        float base = 500000f;
        float[] factors = new float[nRot / 2];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = 1f + 7f * (float) random.nextDouble();
        }
        for (int mode : new int[] {RopeParams.MODE_NORM, RopeParams.MODE_NEOX}) {
            RotaryEmbedding rope = new RotaryEmbedding(RopeParams.plain(mode, base), nRot, factors);
            int n = 5;
            int[] pos = {0, 1, 7, 130, 299};
            try (Arena arena = Arena.ofConfined(); ModelKernels k = new ReferenceModelKernels()) {
                float[] x = randomFloats(n * heads * headDim);
                MemorySegment seg = arena.allocateFrom(JAVA_FLOAT, x);
                rope.apply(k, seg, n, (long) heads * headDim, heads, headDim, arena.allocateFrom(JAVA_INT, pos),
                        new float[rope.scratchSize()]);
                float[] got = seg.toArray(JAVA_FLOAT);
                for (int t = 0; t < n; t++) {
                    for (int h = 0; h < heads; h++) {
                        int b = (t * heads + h) * headDim;
                        for (int i = 0; i < nRot / 2; i++) {
                            double angle = pos[t] * Math.pow(base, -2.0 * i / nRot) / factors[i];
                            int a0 = mode == RopeParams.MODE_NEOX ? i : 2 * i;
                            int a1 = mode == RopeParams.MODE_NEOX ? i + nRot / 2 : 2 * i + 1;
                            double e0 = x[b + a0] * Math.cos(angle) - x[b + a1] * Math.sin(angle);
                            double e1 = x[b + a0] * Math.sin(angle) + x[b + a1] * Math.cos(angle);
                            assertEquals(e0, got[b + a0], TOL, "t" + t + " h" + h + " pair " + i);
                            assertEquals(e1, got[b + a1], TOL, "t" + t + " h" + h + " pair " + i);
                        }
                        for (int j = nRot; j < headDim; j++) {
                            assertEquals(x[b + j], got[b + j], "unrotated dim " + j);
                        }
                    }
                }
            }
        }
    }

    @Test
    void refusesShapesItCannotRotate() {
        RopeParams p = RopeParams.plain(RopeParams.MODE_NEOX, 10000f);
        assertThrows(IllegalArgumentException.class, () -> new RotaryEmbedding(p, 7, null));
        assertThrows(IllegalArgumentException.class, () -> new RotaryEmbedding(p, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new RotaryEmbedding(p, 8, new float[3]));
    }

    /** Both embeddings on the same random q-like tensor (5 heads of 30, 24 rotated) at random positions. */
    private void compare(RotaryEmbedding a, RotaryEmbedding b, ModelKernels k, String label) {
        int n = 4;
        int heads = 5;
        int headDim = 30;
        int[] pos = {0, 3, 64, 257};
        try (Arena arena = Arena.ofConfined()) {
            float[] x = randomFloats(n * heads * headDim);
            MemorySegment sa = arena.allocateFrom(JAVA_FLOAT, x);
            MemorySegment sb = arena.allocateFrom(JAVA_FLOAT, x);
            MemorySegment positions = arena.allocateFrom(JAVA_INT, pos);
            a.apply(k, sa, n, (long) heads * headDim, heads, headDim, positions, new float[a.scratchSize()]);
            b.apply(k, sb, n, (long) heads * headDim, heads, headDim, positions, new float[b.scratchSize()]);
            float[] ga = sa.toArray(JAVA_FLOAT);
            float[] gb = sb.toArray(JAVA_FLOAT);
            for (int i = 0; i < ga.length; i++) {
                assertEquals(gb[i], ga[i], TOL, label + " at " + i);
            }
        }
    }

    private float[] randomFloats(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return v;
    }
}
