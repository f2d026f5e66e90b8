package dev.moe4j;

import org.jspecify.annotations.Nullable;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The model's limit on generations running at once ({@link Model.Builder#maxConcurrentGenerations}) with a bounded
 * queue in front of it ({@link Model.Builder#maxQueuedGenerations}): admission is first come, first served; a waiting
 * run still honours its cancellation and deadline. Thread-safe.
 */
final class GenerationGate {
    /** How often a queued run looks at its cancellation flag. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Semaphore running;
    private final int maxRunning;
    private final int maxQueued;
    private final AtomicInteger queued = new AtomicInteger();

    GenerationGate(int maxRunning, int maxQueued) {
        this.running = new Semaphore(maxRunning, true);
        this.maxRunning = maxRunning;
        this.maxQueued = maxQueued;
    }

    /**
     * Waits for a place to run.
     *
     * @param cancelled     polled while waiting
     * @param deadlineNanos {@link System#nanoTime()} to give up at, or {@link
     *                      dev.moe4j.internal.generate.GenerationSpec#NO_DEADLINE}
     * @return null when admitted (then call {@link #exit()} once done), else why it ended while queued
     * @throws ModelBusyException if the queue is full
     */
    @Nullable FinishReason enter(BooleanSupplier cancelled, long deadlineNanos) {
        try {
            if (running.tryAcquire(0, TimeUnit.NANOSECONDS)) { // unlike tryAcquire(), never ahead of queued runs
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // left set, as the generation loop leaves it
            return FinishReason.CANCELLED;
        }
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            throw new ModelBusyException("the model runs " + maxRunning + " generation(s) and " + maxQueued
                    + " more are waiting (Model.Builder.maxQueuedGenerations): try again later", maxRunning,
                    maxQueued);
        }
        try {
            while (true) {
                if (cancelled.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                    return FinishReason.CANCELLED;
                }
                long wait = POLL_NANOS;
                if (deadlineNanos != dev.moe4j.internal.generate.GenerationSpec.NO_DEADLINE) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        return FinishReason.TIMED_OUT;
                    }
                    wait = Math.min(wait, left);
                }
                try {
                    if (running.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
                        return null;
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // left set, as the generation loop leaves it
                    return FinishReason.CANCELLED;
                }
            }
        } finally {
            queued.decrementAndGet();
        }
    }

    void exit() {
        running.release();
    }

    /** Runs admitted now. */
    int running() {
        return maxRunning - running.availablePermits();
    }

    /** Runs waiting now. */
    int queued() {
        return queued.get();
    }
}
