package dev.moe4j.internal.offload;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LruPolicyTest {
    private static final ExpertSpace SPACE = new ExpertSpace(2, 8, 2);

    private static List<Integer> offer(CachePolicy p, int key, long bytes) {
        List<Integer> evicted = new ArrayList<>();
        assertFalse(p.access(key), "a key being offered was not resident");
        assertTrue(p.offer(key, bytes, false, k -> true, evicted::add), "LRU admits everything that fits");
        return evicted;
    }

    @Test
    void evictsTheLeastRecentlyUsed() {
        LruPolicy p = new LruPolicy(SPACE, 30);
        offer(p, 0, 10);
        offer(p, 1, 10);
        offer(p, 2, 10);
        assertTrue(p.access(0)); // 1 is now the least recent
        assertEquals(List.of(1), offer(p, 3, 10));
        assertEquals(List.of(2), offer(p, 4, 10));
        assertTrue(p.contains(0) && p.contains(3) && p.contains(4));
        assertEquals(30, p.residentBytes());
        assertEquals(3, p.residentCount());
    }

    @Test
    void evictsAsManyAsTheBytesNeed() {
        LruPolicy p = new LruPolicy(SPACE, 100);
        offer(p, 0, 20);
        offer(p, 1, 30);
        offer(p, 2, 40);
        assertEquals(List.of(0, 1), offer(p, 3, 60), "90 resident + 60 needs 50 bytes freed: 20 + 30");
        assertEquals(100, p.residentBytes());
    }

    @Test
    void skipsWhatMayNotBeEvicted() {
        LruPolicy p = new LruPolicy(SPACE, 20);
        offer(p, 0, 10);
        offer(p, 1, 10);
        List<Integer> evicted = new ArrayList<>();
        assertTrue(p.offer(2, 10, false, k -> k != 0, evicted::add));
        assertEquals(List.of(1), evicted, "0 is in use, so the next least recent goes");
    }

    @Test
    void aRefusalEvictsNothing() {
        LruPolicy p = new LruPolicy(SPACE, 20);
        offer(p, 0, 10);
        offer(p, 1, 10);
        List<Integer> evicted = new ArrayList<>();
        assertFalse(p.offer(2, 10, false, k -> false, evicted::add));
        assertFalse(p.offer(3, 21, false, k -> true, evicted::add), "larger than the whole capacity");
        assertEquals(List.of(), evicted);
        assertTrue(p.contains(0) && p.contains(1) && !p.contains(2) && !p.contains(3));
        assertEquals(20, p.residentBytes());
    }

    @Test
    void removeForgetsAKey() {
        LruPolicy p = new LruPolicy(SPACE, 20);
        offer(p, 5, 10);
        p.remove(5);
        p.remove(6); // not resident: no-op
        assertFalse(p.contains(5));
        assertEquals(0, p.residentBytes());
        assertEquals(0, p.residentCount());
    }

    @Test
    void zeroCapacityCachesNothing() {
        LruPolicy p = new LruPolicy(SPACE, 0);
        assertFalse(p.offer(1, 1, false, k -> true, k -> { }));
        assertEquals(0, p.residentBytes());
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new LruPolicy(SPACE, -1));
        LruPolicy p = new LruPolicy(SPACE, 10);
        assertThrows(IndexOutOfBoundsException.class, () -> p.access(SPACE.size()));
        assertThrows(IndexOutOfBoundsException.class, () -> p.access(-1));
        assertThrows(IllegalArgumentException.class, () -> p.offer(0, 0, false, k -> true, k -> { }));
    }
}
