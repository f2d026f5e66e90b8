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
 *
 * <p>At a context depth {@code d} (llama-bench's {@code -d}), {@code d} random tokens are prefilled once, untimed, and
 * every run starts after them (the cache is cut back to {@code d} tokens before each): the tests then measure prefill
 * and decode with {@code d} tokens of context to attend over.
 */
public final class Bench implements AutoCloseable {
    private final ForwardSession session;
    private final float[] logits;
    private final SplittableRandom random;
    private final long warmupNanos;
    private final int depth;
    private boolean filled;

    /**
     * @param contextLength the session's capacity: at least the larger of the prompt and generation lengths benched
     * @param warmupNanos   how long each test runs untimed first (it runs at least once)
     */
    public Bench(ForwardModel model, int contextLength, long seed, long warmupNanos) {
        this(model, contextLength, seed, warmupNanos, 0);
    }

    /**
     * @param contextLength the session's capacity: at least {@code depth} plus the larger of the prompt and generation
     *                      lengths benched
     * @param depth         tokens of context every run starts after
     */
    public Bench(ForwardModel model, int contextLength, long seed, long warmupNanos, int depth) {
        if (depth < 0 || depth >= contextLength) {
            throw new IllegalArgumentException("depth " + depth + " must be in [0, " + contextLength + ")");
        }
        this.session = model.newSession(contextLength);
        this.logits = new float[model.vocabSize()];
        this.random = new SplittableRandom(seed);
        this.warmupNanos = warmupNanos;
        this.depth = depth;
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
            startAtDepth();
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

    /**
     * Cuts the cache back to the depth, prefilling the depth's tokens the first time and whenever the cache cannot go
     * back that far (DeepSeek-V4's windowed cache after a run longer than its rings reach).
     */
    private void startAtDepth() {
        if (filled) {
            session.truncate(depth);
        }
        if (!filled || session.position() != depth) {
            session.truncate(0);
            if (depth > 0) {
                session.forward(randomTokens(depth), 0, depth, logits);
            }
            filled = true;
        }
    }

    private void check(int tokens, int reps) {
        if (tokens < 1 || reps < 1) {
            throw new IllegalArgumentException("a test needs at least one token and one repetition");
        }
        if (depth + tokens > session.capacity()) {
            throw new IllegalArgumentException(tokens + " tokens after a depth of " + depth
                    + " do not fit the context of " + session.capacity());
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
