package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * The hyper-parameters every family shares, read once from the common {@code <arch>.*} keys
 * (shared/spec/gguf-format.md §4) with llama.cpp's defaults: {@code head_count_kv} = {@code head_count}, head size =
 * {@code embedding_length / head_count} unless {@code attention.key_length} / {@code value_length} say otherwise,
 * rotary dims = head size, {@code rope.freq_base} = 10000; and the MoE routing keys. What a family makes of them
 * (which gating when the key is absent, which expert width) is decided by its file in {@code arch/}.
 *
 * @param arch          {@code general.architecture}
 * @param layers        transformer blocks the forward pass runs: {@code block_count} less the trailing
 *                      {@code nextn_predict_layers} (multi-token-prediction blocks, which only drafting uses)
 * @param eps           {@code attention.layer_norm_rms_epsilon}, or the family's default when absent
 * @param ffnWidth      {@code feed_forward_length}, 0 when the file has none
 * @param experts       {@code expert_count}, 0 for a dense model
 * @param expertsUsed   {@code expert_used_count}, 0 for a dense model
 * @param expertWidth   {@code expert_feed_forward_length}, 0 when the file has none
 * @param expertsShared {@code expert_shared_count}, 0 when the file has none
 * @param sharedWidth   {@code expert_shared_feed_forward_length}, 0 when the file has none
 * @param gatingKey     {@code expert_gating_func} as stored, 0 when absent
 * @param weightsNorm   {@code expert_weights_norm}, null when absent (the family decides)
 * @param expertsScale  {@code expert_weights_scale}: routing weights are multiplied by it unless it is 0 or 1
 * @param groups        {@code expert_group_count}, 0 when absent
 * @param groupsUsed    {@code expert_group_used_count}, 0 when absent
 * @param denseLayers   {@code leading_dense_block_count}: blocks before the first MoE block (clamped to layers)
 * @param nextnLayers   {@code nextn_predict_layers}
 * @param slidingWindow {@code attention.sliding_window}, 0 when absent: tokens a sliding-window layer sees
 * @param kqScale       softmax scale of the attention scores: {@code attention.scale} when the file sets it, else
 *                      {@code 1/sqrt(headDimK)}
 */
public record HyperParams(String arch, String name, int layers, int embd, int heads, int headsKv, int headDimK,
                          int headDimV, int contextLength, float eps, int ropeDim, RopeParams rope, int ffnWidth,
                          int experts, int expertsUsed, int expertWidth, int expertsShared, int sharedWidth,
                          int gatingKey, Boolean weightsNorm, float expertsScale, int groups, int groupsUsed,
                          int denseLayers, int nextnLayers, int slidingWindow, float kqScale) {

    /** Query heads that share one key/value head. */
    public int groupSize() {
        return heads / headsKv;
    }

    /** Floats of one token's keys (all KV heads) in one layer. */
    public int kvWidthK() {
        return headsKv * headDimK;
    }

    /** Floats of one token's values (all KV heads) in one layer. */
    public int kvWidthV() {
        return headsKv * headDimV;
    }

    public boolean moe() {
        return experts > 0;
    }

    /** Whether block {@code l} routes experts: a MoE model past its leading dense blocks. */
    public boolean isMoeLayer(int l) {
        return moe() && l >= denseLayers;
    }

    /** {@link #ffnWidth}, which a dense layer needs. */
    public int requireFfnWidth(String source) {
        if (ffnWidth <= 0) {
            throw new ModelFormatException(source + ": missing metadata '" + arch + ".feed_forward_length'", -1);
        }
        return ffnWidth;
    }

    /** {@link #expertWidth}, else the family's fallback. */
    public int expertWidthOr(int fallback) {
        return expertWidth > 0 ? expertWidth : fallback;
    }

    /** For families that are MoE by definition: fails unless the file declares experts. */
    public void requireExperts(String source) {
        if (!moe()) {
            throw new ModelFormatException(source + ": " + arch + " needs " + arch + ".expert_count > 0", -1);
        }
    }

    /**
     * The gating of {@code expert_gating_func}, or {@code absent} when the file has no such key.
     *
     * @throws ModelFormatException for a value moe4j does not implement
     */
    public ExpertGating gating(ExpertGating absent, GgufMetadata md) {
        if (gatingKey == 0) {
            return absent;
        }
        ExpertGating g = ExpertGating.fromGguf(gatingKey);
        if (g == null) {
            throw new ModelFormatException(arch + ".expert_gating_func = " + gatingKey + " is not supported for "
                    + arch + " (1 = softmax, 2 = sigmoid, 3 = softmax over the chosen)",
                    md.offset(arch + ".expert_gating_func"));
        }
        return g;
    }

    /** The routing groups, {@code defaultGroups} when the file has no {@code expert_group_count}. */
    public int groupsOr(int defaultGroups) {
        return groups > 0 ? groups : defaultGroups;
    }

    public int groupsUsedOr(int defaultGroupsUsed) {
        return groupsUsed > 0 ? groupsUsed : defaultGroupsUsed;
    }

    /** This record with other rotary parameters and softmax scale (families that derive their own). */
    public HyperParams withRope(RopeParams r, float kq) {
        return new HyperParams(arch, name, layers, embd, heads, headsKv, headDimK, headDimV, contextLength, eps, ropeDim,
                r, ffnWidth, experts, expertsUsed, expertWidth, expertsShared, sharedWidth, gatingKey, weightsNorm,
                expertsScale, groups, groupsUsed, denseLayers, nextnLayers, slidingWindow, kq);
    }

    /** This record with other head sizes (MLA files store the decompressed ones under their own keys). */
    public HyperParams withHeadDims(int dk, int dv, int nRot, float kq) {
        return new HyperParams(arch, name, layers, embd, heads, headsKv, dk, dv, contextLength, eps, nRot, rope,
                ffnWidth, experts, expertsUsed, expertWidth, expertsShared, sharedWidth, gatingKey, weightsNorm,
                expertsScale, groups, groupsUsed, denseLayers, nextnLayers, slidingWindow, kq);
    }

    /**
     * @param ropeMode   {@link RopeParams#MODE_NORM} or {@link RopeParams#MODE_NEOX}, as llama.cpp fixes it per family
     * @param defaultEps the family's epsilon when the file has none, or NaN when the key is required
     * @param source     the file, for messages
     */
    public static HyperParams read(GgufMetadata md, String arch, int ropeMode, float defaultEps, String source) {
        String p = arch + ".";
        int blocks = positive(md, p + "block_count", source);
        int nextn = md.optInt(p + "nextn_predict_layers").orElse(0);
        if (nextn < 0 || nextn >= blocks) {
            throw new ModelFormatException(source + ": " + p + "nextn_predict_layers = " + nextn + " leaves no block of "
                    + blocks, md.offset(p + "nextn_predict_layers"));
        }
        int layers = blocks - nextn;
        int embd = positive(md, p + "embedding_length", source);
        int heads = positive(md, p + "attention.head_count", source);
        int headsKv = md.has(p + "attention.head_count_kv") ? positive(md, p + "attention.head_count_kv", source)
                : heads;
        if (heads % headsKv != 0) {
            throw new ModelFormatException(source + ": " + heads + " attention heads cannot be grouped over " + headsKv
                    + " key/value heads (" + p + "attention.head_count_kv)", md.offset(p + "attention.head_count_kv"));
        }
        if (!md.has(p + "attention.key_length") && embd % heads != 0) {
            throw new ModelFormatException(source + ": embedding_length " + embd + " is not a multiple of head_count "
                    + heads + " and the file has no " + p + "attention.key_length", -1);
        }
        int dk = md.has(p + "attention.key_length") ? positive(md, p + "attention.key_length", source) : embd / heads;
        int dv = md.has(p + "attention.value_length") ? positive(md, p + "attention.value_length", source) : dk;
        int ctx = positive(md, p + "context_length", source);
        float eps = Float.isNaN(defaultEps) || md.has(p + "attention.layer_norm_rms_epsilon")
                ? md.getFloat(p + "attention.layer_norm_rms_epsilon") : defaultEps;
        if (!(eps > 0f)) {
            throw new ModelFormatException(source + ": " + p + "attention.layer_norm_rms_epsilon = " + eps
                    + ", must be positive", md.offset(p + "attention.layer_norm_rms_epsilon"));
        }
        int ropeDim = md.has(p + "rope.dimension_count") ? positive(md, p + "rope.dimension_count", source) : dk;
        int ffn = md.has(p + "feed_forward_length") ? positive(md, p + "feed_forward_length", source) : 0;
        int experts = md.optInt(p + "expert_count").orElse(0);
        int used = experts > 0 ? positive(md, p + "expert_used_count", source) : 0;
        if (experts < 0 || used > experts) {
            throw new ModelFormatException(source + ": " + p + "expert_used_count " + used + " does not fit "
                    + p + "expert_count " + experts, -1);
        }
        int expertWidth = md.has(p + "expert_feed_forward_length")
                ? positive(md, p + "expert_feed_forward_length", source) : 0;
        int shared = Math.max(0, md.optInt(p + "expert_shared_count").orElse(0));
        int sharedWidth = md.has(p + "expert_shared_feed_forward_length")
                ? positive(md, p + "expert_shared_feed_forward_length", source) : 0;
        int gating = md.optInt(p + "expert_gating_func").orElse(0);
        Boolean norm = md.optBool(p + "expert_weights_norm").orElse(null);
        float scale = md.optFloat(p + "expert_weights_scale").orElse(0f);
        int groups = md.optInt(p + "expert_group_count").orElse(0);
        int groupsUsed = md.optInt(p + "expert_group_used_count").orElse(0);
        int dense = Math.max(0, Math.min(md.optInt(p + "leading_dense_block_count").orElse(0), layers));
        int window = md.optInt(p + "attention.sliding_window").orElse(0);
        if (window < 0) {
            throw new ModelFormatException(source + ": " + p + "attention.sliding_window = " + window
                    + ", must not be negative", md.offset(p + "attention.sliding_window"));
        }
        float attnScale = md.optFloat(p + "attention.scale").orElse(0f);
        float kq = attnScale != 0f ? attnScale : (float) (1.0 / Math.sqrt(dk));
        return new HyperParams(arch, md.optString("general.name").orElse(""), layers, embd, heads, headsKv, dk, dv,
                ctx, eps, ropeDim, ropeParams(md, p, ropeMode, ctx, source), ffn, experts, used, expertWidth, shared,
                sharedWidth, gating, norm, scale, groups, groupsUsed, dense, nextn, window, kq);
    }

    /** Checks the rotary dims against the head size: even and at most {@code dk}. */
    public HyperParams requireRopeWithinHead(GgufMetadata md, String source) {
        if (ropeDim > headDimK || ropeDim % 2 != 0) {
            throw new ModelFormatException(source + ": " + arch + ".rope.dimension_count = " + ropeDim
                    + " must be even and at most the head size " + headDimK, md.offset(arch + ".rope.dimension_count"));
        }
        return this;
    }

    /**
     * Rotary parameters as llama.cpp sets them from the file: plain RoPE, linear scaling ({@code freq_scale =
     * 1/factor}) or YaRN with ggml's defaults (ramp on, beta_fast 32, beta_slow 1, magnitude
     * {@code rope.scaling.attn_factor} or 1, on which ggml applies its own {@code 1 + 0.1·ln(factor)}).
     */
    private static RopeParams ropeParams(GgufMetadata md, String p, int mode, int ctx, String source) {
        float base = md.optFloat(p + "rope.freq_base").orElse(10000f);
        String type = md.optString(p + "rope.scaling.type").orElse("linear");
        float factor = md.optFloat(p + "rope.scaling.factor").orElse(md.optFloat(p + "rope.scale_linear").orElse(0f));
        float freqScale = factor == 0f ? 1f : 1f / factor; // as llama.cpp: whatever the type says
        boolean yarn = switch (type) {
            case "none", "linear" -> false;
            case "yarn" -> true;
            default -> throw new ModelFormatException(source + ": " + p + "rope.scaling.type = '" + type
                    + "' is not supported (none, linear, yarn)", md.offset(p + "rope.scaling.type"));
        };
        int ctxOrig = md.optInt(p + "rope.scaling.original_context_length").orElse(ctx);
        float attn = md.optFloat(p + "rope.scaling.attn_factor").orElse(1f);
        float betaFast = md.optFloat(p + "rope.scaling.yarn_beta_fast").orElse(32f);
        float betaSlow = md.optFloat(p + "rope.scaling.yarn_beta_slow").orElse(1f);
        return new RopeParams(mode, base, freqScale, yarn ? 1f : 0f, attn, betaFast, betaSlow, ctxOrig);
    }

    public static int positive(GgufMetadata md, String key, String source) {
        int v = md.getInt(key);
        if (v <= 0) {
            throw new ModelFormatException(source + ": metadata '" + key + "' = " + v + ", must be positive",
                    md.offset(key));
        }
        return v;
    }
}
