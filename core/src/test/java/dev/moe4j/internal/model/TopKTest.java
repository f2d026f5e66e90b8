package dev.moe4j.internal.model;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** {@link TopK#select} against a full sort by the same order (score descending, index ascending, NaN last). */
class TopKTest {
    @Test
    void selectsWhatAFullSortSelects() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + r.nextInt(trial < 2000 ? 80 : 5000);
            int k = 1 + r.nextInt(n + 2);
            int distinct = 1 + r.nextInt(trial % 3 == 0 ? 4 : 1000); // few distinct values: many ties
            float[] score = new float[n];
            for (int i = 0; i < n; i++) {
                score[i] = r.nextInt(20) == 0 ? Float.NaN : r.nextInt(distinct) - distinct / 2f;
            }
            int[] idx = IntStream.range(0, n).toArray();
            TopK.select(score, idx, n, k);
            int m = Math.min(k, n);
            int[] got = Arrays.copyOf(idx, m);
            Arrays.sort(got);
            int[] want = IntStream.range(0, n).boxed()
                    .sorted((a, b) -> TopK.better(score, a, b) ? -1 : TopK.better(score, b, a) ? 1 : 0)
                    .limit(m).mapToInt(Integer::intValue).sorted().toArray();
            assertArrayEquals(want, got, "n " + n + " k " + k + " distinct " + distinct);
        }
    }
}
