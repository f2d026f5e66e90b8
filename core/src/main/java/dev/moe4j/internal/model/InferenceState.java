package dev.moe4j.internal.model;

/**
 * One session's mutable part of inference: the KV cache and the scratch activations of the forward pass. Created by
 * {@link LanguageModel#newState}; usable only with that model. Everything is allocated up front, so a forward pass
 * allocates nothing per token. The kernels and their worker threads are not the state's but the model's, lent to each
 * forward call.
 *
 * <p>Not thread-safe: one thread at a time. {@link #close()} frees the native memory.
 */
public interface InferenceState extends AutoCloseable {

    /** Tokens in the cache = position the next token will take. */
    int position();

    /** Capacity of the KV cache in tokens. */
    int contextLength();

    /**
     * Forgets every token at or after {@code position} (to resume a conversation from a shared prefix, or to drop
     * rejected draft tokens); later forwards overwrite those cache rows. A model whose cache keeps only a recent window
     * of raw keys (DeepSeek-V4) cannot go back further than that window reaches and then forgets everything:
     * {@link #position()} afterwards says where the state resumes (at most {@code position}).
     *
     * @throws IllegalArgumentException unless {@code 0 <= position <= position()}
     */
    void truncate(int position);

    /** Sets (or with null removes) the observer that sees named intermediate tensors of later forward passes. */
    void setObserver(ForwardObserver observer);

    /** Native bytes this state holds (KV cache plus scratch). */
    long allocatedBytes();

    @Override
    void close();
}
