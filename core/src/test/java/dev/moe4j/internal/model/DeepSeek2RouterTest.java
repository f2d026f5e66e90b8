package dev.moe4j.internal.model;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TopKRouter} against a plain sort-based statement of llama.cpp's {@code build_moe_ffn} routing (spec §4.2) on
 * fresh random logits: group scores = sum of the two best biased scores, keep the best groups, top-k of the biased
 * scores among them (lowest id on ties), weights from the unbiased affinities, normalised (sum clamped at 2^-14) and
 * scaled. Weights must agree within 1e-6 relative.
 */
class DeepSeek2RouterTest {
    private final SplittableRandom random = new SplittableRandom(0x5eed_2024L);

    @Test
    void matchesSortBasedReferenceOnRandomInputs() {
        int[][] shapes = { // experts, groups, groups used, k
                {256, 8, 4, 8}, {64, 1, 1, 6}, {16, 4, 2, 4}, {4, 1, 1, 2}, {8, 1, 1, 3}, {30, 5, 3, 7}, {9, 3, 1, 2},
                {12, 6, 6, 12}, {7, 7, 2, 2}};
        int trials = 0;
        for (int[] sh : shapes) {
            for (ExpertGating gating : ExpertGating.values()) {
                for (int rep = 0; rep < 40; rep++) {
                    int e = sh[0];
                    float[] bias = rep % 3 == 0 ? null : randomFloats(e, 0.3);
                    boolean norm = rep % 2 == 0;
                    float scale = new float[] {0f, 1f, 2.5f, 16f}[rep % 4];
                    TopKRouter router = new TopKRouter(gating, bias, e, sh[3], sh[1], sh[2], norm, scale);
                    float[] logits = randomFloats(e + 3, 3.0);
                    int off = 3;
                    int[] idx = new int[sh[3] + 2];
                    float[] w = new float[sh[3] + 2];
                    router.route(logits, off, idx, w, 1, new float[router.workSize()]);

                    Expected ref = reference(gating, bias, Arrays.copyOfRange(logits, off, off + e), sh[1], sh[2],
                            sh[3], norm, scale);
                    assertArrayEquals(ref.idx, Arrays.copyOfRange(idx, 1, 1 + sh[3]), "experts " + Arrays.toString(sh));
                    for (int j = 0; j < sh[3]; j++) {
                        assertEquals(ref.w[j], w[1 + j], 1e-6 * Math.max(1, Math.abs(ref.w[j])), "weight " + j);
                    }
                    trials++;
                }
            }
        }
        assertEquals(9 * ExpertGating.values().length * 40, trials);
    }

    @Test
    void biasSteersTheChoiceButNotTheWeights() {
        // sigmoid affinities ~ [0.73, 0.5, 0.27, 0.12]; a bias makes expert 3 win, its weight stays its affinity
        float[] logits = {1f, 0f, -1f, -2f};
        float[] bias = {0f, 0f, 0f, 5f};
        TopKRouter r = new TopKRouter(ExpertGating.SIGMOID, bias, 4, 1, 1, 1, false, 0f);
        int[] idx = new int[1];
        float[] w = new float[1];
        r.route(logits, 0, idx, w, 0, new float[r.workSize()]);
        assertEquals(3, idx[0]);
        assertEquals(1.0 / (1 + Math.exp(2)), w[0], 1e-7);
    }

    @Test
    void droppedGroupsStayDroppedEvenWhenKeptScoresAreNegative() {
        // 2 groups of 2; a negative bias pushes group 0's biased scores below 0. Group 1 scores higher (-0.5 + -0.4 >
        // -0.9 ... ) and is kept; masking with 0 instead of -inf would let group 0 back in.
        float[] logits = {0f, 0f, 0f, 0f};                // sigmoid 0.5 each
        float[] bias = {-1.3f, -1.35f, -1.0f, -0.9f};     // biased: -0.8, -0.85, -0.5, -0.4
        TopKRouter r = new TopKRouter(ExpertGating.SIGMOID, bias, 4, 2, 2, 1, true, 1f);
        int[] idx = new int[2];
        float[] w = new float[2];
        float[] work = new float[r.workSize()];
        r.route(logits, 0, idx, w, 0, work);
        assertArrayEquals(new int[] {3, 2}, idx);
        assertEquals(0.5f, w[0], 1e-7);
        assertEquals(Float.NEGATIVE_INFINITY, work[4], "dropped group's selection score");
    }

    @Test
    void weightSumIsClampedBeforeNormalising() {
        float[] logits = {-30f, -31f, -32f};
        TopKRouter r = new TopKRouter(ExpertGating.SIGMOID, null, 3, 2, 1, 1, true, 1f);
        int[] idx = new int[2];
        float[] w = new float[2];
        r.route(logits, 0, idx, w, 0, new float[r.workSize()]);
        float p0 = (float) (1 / (1 + Math.exp(30)));
        assertEquals(p0 / TopKRouter.MIN_WEIGHT_SUM, w[0], 1e-6 * p0 / TopKRouter.MIN_WEIGHT_SUM);
    }

    @Test
    void impossibleConfigurationsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TopKRouter(ExpertGating.SOFTMAX, null, 8, 9, 1, 1, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new TopKRouter(ExpertGating.SOFTMAX, null, 8, 2, 3, 1, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new TopKRouter(ExpertGating.SOFTMAX, null, 8, 5, 4, 2, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new TopKRouter(ExpertGating.SOFTMAX, new float[7], 8, 2, 1, 1,
                false, 0));
    }

    record Expected(int[] idx, double[] w) {
    }

    static Expected reference(ExpertGating gating, float[] bias, float[] logits, int groups, int used, int k,
                              boolean norm, float scale) {
        int e = logits.length;
        double[] p = new double[e];
        if (gating == ExpertGating.SIGMOID) {
            for (int i = 0; i < e; i++) {
                p[i] = 1 / (1 + Math.exp(-logits[i]));
            }
        } else if (gating == ExpertGating.SQRT_SOFTPLUS) { // DeepSeek-V4
            for (int i = 0; i < e; i++) {
                p[i] = Math.sqrt(logits[i] > 20 ? logits[i] : Math.log1p(Math.exp(logits[i])));
            }
        } else if (gating == ExpertGating.SOFTMAX_WEIGHT) { // chosen on the logits themselves
            for (int i = 0; i < e; i++) {
                p[i] = logits[i];
            }
        } else {
            double max = Arrays.stream(IntStream.range(0, e).mapToDouble(i -> logits[i]).toArray()).max().orElseThrow();
            double sum = 0;
            for (int i = 0; i < e; i++) {
                p[i] = Math.exp(logits[i] - max);
                sum += p[i];
            }
            for (int i = 0; i < e; i++) {
                p[i] /= sum;
            }
        }
        double[] s = new double[e];
        for (int i = 0; i < e; i++) {
            s[i] = p[i] + (bias == null ? 0 : bias[i]);
        }
        int size = e / groups;
        boolean[] eligible = new boolean[e];
        if (groups == 1) {
            Arrays.fill(eligible, true);
        } else {
            double[] gs = new double[groups];
            for (int g = 0; g < groups; g++) {
                double[] in = Arrays.copyOfRange(s, g * size, (g + 1) * size);
                Arrays.sort(in);
                gs[g] = size == 1 ? in[0] : in[size - 1] + in[size - 2];
            }
            Integer[] order = IntStream.range(0, groups).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer g) -> -gs[g]).thenComparingInt(g -> g));
            for (int j = 0; j < used; j++) {
                for (int i = order[j] * size; i < (order[j] + 1) * size; i++) {
                    eligible[i] = true;
                }
            }
        }
        Integer[] experts = IntStream.range(0, e).filter(i -> eligible[i]).boxed().toArray(Integer[]::new);
        Arrays.sort(experts, Comparator.comparingDouble((Integer i) -> -s[i]).thenComparingInt(i -> i));
        int[] idx = new int[k];
        double[] w = new double[k];
        double sum = 0;
        for (int j = 0; j < k; j++) {
            idx[j] = experts[j];
            w[j] = p[idx[j]];
        }
        if (gating == ExpertGating.SOFTMAX_WEIGHT) { // weights: the softmax over the chosen logits
            double max = Arrays.stream(w).max().orElseThrow();
            double z = 0;
            for (int j = 0; j < k; j++) {
                w[j] = Math.exp(w[j] - max);
                z += w[j];
            }
            for (int j = 0; j < k; j++) {
                w[j] /= z;
            }
        }
        for (int j = 0; j < k; j++) {
            sum += w[j];
        }
        for (int j = 0; j < k; j++) {
            if (norm) {
                w[j] /= Math.max(sum, TopKRouter.MIN_WEIGHT_SUM);
            }
            if (scale != 0 && scale != 1) {
                w[j] *= scale;
            }
        }
        assertTrue(k <= experts.length);
        return new Expected(idx, w);
    }

    private float[] randomFloats(int n, double spread) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * spread);
        }
        return v;
    }
}
