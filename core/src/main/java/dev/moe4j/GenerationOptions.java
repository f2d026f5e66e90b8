package dev.moe4j;

import dev.moe4j.internal.generate.SamplingParams;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The sampling and stopping options shared by {@link GenerationRequest} and {@link ChatRequest}. Every setter checks
 * its argument at once and throws {@link IllegalArgumentException} naming the option.
 *
 * <p><b>Defaults</b> depend on the model family, decided from its chat template:
 * <table>
 *   <caption>defaults</caption>
 *   <tr><th>option</th><th>R1 style (the chat template mentions {@code <think>})</th><th>any other model (llama.cpp's defaults)</th></tr>
 *   <tr><td>{@link #temperature}</td><td>0.6</td><td>0.8</td></tr>
 *   <tr><td>{@link #topK}</td><td>0 (off)</td><td>40</td></tr>
 *   <tr><td>{@link #topP}</td><td>0.95</td><td>0.95</td></tr>
 *   <tr><td>{@link #minP}</td><td>0 (off)</td><td>0.05</td></tr>
 * </table>
 * and for every model: {@link #maxTokens} 512 (generation also ends when the context is full),
 * {@link #repetitionPenalty} 1 (off) over the last 64 tokens, a random seed, no stop strings, EOS respected, reasoning
 * parsed.
 *
 * <p>Sampling runs in llama.cpp's default order: repetition penalty → top-k → top-p → min-p → temperature → a seeded
 * draw from the softmax. Temperature 0 is greedy decoding: the most likely token, the lowest id on a tie.
 *
 * <p>Not thread-safe: build a request on one thread (it may then be run on another).
 *
 * @param <S> the concrete request type, so that calls chain
 */
public abstract sealed class GenerationOptions<S extends GenerationOptions<S>> permits GenerationRequest, ChatRequest {
    /** The default of {@link #maxTokens}. */
    public static final int DEFAULT_MAX_TOKENS = 512;
    /** The default of {@link #repetitionLastN}. */
    public static final int DEFAULT_REPETITION_LAST_N = 64;

    int maxTokens = DEFAULT_MAX_TOKENS;
    float temperature;
    int topK;
    float topP;
    float minP;
    float repetitionPenalty = 1f;
    int repetitionLastN = DEFAULT_REPETITION_LAST_N;
    Long seed;
    final List<String> stops = new ArrayList<>();
    boolean ignoreEos;
    boolean parseReasoning = true;
    Cancellation cancellation;

    GenerationOptions(boolean reasoningFamily) {
        if (reasoningFamily) {
            temperature = 0.6f;
            topK = 0;
            topP = 0.95f;
            minP = 0f;
        } else {
            temperature = 0.8f;
            topK = 40;
            topP = 0.95f;
            minP = 0.05f;
        }
    }

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    /** The most tokens to generate, at least 1 (default 512). Generation also ends earlier when the context is full. */
    public S maxTokens(int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
        this.maxTokens = maxTokens;
        return self();
    }

    /** Softmax temperature, finite and {@code >= 0}; 0 means greedy decoding (argmax, lowest id on ties). */
    public S temperature(double temperature) {
        if (!(temperature >= 0) || Double.isInfinite(temperature) || temperature > Float.MAX_VALUE) {
            throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
        }
        this.temperature = (float) temperature;
        return self();
    }

    /** Keep only the {@code topK} most likely tokens; 0 turns the filter off. */
    public S topK(int topK) {
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        this.topK = topK;
        return self();
    }

    /** Nucleus sampling: keep the most likely tokens until their probability reaches {@code topP}, in (0, 1]; 1 = off. */
    public S topP(double topP) {
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
        this.topP = (float) topP;
        return self();
    }

    /** Drop tokens less likely than {@code minP} times the most likely one, in [0, 1]; 0 = off. */
    public S minP(double minP) {
        if (!(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("minP must be in [0, 1] (0 = off), got " + minP);
        }
        this.minP = (float) minP;
        return self();
    }

    /**
     * llama.cpp's repeat penalty, finite and {@code > 0}; 1 = off. The logit of every token among the last
     * {@link #repetitionLastN} tokens (prompt included) is divided by it when positive and multiplied by it when
     * negative, once however often the token occurred.
     */
    public S repetitionPenalty(double penalty) {
        if (!(penalty > 0) || Double.isInfinite(penalty) || penalty > Float.MAX_VALUE) {
            throw new IllegalArgumentException("repetitionPenalty must be finite and > 0 (1 = off), got " + penalty);
        }
        this.repetitionPenalty = (float) penalty;
        return self();
    }

    /** How many recent tokens the repetition penalty looks at, {@code >= 0} (default 64). */
    public S repetitionLastN(int lastN) {
        if (lastN < 0) {
            throw new IllegalArgumentException("repetitionLastN must be >= 0, got " + lastN);
        }
        this.repetitionLastN = lastN;
        return self();
    }

    /** Seed of the sampler's random generator: the same seed, prompt and options give the same tokens. */
    public S seed(long seed) {
        this.seed = seed;
        return self();
    }

    /**
     * Adds stop strings: generation ends as soon as the generated text contains one of them, also when it spans
     * several tokens. Neither the stop string nor anything after it is returned or streamed.
     */
    public S stop(String... stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty, got " + (s == null ? "null" : "\"\""));
            }
        }
        this.stops.addAll(List.of(stops));
        return self();
    }

    /** Keep generating through the model's end-of-sequence and end-of-turn tokens (default false). */
    public S ignoreEos(boolean ignoreEos) {
        this.ignoreEos = ignoreEos;
        return self();
    }

    /**
     * Whether to separate {@code <think>…</think>} reasoning (gpt-oss: the analysis channel) from the answer (default
     * true). When false, the tags (harmony markers) and the reasoning stay in the answer text as generated.
     */
    public S parseReasoning(boolean parseReasoning) {
        this.parseReasoning = parseReasoning;
        return self();
    }

    /** A token another thread can use to stop the generation (within one token). */
    public S cancellation(Cancellation cancellation) {
        this.cancellation = Objects.requireNonNull(cancellation, "cancellation");
        return self();
    }

    SamplingParams samplingParams() {
        return new SamplingParams(temperature, topK, topP, minP, repetitionPenalty, repetitionLastN);
    }

    long seedOrRandom() {
        return seed != null ? seed : ThreadLocalRandom.current().nextLong();
    }
}
