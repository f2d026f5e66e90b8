package dev.moe4j;

/**
 * One step of a streamed generation: a generated token and the text it completed.
 *
 * <p>{@code text} only ever holds complete UTF-8 characters: a token that ends inside a multi-byte character yields
 * {@code ""} and the character comes with a later token. Text that may still turn out to be part of a stop string or of
 * a {@code <think>}/{@code </think>} tag (for gpt-oss, a harmony marker such as {@code <|end|>}) is held back and arrives with a later event, so concatenating the {@code text}
 * of every event of a channel gives exactly {@link GenerationResult#text()} (answer) or
 * {@link GenerationResult#reasoning()} (reasoning).
 *
 * <p>Usually there is exactly one event per generated token. Two exceptions: a token whose text crosses from reasoning
 * into the answer gives two events (same {@code index} and {@code tokenId}, reasoning first); and text still held back
 * when generation ends (an unfinished stop-string prefix, an incomplete character) comes in a last event with
 * {@code tokenId = -1} and {@code index} = the number of generated tokens.
 *
 * @param index   0-based position of the token among the generated tokens
 * @param tokenId the token id, or -1 for the final event that only releases held-back text
 * @param text    the text this event adds to its channel (may be empty)
 * @param channel whether the text belongs to the reasoning or to the answer
 */
public record TokenEvent(int index, int tokenId, String text, Channel channel) {

    /** Where a piece of generated text belongs. */
    public enum Channel {
        /** Inside {@code <think>…</think>} (gpt-oss: the analysis channel): the model's reasoning, returned apart. */
        REASONING,
        /** The answer (everything that is not reasoning). */
        ANSWER
    }

    /**
     * Checks the components.
     *
     * @throws NullPointerException if {@code text} or {@code channel} is null
     */
    public TokenEvent {
        if (text == null || channel == null) {
            throw new NullPointerException("text and channel must not be null");
        }
    }

    /**
     * Whether the text belongs to the reasoning.
     *
     * @return {@code channel() == Channel.REASONING}
     */
    public boolean isReasoning() {
        return channel == Channel.REASONING;
    }
}
