package dev.moe4j.internal.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** DeepSeek-V4's hash routing: experts from the token's row, weights from the router's sqrt-softplus affinities. */
class HashRouterTest {
    @Test
    void expertsComeFromTheTokenAndWeightsFromTheRouter() {
        int[] table = {0, 1, /* token 1 */ 3, 2, /* token 2 */ 1, 3};
        HashRouter r = new HashRouter(table, 4, 2, ExpertGating.SQRT_SOFTPLUS, true, 1.5f);
        float[] logits = {9f, 0.5f, -1f, 2f, 30f}; // offset 1: experts 0..3 = 0.5, -1, 2, 30
        int[] idx = new int[3];
        float[] w = new float[3];
        float[] work = new float[r.workSize()];
        r.route(1, logits, 1, idx, w, 1, work);
        assertArrayEquals(new int[] {0, 3, 2}, idx, "row 1 of the table, whatever the logits");
        double a3 = Math.sqrt(30); // softplus(x) = x above 20
        double a2 = Math.sqrt(Math.log1p(Math.exp(2)));
        assertEquals(1.5 * a3 / (a3 + a2), w[1], 1e-6);
        assertEquals(1.5 * a2 / (a3 + a2), w[2], 1e-6);
        assertEquals((float) a3, work[3], 1e-6, "affinities for tracing");
        r.route(99, logits, 1, idx, w, 0, work); // an id beyond the table takes row 0
        assertArrayEquals(new int[] {0, 1}, new int[] {idx[0], idx[1]});
        assertThrows(UnsupportedOperationException.class, () -> r.route(logits, 0, idx, w, 0, work));
        assertThrows(IllegalArgumentException.class, () -> new HashRouter(new int[5], 4, 2,
                ExpertGating.SQRT_SOFTPLUS, true, 1f));
    }
}
