package dev.moe4j.internal.generate;

import dev.moe4j.internal.offload.MemoryBudget;

/**
 * The context a load gives when none is asked for: the model's trained context, as far as memory allows.
 *
 * <p>Why not a fixed cap: models are trained for 32k to 160k tokens and a fixed 4096 wasted that on machines with
 * memory to spare, while the trained context alone can ask for more KV cache than the machine has (DeepSeek-V2-Lite's
 * 163840 tokens take 18 GiB in f32). So the default is the largest context, up to the trained one, whose KV
 * caches for the expected sessions fit in {@link #KV_SHARE} of the memory left once the JVM's heap, the process's
 * overhead and the resident weights are counted, rounded down to a multiple of {@link #STEP}. It is never less than
 * {@code min(trained, }{@link #PREFERRED_LEAST}{@code )} (what the default used to be) while that fits in the memory
 * left at all, and never less than {@code min(trained, }{@link #FLOOR}{@code )}, however short memory is.
 *
 * <p>A pure function of its inputs, so each case is testable without a machine of that size.
 */
public final class ContextDefault {
    /** Share of the memory left that the sessions' KV caches may take by default. */
    static final double KV_SHARE = 0.25;
    /** Contexts bounded by memory are a multiple of this. */
    static final int STEP = 256;
    /** The least default context while memory holds it (the old fixed default). */
    static final int PREFERRED_LEAST = ModelLoader.DEFAULT_MAX_CONTEXT;
    /** The least default context however short memory is. */
    static final int FLOOR = 512;

    private ContextDefault() {}

    /**
     * What was chosen and why.
     *
     * @param contextLength tokens of each session
     * @param reason        the choice in a sentence for the log, with the figures it was made from
     */
    public record Choice(int contextLength, String reason) {}

    /**
     * The default context.
     *
     * @param trained         the model's trained context
     * @param kvBytesPerToken KV-cache bytes of one token in one session, over all layers
     * @param sessions        sessions expected at once, at least 1
     * @param available       memory the process may use ({@link MemoryBudget#available()})
     * @param heapMax         the JVM's maximum heap
     * @param residentWeights bytes of the weights that stay in memory (all of them, or the ones not offloaded plus the
     *                        expert cache's budget)
     */
    public static Choice choose(int trained, long kvBytesPerToken, int sessions, long available, long heapMax,
                                long residentWeights) {
        if (trained < 1 || sessions < 1 || kvBytesPerToken < 0) {
            throw new IllegalArgumentException("trained " + trained + ", sessions " + sessions + ", KV bytes per token "
                    + kvBytesPerToken);
        }
        String who = sessions == 1 ? "1 session" : sessions + " sessions";
        if (kvBytesPerToken == 0) {
            return new Choice(trained, "context " + trained + " (trained): the model keeps no KV cache");
        }
        long spare = available - heapMax - MemoryBudget.OVERHEAD - residentWeights;
        String left = fmt(Math.max(0, spare)) + " left (" + fmt(available) + " available − heap " + fmt(heapMax)
                + " − overhead " + fmt(MemoryBudget.OVERHEAD) + " − resident weights " + fmt(residentWeights) + ")";
        double perToken = (double) kvBytesPerToken * sessions; // double: no overflow, exact far beyond real sizes
        double share = Math.max(0, spare) * KV_SHARE;
        String pct = Math.round(KV_SHARE * 100) + "%";
        if (trained * perToken <= share) {
            return new Choice(trained, "context " + trained + " (trained): KV " + kv(trained, perToken) + " for " + who
                    + " fits in " + pct + " of " + left);
        }
        int bounded = steps(share / perToken);
        int least = Math.min(trained, PREFERRED_LEAST);
        if (bounded >= least) {
            return new Choice(bounded, "context " + bounded + " of trained " + trained + ": KV " + kv(bounded, perToken)
                    + " for " + who + ", bounded by " + pct + " of " + left);
        }
        if (least * perToken <= spare) {
            return new Choice(least, "context " + least + " of trained " + trained + ": KV " + kv(least, perToken)
                    + " for " + who + " is over " + pct + " of " + left + ", but " + least
                    + " is the least default context while memory holds it");
        }
        int floor = Math.min(trained, FLOOR);
        int fits = Math.min(least, steps(Math.max(0, spare) / perToken));
        int ctx = Math.max(floor, fits);
        return new Choice(ctx, "context " + ctx + " of trained " + trained + ": memory is short, KV " + kv(ctx, perToken)
                + " for " + who + " against " + left + (fits < floor ? "; " + floor + " is the least default" : ""));
    }

    /** {@code tokens} rounded down to a multiple of {@link #STEP} (0 below one step), as an int. */
    private static int steps(double tokens) {
        long t = (long) Math.min(tokens, Integer.MAX_VALUE);
        return (int) (t / STEP * STEP);
    }

    private static String kv(int tokens, double perToken) {
        return fmt((long) (tokens * perToken));
    }

    private static String fmt(long bytes) {
        return MemoryBudget.format(bytes);
    }
}
