package dev.moe4j;

import java.util.concurrent.CompletableFuture;

/**
 * The future of a submitted generation: completing it early by any means ({@link #cancel}, {@link #orTimeout},
 * {@link #completeExceptionally}, {@link #complete}) stops the generation within one token and frees its state.
 * Futures derived from it ({@code thenApply}, ...) are plain {@link CompletableFuture}s: cancelling those does not
 * reach back.
 */
final class GenerationFuture extends CompletableFuture<GenerationResult> {
    private volatile boolean stopRequested;

    GenerationFuture() {
        // Runs when this future completes by any means; after a normal end the flag is no longer read.
        whenComplete((r, e) -> stopRequested = true);
    }

    boolean stopRequested() {
        return stopRequested || isDone();
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
