package dev.moe4j.cli;

import dev.moe4j.GenerationRequest;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** Sampling options shared by {@code generate} and {@code chat}; unset options keep the model family's defaults. */
final class SamplingArgs {
    @Option(names = {"-n", "--n-predict"}, paramLabel = "N",
            description = "Most tokens to generate; -1 = until the context is full (default 512).")
    Integer maxTokens;

    @Option(names = "--temp", paramLabel = "T", description = "Temperature; 0 = greedy (default: the model family's).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k, 0 = off.")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Top-p, 1 = off.")
    Double topP;

    @Option(names = "--min-p", paramLabel = "P", description = "Min-p, 0 = off.")
    Double minP;

    @Option(names = "--repeat-penalty", paramLabel = "R", description = "Repetition penalty, 1 = off (default).")
    Double repetitionPenalty;

    @Option(names = "--seed", paramLabel = "S", description = "Sampler seed (default: random).")
    Long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable).")
    List<String> stops = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating through end-of-sequence tokens.")
    boolean ignoreEos;

    GenerationRequest applyTo(GenerationRequest r, int contextLength) {
        if (maxTokens != null) {
            r.maxTokens(maxTokens == -1 ? contextLength : maxTokens);
        }
        if (temperature != null) {
            r.temperature(temperature);
        }
        if (topK != null) {
            r.topK(topK);
        }
        if (topP != null) {
            r.topP(topP);
        }
        if (minP != null) {
            r.minP(minP);
        }
        if (repetitionPenalty != null) {
            r.repetitionPenalty(repetitionPenalty);
        }
        if (seed != null) {
            r.seed(seed);
        }
        if (!stops.isEmpty()) {
            r.stop(stops.toArray(String[]::new));
        }
        return r.ignoreEos(ignoreEos);
    }
}
