package dev.moe4j;

import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.Objects;

/**
 * Counts and timings of one generation. Immutable; made only by the library, so fields can be added without breaking
 * callers.
 */
public final class GenerationStats {
    private final int promptTokens;
    private final int promptTokensReused;
    private final int promptTokensEvaluated;
    private final int generatedTokens;
    private final Duration prefillTime;
    private final Duration decodeTime;
    private final Duration totalTime;

    GenerationStats(int promptTokens, int promptTokensReused, int promptTokensEvaluated, int generatedTokens,
                    Duration prefillTime, Duration decodeTime, Duration totalTime) {
        this.promptTokens = promptTokens;
        this.promptTokensReused = promptTokensReused;
        this.promptTokensEvaluated = promptTokensEvaluated;
        this.generatedTokens = generatedTokens;
        this.prefillTime = Objects.requireNonNull(prefillTime, "prefillTime");
        this.decodeTime = Objects.requireNonNull(decodeTime, "decodeTime");
        this.totalTime = Objects.requireNonNull(totalTime, "totalTime");
    }

    /**
     * Tokens in the prompt (BOS included when added).
     *
     * @return the count
     */
    public int promptTokens() {
        return promptTokens;
    }

    /**
     * Prompt tokens already in the inference state (from the model's prompt cache or an earlier turn of a chat
     * session), so not computed again; at most prompt − 1, since the last prompt token is always run again for its
     * logits.
     *
     * @return the count
     */
    public int promptTokensReused() {
        return promptTokensReused;
    }

    /**
     * Prompt tokens run through the model in the prefill: prompt − reused.
     *
     * @return the count
     */
    public int promptTokensEvaluated() {
        return promptTokensEvaluated;
    }

    /**
     * Tokens sampled, including the one that completed a stop string, excluding the EOS token.
     *
     * @return the count
     */
    public int generatedTokens() {
        return generatedTokens;
    }

    /**
     * Wall time of the prefill (the prompt's forward passes).
     *
     * @return the duration
     */
    public Duration prefillTime() {
        return prefillTime;
    }

    /**
     * Wall time from the end of the prefill to the end of generation (forward passes of the generated tokens,
     * sampling and detokenizing).
     *
     * @return the duration
     */
    public Duration decodeTime() {
        return decodeTime;
    }

    /**
     * Wall time of the whole generation, tokenizing the prompt and waiting in the model's queue excluded.
     *
     * @return the duration
     */
    public Duration totalTime() {
        return totalTime;
    }

    /**
     * Prompt tokens evaluated per second of prefill.
     *
     * @return {@code promptTokensEvaluated / prefillTime} in tokens per second; 0 when nothing was evaluated
     */
    public double prefillTokensPerSecond() {
        return rate(promptTokensEvaluated, prefillTime);
    }

    /**
     * Generated tokens per second of decode time.
     *
     * @return {@code generatedTokens / decodeTime} in tokens per second; 0 when nothing was generated
     */
    public double decodeTokensPerSecond() {
        return rate(generatedTokens, decodeTime);
    }

    private static double rate(int tokens, Duration time) {
        double seconds = time.toNanos() / 1e9;
        return tokens == 0 || seconds <= 0 ? 0 : tokens / seconds;
    }

    /**
     * A one-line summary.
     *
     * @return e.g. {@code prompt 33 tokens (33 evaluated, 0 reused) in 12 ms, 2750.0 tok/s | generated 32 tokens in
     *         640 ms, 50.0 tok/s}
     */
    public String summary() {
        return String.format(java.util.Locale.ROOT,
                "prompt %d tokens (%d evaluated, %d reused) in %d ms, %.1f tok/s | generated %d tokens in %d ms, %.1f tok/s",
                promptTokens, promptTokensEvaluated, promptTokensReused, prefillTime.toMillis(),
                prefillTokensPerSecond(), generatedTokens, decodeTime.toMillis(), decodeTokensPerSecond());
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof GenerationStats g && promptTokens == g.promptTokens
                && promptTokensReused == g.promptTokensReused && promptTokensEvaluated == g.promptTokensEvaluated
                && generatedTokens == g.generatedTokens && prefillTime.equals(g.prefillTime)
                && decodeTime.equals(g.decodeTime) && totalTime.equals(g.totalTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(promptTokens, promptTokensReused, promptTokensEvaluated, generatedTokens, prefillTime,
                decodeTime, totalTime);
    }

    @Override
    public String toString() {
        return "GenerationStats[" + summary() + "]";
    }
}
