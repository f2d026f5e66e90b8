package dev.moe4j.internal.model;

import dev.moe4j.ContextLengthExceededException;

import java.util.Objects;

/** The checks every architecture's {@code forward} makes before it touches its state, so a bad call changes nothing. */
final class ForwardArgs {
    private ForwardArgs() {}

    /**
     * @param rows how many rows of logits the call writes into {@code logitsOut} (1 = the last token's only)
     * @throws IllegalArgumentException         on a bad token id, an empty batch or a short {@code logitsOut}
     * @throws ContextLengthExceededException    if the tokens do not fit after {@code state}'s position
     */
    static void check(ModelConfig config, InferenceState state, int[] tokens, int offset, int count, float[] logitsOut,
                      int rows) {
        Objects.requireNonNull(tokens, "tokens");
        Objects.checkFromIndexSize(offset, count, tokens.length);
        if (count < 1) {
            throw new IllegalArgumentException("forward needs at least one token");
        }
        int vocab = config.vocabSize();
        if (logitsOut != null && logitsOut.length < (long) rows * vocab) {
            throw new IllegalArgumentException("logitsOut holds " + logitsOut.length + " floats, need " + (long) rows * vocab);
        }
        for (int i = offset; i < offset + count; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[i] + " at index " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if ((long) state.position() + count > state.contextLength()) {
            throw dev.moe4j.internal.ApiValues.get().contextLengthExceeded(state.position(), count, state.contextLength());
        }
    }
}
