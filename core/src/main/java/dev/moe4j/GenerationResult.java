package dev.moe4j;

import java.util.Arrays;
import java.util.Objects;

/**
 * The outcome of a generation: the answer text, the reasoning apart from it, the token ids and statistics. Immutable.
 */
public final class GenerationResult {
    private final String text;
    private final String reasoning;
    private final int[] tokens;
    private final int[] promptTokens;
    private final FinishReason finishReason;
    private final GenerationStats stats;

    public GenerationResult(String text, String reasoning, int[] tokens, int[] promptTokens, FinishReason finishReason,
                            GenerationStats stats) {
        this.text = Objects.requireNonNull(text, "text");
        this.reasoning = Objects.requireNonNull(reasoning, "reasoning");
        this.tokens = tokens.clone();
        this.promptTokens = promptTokens.clone();
        this.finishReason = Objects.requireNonNull(finishReason, "finishReason");
        this.stats = Objects.requireNonNull(stats, "stats");
    }

    /** The generated answer: reasoning removed, cut before a stop string. */
    public String text() {
        return text;
    }

    /**
     * The model's reasoning: the text inside {@code <think>…</think>}, whitespace-trimmed, or for gpt-oss the analysis
     * channel as written; empty when the model did not reason.
     */
    public String reasoning() {
        return reasoning;
    }

    /** The generated token ids (the EOS token that ended generation is not included). A copy. */
    public int[] tokens() {
        return tokens.clone();
    }

    /** The prompt's token ids as the model saw them (BOS included when added). A copy. */
    public int[] promptTokens() {
        return promptTokens.clone();
    }

    public FinishReason finishReason() {
        return finishReason;
    }

    public GenerationStats stats() {
        return stats;
    }

    @Override
    public String toString() {
        return "GenerationResult[finishReason=" + finishReason + ", tokens=" + tokens.length + ", reasoning="
                + reasoning.length() + " chars, text=" + text + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationResult r && text.equals(r.text) && reasoning.equals(r.reasoning)
                && Arrays.equals(tokens, r.tokens) && Arrays.equals(promptTokens, r.promptTokens)
                && finishReason == r.finishReason && stats.equals(r.stats);
    }

    @Override
    public int hashCode() {
        return Objects.hash(text, reasoning, Arrays.hashCode(tokens), Arrays.hashCode(promptTokens), finishReason);
    }
}
