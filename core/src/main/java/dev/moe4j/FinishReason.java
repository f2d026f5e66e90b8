package dev.moe4j;

/**
 * Why a generation ended. The names follow what LangChain4j, Spring AI and the OpenAI protocol mean by them:
 * {@link #STOP} is the model ending on its own, a matched stop string is {@link #STOP_SEQUENCE}.
 */
public enum FinishReason {
    /** The model produced its end-of-sequence or end-of-turn token (not included in the output). */
    STOP,
    /** The requested maximum number of tokens was generated, or the context is full. */
    LENGTH,
    /** A stop string of the request was generated (neither it nor anything after it is in the output). */
    STOP_SEQUENCE,
    /**
     * The request's {@link Cancellation} was triggered, its future was cancelled or completed early (for example by
     * {@link java.util.concurrent.CompletableFuture#orTimeout}), its stream was closed or its subscription cancelled
     * early, or the generating thread was interrupted.
     */
    CANCELLED,
    /** The request's deadline ({@link GenerationRequest#timeout}, {@link GenerationRequest#deadline}) passed. */
    TIMED_OUT
}
