package dev.moe4j;

import java.time.Duration;

/**
 * Counts and timings of one generation.
 *
 * @param promptTokens          tokens in the prompt (BOS included when added)
 * @param promptTokensReused    prompt tokens already in the inference state from an earlier turn of a chat session,
 *                              so not computed again (0 for a one-shot generation; at most prompt − 1, since the last
 *                              prompt token is always run again for its logits)
 * @param promptTokensEvaluated prompt tokens run through the model in the prefill: prompt − reused
 * @param generatedTokens       tokens sampled, including the one that completed a stop string, excluding the EOS token
 * @param prefillTime           wall time of the prefill (the prompt's forward passes)
 * @param decodeTime            wall time from the end of the prefill to the end of generation (forward passes of the
 *                              generated tokens, sampling and detokenizing)
 * @param totalTime             wall time of the whole generation, tokenizing the prompt excluded
 */
public record GenerationStats(int promptTokens, int promptTokensReused, int promptTokensEvaluated, int generatedTokens,
                              Duration prefillTime, Duration decodeTime, Duration totalTime) {

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
}
