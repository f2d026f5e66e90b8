package dev.moe4j.tooling;

/**
 * A model's bare forward pass: token ids in, logits out, no tokenizer and no sampling. {@link RawModel} loads one
 * from a GGUF file; tools that measure or wrap the forward pass (benchmarks, tests counting calls) take this
 * interface. Implementations are thread-safe for {@link #newSession}; each session is used by one thread at a time, and
 * sessions may run forward calls concurrently (sharing the model's worker threads).
 */
public interface ForwardModel extends AutoCloseable {
    /**
     * Size of a row of logits.
     *
     * @return the number of tokens in the vocabulary
     */
    int vocabSize();

    /**
     * The context the model was trained for, in tokens: the largest useful session capacity.
     *
     * @return the trained context length in tokens
     */
    int contextLength();

    /**
     * A new session (empty cache) that holds up to {@code capacity} tokens.
     *
     * @param capacity tokens the session's KV cache holds
     * @return the session, at position 0; the caller closes it
     * @throws IllegalArgumentException if {@code capacity} is not in {@code 1 .. contextLength()}
     */
    ForwardSession newSession(int capacity);

    /** Frees the model; its sessions must be closed first. */
    @Override
    void close();
}
