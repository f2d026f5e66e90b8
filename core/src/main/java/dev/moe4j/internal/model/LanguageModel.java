package dev.moe4j.internal.model;

/**
 * A loaded causal language model: immutable weights (views of the mapped GGUF file plus a few tensors derived at load)
 * and a forward pass that appends tokens to an {@link InferenceState} and produces next-token logits.
 *
 * <p>Threading: the model may be shared; each {@link InferenceState} (KV cache, scratch) is driven by one thread at a
 * time. Several states may run {@code forward} concurrently: each call borrows one of the model's kernel sets (worker
 * thread pools) for its duration and waits its turn, first come first served, while all are busy. Concurrent calls
 * compute what the same calls one after the other would, bit for bit.
 *
 * <p>Lifetime: the weights point into the {@link dev.moe4j.internal.gguf.GgufFile} the model was loaded from, which must
 * stay open until the model is closed; {@link #close()} frees what the model allocated, not the file.
 */
public interface LanguageModel extends AutoCloseable {

    /** What the file says about the model (sizes, special tokens, trained context). */
    ModelConfig config();

    /**
     * A fresh session positioned at 0 whose KV cache holds {@code contextLength} tokens.
     *
     * @throws IllegalArgumentException if {@code contextLength} is not in {@code 1 .. config().contextLength()}
     */
    InferenceState newState(int contextLength);

    /**
     * Appends {@code tokens[offset .. offset+count)} at the state's position (prefill when {@code count > 1}) and writes
     * the logits that follow the LAST of them into {@code logitsOut[0 .. vocabSize)}. {@code logitsOut} may be null when
     * no logits are needed (a prompt prefix), which skips the output projection.
     *
     * @throws dev.moe4j.ContextLengthExceededException if the tokens do not fit in the state (nothing is changed)
     * @throws IllegalArgumentException                 on a token id outside the vocabulary, a state of another
     *                                                  model, or a range/array size that does not fit (nothing is changed)
     */
    void forward(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut);

    /**
     * Like {@link #forward}, but writes the logits after EVERY token: row {@code i} (token {@code offset+i}) goes to
     * {@code logitsOut[i·vocabSize .. (i+1)·vocabSize)}; {@code logitsOut} needs {@code count · vocabSize} floats.
     */
    void forwardAllLogits(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut);

    /**
     * One sequence's part of {@link #forwardBatch}: like the arguments of {@link #forward} ({@code allLogits} false)
     * or {@link #forwardAllLogits} ({@code allLogits} true).
     */
    record SequenceStep(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut,
                        boolean allLogits) {}

    /**
     * Runs several sequences (distinct states of this model) in one pass: each weight is read once for the rows of
     * all of them, each sequence attends over its own cache. Per sequence the computation of the separate calls (the
     * logits agree to float rounding: products may block rows differently in a batch of another size).
     *
     * @throws IllegalArgumentException if a state appears twice or a step is invalid as {@link #forward} defines;
     *                                  nothing is changed then
     * @throws dev.moe4j.ContextLengthExceededException if a sequence's tokens do not fit in its state
     */
    void forwardBatch(java.util.List<SequenceStep> steps);

    /**
     * Frees memory the model allocated at load (derived tensors) and its kernel sets (worker threads); the GGUF file
     * stays open. Close the states first. Idempotent.
     */
    @Override
    void close();
}
