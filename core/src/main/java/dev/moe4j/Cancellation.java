package dev.moe4j;

/**
 * A flag another thread can raise to stop a generation. The generating thread checks it before every token (and
 * between prompt chunks), so a generation ends within one token of {@link #cancel()}, with
 * {@link FinishReason#CANCELLED} and whatever was generated so far. One token may be shared by several requests to
 * stop them together. Thread-safe; cannot be reset.
 */
public final class Cancellation {
    private volatile boolean cancelled;

    /** A token that is not cancelled yet. */
    public Cancellation() {
    }

    /** Asks every generation using this token to stop. Idempotent, never blocks. */
    public void cancel() {
        cancelled = true;
    }

    /**
     * Whether {@link #cancel()} was called.
     *
     * @return {@code true} once cancelled, for good
     */
    public boolean isCancelled() {
        return cancelled;
    }
}
