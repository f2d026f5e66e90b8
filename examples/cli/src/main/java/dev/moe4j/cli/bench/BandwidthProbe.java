package dev.moe4j.cli.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the machine's memory read bandwidth from Java: {@code threads} platform threads each sum their share of an
 * off-heap buffer far larger than the caches (8-byte loads, four independent accumulators so the loop is bound by
 * memory, not by the adds), released together by a barrier; the best of several passes counts. On the 2-core
 * development machine it reads 10-20 % slower than the same loop compiled from C with {@code gcc -O3 -march=native}
 * (docs/PERFORMANCE.md), so it is a slightly low estimate of what the hardware gives native kernels.
 */
public final class BandwidthProbe {
    private BandwidthProbe() {}

    /**
     * @param bytes  buffer size (at least 16 MiB; use a few hundred MiB to defeat the last-level cache)
     * @param passes timed passes over the buffer (after one untimed warm-up pass)
     * @return bytes read per second in the fastest pass
     */
    public static double readBytesPerSecond(long bytes, int threads, int passes) {
        if (bytes < (16L << 20) || threads < 1 || passes < 1) {
            throw new IllegalArgumentException("probe needs >= 16 MiB, >= 1 thread, >= 1 pass");
        }
        long perThread = bytes / threads / 64 * 64;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(perThread * threads, 64);
            for (long i = 0; i < buf.byteSize(); i += 8) {
                buf.set(ValueLayout.JAVA_LONG, i, i); // touch every page, and make the sum depend on the data
            }
            AtomicLong sink = new AtomicLong(); // the sums go somewhere, so the loads cannot be dropped
            double best = 0;
            for (int pass = 0; pass <= passes; pass++) {
                long ns = timedPass(buf, threads, perThread, sink);
                if (pass > 0) {
                    best = Math.max(best, (double) perThread * threads / ns * 1e9);
                }
            }
            return best;
        }
    }

    /**
     * One pass; the time runs from the first worker's start to the last one's end, both taken by the workers (the
     * caller may not even be on a core while they run: timing it from there would overstate the bandwidth).
     */
    private static long timedPass(MemorySegment buf, int threads, long perThread, AtomicLong sink) {
        CyclicBarrier start = new CyclicBarrier(threads);
        long[] begin = new long[threads];
        long[] finish = new long[threads];
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            MemorySegment part = buf.asSlice(t * perThread, perThread);
            int me = t;
            ts[t] = Thread.ofPlatform().start(() -> {
                await(start);
                begin[me] = System.nanoTime();
                sink.addAndGet(sum(part));
                finish[me] = System.nanoTime();
            });
        }
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (int t = 0; t < threads; t++) {
            first = Math.min(first, begin[t]);
            last = Math.max(last, finish[t]);
        }
        return last - first;
    }

    static long sum(MemorySegment s) {
        long a = 0;
        long b = 0;
        long c = 0;
        long d = 0;
        long n = s.byteSize();
        for (long i = 0; i < n; i += 32) {
            a += s.get(ValueLayout.JAVA_LONG, i);
            b += s.get(ValueLayout.JAVA_LONG, i + 8);
            c += s.get(ValueLayout.JAVA_LONG, i + 16);
            d += s.get(ValueLayout.JAVA_LONG, i + 24);
        }
        return a + b + c + d;
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException("bandwidth probe thread failed", e);
        }
    }
}
