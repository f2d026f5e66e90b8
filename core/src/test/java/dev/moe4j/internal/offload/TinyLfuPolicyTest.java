package dev.moe4j.internal.offload;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TinyLfuPolicyTest {
    private static final ExpertSpace SPACE = new ExpertSpace(1, 16, 1);

    private static void use(CachePolicy p, int key, int times) {
        for (int i = 0; i < times; i++) {
            if (!p.access(key)) {
                p.offer(key, 10, false, k -> true, k -> { });
            }
        }
    }

    @Test
    void admitsOnlyWhatIsUsedMoreThanTheVictim() {
        TinyLfuPolicy p = new TinyLfuPolicy(SPACE, 20, false, new int[0]);
        use(p, 0, 10);
        use(p, 1, 10);
        assertFalse(p.access(2));
        List<Integer> evicted = new ArrayList<>();
        assertFalse(p.offer(2, 10, false, k -> true, evicted::add), "used once, the residents ten times");
        assertEquals(List.of(), evicted);
        for (int i = 0; i < 15; i++) {
            p.access(2);
        }
        assertTrue(p.offer(2, 10, false, k -> true, evicted::add), "now used more than the victim");
        assertEquals(List.of(0), evicted, "plain mode evicts the least recently used");
    }

    @Test
    void prefetchedExpertsSkipAdmission() {
        TinyLfuPolicy p = new TinyLfuPolicy(SPACE, 20, false, new int[0]);
        use(p, 0, 10);
        use(p, 1, 10);
        assertTrue(p.offer(5, 10, true, k -> true, k -> { }), "a predicted use is not judged by past counts");
        assertTrue(p.contains(5));
    }

    @Test
    void agingLetsANewHotExpertReplaceAnOldOne() {
        // a window of 4 tokens: the counts halve every 4 accesses (one layer, k = 1)
        TinyLfuPolicy p = new TinyLfuPolicy(SPACE, 10, false, new int[0], 4);
        use(p, 0, 64);           // expert 0 was hot long ago
        use(p, 1, 3);            // expert 1 is used now
        assertFalse(p.contains(1), "three uses cannot beat a count of 64 yet");
        use(p, 1, 12);
        assertTrue(p.contains(1), "after aging, the new hot expert wins");
        assertFalse(p.contains(0));
        TinyLfuPolicy noAging = new TinyLfuPolicy(SPACE, 10, false, new int[0], 1 << 20);
        use(noAging, 0, 64);
        use(noAging, 1, 15);
        assertTrue(noAging.contains(0), "without aging the old count keeps expert 0");
    }

    @Test
    void pinnedExpertsAreAdmittedAndNeverEvicted() {
        TinyLfuPolicy p = new TinyLfuPolicy(SPACE, 30, true, new int[] {7, 3});
        assertArrayEquals(new int[] {7, 3}, p.pinned());
        assertTrue(p.offer(7, 10, false, k -> true, k -> { }));
        assertTrue(p.offer(3, 10, false, k -> true, k -> { }));
        for (int round = 0; round < 20; round++) {
            for (int key = 8; key < 16; key++) {
                use(p, key, 3);
            }
        }
        assertTrue(p.contains(7) && p.contains(3), "pinned experts stay however little they are used");
        assertEquals(30, p.residentBytes());
        assertEquals(3, p.residentCount());
        assertTrue(p.name().endsWith("+pin"));
        assertThrows(IllegalArgumentException.class, () -> new TinyLfuPolicy(SPACE, 30, true, new int[] {1, 1}));
    }

    /**
     * Three layers, one expert each used by every token, room for two: LRU always evicts the expert of the layer about
     * to run and never hits; the layer-aware policy keeps two and hits two of three.
     */
    @Test
    void layerAwarenessBeatsLruOnTheLayerCycle() {
        ExpertSpace space = new ExpertSpace(3, 2, 1);
        int tokens = 60;
        int[] ids = new int[tokens * 3];
        RoutingTrace cycle = new RoutingTrace(new int[] {0, 1, 2}, 2, 1, ids);
        TraceSimulator.Result lru = TraceSimulator.run(cycle, new LruPolicy(space, 20), 10);
        TraceSimulator.Result layered = TraceSimulator.run(cycle, new TinyLfuPolicy(space, 20, true, new int[0]), 10);
        assertEquals(0, lru.hits());
        assertTrue(layered.hitRate() > 0.6, "layered hit rate " + layered.hitRate());
        TraceSimulator.Result optimal = TraceSimulator.optimal(cycle, 20, 10);
        assertEquals(optimal.hits(), layered.hits(), "which is optimal here");
    }

    @Test
    void layerAwareVictimIsTheExpertNeededLast() {
        ExpertSpace space = new ExpertSpace(3, 2, 1);
        TinyLfuPolicy p = new TinyLfuPolicy(space, 20, true, new int[0]);
        List<Integer> evicted = new ArrayList<>();
        for (int l = 0; l < 3; l++) {
            p.access(space.key(l, 0));
            p.offer(space.key(l, 0), 10, true, k -> true, evicted::add); // prefetch: no admission test
        }
        // computing layer 2: layer 0 runs next, layer 1 after it, so layer 1's expert goes (LRU would evict layer 0's)
        assertEquals(List.of(space.key(1, 0)), evicted);
    }
}
