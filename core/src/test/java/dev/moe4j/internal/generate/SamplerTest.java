package dev.moe4j.internal.generate;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sampler against a plain reference: every expected distribution below is computed here, independently, from the
 * llama.cpp definitions (sort, softmax, cut), and compared with the frequencies of {@value #DRAWS} seeded draws.
 * Tolerance: {@value #TOLERANCE} absolute per token, above 5 binomial standard deviations for 20k draws (at most 0.0035).
 */
class SamplerTest {
    private static final int DRAWS = 20_000;
    private static final double TOLERANCE = 0.018;

    private static SamplingParams params(float temp, int topK, float topP, float minP) {
        return new SamplingParams(temp, topK, topP, minP, 1f, 0);
    }

    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) {
            l[i] = (float) Math.log(probs[i]);
        }
        return l;
    }

    private static float[] randomLogits(long seed, int n) {
        Random r = new Random(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) {
            l[i] = (float) (r.nextGaussian() * 2.0);
        }
        return l;
    }

    private static double[] frequencies(Sampler s, float[] logits, int draws) {
        double[] f = new double[logits.length];
        for (int i = 0; i < draws; i++) {
            f[s.sample(logits)] += 1.0 / draws;
        }
        return f;
    }

    /** Reference: llama.cpp's chain written the obvious way, on boxed lists. */
    private static double[] expected(float[] logits, SamplingParams p) {
        record C(int id, double logit) {}
        List<C> c = new ArrayList<>();
        for (int i = 0; i < logits.length; i++) {
            c.add(new C(i, logits[i]));
        }
        c.sort(Comparator.comparingDouble((C x) -> -x.logit).thenComparingInt(C::id));
        if (p.topK() > 0 && p.topK() < c.size()) {
            c = new ArrayList<>(c.subList(0, p.topK()));
        }
        if (p.topP() < 1) {
            double max = c.get(0).logit;
            double sum = c.stream().mapToDouble(x -> Math.exp(x.logit - max)).sum();
            double cum = 0;
            for (int i = 0; i < c.size(); i++) {
                cum += Math.exp(c.get(i).logit - max) / sum;
                if (cum >= p.topP()) {
                    c = new ArrayList<>(c.subList(0, i + 1));
                    break;
                }
            }
        }
        if (p.minP() > 0) {
            double max = c.get(0).logit;
            double floor = max + Math.log(p.minP());
            c.removeIf(x -> x.logit < floor);
        }
        double max = c.get(0).logit / p.temperature();
        double sum = c.stream().mapToDouble(x -> Math.exp(x.logit / p.temperature() - max)).sum();
        double[] e = new double[logits.length];
        for (C x : c) {
            e[x.id] = Math.exp(x.logit / p.temperature() - max) / sum;
        }
        return e;
    }

    private static void assertDistribution(double[] expected, double[] actual) {
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == 0) {
                assertEquals(0.0, actual[i], "token " + i + " is filtered out but was drawn");
            } else {
                assertEquals(expected[i], actual[i], TOLERANCE, "frequency of token " + i);
            }
        }
    }

    @Test
    void greedyPicksArgmaxAndLowestIdOnTies() {
        Sampler s = new Sampler(SamplingParams.greedy(), 1);
        assertEquals(2, s.sample(new float[] {0.5f, -1f, 3.25f, 3.0f, 1f}));
        assertEquals(1, s.sample(new float[] {0.5f, 7f, -2f, 7f, 7f}));
        assertEquals(0, s.sample(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}));
        assertEquals(1, s.sample(new float[] {Float.NaN, -5f, Float.NaN}));
    }

    @Test
    void greedyIgnoresTheSeed() {
        float[] l = randomLogits(7, 301);
        int a = new Sampler(SamplingParams.greedy(), 1).sample(l);
        int b = new Sampler(SamplingParams.greedy(), 99).sample(l);
        assertEquals(a, b);
        assertEquals(Sampler.argmax(l, l.length), a);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        SamplingParams p = new SamplingParams(0f, 0, 1f, 0f, 2f, 64);
        // positive: 2.0 / 2 = 1.0 loses to 1.5
        Sampler s = new Sampler(p, 0);
        s.accept(0);
        assertEquals(1, s.sample(new float[] {2.0f, 1.5f, -3f}));
        // negative: -1.0 * 2 = -2.0 loses to -1.5 (dividing would have made it -0.5 and win)
        s = new Sampler(p, 0);
        s.accept(0);
        assertEquals(1, s.sample(new float[] {-1.0f, -1.5f, -3f}));
        // a token repeated many times is penalised once, as in llama.cpp: 3.0 / 2 = 1.5 still beats 1.4
        s = new Sampler(p, 0);
        for (int i = 0; i < 10; i++) {
            s.accept(0);
        }
        assertEquals(0, s.sample(new float[] {3.0f, 1.4f}));
    }

    @Test
    void repetitionPenaltyLooksOnlyAtTheLastNTokens() {
        SamplingParams p = new SamplingParams(0f, 0, 1f, 0f, 2f, 2);
        Sampler s = new Sampler(p, 0);
        s.accept(0); // pushed out of the window by the next two
        s.accept(2);
        s.accept(3);
        assertEquals(0, s.sample(new float[] {2.0f, 1.5f, 0f, 0f}));
        s.accept(0);
        assertEquals(1, s.sample(new float[] {2.0f, 1.5f, 0f, 0f}));
        // ids outside the vocabulary are ignored, not a crash
        s.accept(1000);
        s.accept(-1);
        assertEquals(0, s.sample(new float[] {2.0f, 1.5f, 0f, 0f}));
    }

    @Test
    void repetitionPenaltyShapesTheDistribution() {
        float[] logits = {1.2f, 0.4f, -0.3f, 0.9f, -1.1f};
        SamplingParams p = new SamplingParams(1f, 0, 1f, 0f, 1.7f, 8);
        Sampler s = new Sampler(p, 42);
        s.acceptAll(new int[] {0, 2, 0});
        float[] penalised = logits.clone();
        penalised[0] /= 1.7f;
        penalised[2] *= 1.7f;
        assertDistribution(expected(penalised, params(1f, 0, 1f, 0f)), frequencies(s, logits, DRAWS));
    }

    @Test
    void plainSoftmaxWithTemperature() {
        float[] logits = randomLogits(3, 9);
        for (float temp : new float[] {0.35f, 1f, 2.5f}) {
            SamplingParams p = params(temp, 0, 1f, 0f);
            assertDistribution(expected(logits, p), frequencies(new Sampler(p, 11), logits, DRAWS));
        }
    }

    @Test
    void topKKeepsTheKBest() {
        float[] logits = randomLogits(5, 12);
        for (int k : new int[] {1, 3, 11, 12, 40}) {
            SamplingParams p = params(1f, k, 1f, 0f);
            double[] f = frequencies(new Sampler(p, k), logits, DRAWS);
            assertDistribution(expected(logits, p), f);
            long distinct = java.util.Arrays.stream(f).filter(x -> x > 0).count();
            assertTrue(distinct <= Math.min(k, 12), "k=" + k + " drew " + distinct + " distinct tokens");
        }
    }

    @Test
    void topKBreaksTiesByLowestId() {
        float[] logits = {1f, 5f, 5f, 5f, 0f};
        double[] f = frequencies(new Sampler(params(1f, 2, 1f, 0f), 3), logits, DRAWS);
        assertEquals(0.5, f[1], TOLERANCE);
        assertEquals(0.5, f[2], TOLERANCE);
        assertEquals(0.0, f[3]);
    }

    @Test
    void topPKeepsTheShortestPrefixReachingP() {
        float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
        // 0.5 < 0.75 <= 0.8: two tokens
        double[] f = frequencies(new Sampler(params(1f, 0, 0.75f, 0f), 1), logits, DRAWS);
        assertEquals(0.625, f[0], TOLERANCE);
        assertEquals(0.375, f[1], TOLERANCE);
        assertEquals(0.0, f[2] + f[3]);
        // below the first probability: only the best token, always
        f = frequencies(new Sampler(params(1f, 0, 0.2f, 0f), 1), logits, 1000);
        assertEquals(1.0, f[0], 1e-9);
        // 0.96 needs all four
        SamplingParams p = params(1f, 0, 0.96f, 0f);
        assertDistribution(expected(logits, p), frequencies(new Sampler(p, 2), logits, DRAWS));
    }

    @Test
    void topPRenormalisesAfterTopK() {
        float[] logits = logitsOf(0.4, 0.35, 0.25);
        // without top-k: 0.4 < 0.5 <= 0.75, two tokens
        double[] f = frequencies(new Sampler(params(1f, 0, 0.5f, 0f), 4), logits, DRAWS);
        assertTrue(f[1] > 0.3);
        // after top-k 2 the two survivors are 0.533/0.467: the first alone reaches 0.5
        f = frequencies(new Sampler(params(1f, 2, 0.5f, 0f), 4), logits, 2000);
        assertEquals(1.0, f[0], 1e-9);
    }

    @Test
    void topPOverALargeFlatVocabularySortsEverything() {
        // 5000 tokens of nearly equal probability: the nucleus is far larger than the first sorted pass
        float[] logits = new float[5000];
        Random r = new Random(9);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (r.nextDouble() * 0.01);
        }
        SamplingParams p = params(1f, 0, 0.9f, 0f);
        double[] e = expected(logits, p);
        int nucleus = (int) java.util.Arrays.stream(e).filter(x -> x > 0).count();
        assertTrue(nucleus > 4000, "nucleus " + nucleus);
        double[] f = frequencies(new Sampler(p, 5), logits, 3000);
        for (int i = 0; i < logits.length; i++) {
            if (e[i] == 0) {
                assertEquals(0.0, f[i], "token " + i + " is outside the nucleus");
            }
        }
    }

    @Test
    void topPOverALargePeakedVocabulary() {
        float[] logits = randomLogits(21, 7001);
        for (int i = 0; i < 5; i++) {
            logits[i * 1000 + 3] += 14f; // five clear favourites spread over the vocabulary: a nucleus of a few tokens
        }
        SamplingParams p = params(0.8f, 0, 0.95f, 0f);
        assertDistribution(expected(logits, p), frequencies(new Sampler(p, 6), logits, DRAWS));
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        float[] logits = logitsOf(0.5, 0.2, 0.04, 0.26);
        // floor = 0.1 * 0.5 = 0.05: token 2 goes
        SamplingParams p = params(1f, 0, 1f, 0.1f);
        double[] f = frequencies(new Sampler(p, 8), logits, DRAWS);
        assertEquals(0.0, f[2]);
        assertDistribution(expected(logits, p), f);
        // min-p 1 keeps only the best
        f = frequencies(new Sampler(params(1f, 0, 1f, 1f), 8), logits, 1000);
        assertEquals(1.0, f[0], 1e-9);
    }

    @Test
    void temperatureComesAfterTheFilters() {
        // top-p 0.85 on the untempered distribution keeps two tokens; temperature 5 then flattens the pair only
        float[] logits = logitsOf(0.6, 0.3, 0.1);
        double[] f = frequencies(new Sampler(params(5f, 0, 0.85f, 0f), 12), logits, DRAWS);
        assertEquals(0.0, f[2]);
        double first = Math.pow(2, 0.2) / (Math.pow(2, 0.2) + 1);
        assertEquals(first, f[0], TOLERANCE);
    }

    @Test
    void fullChainMatchesTheReference() {
        float[] logits = randomLogits(77, 600);
        SamplingParams p = params(0.8f, 40, 0.95f, 0.05f);
        assertDistribution(expected(logits, p), frequencies(new Sampler(p, 13), logits, DRAWS));
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        float[] logits = randomLogits(1, 1000);
        SamplingParams p = params(1.5f, 0, 1f, 0f);
        int[] a = new int[200];
        int[] b = new int[200];
        int[] c = new int[200];
        Sampler sa = new Sampler(p, 1234);
        Sampler sb = new Sampler(p, 1234);
        Sampler sc = new Sampler(p, 1235);
        for (int i = 0; i < a.length; i++) {
            a[i] = sa.sample(logits);
            b[i] = sb.sample(logits);
            c[i] = sc.sample(logits);
        }
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void inputIsNotModifiedAndBadValuesAreSafe() {
        float[] logits = {1f, Float.NaN, Float.POSITIVE_INFINITY, -2f};
        float[] copy = logits.clone();
        Sampler s = new Sampler(new SamplingParams(1f, 0, 0.9f, 0.05f, 1.3f, 4), 3);
        s.accept(2);
        for (int i = 0; i < 100; i++) {
            assertEquals(2, s.sample(logits));
        }
        assertArrayEquals(copy, logits);
        assertThrows(IllegalArgumentException.class, () -> s.sample(new float[0]));
        // a row of -inf still gives a valid id
        float[] dead = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        int id = new Sampler(params(1f, 2, 0.9f, 0.05f), 1).sample(dead);
        assertTrue(id >= 0 && id < 3);
    }

    @Test
    void paramsRejectOutOfRangeValues() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-0.1f, 0, 1f, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, -1, 1f, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 0f, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1.01f, 0f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1f, -0.01f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1f, 0f, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1f, 0f, 1f, -1));
    }

    @Test
    void keyOrdersByLogitDescendingThenId() {
        float[] values = {3f, -0f, 0f, -1e-30f, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -7.5f, 3f};
        List<Integer> byKey = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            byKey.add(i);
        }
        byKey.sort(Comparator.comparingLong(i -> Sampler.key(values[i], i)));
        List<Integer> byValue = new ArrayList<>(byKey);
        byValue.sort(Comparator.comparingDouble((Integer i) -> -values[i]).thenComparingInt(i -> i));
        // -0 and 0 compare equal as floats but not as keys; both orders put them next to each other
        assertEquals(List.of(5, 0, 7), byKey.subList(0, 3));
        assertEquals(List.of(6, 4), byKey.subList(6, 8));
        assertEquals(byValue.subList(0, 3), byKey.subList(0, 3));
    }
}
