package dev.moe4j.cli.bench;

import dev.moe4j.internal.model.InferenceState;
import dev.moe4j.internal.model.LanguageModel;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times a {@link LanguageModel} the way llama-bench does, on the internal model API (no tokenizer, no sampler, no
 * generation loop: only the forward pass and the copy of one row of logits per call):
 * <ul>
 * <li>prefill ({@code pp}): {@code p} random tokens in one {@code forward} call from an empty cache, the logits of the
 *     last one produced; rate = p / time;</li>
 * <li>decode ({@code tg}): {@code n} random tokens fed one {@code forward} call at a time from an empty cache, each
 *     producing logits; rate = n / time.</li>
 * </ul>
 * Each test runs once untimed (warm-up: JIT, caches, page faults), then {@code reps} timed times; the cache is
 * emptied ({@link InferenceState#truncate}) before every run. Not thread-safe; one run at a time.
 */
public final class Bench implements AutoCloseable {
    private final LanguageModel model;
    private final InferenceState state;
    private final float[] logits;
    private final SplittableRandom random;

    /**
     * @param contextLength the state's capacity: at least the larger of the prompt and generation lengths benched
     */
    public Bench(LanguageModel model, int contextLength, long seed) {
        this.model = model;
        this.state = model.newState(contextLength);
        this.logits = new float[model.config().vocabSize()];
        this.random = new SplittableRandom(seed);
    }

    /** Prefill rates (tokens/s) of {@code reps} runs of {@code p} tokens, after one warm-up run. */
    public Samples prefill(int p, int reps) {
        check(p, reps);
        List<Double> rates = new ArrayList<>();
        for (int r = -1; r < reps; r++) {
            int[] tokens = randomTokens(p);
            state.truncate(0);
            long t0 = System.nanoTime();
            model.forward(state, tokens, 0, p, logits);
            long ns = System.nanoTime() - t0;
            if (r >= 0) {
                rates.add(p / (ns / 1e9));
            }
        }
        return new Samples(rates);
    }

    /** Decode rates (tokens/s) of {@code reps} runs of {@code n} single-token steps, after one warm-up run. */
    public Samples decode(int n, int reps) {
        check(n, reps);
        List<Double> rates = new ArrayList<>();
        for (int r = -1; r < reps; r++) {
            int[] tokens = randomTokens(n);
            state.truncate(0);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                model.forward(state, tokens, i, 1, logits);
            }
            long ns = System.nanoTime() - t0;
            if (r >= 0) {
                rates.add(n / (ns / 1e9));
            }
        }
        return new Samples(rates);
    }

    private void check(int tokens, int reps) {
        if (tokens < 1 || reps < 1) {
            throw new IllegalArgumentException("a test needs at least one token and one repetition");
        }
        if (tokens > state.contextLength()) {
            throw new IllegalArgumentException(tokens + " tokens do not fit the context of " + state.contextLength());
        }
    }

    private int[] randomTokens(int n) {
        return random.ints(n, 0, model.config().vocabSize()).toArray();
    }

    /** Frees the state (KV cache, worker threads); the model stays open. */
    @Override
    public void close() {
        state.close();
    }
}
