package dev.moe4j;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A generation running on its own background thread (from {@link GenerationRequest#start()}). Thread-safe.
 */
public final class GenerationHandle {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final CompletableFuture<GenerationResult> future = new CompletableFuture<>();
    private volatile boolean cancelRequested;

    GenerationHandle() {}

    void launch(Supplier<GenerationResult> work) {
        Thread t = new Thread(() -> {
            try {
                future.complete(work.get());
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        }, "moe4j-generation-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        t.start();
    }

    /**
     * Asks the generation to stop; it ends within one token with {@link FinishReason#CANCELLED} and the text so far.
     * Returns at once; idempotent.
     */
    public void cancel() {
        cancelRequested = true;
    }

    boolean isCancelRequested() {
        return cancelRequested;
    }

    public boolean isDone() {
        return future.isDone();
    }

    /**
     * Waits for the result.
     *
     * @throws Moe4jException or another unchecked exception: what the generation failed with (rethrown as is)
     * @throws CancellationException if the waiting thread is interrupted (the generation itself goes on; cancel it)
     */
    public GenerationResult join() {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the generation");
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    /**
     * Waits at most {@code timeout} for the result.
     *
     * @throws TimeoutException if it is not done by then (the generation goes on)
     */
    public GenerationResult join(long timeout, TimeUnit unit) throws TimeoutException {
        try {
            return future.get(timeout, unit);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while waiting for the generation");
        } catch (ExecutionException e) {
            throw rethrow(e.getCause());
        }
    }

    /** The result as a future, for composing; completes exceptionally when the generation fails. */
    public CompletableFuture<GenerationResult> future() {
        return future.copy();
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new CompletionException(cause);
    }
}
