package dev.moe4j;

/** Why a generation ended. */
public enum FinishReason {
    /** The model produced its end-of-sequence or end-of-turn token (not included in the output). */
    EOS,
    /** The requested maximum number of tokens was generated, or the context is full. */
    LENGTH,
    /** A stop string was generated (neither it nor anything after it is in the output). */
    STOP,
    /** The request's {@link Cancellation} was triggered, the handle was cancelled, the stream was closed early, or the
     *  generating thread was interrupted. */
    CANCELLED
}
