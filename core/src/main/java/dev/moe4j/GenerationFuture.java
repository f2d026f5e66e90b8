package dev.moe4j;

import java.util.concurrent.CompletableFuture;

/**
 * The future of a submitted generation: completing it early by any means ({@link #cancel}, {@link #orTimeout},
 * {@link #completeExceptionally}, {@link #complete}) stops the generation within one token and frees its state.
 * Futures derived from it ({@code thenApply}, ...) are plain {@link CompletableFuture}s: cancelling those does not
 * reach back.
 */
final class GenerationFuture extends CompletableFuture<GenerationResult> {
    /** Polled by the run: the run completes this future only at its end, so done before that means stop. */
    boolean stopRequested() {
        return isDone();
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }
}
