package dev.moe4j.internal.generate;

/**
 * The settings of one {@link Sampler}, already validated by the public request builder (so this record only re-checks
 * what would otherwise corrupt the sampler's state).
 *
 * @param temperature       divides the logits before the final draw; {@code 0} means greedy argmax (lowest id on ties)
 * @param topK              keep the {@code topK} most likely tokens; {@code 0} disables the filter
 * @param topP              keep the smallest most-likely prefix whose probability mass reaches {@code topP};
 *                          {@code 1} disables the filter
 * @param minP              drop tokens whose probability is below {@code minP} times the most likely one's;
 *                          {@code 0} disables the filter
 * @param repetitionPenalty llama.cpp's repeat penalty: positive logits of recent tokens are divided by it, negative
 *                          ones multiplied; {@code 1} disables it
 * @param repetitionLastN   how many of the most recent tokens (prompt included) the penalty looks at; {@code 0} disables it
 */
public record SamplingParams(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                             int repetitionLastN) {

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1], got " + minP);
        }
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetitionPenalty must be finite and > 0, got " + repetitionPenalty);
        }
        if (repetitionLastN < 0) {
            throw new IllegalArgumentException("repetitionLastN must be >= 0, got " + repetitionLastN);
        }
    }

    /** Greedy decoding with no penalty. */
    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 0f, 1f, 0);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
