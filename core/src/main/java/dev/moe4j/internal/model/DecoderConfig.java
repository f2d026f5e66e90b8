package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * The hyper-parameters shared by the grouped-query-attention decoders ({@code llama}, {@code qwen2}, {@code qwen3},
 * {@code qwen2moe}, {@code qwen3moe}, {@code olmoe}), read from the common {@code <arch>.*} keys
 * (shared/spec/gguf-format.md §4) with llama.cpp's defaults: {@code head_count_kv} = {@code head_count}, head size =
 * {@code embedding_length / head_count} unless {@code attention.key_length} / {@code value_length} say otherwise,
 * rotary dims = head size, {@code rope.freq_base} = 10000. What differs between the architectures (rope mode, which
 * width the experts have, gating details) is decided by each architecture's class.
 *
 * @param arch          {@code general.architecture}
 * @param ffnWidth      {@code feed_forward_length}, 0 when the file has none
 * @param experts       {@code expert_count}, 0 for a dense model
 * @param expertsUsed   {@code expert_used_count}, 0 for a dense model
 * @param expertWidth   {@code expert_feed_forward_length}, 0 when the file has none (each architecture has its default)
 * @param sharedWidth   {@code expert_shared_feed_forward_length}, 0 when the file has none
 * @param expertsScale  {@code expert_weights_scale}: routing weights are multiplied by it unless it is 0 or 1
 * @param kqScale       softmax scale of the attention scores: {@code attention.scale} when the file sets it, else
 *                      {@code 1/sqrt(headDimK)}
 */
record DecoderConfig(String arch, String name, int layers, int embd, int heads, int headsKv, int headDimK,
                     int headDimV, int contextLength, float eps, int ropeDim, RopeParams rope, int ffnWidth,
                     int experts, int expertsUsed, int expertWidth, int sharedWidth, float expertsScale,
                     float kqScale) {

    /** Query heads that share one key/value head. */
    int groupSize() {
        return heads / headsKv;
    }

    /** Floats of one token's keys (all KV heads) in one layer. */
    int kvWidthK() {
        return headsKv * headDimK;
    }

    /** Floats of one token's values (all KV heads) in one layer. */
    int kvWidthV() {
        return headsKv * headDimV;
    }

    boolean moe() {
        return experts > 0;
    }

    /** {@link #ffnWidth}, which a dense layer needs. */
    int requireFfnWidth(String source) {
        if (ffnWidth <= 0) {
            throw new ModelFormatException(source + ": missing metadata '" + arch + ".feed_forward_length'", -1);
        }
        return ffnWidth;
    }

    /** For architectures that are MoE by definition: fails unless the file declares experts. */
    void requireExperts(String source) {
        if (!moe()) {
            throw new ModelFormatException(source + ": " + arch + " needs " + arch + ".expert_count > 0", -1);
        }
    }

    /**
     * @param ropeMode {@link RopeParams#MODE_NORM} or {@link RopeParams#MODE_NEOX}, as llama.cpp fixes it per
     *                 architecture
     * @param source   the file, for messages
     */
    static DecoderConfig read(GgufMetadata md, String arch, int ropeMode, String source) {
        String p = arch + ".";
        int layers = positive(md, p + "block_count", source);
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
        float eps = md.getFloat(p + "attention.layer_norm_rms_epsilon");
        if (!(eps > 0f)) {
            throw new ModelFormatException(source + ": " + p + "attention.layer_norm_rms_epsilon = " + eps
                    + ", must be positive", md.offset(p + "attention.layer_norm_rms_epsilon"));
        }
        int ropeDim = md.has(p + "rope.dimension_count") ? positive(md, p + "rope.dimension_count", source) : dk;
        if (ropeDim > dk || ropeDim % 2 != 0) {
            throw new ModelFormatException(source + ": " + p + "rope.dimension_count = " + ropeDim
                    + " must be even and at most the head size " + dk, md.offset(p + "rope.dimension_count"));
        }
        int ffn = md.has(p + "feed_forward_length") ? positive(md, p + "feed_forward_length", source) : 0;
        int experts = md.optInt(p + "expert_count").orElse(0);
        int used = experts > 0 ? positive(md, p + "expert_used_count", source) : 0;
        if (experts < 0 || used > experts) {
            throw new ModelFormatException(source + ": " + p + "expert_used_count " + used + " does not fit "
                    + p + "expert_count " + experts, -1);
        }
        int expertWidth = md.has(p + "expert_feed_forward_length")
                ? positive(md, p + "expert_feed_forward_length", source) : 0;
        int sharedWidth = md.has(p + "expert_shared_feed_forward_length")
                ? positive(md, p + "expert_shared_feed_forward_length", source) : 0;
        float scale = md.optFloat(p + "expert_weights_scale").orElse(0f);
        float attnScale = md.optFloat(p + "attention.scale").orElse(0f);
        float kq = attnScale != 0f ? attnScale : (float) (1.0 / Math.sqrt(dk));
        return new DecoderConfig(arch, md.optString("general.name").orElse(""), layers, embd, heads, headsKv, dk, dv,
                ctx, eps, ropeDim, ropeParams(md, p, ropeMode, ctx, source), ffn, experts, used, expertWidth, sharedWidth,
                scale, kq);
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

    static int positive(GgufMetadata md, String key, String source) {
        int v = md.getInt(key);
        if (v <= 0) {
            throw new ModelFormatException(source + ": metadata '" + key + "' = " + v + ", must be positive",
                    md.offset(key));
        }
        return v;
    }
}
