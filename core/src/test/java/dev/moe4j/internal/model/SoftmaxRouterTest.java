package dev.moe4j.internal.model;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link TopKRouter#softmax} (Mixtral, Qwen-MoE, OLMoE routing) against a plain statement of it on fresh random logits:
 * probabilities = softmax over all experts (in double), the k largest (lowest id on ties), weights = their
 * probabilities, divided by their sum when renormalising, times the scale unless it is 0 or 1. Weights within 1e-6
 * relative.
 */
class SoftmaxRouterTest {
    private final SplittableRandom random = new SplittableRandom(0x0_1d_e5L);

    @Test
    void matchesThePlainDefinition() {
        int[][] shapes = {{8, 2}, {16, 4}, {64, 8}, {128, 8}, {60, 4}, {7, 3}, {3, 3}, {1, 1}};
        int trials = 0;
        for (int[] sh : shapes) {
            for (boolean norm : new boolean[] {true, false}) {
                for (float scale : new float[] {0f, 1f, 2.5f}) {
                    for (int rep = 0; rep < 10; rep++) {
                        int e = sh[0];
                        int k = sh[1];
                        TopKRouter r = TopKRouter.softmax(e, k, norm, scale);
                        float[] logits = new float[e + 2];
                        for (int i = 0; i < logits.length; i++) {
                            logits[i] = (float) (random.nextDouble() * 8 - 4);
                        }
                        if (rep == 0 && e > 2) {
                            logits[2 + 1] = logits[2 + 2]; // an exact tie: the lower id goes first
                        }
                        int[] idx = new int[k];
                        float[] w = new float[k];
                        r.route(logits, 2, idx, w, 0, new float[r.workSize()]);

                        double[] p = softmax(Arrays.copyOfRange(logits, 2, 2 + e));
                        int[] want = IntStream.range(0, e).boxed()
                                .sorted(Comparator.<Integer>comparingDouble(i -> -p[i]).thenComparingInt(i -> i))
                                .limit(k).mapToInt(i -> i).toArray();
                        assertArrayEquals(want, idx, e + " experts, k " + k);
                        double sum = 0;
                        for (int i : want) {
                            sum += p[i];
                        }
                        for (int j = 0; j < k; j++) {
                            double expect = p[want[j]] / (norm ? sum : 1) * (scale == 0f || scale == 1f ? 1 : scale);
                            assertEquals(expect, w[j], 1e-6 * Math.max(1, expect), "weight " + j);
                        }
                        trials++;
                    }
                }
            }
        }
        assertEquals(8 * 2 * 3 * 10, trials);
    }

    @Test
    void renormalisedWeightsSumToOneAndPlainOnesDoNot() {
        float[] logits = {2f, 1f, 0f, -1f};
        TopKRouter norm = TopKRouter.softmax(4, 2, true, 0f);
        TopKRouter plain = TopKRouter.softmax(4, 2, false, 0f);
        int[] idx = new int[2];
        float[] w = new float[2];
        norm.route(logits, 0, idx, w, 0, new float[norm.workSize()]);
        assertArrayEquals(new int[] {0, 1}, idx);
        assertEquals(1.0, w[0] + w[1], 1e-6);
        assertEquals(1 / (1 + Math.exp(-1)), w[0], 1e-6); // softmax of the two chosen logits
        plain.route(logits, 0, idx, w, 0, new float[plain.workSize()]);
        double z = Math.exp(2) + Math.exp(1) + 1 + Math.exp(-1);
        assertEquals(Math.exp(2) / z, w[0], 1e-6);
        assertEquals(Math.exp(1) / z, w[1], 1e-6);
    }

    private static double[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double[] p = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            p[i] = Math.exp(x[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < x.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
