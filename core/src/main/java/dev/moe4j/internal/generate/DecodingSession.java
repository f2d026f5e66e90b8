package dev.moe4j.internal.generate;

/**
 * What the generation loop needs from a model: one sequence's inference state and the forward pass over it. The
 * production implementation wraps a loaded model and its KV cache; tests use small synthetic ones.
 *
 * <p>Not thread-safe: one generation drives a session at a time.
 */
public interface DecodingSession extends AutoCloseable {

    /** Logits per position: the model's vocabulary size. */
    int vocabSize();

    /** The most tokens the state can hold (the context length). */
    int capacity();

    /** Tokens currently in the state. */
    int position();

    /**
     * Forgets every token from {@code position} on, so the next forward continues there; where the model's cache cannot
     * go back that far (DeepSeek-V4's windowed cache) it forgets more: read {@link #position()} afterwards.
     */
    void truncate(int position);

    /**
     * Appends {@code tokens[offset, offset + count)} to the state and writes the logits of the last of them into
     * {@code logitsOut[0, vocabSize)}; with {@code logitsOut == null} (a prompt chunk that is not the last) the logits
     * are not computed. Blocks until done.
     */
    void forward(int[] tokens, int offset, int count, float[] logitsOut);

    @Override
    void close();
}
