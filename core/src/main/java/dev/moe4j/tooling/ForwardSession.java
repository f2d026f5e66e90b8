package dev.moe4j.tooling;

/**
 * One sequence's state in a {@link ForwardModel}: its KV cache for up to {@link #capacity()} tokens. The worker threads
 * are the model's, lent to each forward call. Not thread-safe: one call at a time.
 */
public interface ForwardSession extends AutoCloseable {
    /** Tokens the cache holds at most. */
    int capacity();

    /** Tokens in the cache: the position the next token takes. */
    int position();

    /**
     * Forgets every token from {@code position} on, so the next forward continues there.
     *
     * @throws IllegalArgumentException if {@code position} is negative or beyond {@link #position()}
     */
    void truncate(int position);

    /**
     * Feeds {@code tokens[offset, offset + count)} at the current position and writes the logits of the last one to
     * {@code logitsOut} (of {@link ForwardModel#vocabSize()} floats), or none if {@code logitsOut} is null.
     *
     * @throws dev.moe4j.ContextLengthExceededException if the tokens do not fit in the cache
     */
    void forward(int[] tokens, int offset, int count, float[] logitsOut);

    /** Frees the cache. */
    @Override
    void close();
}
