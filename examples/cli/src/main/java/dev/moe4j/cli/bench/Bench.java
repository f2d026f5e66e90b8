package dev.moe4j.cli.bench;

import dev.moe4j.tooling.ForwardModel;
import dev.moe4j.tooling.ForwardSession;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times a {@link ForwardModel} the way llama-bench does, on the bare forward pass (no tokenizer, no sampler, no
 * generation loop: only the forward pass and the copy of one row of logits per call):
 * <ul>
 * <li>prefill ({@code pp}): {@code p} random tokens in one {@code forward} call from an empty cache, the logits of the
 *     last one produced; rate = p / time;</li>
 * <li>decode ({@code tg}): {@code n} random tokens fed one {@code forward} call at a time from an empty cache, each
 *     producing logits; rate = n / time.</li>
 * </ul>
 * Each test first runs untimed until {@code warmupNanos} have passed (at least once): the JIT compiles the forward
 * pass while it runs, and until it is done its compiler threads compete with the kernels' worker threads for the
 * cores, which makes the first runs of a multi-threaded bench slow and erratic; llama-bench's single warm-up run is
 * not enough for a JVM. Then come {@code reps} timed runs. The cache is emptied ({@link ForwardSession#truncate}) before
 * every run. Not thread-safe; one run at a time.
 */
public final class Bench implements AutoCloseable {
    private final ForwardSession session;
    private final float[] logits;
    private final SplittableRandom random;
    private final long warmupNanos;

    /**
     * @param contextLength the session's capacity: at least the larger of the prompt and generation lengths benched
     * @param warmupNanos   how long each test runs untimed first (it runs at least once)
     */
    public Bench(ForwardModel model, int contextLength, long seed, long warmupNanos) {
        this.session = model.newSession(contextLength);
        this.logits = new float[model.vocabSize()];
        this.random = new SplittableRandom(seed);
        this.warmupNanos = warmupNanos;
    }

    /** Prefill rates (tokens/s) of {@code reps} runs of {@code p} tokens, after the warm-up. */
    public Samples prefill(int p, int reps) {
        check(p, reps);
        return measure(p, reps, tokens -> session.forward(tokens, 0, p, logits));
    }

    /** Decode rates (tokens/s) of {@code reps} runs of {@code n} single-token steps, after the warm-up. */
    public Samples decode(int n, int reps) {
        check(n, reps);
        return measure(n, reps, tokens -> {
            for (int i = 0; i < n; i++) {
                session.forward(tokens, i, 1, logits);
            }
        });
    }

    private Samples measure(int n, int reps, java.util.function.Consumer<int[]> test) {
        long warmupEnd = System.nanoTime() + warmupNanos;
        boolean warm = false;
        List<Double> rates = new ArrayList<>();
        while (rates.size() < reps) {
            int[] tokens = randomTokens(n);
            session.truncate(0);
            long t0 = System.nanoTime();
            test.accept(tokens);
            long t1 = System.nanoTime();
            if (warm) {
                rates.add(n / ((t1 - t0) / 1e9));
            }
            warm = warm || t1 >= warmupEnd;
        }
        return new Samples(rates);
    }

    private void check(int tokens, int reps) {
        if (tokens < 1 || reps < 1) {
            throw new IllegalArgumentException("a test needs at least one token and one repetition");
        }
        if (tokens > session.capacity()) {
            throw new IllegalArgumentException(tokens + " tokens do not fit the context of " + session.capacity());
        }
    }

    private int[] randomTokens(int n) {
        return random.ints(n, 0, logits.length).toArray();
    }

    /** Frees the session (KV cache, worker threads); the model stays open. */
    @Override
    public void close() {
        session.close();
    }
}
