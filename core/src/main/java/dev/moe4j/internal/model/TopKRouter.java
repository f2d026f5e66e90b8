package dev.moe4j.internal.model;

import java.util.Objects;

/**
 * The top-k router of DeepSeek-V2/V3 (and, with no groups and no bias, of most MoE models), as llama.cpp's
 * {@code build_moe_ffn} computes it:
 * <ol>
 * <li>affinities {@code p = softmax(logits)} or {@code sigmoid(logits)};</li>
 * <li>selection scores {@code s = p + bias} (DeepSeek-V3's {@code exp_probs_b}: it steers which experts are chosen,
 *     never their weights);</li>
 * <li>group limit: the experts form {@code groups} consecutive groups; a group scores the sum of its two best {@code s};
 *     only the best {@code groupsUsed} groups stay eligible;</li>
 * <li>the {@code k} eligible experts with the largest {@code s} (lowest id first on ties);</li>
 * <li>weights {@code w = p[chosen]}, divided by their sum (clamped below at 2^-14) when {@code normalize}, then
 *     multiplied by {@code scale} unless it is 0 or 1.</li>
 * </ol>
 */
public final class TopKRouter implements ExpertRouter {
    /** llama.cpp clamps the weight sum to the smallest normal f16 before dividing. */
    static final float MIN_WEIGHT_SUM = 6.103515625e-5f;

    private final ExpertGating gating;
    private final float[] bias;
    private final int experts;
    private final int k;
    private final int groups;
    private final int groupsUsed;
    private final boolean normalize;
    private final float scale;

    /**
     * @param bias selection bias per expert, or null
     * @throws IllegalArgumentException if the parameters cannot select {@code k} experts
     */
    public TopKRouter(ExpertGating gating, float[] bias, int experts, int k, int groups, int groupsUsed, boolean normalize,
               float scale) {
        this.gating = Objects.requireNonNull(gating, "gating");
        if (experts < 1 || k < 1 || k > experts) {
            throw new IllegalArgumentException("cannot choose " + k + " of " + experts + " experts");
        }
        if (bias != null && bias.length != experts) {
            throw new IllegalArgumentException("bias has " + bias.length + " values for " + experts + " experts");
        }
        if (groups < 1 || experts % groups != 0 || groupsUsed < 1 || groupsUsed > groups) {
            throw new IllegalArgumentException(experts + " experts in " + groups + " groups, " + groupsUsed
                    + " used: groups must divide the experts and 1 <= used <= groups");
        }
        if ((long) groupsUsed * (experts / groups) < k) {
            throw new IllegalArgumentException(groupsUsed + " of " + groups + " groups hold fewer than the " + k
                    + " experts to choose");
        }
        this.bias = bias == null ? null : bias.clone();
        this.experts = experts;
        this.k = k;
        this.groups = groups;
        this.groupsUsed = groupsUsed;
        this.normalize = normalize;
        this.scale = scale;
    }

    /**
     * Plain softmax routing (Mixtral, Qwen-MoE, OLMoE): the {@code k} most probable experts, weighted by their
     * probabilities, renormalised to sum 1 when {@code normalize}, then scaled by {@code scale} unless it is 0 or 1.
     */
    public static TopKRouter softmax(int experts, int k, boolean normalize, float scale) {
        return new TopKRouter(ExpertGating.SOFTMAX, null, experts, k, 1, 1, normalize, scale);
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
        return 3 * experts + groups;
    }

    @Override
    public void route(float[] logits, int off, int[] idx, float[] weights, int outOff, float[] work) {
        // work: [0, E) affinities, [E, 2E) selection scores, [2E, 3E) the same as candidates left, [3E, 3E+G) groups
        int sel = experts;
        int left = 2 * experts;
        affinities(gating, logits, off, experts, work);
        for (int e = 0; e < experts; e++) {
            work[sel + e] = bias == null ? work[e] : work[e] + bias[e];
        }
        if (groups > 1) {
            limitGroups(work, sel, 3 * experts);
        }
        System.arraycopy(work, sel, work, left, experts);
        for (int j = 0; j < k; j++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                float v = work[left + e];
                if (!Float.isNaN(v) && (best < 0 || v > work[left + best])) {
                    best = e;
                }
            }
            if (best < 0) { // only NaN scores left: take the lowest untaken id
                for (int e = 0; e < experts && best < 0; e++) {
                    if (!taken(idx, outOff, j, e)) {
                        best = e;
                    }
                }
            }
            idx[outOff + j] = best;
            work[left + best] = Float.NaN; // taken
        }
        for (int j = 0; j < k; j++) {
            weights[outOff + j] = work[idx[outOff + j]];
        }
        if (gating == ExpertGating.SOFTMAX_WEIGHT) {
            softmaxInPlace(weights, outOff, k);
        }
        normalizeAndScale(weights, outOff, k, normalize, scale);
    }

    /**
     * The chosen experts' weights at {@code weights[outOff, outOff + k)} divided by their sum (clamped below at
     * 2^-14) when {@code normalize}, then multiplied by {@code scale} unless it is 0 or 1 (llama.cpp's order).
     */
    static void normalizeAndScale(float[] weights, int outOff, int k, boolean normalize, float scale) {
        float sum = 0;
        for (int j = 0; j < k; j++) {
            sum += weights[outOff + j];
        }
        float div = normalize ? Math.max(sum, MIN_WEIGHT_SUM) : 1f;
        boolean scaled = scale != 0f && scale != 1f;
        for (int j = 0; j < k; j++) {
            float w = normalize ? weights[outOff + j] / div : weights[outOff + j];
            weights[outOff + j] = scaled ? w * scale : w;
        }
    }

    /** DeepSeek-V4's affinity: {@code sqrt(softplus(x))}, softplus(x) = x above 20 as ggml_softplus. */
    static float sqrtSoftplus(float x) {
        float sp = x > 20f ? x : (float) Math.log1p(Math.exp(x));
        return (float) Math.sqrt(sp);
    }

    private static boolean taken(int[] idx, int outOff, int n, int e) {
        for (int j = 0; j < n; j++) {
            if (idx[outOff + j] == e) {
                return true;
            }
        }
        return false;
    }

    /** {@code v[off .. off+n)} = softmax of itself, as ggml_soft_max computes it (float exps, double sum). */
    private static void softmaxInPlace(float[] v, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v[off + i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(v[off + i] - max);
            v[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) {
            v[off + i] *= inv;
        }
    }

    /** work[0..E) = gating(logits). */
    /** The gated affinities {@code out[0, experts)} of the logits at {@code off} ({@code ffn_moe_probs}). */
    static void affinities(ExpertGating gating, float[] logits, int off, int experts, float[] out) {
        if (gating == ExpertGating.SOFTMAX_WEIGHT) { // chosen on the raw logits; weighted after the choice
            System.arraycopy(logits, off, out, 0, experts);
            return;
        }
        if (gating == ExpertGating.SIGMOID) {
            for (int e = 0; e < experts; e++) {
                out[e] = (float) (1.0 / (1.0 + Math.exp(-logits[off + e])));
            }
            return;
        }
        if (gating == ExpertGating.SQRT_SOFTPLUS) {
            for (int e = 0; e < experts; e++) {
                out[e] = sqrtSoftplus(logits[off + e]);
            }
            return;
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int e = 0; e < experts; e++) {
            max = Math.max(max, logits[off + e]);
        }
        double sum = 0;
        for (int e = 0; e < experts; e++) {
            float v = (float) Math.exp(logits[off + e] - max);
            out[e] = v;
            sum += v;
        }
        float inv = (float) (1.0 / sum);
        for (int e = 0; e < experts; e++) {
            out[e] *= inv;
        }
    }

    /** Leaves only the best {@code groupsUsed} groups eligible: the others' scores become -inf. */
    private void limitGroups(float[] work, int sel, int gs) {
        int size = experts / groups;
        for (int g = 0; g < groups; g++) {
            float first = Float.NEGATIVE_INFINITY;
            float second = Float.NEGATIVE_INFINITY;
            for (int e = g * size; e < (g + 1) * size; e++) {
                float v = work[sel + e];
                if (v > first) {
                    second = first;
                    first = v;
                } else if (v > second) {
                    second = v;
                }
            }
            work[gs + g] = size == 1 ? first : first + second;
        }
        for (int j = 0; j < groupsUsed; j++) { // mark the kept groups with NaN in the group-score slots
            int best = -1;
            for (int g = 0; g < groups; g++) {
                float v = work[gs + g];
                if (!Float.isNaN(v) && (best < 0 || v > work[gs + best])) {
                    best = g;
                }
            }
            if (best < 0) {
                break;
            }
            work[gs + best] = Float.NaN;
        }
        for (int g = 0; g < groups; g++) {
            if (!Float.isNaN(work[gs + g])) {
                for (int e = g * size; e < (g + 1) * size; e++) {
                    work[sel + e] = Float.NEGATIVE_INFINITY;
                }
            }
        }
    }
}
