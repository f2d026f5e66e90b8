package dev.moe4j.internal.offload;

import dev.moe4j.Moe4jException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongPredicate;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The store against a fake file whose every byte is a function of its position, so a slot's content proves it holds
 * exactly the expert asked for. Concurrency, tiny budgets and injected read failures.
 */
class ExpertStoreTest {
    private static final int LAYERS = 4;
    private static final int EXPERTS = 8;
    private static final int USED = 2;
    private static final long[] BYTES = {3000, 3000, 2500}; // gate, up, down of one expert

    /** Byte of the fake file at {@code pos}. */
    private static byte at(long pos) {
        return (byte) (pos * 2654435761L >>> 13);
    }

    /** Stacked layout: per layer three tensors, one after the other. */
    private static ExpertLayout[] layouts() {
        ExpertLayout[] out = new ExpertLayout[LAYERS];
        long base = 4096;
        for (int l = 0; l < LAYERS; l++) {
            long[][] off = new long[3][EXPERTS];
            for (int m = 0; m < 3; m++) {
                for (int e = 0; e < EXPERTS; e++) {
                    off[m][e] = base + e * BYTES[m];
                }
                base += EXPERTS * BYTES[m] + 32;
            }
            out[l] = ExpertLayout.of(new int[3][EXPERTS], off, BYTES);
        }
        return out;
    }

    /** A reader of the fake file that counts reads and fails those {@code fail} picks (by read number). */
    private static final class FakeReader implements ExpertReader {
        final AtomicLong reads = new AtomicLong();
        final LongPredicate fail;
        volatile boolean closed;

        FakeReader(LongPredicate fail) {
            this.fail = fail;
        }

        @Override
        public void read(int shard, long position, MemorySegment dst) throws IOException {
            long n = reads.incrementAndGet();
            if (fail.test(n)) {
                throw new IOException("injected failure of read " + n);
            }
            for (long i = 0; i < dst.byteSize(); i++) {
                dst.set(JAVA_BYTE, i, at(position + i));
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static ExpertStore store(long budget, String policy, FakeReader reader) {
        int[] blocks = {1, 2, 3, 4};
        return ExpertStore.create(blocks, layouts(), new String[] {"l1", "l2", "l3", "l4"}, USED, budget, policy,
                new int[0], reader, 3);
    }

    /** The slot views hold the expert's three matrices byte for byte. */
    private static void verify(ExpertLayout layout, int expert, MemorySegment[] views, int run) {
        // matrix m of expert e starts where the layout's run for it starts; recover its file offset from run 0..2
        for (int m = 0; m < 3; m++) {
            long fileOffset = layout.runOffset(expert, m);
            assertEquals(BYTES[m], views[m].byteSize());
            for (long i = 0; i < views[m].byteSize(); i += 97) {
                if (views[m].get(JAVA_BYTE, i) != at(fileOffset + i)) {
                    throw new AssertionError("run " + run + ": expert " + expert + " matrix " + m + " byte " + i);
                }
            }
        }
    }

    @Test
    void oneSlotServesEveryExpertInTurn() {
        FakeReader reader = new FakeReader(n -> false);
        long slot = ExpertStore.slotBytes(layouts());
        try (ExpertStore s = store(slot, Policies.LAYERED, reader)) {
            ExpertStore.Cursor c = s.newCursor();
            int[] count = new int[EXPERTS];
            count[1] = 3;
            count[6] = 1;
            for (int round = 0; round < 3; round++) {
                for (int l = 0; l < LAYERS; l++) {
                    c.begin(l, count);
                    for (int e : new int[] {1, 6}) {
                        verify(layouts()[l], e, c.take(e), round);
                        c.done(e);
                    }
                    c.end();
                }
            }
            StoreStats st = s.stats();
            assertEquals(1, st.slots());
            assertEquals(slot, st.residentBytes());
            assertEquals(3 * LAYERS * 2, st.totalMisses(), "nothing can stay with one slot");
            assertEquals(0, st.totalHits());
            assertEquals(st.totalMisses() * 3, reader.reads.get(), "three runs per expert");
            assertEquals(st.totalMisses() * (3000 + 3000 + 2500), st.bytesRead());
        }
        assertTrue(reader.closed, "the store closes its reader");
    }

    @Test
    void aBudgetThatHoldsEverythingHitsAfterTheFirstPass() {
        FakeReader reader = new FakeReader(n -> false);
        long slot = ExpertStore.slotBytes(layouts());
        try (ExpertStore s = store(slot * (LAYERS * EXPERTS + USED), Policies.LRU, reader)) {
            ExpertStore.Cursor c = s.newCursor();
            int[] count = new int[EXPERTS];
            java.util.Arrays.fill(count, 1);
            for (int round = 0; round < 2; round++) {
                for (int l = 0; l < LAYERS; l++) {
                    c.begin(l, count);
                    for (int e = 0; e < EXPERTS; e++) {
                        verify(layouts()[l], e, c.take(e), round);
                        c.done(e);
                    }
                }
            }
            StoreStats st = s.stats();
            assertEquals(LAYERS * EXPERTS, st.totalMisses());
            assertEquals(LAYERS * EXPERTS, st.totalHits());
            assertEquals(0, st.evictions());
        }
    }

    @Test
    void rejectsABudgetBelowOneExpertAndOutOfOrderUse() {
        FakeReader reader = new FakeReader(n -> false);
        long slot = ExpertStore.slotBytes(layouts());
        assertThrows(IllegalArgumentException.class, () -> store(slot - 1, Policies.LRU, reader));
        assertTrue(reader.closed);
        try (ExpertStore s = store(4 * slot, Policies.LRU, new FakeReader(n -> false))) {
            ExpertStore.Cursor c = s.newCursor();
            int[] count = new int[EXPERTS];
            count[2] = 1;
            count[5] = 1;
            c.begin(0, count);
            assertThrows(IllegalStateException.class, () -> c.take(5), "2 comes first");
            c.take(2);
            assertThrows(IllegalStateException.class, () -> c.done(5));
            c.end(); // releases 2 and anything pinned ahead
            c.begin(1, count);
            c.end();
        }
    }

    /**
     * Four threads with their own cursors, random routing with a hot set, random prefetches, tiny budgets and 3% of
     * reads failing: every expert handed out holds its own bytes, failures surface as {@link Moe4jException} and are
     * retried by the next use, the budget holds throughout and nothing deadlocks.
     */
    @Test
    void concurrentUseUnderPressureWithFailures() throws InterruptedException {
        long slot = ExpertStore.slotBytes(layouts());
        for (String policy : List.of(Policies.LRU, Policies.TINY_LFU, Policies.LAYERED)) {
            for (int slots : new int[] {1, 3, 9}) {
                Random pick = new Random(slots);
                FakeReader reader = new FakeReader(n -> pick.nextInt(100) < 3);
                long budget = slots * slot + slot / 2;
                try (ExpertStore s = store(budget, policy, reader)) {
                    AtomicReference<Throwable> error = new AtomicReference<>();
                    AtomicInteger failures = new AtomicInteger();
                    AtomicLong uses = new AtomicLong();
                    List<Thread> threads = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        long seed = t * 7919L + slots;
                        threads.add(Thread.ofPlatform().start(() -> {
                            try {
                                work(s, new Random(seed), failures, uses, budget);
                            } catch (Throwable e) {
                                error.compareAndSet(null, e);
                            }
                        }));
                    }
                    for (Thread t : threads) {
                        t.join(60_000);
                        assertTrue(!t.isAlive(), policy + " " + slots + " slots: a thread is stuck (deadlock?)");
                    }
                    assertNull(error.get(), () -> policy + " " + slots + " slots: " + error.get());
                    StoreStats st = s.stats();
                    assertTrue(st.residentBytes() <= budget);
                    assertEquals(uses.get(), st.totalHits() + st.totalMisses() + st.totalPrefetchHits(),
                            "every use is a hit, a miss or a prefetch hit");
                    assertTrue(failures.get() > 0, "some injected failures surfaced");
                    assertTrue(st.failedReads() >= failures.get() / 4, "each failure came from a failed read");
                }
            }
        }
    }

    private static void work(ExpertStore s, Random rnd, AtomicInteger failures, AtomicLong uses, long budget) {
        ExpertStore.Cursor c = s.newCursor();
        int[] count = new int[EXPERTS];
        for (int token = 0; token < 150; token++) {
            for (int l = 0; l < LAYERS; l++) {
                java.util.Arrays.fill(count, 0);
                for (int j = 0; j < USED; j++) {
                    int e = rnd.nextInt(3) == 0 ? rnd.nextInt(EXPERTS) : rnd.nextInt(3); // experts 0..2 are hot
                    count[e]++;
                }
                c.begin(l, count);
                for (int e = 0; e < EXPERTS; e++) {
                    uses.addAndGet(count[e] > 0 ? 1 : 0); // begin counts each needed expert once
                }
                try {
                    if (l + 1 < LAYERS && rnd.nextBoolean()) {
                        c.prefetch(l + 1, new int[] {rnd.nextInt(EXPERTS), rnd.nextInt(3)}, 2);
                    }
                    for (int e = 0; e < EXPERTS; e++) {
                        if (count[e] == 0) {
                            continue;
                        }
                        MemorySegment[] v;
                        try {
                            v = c.take(e);
                        } catch (Moe4jException ex) {
                            assertTrue(ex.getMessage().contains("injected failure"), ex.getMessage());
                            failures.incrementAndGet();
                            break; // as a forward pass does: the layer fails, end() releases the rest
                        }
                        verify(layouts()[l], e, v, token);
                        c.done(e);
                        assertTrue(s.stats().residentBytes() <= budget, "over budget");
                    }
                } finally {
                    c.end();
                }
            }
        }
    }
}
