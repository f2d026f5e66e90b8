package dev.moe4j.internal.model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * A model's kernel sets ("worker groups"), shared by all its states: a forward step leases one for its duration.
 *
 * <p>Why a pool: a native kernel set owns a pool of worker threads, and a set per state made n concurrent generations
 * run n × threads threads on the same cores, each slowing the others down. With at most {@code capacity} sets, at
 * most that many steps compute at once; the others wait for a set, first come first served (a fair semaphore), so no
 * generation starves behind a busy one. A kernel set is not thread-safe, and the lease makes its use exclusive.
 *
 * <p>Sets are made when a lease finds none free and fewer than {@code capacity} exist (a model driven by one thread
 * never makes a second), and kept until {@link #close}. The free list is LIFO, so at low load the same set, whose
 * workers are awake, serves every step.
 *
 * <p>Thread-safe.
 */
final class KernelPool implements AutoCloseable {
    private final Supplier<ModelKernels> factory;
    private final Semaphore permits;
    private final ArrayDeque<ModelKernels> free = new ArrayDeque<>(); // guarded by this
    private final List<ModelKernels> made = new ArrayList<>();      // guarded by this: every set, free or leased
    private boolean closed;                                          // guarded by this

    /** @param factory makes one kernel set (owned by the pool from then on); called at most {@code capacity} times */
    KernelPool(int capacity, Supplier<ModelKernels> factory) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.factory = factory;
        this.permits = new Semaphore(capacity, true);
    }

    /**
     * Leases a kernel set, waiting while all are leased. The wait ignores interrupts, leaving the thread's interrupt
     * flag set for the caller's next check (a generation checks it between steps): a wait lasts only as long as the
     * steps ahead of it in line, and an interrupt that threw here would turn a cancellation into a failure. Every
     * lease must be given back with {@link #release}.
     *
     * @throws IllegalStateException if the pool is closed
     */
    ModelKernels acquire() {
        permits.acquireUninterruptibly();
        ModelKernels k;
        synchronized (this) {
            if (closed) {
                permits.release();
                throw new IllegalStateException("model is closed");
            }
            k = free.pollFirst();
        }
        if (k != null) {
            return k;
        }
        // a permit without a free set: fewer than capacity sets exist (each permit holder holds at most one)
        try {
            k = factory.get();
        } catch (RuntimeException | Error e) {
            permits.release();
            throw e;
        }
        boolean late;
        synchronized (this) {
            late = closed;
            if (!late) {
                made.add(k);
            }
        }
        if (late) {
            k.close();
            permits.release();
            throw new IllegalStateException("model is closed");
        }
        return k;
    }

    /** Gives back a set leased by {@link #acquire}; after {@link #close}, closes it instead. */
    void release(ModelKernels k) {
        boolean close;
        synchronized (this) {
            close = closed;
            if (!close) {
                free.addFirst(k);
            }
        }
        if (close) {
            k.close();
        }
        permits.release();
    }

    /** Kernel sets made so far (never more than the capacity). */
    synchronized int created() {
        return made.size();
    }

    /** The kernel sets made so far, free or leased (for tests and diagnostics: only read their counters). */
    synchronized List<ModelKernels> sets() {
        return List.copyOf(made);
    }

    /**
     * Refuses new leases and closes the free sets now; a set still leased is closed when given back. The owner closes
     * the pool after the states that used it, so normally every set is free.
     */
    @Override
    public void close() {
        List<ModelKernels> idle;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            idle = new ArrayList<>(free);
            free.clear();
        }
        RuntimeException first = null;
        for (ModelKernels k : idle) {
            try {
                k.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
