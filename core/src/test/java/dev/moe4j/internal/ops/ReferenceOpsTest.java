package dev.moe4j.internal.ops;

import dev.moe4j.internal.nativeio.RopeParams;

import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link ReferenceOps} against the textbook formulas in double and against numbers stated in
 * shared/spec/deepseek-v3-architecture.md, so the reference the kernels are held to is itself checked. No native code.
 * Random inputs come from a fresh seed each run, named in failure messages ({@code -Dmoe4j.test.seed} replays it).
 */
class ReferenceOpsTest {
    static final long SEED = Long.getLong("moe4j.test.seed", System.nanoTime());
    static final RopeParams DEEPSEEK_YARN = OpsKernelTest.DEEPSEEK_YARN;

    private static String seed() {
        return " [seed " + SEED + "]";
    }

    @Test
    void yarnCorrectionRangeForDeepSeekIsPairs10To23() {
        // spec §3.3: dimension 64, base 10000, original context 4096, beta_fast 32, beta_slow 1 -> low 10, high 23
        assertArrayEquals(new float[] {10f, 23f}, ReferenceOps.yarnCorrDims(64, 4096, 10000f, 32f, 1f));
    }

    /** Rotating (1, 0) gives (cos, sin) times mscale, so the angle and the magnitude can be read back. */
    private static double[] angleAndMagnitude(RopeParams p, int nRot, int pair, int position) {
        float[] x = new float[nRot];
        int a = p.mode() == RopeParams.MODE_NEOX ? pair : 2 * pair;
        int b = p.mode() == RopeParams.MODE_NEOX ? pair + nRot / 2 : 2 * pair + 1;
        x[a] = 1f;
        ReferenceOps.rope(x, 1, nRot, 1, nRot, nRot, new int[] {position}, p);
        for (int i = 0; i < nRot; i++) {
            if (i != a && i != b && x[i] != 0f) {
                fail("rotation of pair " + pair + " leaked into dim " + i);
            }
        }
        return new double[] {Math.atan2(x[b], x[a]), Math.hypot(x[a], x[b])};
    }

    @Test
    void deepSeekYarnKeepsFastPairsAndInterpolatesSlowOnes() {
        for (int mode : new int[] {RopeParams.MODE_NORM, RopeParams.MODE_NEOX}) {
            RopeParams p = new RopeParams(mode, 10000f, 1f / 40f, 1f, DEEPSEEK_YARN.attnFactor(), 32f, 1f, 4096);
            for (int i = 0; i < 32; i++) {
                double freq = Math.pow(10000, -2.0 * i / 64);
                double ramp = 1 - Math.min(1, Math.max(0, (i - 10) / 13.0)); // 1 up to pair 10, 0 from pair 23
                double want = freq / 40 * (1 - ramp) + freq * ramp;
                double[] am = angleAndMagnitude(p, 64, i, 1);
                assertEquals(want, am[0], 1e-6 * want + 1e-12, "mode " + mode + " pair " + i + " angle at position 1");
                // llama.cpp passes attn_factor = 1/(1 + 0.1 ln 40), which cancels YaRN's magnitude factor
                assertEquals(1.0, am[1], 1e-6, "mode " + mode + " pair " + i + " magnitude");
            }
        }
    }

    @Test
    void plainRopeMatchesTextbookRotation() {
        Random rnd = new Random(SEED);
        for (int mode : new int[] {RopeParams.MODE_NORM, RopeParams.MODE_NEOX}) {
            for (RopeParams p : new RopeParams[] {RopeParams.plain(mode, 10000f), new RopeParams(mode, 10000f,
                    DEEPSEEK_YARN.freqScale(), 1f, DEEPSEEK_YARN.attnFactor(), 32f, 1f, 4096)}) {
                for (int position : new int[] {0, 1, 17, 4095, 4096, 100000, -3, rnd.nextInt(163840)}) {
                    checkTextbook(rnd, p, 64, 80, position);
                    checkTextbook(rnd, p, 18, 18, position);
                }
            }
        }
    }

    /** One head of headDim with nRot rotated dims, against the closed form in double. */
    private static void checkTextbook(Random rnd, RopeParams p, int nRot, int headDim, int position) {
        float[] x = new float[headDim];
        for (int i = 0; i < headDim; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] got = x.clone();
        ReferenceOps.rope(got, 1, headDim, 1, headDim, nRot, new int[] {position}, p);
        boolean yarn = p.extFactor() != 0f;
        double mscale = p.attnFactor() * (yarn ? 1 + 0.1 * Math.log(1 / p.freqScale()) : 1);
        float[] corr = yarn ? ReferenceOps.yarnCorrDims(nRot, p.nCtxOrig(), p.freqBase(), p.betaFast(), p.betaSlow())
                : new float[2];
        int pairs = nRot / 2;
        for (int i = 0; i < pairs; i++) {
            double extrap = position * Math.pow(p.freqBase(), -2.0 * i / nRot);
            double theta = extrap * p.freqScale();
            if (yarn) {
                double mix = (1 - Math.min(1, Math.max(0, (i - corr[0]) / Math.max(0.001, corr[1] - corr[0]))))
                        * p.extFactor();
                theta = theta * (1 - mix) + extrap * mix;
            }
            int a = p.mode() == RopeParams.MODE_NEOX ? i : 2 * i;
            int b = p.mode() == RopeParams.MODE_NEOX ? i + pairs : 2 * i + 1;
            double wa = (x[a] * Math.cos(theta) - x[b] * Math.sin(theta)) * mscale;
            double wb = (x[a] * Math.sin(theta) + x[b] * Math.cos(theta)) * mscale;
            // The reference builds angles as ggml does, as a running float product: its angle error grows with the
            // angle and the pair index (one rounding per step), about |extrap| (i + 2) 2^-24; allow 2^-22 per step.
            double angleError = Math.abs(extrap) * (i + 2) * 0x1p-22;
            double tol = (Math.abs(x[a]) + Math.abs(x[b])) * mscale * (angleError + 1e-6);
            if (Math.abs(got[a] - wa) > tol || Math.abs(got[b] - wb) > tol) {
                fail("mode " + p.mode() + " " + p + " nRot " + nRot + " position " + position + " pair " + i
                        + ": got (" + got[a] + ", " + got[b] + ") want (" + wa + ", " + wb + ") tolerance " + tol
                        + seed());
            }
        }
        for (int i = nRot; i < headDim; i++) {
            assertEquals(x[i], got[i], "dim " + i + " beyond n_rot must not change");
        }
    }

    @Test
    void rmsnormMatchesFormula() {
        Random rnd = new Random(SEED + 1);
        for (int n : OpsKernelTest.SIZES) {
            float[] x = new float[n];
            float[] w = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian() * 3f;
                w[i] = (float) rnd.nextGaussian();
            }
            float[] got = new float[n];
            ReferenceOps.rmsnorm(x, w, n, 1, 1e-6f, got);
            double ms = 0;
            for (float v : x) {
                ms += (double) v * v;
            }
            double inv = 1 / Math.sqrt(ms / n + 1e-6f);
            for (int i = 0; i < n; i++) {
                double want = x[i] * inv * w[i];
                assertEquals(want, got[i], 1e-6 * Math.abs(want), "n " + n + " index " + i + seed());
            }
        }
    }

    @Test
    void softmaxMatchesFormulaAndMasks() {
        Random rnd = new Random(SEED + 2);
        for (int n : OpsKernelTest.SIZES) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = i > 0 && rnd.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY : (float) rnd.nextGaussian() * 5f;
            }
            float scale = 0.3f;
            float[] got = x.clone();
            ReferenceOps.softmax(got, n, 1, scale);
            double max = Double.NEGATIVE_INFINITY;
            for (float v : x) {
                max = Math.max(max, (double) v * scale);
            }
            double sum = 0;
            for (float v : x) {
                sum += Math.exp((double) v * scale - max);
            }
            for (int i = 0; i < n; i++) {
                double want = Math.exp((double) x[i] * scale - max) / sum;
                assertEquals(want, got[i], 1e-6 * want + 1e-38, "n " + n + " index " + i + seed());
            }
        }
    }

    @Test
    void topkOrdersByValueThenIndexWithNanLast() {
        float[] x = {1f, Float.NaN, 3f, 3f, Float.NEGATIVE_INFINITY, 7f, Float.NaN, 3f, -0f, 0f};
        assertArrayEquals(new int[] {5, 2, 3, 7, 0, 8, 9, 4, 1, 6}, ReferenceOps.topk(x, x.length, x.length));
        assertArrayEquals(new int[] {5, 2}, ReferenceOps.topk(x, x.length, 2));
    }
}
