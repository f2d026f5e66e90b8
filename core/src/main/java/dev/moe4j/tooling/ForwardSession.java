package dev.moe4j.tooling;

import org.jspecify.annotations.Nullable;

/**
 * One sequence's state in a {@link ForwardModel}: its KV cache for up to {@link #capacity()} tokens. The worker threads
 * are the model's, lent to each forward call. Not thread-safe: one call at a time.
 */
public interface ForwardSession extends AutoCloseable {
    /**
     * Tokens the cache holds at most.
     *
     * @return the capacity the session was created with
     */
    int capacity();

    /**
     * Tokens in the cache: the position the next token takes.
     *
     * @return the number of tokens fed so far (less those truncated)
     */
    int position();

    /**
     * Forgets every token from {@code position} on, so the next forward continues there. A model whose cache keeps
     * only a recent window of raw keys (DeepSeek-V4) cannot go back further than that window reaches and then forgets
     * everything: {@link #position()} afterwards says where the next forward continues.
     *
     * @param position the tokens to keep, {@code 0 .. position()}
     * @throws IllegalArgumentException if {@code position} is negative or beyond {@link #position()}
     */
    void truncate(int position);

    /**
     * Feeds {@code tokens[offset, offset + count)} at the current position and writes the logits of the last one to
     * {@code logitsOut} (of {@link ForwardModel#vocabSize()} floats), or none if {@code logitsOut} is null.
     *
     * @param tokens    token ids
     * @param offset    the index in {@code tokens} of the first token to feed
     * @param count     the number of tokens to feed
     * @param logitsOut receives the logits of the last token fed, or null when they are not needed (e.g. while
     *                  feeding a prompt's first part)
     * @throws dev.moe4j.ContextLengthExceededException if the tokens do not fit in the cache
     */
    void forward(int[] tokens, int offset, int count, float @Nullable [] logitsOut);

    /** Frees the cache. */
    @Override
    void close();
}
