package dev.moe4j;

import dev.moe4j.internal.generate.SamplingParams;
import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How to sample and when to stop: an immutable, reusable value. Build one once and give it to any number of requests
 * ({@link GenerationRequest#options(GenerationOptions)}), from any thread; every {@code withX} returns a copy with one
 * option changed and checks its argument at once ({@link IllegalArgumentException} naming the option).
 *
 * <pre>{@code
 * GenerationOptions greedy = model.defaultOptions().withTemperature(0).withMaxTokens(64);
 * GenerationResult r = model.request("Once upon a time").options(greedy).generate();
 * }</pre>
 *
 * <p><b>Defaults</b> depend on the model family ({@link Model#defaultOptions()} picks one of these two):
 * <table>
 *   <caption>defaults</caption>
 *   <tr><th>option</th><th>{@link #reasoningDefaults()}: R1 style (the chat template mentions {@code <think>})</th>
 *       <th>{@link #defaults()}: any other model (llama.cpp's defaults)</th></tr>
 *   <tr><td>{@link #temperature}</td><td>0.6</td><td>0.8</td></tr>
 *   <tr><td>{@link #topK}</td><td>0 (off)</td><td>40</td></tr>
 *   <tr><td>{@link #topP}</td><td>0.95</td><td>0.95</td></tr>
 *   <tr><td>{@link #minP}</td><td>0 (off)</td><td>0.05</td></tr>
 * </table>
 * and for both: {@link #maxTokens} 512 (generation also ends when the context is full), {@link #repetitionPenalty} 1
 * (off) over the last 64 tokens, a random seed, no stop strings, EOS respected, reasoning parsed.
 *
 * <p>Sampling runs in llama.cpp's default order: repetition penalty → top-k → top-p → min-p → temperature → a seeded
 * draw from the softmax. Temperature 0 is greedy decoding: the most likely token, the lowest id on a tie.
 */
public final class GenerationOptions {
    /** The default of {@link #maxTokens}. */
    public static final int DEFAULT_MAX_TOKENS = 512;
    /** The default of {@link #repetitionLastN}. */
    public static final int DEFAULT_REPETITION_LAST_N = 64;

    private static final GenerationOptions DEFAULTS = new GenerationOptions(DEFAULT_MAX_TOKENS, 0.8f, 40, 0.95f,
            0.05f, 1f, DEFAULT_REPETITION_LAST_N, null, List.of(), false, true);
    private static final GenerationOptions REASONING_DEFAULTS = new GenerationOptions(DEFAULT_MAX_TOKENS, 0.6f, 0,
            0.95f, 0f, 1f, DEFAULT_REPETITION_LAST_N, null, List.of(), false, true);

    private final int maxTokens;
    private final float temperature;
    private final int topK;
    private final float topP;
    private final float minP;
    private final float repetitionPenalty;
    private final int repetitionLastN;
    private final @Nullable Long seed;
    private final List<String> stops;
    private final boolean ignoreEos;
    private final boolean parseReasoning;

    private GenerationOptions(int maxTokens, float temperature, int topK, float topP, float minP,
                              float repetitionPenalty, int repetitionLastN, @Nullable Long seed, List<String> stops,
                              boolean ignoreEos, boolean parseReasoning) {
        this.maxTokens = maxTokens;
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.minP = minP;
        this.repetitionPenalty = repetitionPenalty;
        this.repetitionLastN = repetitionLastN;
        this.seed = seed;
        this.stops = stops;
        this.ignoreEos = ignoreEos;
        this.parseReasoning = parseReasoning;
    }

    /**
     * llama.cpp's defaults, used for models that are not of the R1 family (see the table above).
     *
     * @return the shared default options
     */
    public static GenerationOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The defaults of R1-style reasoning models (see the table above).
     *
     * @return the shared reasoning-model options
     */
    public static GenerationOptions reasoningDefaults() {
        return REASONING_DEFAULTS;
    }

    private GenerationOptions copy(int maxTokens, float temperature, int topK, float topP, float minP,
                                   float repetitionPenalty, int repetitionLastN, @Nullable Long seed,
                                   List<String> stops, boolean ignoreEos, boolean parseReasoning) {
        return new GenerationOptions(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN,
                seed, stops, ignoreEos, parseReasoning);
    }

    /**
     * The most tokens to generate, at least 1. Generation also ends earlier when the context is full.
     *
     * @param maxTokens the most tokens to generate, {@code >= 1}
     * @return a copy with {@code maxTokens} changed
     * @throws IllegalArgumentException if {@code maxTokens < 1}
     */
    public GenerationOptions withMaxTokens(int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        return copy(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * Softmax temperature, finite and {@code >= 0}; 0 means greedy decoding (argmax, lowest id on ties).
     *
     * @param temperature the temperature, {@code >= 0} and at most {@link Float#MAX_VALUE}
     * @return a copy with {@code temperature} changed
     * @throws IllegalArgumentException if negative, NaN, infinite or above {@link Float#MAX_VALUE}
     */
    public GenerationOptions withTemperature(double temperature) {
        if (!(temperature >= 0) || Double.isInfinite(temperature) || temperature > Float.MAX_VALUE) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
        }
        return copy(maxTokens, (float) temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * Keep only the {@code topK} most likely tokens; 0 turns the filter off.
     *
     * @param topK how many tokens to keep, {@code >= 0}
     * @return a copy with {@code topK} changed
     * @throws IllegalArgumentException if negative
     */
    public GenerationOptions withTopK(int topK) {
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        return copy(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * Nucleus sampling: keep the most likely tokens until their probability reaches {@code topP}, in (0, 1]; 1 = off.
     *
     * @param topP the cumulative probability to keep, in (0, 1]
     * @return a copy with {@code topP} changed
     * @throws IllegalArgumentException if outside (0, 1]
     */
    public GenerationOptions withTopP(double topP) {
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
        return copy(maxTokens, temperature, topK, (float) topP, minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * Drop tokens less likely than {@code minP} times the most likely one, in [0, 1]; 0 = off.
     *
     * @param minP the fraction of the top token's probability below which tokens are dropped, in [0, 1]
     * @return a copy with {@code minP} changed
     * @throws IllegalArgumentException if outside [0, 1]
     */
    public GenerationOptions withMinP(double minP) {
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1] (0 = off), got " + minP);
        }
        return copy(maxTokens, temperature, topK, topP, (float) minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * llama.cpp's repeat penalty, finite and {@code > 0}; 1 = off. The logit of every token among the last
     * {@link #repetitionLastN} tokens (prompt included) is divided by it when positive and multiplied by it when
     * negative, once however often the token occurred.
     *
     * @param penalty the penalty, {@code > 0} and at most {@link Float#MAX_VALUE}
     * @return a copy with {@code repetitionPenalty} changed
     * @throws IllegalArgumentException if not finite and positive, or above {@link Float#MAX_VALUE}
     */
    public GenerationOptions withRepetitionPenalty(double penalty) {
        if (!(penalty > 0) || Double.isInfinite(penalty) || penalty > Float.MAX_VALUE) {
            throw new IllegalArgumentException("repetitionPenalty must be finite and > 0 (1 = off), got " + penalty);
        }
        return copy(maxTokens, temperature, topK, topP, minP, (float) penalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * How many recent tokens the repetition penalty looks at, {@code >= 0}.
     *
     * @param lastN the number of most recent tokens, {@code >= 0}
     * @return a copy with {@code repetitionLastN} changed
     * @throws IllegalArgumentException if negative
     */
    public GenerationOptions withRepetitionLastN(int lastN) {
        if (lastN < 0) {
            throw new IllegalArgumentException("repetitionLastN must be >= 0, got " + lastN);
        }
        return copy(maxTokens, temperature, topK, topP, minP, repetitionPenalty, lastN, seed, stops, ignoreEos,
                parseReasoning);
    }

    /**
     * Seed of the sampler's random generator: the same seed, prompt and options give the same tokens.
     *
     * @param seed any value
     * @return a copy with this fixed seed
     */
    public GenerationOptions withSeed(long seed) {
        return copy(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * A new random seed for every run (the default).
     *
     * @return a copy without a fixed seed
     */
    public GenerationOptions withRandomSeed() {
        return copy(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, null, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * These stop strings instead of the current ones: generation ends as soon as the generated text contains one of
     * them, also when it spans several tokens. Neither the stop string nor anything after it is returned or streamed.
     *
     * @param stops the stop strings, each non-empty; copied (an empty list removes every stop string)
     * @return a copy with {@code stops} changed
     * @throws IllegalArgumentException if a stop string is empty or null
     * @throws NullPointerException     if {@code stops} is null
     */
    public GenerationOptions withStops(List<String> stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty, got "
                        + (s == null ? "null" : "\"\""));
            }
        }
        return copy(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, seed,
                List.copyOf(stops), ignoreEos, parseReasoning);
    }

    /**
     * Keep generating through the model's end-of-sequence and end-of-turn tokens (default false).
     *
     * @param ignoreEos {@code true} to generate through end tokens
     * @return a copy with {@code ignoreEos} changed
     */
    public GenerationOptions withIgnoreEos(boolean ignoreEos) {
        return copy(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * Whether to separate {@code <think>…</think>} reasoning (gpt-oss: the analysis channel) from the answer (default
     * true). When false, the tags (harmony markers) and the reasoning stay in the answer text as generated.
     *
     * @param parseReasoning {@code true} to return reasoning apart from the answer
     * @return a copy with {@code parseReasoning} changed
     */
    public GenerationOptions withParseReasoning(boolean parseReasoning) {
        return copy(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    /**
     * The most tokens to generate.
     *
     * @return the limit in tokens, {@code >= 1}
     */
    public int maxTokens() {
        return maxTokens;
    }

    /**
     * Softmax temperature; 0 = greedy.
     *
     * @return the temperature, {@code >= 0}
     */
    public double temperature() {
        return temperature;
    }

    /**
     * Top-k filter; 0 = off.
     *
     * @return how many tokens the filter keeps, {@code >= 0}
     */
    public int topK() {
        return topK;
    }

    /**
     * Top-p (nucleus) filter; 1 = off.
     *
     * @return the cumulative probability kept, in (0, 1]
     */
    public double topP() {
        return topP;
    }

    /**
     * Min-p filter; 0 = off.
     *
     * @return the fraction of the top token's probability, in [0, 1]
     */
    public double minP() {
        return minP;
    }

    /**
     * Repetition penalty; 1 = off.
     *
     * @return the penalty, {@code > 0}
     */
    public double repetitionPenalty() {
        return repetitionPenalty;
    }

    /**
     * Tokens the repetition penalty looks back over.
     *
     * @return the number of most recent tokens, {@code >= 0}
     */
    public int repetitionLastN() {
        return repetitionLastN;
    }

    /**
     * The fixed seed, or empty for a new random seed per run.
     *
     * @return the seed, or an empty optional
     */
    public OptionalLong seed() {
        return seed == null ? OptionalLong.empty() : OptionalLong.of(seed);
    }

    /**
     * The stop strings (unmodifiable).
     *
     * @return the stop strings; empty for none
     */
    public List<String> stops() {
        return stops;
    }

    /**
     * Whether end tokens are ignored.
     *
     * @return {@code true} if generation goes on through end-of-sequence and end-of-turn tokens
     */
    public boolean ignoreEos() {
        return ignoreEos;
    }

    /**
     * Whether reasoning is split from the answer.
     *
     * @return {@code true} if reasoning is returned apart from the answer
     */
    public boolean parseReasoning() {
        return parseReasoning;
    }

    SamplingParams samplingParams() {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repetitionLastN);
    }

    long seedOrRandom() {
        return seed != null ? seed : ThreadLocalRandom.current().nextLong();
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof GenerationOptions g && maxTokens == g.maxTokens
                && Float.compare(temperature, g.temperature) == 0 && topK == g.topK
                && Float.compare(topP, g.topP) == 0 && Float.compare(minP, g.minP) == 0
                && Float.compare(repetitionPenalty, g.repetitionPenalty) == 0 && repetitionLastN == g.repetitionLastN
                && Objects.equals(seed, g.seed) && stops.equals(g.stops) && ignoreEos == g.ignoreEos
                && parseReasoning == g.parseReasoning;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxTokens, temperature, topK, topP, minP, repetitionPenalty, repetitionLastN, seed, stops,
                ignoreEos, parseReasoning);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "GenerationOptions[maxTokens=%d, temperature=%s, topK=%d, topP=%s, minP=%s, "
                        + "repetitionPenalty=%s, repetitionLastN=%d, seed=%s, stops=%s, ignoreEos=%b, "
                        + "parseReasoning=%b]", maxTokens, temperature, topK, topP, minP, repetitionPenalty,
                repetitionLastN, seed == null ? "random" : seed, stops, ignoreEos, parseReasoning);
    }
}
