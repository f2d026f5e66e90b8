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
    /** The request's {@link Cancellation} was triggered, the handle was cancelled, the stream was closed early, or the
     *  generating thread was interrupted. */
    CANCELLED
}
