package dev.moe4j.internal.model;

/**
 * Picks a token's experts and their mixing weights from the router logits. Immutable and shared by all states; the
 * per-call scratch comes from the caller so routing allocates nothing.
 */
public interface ExpertRouter {

    /** Experts to choose from. */
    int experts();

    /** Experts chosen per token (k). */
    int used();

    /** Floats of scratch {@link #route} needs. */
    int workSize();

    /**
     * Routes one token.
     *
     * @param logits  router logits at {@code logits[off .. off+experts())}
     * @param idx     receives the chosen expert ids at {@code idx[outOff .. outOff+used())}
     * @param weights receives their weights at the same indices
     * @param work    {@link #workSize()} floats; on return {@code work[0 .. experts())} holds the gated affinities
     *                (llama.cpp's {@code ffn_moe_probs}) and {@code work[experts() .. 2·experts())} the scores the
     *                choice was made on (-inf for experts that were not eligible), for tracing
     */
    void route(float[] logits, int off, int[] idx, float[] weights, int outOff, float[] work);

    /**
     * Routes one token knowing its id, which routers that choose by id (DeepSeek-V4's {@link HashRouter}) need;
     * the others ignore it.
     *
     * @param token the token's id at this position
     * @see #route(float[], int, int[], float[], int, float[])
     */
    default void route(int token, float[] logits, int off, int[] idx, float[] weights, int outOff, float[] work) {
        route(logits, off, idx, weights, outOff, work);
    }
}
