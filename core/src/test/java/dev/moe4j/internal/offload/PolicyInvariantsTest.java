package dev.moe4j.internal.offload;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every policy, driven by random operations with random sizes, random "in use" sets and random removals: the budget is
 * never exceeded, only evictable keys are evicted, a refusal evicts nothing, and the policy's view of what is resident
 * matches a model kept by the test.
 */
class PolicyInvariantsTest {

    @Test
    void invariantsHoldUnderRandomOperations() {
        ExpertSpace space = new ExpertSpace(5, 12, 3);
        for (String name : List.of(Policies.LRU, Policies.TINY_LFU, Policies.LAYERED)) {
            for (long seed = 1; seed <= 4; seed++) {
                Random rnd = new Random(seed * 31 + name.hashCode());
                long capacity = 50 + rnd.nextInt(400);
                int[] pins = seed % 2 == 0 ? new int[] {3, 17, 40} : new int[0];
                check(Policies.create(name, space, capacity, pins), space, rnd, pins);
            }
        }
    }

    private static void check(CachePolicy p, ExpertSpace space, Random rnd, int[] pins) {
        boolean[] resident = new boolean[space.size()];
        long[] size = new long[space.size()];
        boolean[] pinned = new boolean[space.size()];
        for (int k : pins) {
            pinned[k] = !p.name().equals(Policies.LRU); // LRU ignores pins
        }
        for (int step = 0; step < 5000; step++) {
            int key = rnd.nextInt(space.size());
            boolean hit = p.access(key);
            assertEquals(resident[key], hit, p.name() + ": hit of " + key + " at step " + step);
            if (!hit && rnd.nextInt(10) > 0) {
                long bytes = 1 + rnd.nextInt(60);
                boolean[] inUse = new boolean[space.size()];
                for (int i = 0; i < 4; i++) {
                    inUse[rnd.nextInt(space.size())] = true;
                }
                List<Integer> evicted = new ArrayList<>();
                boolean kept = p.offer(key, bytes, rnd.nextInt(5) == 0, k -> !inUse[k], evicted::add);
                for (int v : evicted) {
                    assertTrue(kept, p.name() + ": a refusal evicted " + v);
                    assertTrue(resident[v], p.name() + ": evicted " + v + ", which was not resident");
                    assertFalse(inUse[v], p.name() + ": evicted " + v + ", which was in use");
                    assertFalse(pinned[v], p.name() + ": evicted pinned " + v);
                    resident[v] = false;
                }
                if (kept) {
                    resident[key] = true;
                    size[key] = bytes;
                }
            }
            if (rnd.nextInt(50) == 0) {
                int gone = rnd.nextInt(space.size());
                p.remove(gone);
                resident[gone] = false;
            }
            long bytes = 0;
            int count = 0;
            for (int k = 0; k < space.size(); k++) {
                assertEquals(resident[k], p.contains(k), p.name() + ": contains(" + k + ") at step " + step);
                if (resident[k]) {
                    bytes += size[k];
                    count++;
                }
            }
            assertEquals(bytes, p.residentBytes(), p.name() + ": resident bytes");
            assertEquals(count, p.residentCount(), p.name() + ": resident count");
            assertTrue(p.residentBytes() <= p.capacity(), p.name() + ": over budget at step " + step);
        }
    }
}
