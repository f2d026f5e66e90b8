package dev.moe4j.internal.offload;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The expert reads of an {@link ExpertStore}: I/O threads that read an expert's runs from the model file into its
 * slot, demand reads before prefetches, then first come first served. A prefetch not started yet can be promoted to a
 * demand read. Every read started ends in exactly one call of the {@link Completion}: on the I/O thread that read it,
 * or on the caller of {@link #start} if the queue is closed.
 *
 * <p>{@link #start}, {@link #promote} and {@link #finished} are called under the store's lock (they share the record
 * of queued prefetches); the reads themselves run outside it.
 */
final class ReadQueue {
    private static final AtomicInteger QUEUES = new AtomicInteger();

    /** Where the outcome of a read goes. */
    @FunctionalInterface
    interface Completion {
        /**
         * @param error what the read threw, or null when the expert's bytes are in its slot
         * @param nanos time the read took
         */
        void finished(int key, Throwable error, long nanos);
    }

    private final ExpertSpace space;
    private final ExpertLayout[] layouts;
    private final ExpertReader reader;
    private final Completion completion;
    private final ThreadPoolExecutor io;
    private final AtomicLong sequence = new AtomicLong();
    private final Read[] queued; // per key, a prefetch not started yet (a demand may promote it); store's lock

    /**
     * @param layouts where each MoE layer's experts are in the file, in the order of {@code space}'s layers
     * @param reader  owned by the queue from now on (closed by {@link #close()})
     * @param threads I/O threads
     */
    ReadQueue(ExpertSpace space, ExpertLayout[] layouts, ExpertReader reader, int threads, Completion completion) {
        this.space = space;
        this.layouts = layouts;
        this.reader = reader;
        this.completion = completion;
        this.queued = new Read[space.size()];
        int id = QUEUES.incrementAndGet();
        AtomicInteger count = new AtomicInteger();
        this.io = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS, new PriorityBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "moe4j-expert-io-" + id + "-" + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
    }

    /** Queues the read of expert {@code key} into {@code slot} (store's lock held). */
    void start(int key, MemorySegment slot, boolean prefetch) {
        Read read = new Read(key, slot, new AtomicBoolean(), prefetch, sequence.incrementAndGet());
        queued[key] = prefetch ? read : null;
        submit(read);
    }

    /**
     * A demand for an expert whose prefetch read is still queued: queues the same read again at demand priority;
     * whichever copy an I/O thread takes first does it, the other does nothing (store's lock held).
     */
    void promote(int key) {
        Read r = queued[key];
        queued[key] = null;
        if (r != null && !r.started.get()) {
            submit(new Read(key, r.slot, r.started, false, sequence.incrementAndGet()));
        }
    }

    /** Forgets the queued prefetch of {@code key}, whose read has ended (store's lock held). */
    void finished(int key) {
        queued[key] = null;
    }

    private void submit(Read read) {
        try {
            io.execute(read);
        } catch (RejectedExecutionException e) {
            if (read.started.compareAndSet(false, true)) {
                completion.finished(read.key, new IllegalStateException("the expert store is closed", e), 0);
            }
        }
    }

    /** On an I/O thread: reads every run of the expert into its slot, then reports. */
    private void read(int key, MemorySegment slot) {
        int e = space.expert(key);
        ExpertLayout layout = layouts[space.layer(key)];
        long start = System.nanoTime();
        Throwable error = null;
        try {
            for (int r = 0; r < layout.runs(); r++) {
                reader.read(layout.runShard(e, r), layout.runOffset(e, r),
                        slot.asSlice(layout.runSlotOffset(r), layout.runBytes(r)));
            }
        } catch (Exception | Error t) { // reported to the thread that needs the expert
            error = t;
        }
        completion.finished(key, error, System.nanoTime() - start);
    }

    /**
     * Refuses new reads, waits (up to 10 minutes) for those queued or in flight and closes the reader.
     *
     * @return whether every read has ended (only then may the slots be freed)
     */
    boolean close() {
        io.shutdown();
        boolean done = false;
        try {
            done = io.awaitTermination(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reader.close();
        return done;
    }

    /** One expert read, ordered for the I/O threads: demand before prefetch, then by arrival. */
    private final class Read implements Runnable, Comparable<Read> {
        final int key;
        final MemorySegment slot;
        final AtomicBoolean started; // shared by a prefetch and its promoted copy: one of them reads
        final boolean prefetch;
        final long sequence;

        Read(int key, MemorySegment slot, AtomicBoolean started, boolean prefetch, long sequence) {
            this.key = key;
            this.slot = slot;
            this.started = started;
            this.prefetch = prefetch;
            this.sequence = sequence;
        }

        @Override
        public int compareTo(Read o) {
            return prefetch != o.prefetch ? Boolean.compare(prefetch, o.prefetch) : Long.compare(sequence, o.sequence);
        }

        @Override
        public void run() {
            if (started.compareAndSet(false, true)) {
                read(key, slot);
            }
        }
    }
}
