package dev.moe4j.internal.model;

/**
 * DeepSeek-V4's hash routing of its first layers ({@code hash_layer_count}): a token's experts are fixed by its id,
 * row {@code token} of the {@code ffn_gate_tid2eid} table, so they are known before the router runs (a prefetch is exact).
 * Only their weights come from the router: the gated affinities ({@link ExpertGating#SQRT_SOFTPLUS}) of the listed
 * experts, divided by their sum (clamped below at 2^-14) when {@code normalize}, times {@code scale} unless it is 0 or 1,
 * as {@link TopKRouter} weights its own choice.
 */
public final class HashRouter implements ExpertRouter {
    private final int[] table; // [vocab][k]
    private final int experts;
    private final int k;
    private final ExpertGating gating;
    private final boolean normalize;
    private final float scale;

    /**
     * @param table {@code vocab · k} expert ids, each in {@code [0, experts)} (checked by the loader)
     */
    public HashRouter(int[] table, int experts, int k, ExpertGating gating, boolean normalize, float scale) {
        if (k < 1 || table.length % k != 0) {
            throw new IllegalArgumentException("a table of " + table.length + " ids cannot hold rows of " + k);
        }
        this.table = table.clone();
        this.experts = experts;
        this.k = k;
        this.gating = gating;
        this.normalize = normalize;
        this.scale = scale;
    }

    @Override
    public int experts() {
        return experts;
    }

    @Override
    public int used() {
        return k;
    }

    @Override
    public int workSize() {
        return 2 * experts;
    }

    /** Hash routing needs the token: {@link #route(int, float[], int, int[], float[], int, float[])}. */
    @Override
    public void route(float[] logits, int off, int[] idx, float[] weights, int outOff, float[] work) {
        throw new UnsupportedOperationException("hash routing chooses by token id");
    }

    /** Routes one token by its id (ids outside the table, which the tokenizer never produces, take row 0). */
    @Override
    public void route(int token, float[] logits, int off, int[] idx, float[] weights, int outOff, float[] work) {
        int rows = table.length / k;
        int row = token >= 0 && token < rows ? token : 0;
        TopKRouter.affinities(gating, logits, off, experts, work);
        java.util.Arrays.fill(work, experts, 2 * experts, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < k; j++) {
            int e = table[row * k + j];
            idx[outOff + j] = e;
            weights[outOff + j] = work[e];
            work[experts + e] = work[e];
        }
        TopKRouter.normalizeAndScale(weights, outOff, k, normalize, scale);
    }
}
