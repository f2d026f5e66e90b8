package dev.moe4j.internal.offload;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CountMinSketchTest {

    @Test
    void neverUndercountsAndRarelyOvercountsWhenWideEnough() {
        Random rnd = new Random(5);
        int keys = 1000;
        int[] truth = new int[keys];
        CountMinSketch s = new CountMinSketch(2 * keys);
        for (int i = 0; i < 50_000; i++) {
            int k = (int) Math.min(keys - 1, Math.abs(rnd.nextGaussian()) * 150); // skewed
            truth[k]++;
            s.increment(k);
        }
        int exact = 0;
        for (int k = 0; k < keys; k++) {
            assertTrue(s.estimate(k) >= truth[k], "undercount of " + k);
            exact += s.estimate(k) == truth[k] ? 1 : 0;
        }
        assertTrue(exact > keys * 0.95, exact + " of " + keys + " exact");
    }

    @Test
    void collisionsOnlyOvercount() {
        CountMinSketch s = new CountMinSketch(16); // 16 counters per row for 200 keys: many collisions
        int[] truth = new int[200];
        for (int i = 0; i < 4000; i++) {
            int k = (i * 7919) % 200;
            truth[k]++;
            s.increment(k);
        }
        for (int k = 0; k < 200; k++) {
            assertTrue(s.estimate(k) >= truth[k]);
        }
        assertEquals(16, s.width());
    }

    @Test
    void halvingAgesEveryCount() {
        CountMinSketch s = new CountMinSketch(64);
        for (int i = 0; i < 9; i++) {
            s.increment(3);
        }
        s.increment(4);
        s.halve();
        assertEquals(4, s.estimate(3));
        assertEquals(0, s.estimate(4));
        assertEquals(0, s.estimate(5));
    }

    @Test
    void widthIsAPowerOfTwo() {
        assertEquals(128, new CountMinSketch(100).width());
        assertEquals(16, new CountMinSketch(1).width());
        assertThrows(IllegalArgumentException.class, () -> new CountMinSketch(0));
    }
}
