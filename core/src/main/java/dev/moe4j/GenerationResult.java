package dev.moe4j;

import dev.moe4j.internal.generate.GenerationLoop;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * The outcome of a generation, the same shape for plain prompts, chat and infill: the answer text, the reasoning apart
 * from it, the token ids, why it ended and statistics. Immutable; made only by the library.
 */
public final class GenerationResult {
    private final String text;
    private final String reasoning;
    private final int[] tokens;
    private final int[] promptTokens;
    private final FinishReason finishReason;
    private final GenerationStats stats;

    GenerationResult(String text, String reasoning, int[] tokens, int[] promptTokens, FinishReason finishReason,
                     GenerationStats stats) {
        this.text = Objects.requireNonNull(text, "text");
        this.reasoning = Objects.requireNonNull(reasoning, "reasoning");
        this.tokens = tokens.clone();
        this.promptTokens = promptTokens.clone();
        this.finishReason = Objects.requireNonNull(finishReason, "finishReason");
        this.stats = Objects.requireNonNull(stats, "stats");
    }

    /**
     * The generated answer: reasoning removed, cut before a stop string.
     *
     * @return the answer text; empty when nothing was generated
     */
    public String text() {
        return text;
    }

    /**
     * The model's reasoning: the text inside {@code <think>…</think>}, whitespace-trimmed, or for gpt-oss the analysis
     * channel as written; empty when the model did not reason.
     *
     * @return the reasoning text, or an empty string
     */
    public String reasoning() {
        return reasoning;
    }

    static GenerationResult of(GenerationLoop.Outcome o) {
        return new GenerationResult(o.text(), o.reasoning(), o.tokenIds(), o.promptTokenIds(), o.finishReason(),
                o.stats());
    }

    /** A generation that ended before it started (cancelled or timed out while queued): no tokens, zero times. */
    static GenerationResult notStarted(int[] promptTokens, FinishReason reason) {
        return new GenerationResult("", "", new int[0], promptTokens, reason,
                new GenerationStats(promptTokens.length, 0, 0, 0, Duration.ZERO, Duration.ZERO, Duration.ZERO));
    }

    /**
     * The generated token ids (the EOS token that ended generation is not included). A copy.
     *
     * @return a new array of the generated token ids, in order
     */
    public int[] tokenIds() {
        return tokens.clone();
    }

    /**
     * The prompt's token ids as the model saw them (BOS included when added). A copy.
     *
     * @return a new array of the prompt's token ids, in order
     */
    public int[] promptTokenIds() {
        return promptTokens.clone();
    }

    /**
     * This result as the assistant's turn of a conversation (answer and reasoning), to append to the message list of
     * the next {@link Model#chat(java.util.List)}.
     *
     * @return an assistant message with {@link #text()} and {@link #reasoning()}
     */
    public ChatMessage toMessage() {
        return ChatMessage.assistant(text, reasoning);
    }

    /**
     * Why the generation ended.
     *
     * @return the finish reason
     */
    public FinishReason finishReason() {
        return finishReason;
    }

    /**
     * Counts and timings.
     *
     * @return the generation's statistics
     */
    public GenerationStats stats() {
        return stats;
    }

    @Override
    public String toString() {
        return "GenerationResult[finishReason=" + finishReason + ", tokens=" + tokens.length + ", reasoning="
                + reasoning.length() + " chars, text=" + text + "]";
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof GenerationResult r && text.equals(r.text) && reasoning.equals(r.reasoning)
                && Arrays.equals(tokens, r.tokens) && Arrays.equals(promptTokens, r.promptTokens)
                && finishReason == r.finishReason && stats.equals(r.stats);
    }

    @Override
    public int hashCode() {
        return Objects.hash(text, reasoning, Arrays.hashCode(tokens), Arrays.hashCode(promptTokens), finishReason);
    }
}
