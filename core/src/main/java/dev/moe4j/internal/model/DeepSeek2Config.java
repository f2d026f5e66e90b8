package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * The hyper-parameters of a {@code deepseek2} GGUF (DeepSeek-V2, V2-Lite, V3, R1), read the way llama.cpp reads them
 * (shared/spec/gguf-format.md §2.1, deepseek-v3-architecture.md §1, §3.2, §3.3), with the defaults it applies to older
 * files. Head sizes are the MLA ("decompressed") ones: {@code headDimK = nope + rope}, {@code headDimV} per head.
 *
 * @param qLoraRank     rank of the query compression, 0 when the model projects queries directly (V2-Lite)
 * @param ropeAttnFactor magnitude handed to the rotary kernel (llama.cpp's {@code yarn_attn_factor})
 * @param kqScale       softmax scale of the attention scores, YaRN mscale² folded in
 */
record DeepSeek2Config(String name, int layers, int embd, int heads, int contextLength, float eps, int qLoraRank,
                       int kvLoraRank, int headDimK, int headDimV, int ropeDim, int ffnWidth, int denseLayers,
                       int experts, int expertsUsed, int expertsShared, int expertWidth, ExpertGating gating,
                       boolean weightsNorm, float weightsScale, int groups, int groupsUsed, RopeParams rope,
                       float kqScale) {

    static final String ARCH = "deepseek2";
    private static final String P = ARCH + ".";

    /** Query/key dims that get no rotary embedding. */
    int nopeDim() {
        return headDimK - ropeDim;
    }

    /** Floats one token takes in one layer's compressed KV cache: the normalised latent and the rotated shared key. */
    int cacheWidth() {
        return kvLoraRank + ropeDim;
    }

    boolean isMoeLayer(int layer) {
        return layer >= denseLayers;
    }

    /**
     * @param qCompressed whether the file has {@code attn_q_a}/{@code attn_q_b} (else a direct {@code attn_q})
     * @param source      the file, for messages
     */
    static DeepSeek2Config read(GgufMetadata md, boolean qCompressed, String source) {
        int layers = positive(md, P + "block_count", source);
        int embd = positive(md, P + "embedding_length", source);
        int heads = positive(md, P + "attention.head_count", source);
        int ctx = positive(md, P + "context_length", source);
        float eps = md.optFloat(P + "attention.layer_norm_rms_epsilon").orElse(1e-6f);
        int kvRank = positive(md, P + "attention.kv_lora_rank", source);
        int qRank = qCompressed ? positive(md, P + "attention.q_lora_rank", source) : 0;
        int rope = positive(md, P + "rope.dimension_count", source);
        // Files converted with split k_b/v_b carry the MLA head sizes in *_mla keys (key_length is then the MQA view,
        // kv_lora_rank + rope); older files carry them in key_length / value_length.
        boolean mlaKeys = md.has(P + "attention.key_length_mla") && md.has(P + "attention.value_length_mla");
        int dk = positive(md, P + (mlaKeys ? "attention.key_length_mla" : "attention.key_length"), source);
        int dv = positive(md, P + (mlaKeys ? "attention.value_length_mla" : "attention.value_length"), source);
        if (dk <= rope || rope % 2 != 0) {
            throw new ModelFormatException(source + ": key length " + dk + " must exceed the even rope dimension " + rope,
                    -1);
        }
        int dense = Math.min(md.optInt(P + "leading_dense_block_count").orElse(0), layers);
        int ffn = dense > 0 ? positive(md, P + "feed_forward_length", source) : 0;

        boolean moe = dense < layers;
        int experts = moe ? positive(md, P + "expert_count", source) : 0;
        int used = moe ? positive(md, P + "expert_used_count", source) : 0;
        int shared = moe ? md.optInt(P + "expert_shared_count").orElse(0) : 0;
        int expertWidth = moe ? positive(md, P + "expert_feed_forward_length", source) : 0;
        int gatingValue = md.optInt(P + "expert_gating_func").orElse(0);
        ExpertGating gating = ExpertGating.fromGguf(gatingValue);
        if (gating == null) {
            throw new ModelFormatException(source + ": " + P + "expert_gating_func = " + gatingValue
                    + " is not supported for deepseek2 (1 = softmax, 2 = sigmoid)", md.offset(P + "expert_gating_func"));
        }
        boolean norm = md.optBool(P + "expert_weights_norm").orElse(false);
        float scale = md.optFloat(P + "expert_weights_scale").orElse(0f);
        // Group-limited routing; a V3-shaped file converted before these keys existed still means 8 groups, 4 used.
        boolean v3Shaped = experts == 256 && gating == ExpertGating.SIGMOID;
        int groups = md.optInt(P + "expert_group_count").orElse(v3Shaped ? 8 : 1);
        int groupsUsed = md.optInt(P + "expert_group_used_count").orElse(v3Shaped ? 4 : 1);
        if (moe) {
            if (used > experts) {
                throw new ModelFormatException(source + ": expert_used_count " + used + " > expert_count " + experts, -1);
            }
            if (groups < 1 || experts % groups != 0 || groupsUsed < 1 || groupsUsed > groups
                    || (long) groupsUsed * (experts / groups) < used) {
                throw new ModelFormatException(source + ": " + experts + " experts in " + groups + " groups with "
                        + groupsUsed + " used cannot route " + used + " experts per token", -1);
            }
        }

        RopeParams ropeParams = ropeParams(md, ctx);
        float kq = kqScale(md, ropeParams, dk);
        String name = md.optString("general.name").orElse("");
        return new DeepSeek2Config(name, layers, embd, heads, ctx, eps, qRank, kvRank, dk, dv, rope, ffn, dense,
                experts, used, shared, expertWidth, gating, norm, scale, groups, groupsUsed, ropeParams, kq);
    }

    /**
     * Rotary parameters as llama.cpp derives them for deepseek2: adjacent-pair rotation (NORM), YaRN when
     * {@code rope.scaling.type = yarn}, and a cos/sin magnitude that cancels ggml's built-in YaRN mscale so that the
     * rotated q_pe / k_pe keep unit magnitude (the mscale goes into the softmax scale instead, see {@link #kqScale}).
     */
    private static RopeParams ropeParams(GgufMetadata md, int ctx) {
        float base = md.optFloat(P + "rope.freq_base").orElse(10000f);
        String type = md.optString(P + "rope.scaling.type").orElse("linear");
        float factor = md.optFloat(P + "rope.scaling.factor")
                .orElse(md.optFloat(P + "rope.scale_linear").orElse(0f));
        float freqScale = factor == 0f || type.equals("none") ? 1f : 1f / factor;
        boolean yarn = type.equals("yarn");
        float ext = yarn ? 1f : 0f;
        int ctxOrig = md.optInt(P + "rope.scaling.original_context_length").orElse(ctx);
        float logMul = yarnLogMultiplier(md);
        float attn = 1f;
        if (ext != 0f) {
            float f = 1f / freqScale;
            if (logMul != 0f) {
                // DeepSeek-V2 configs set mscale = mscale_all_dim (0.707); V3 has both 1: either way the ratio is 1.
                float mscale = logMul != 1f ? logMul : 1f;
                attn = yarnMscale(f, mscale) / yarnMscale(f, logMul);
            } else {
                attn = yarnMscale(f, 1f);
            }
            attn *= 1f / (1f + 0.1f * (float) Math.log(f)); // ggml multiplies this back in when ext_factor != 0
        }
        attn *= md.optFloat(P + "rope.scaling.attn_factor").orElse(1f);
        // llama.cpp keeps the defaults 32 / 1 for deepseek2; real files that carry the keys carry the same values.
        float betaFast = md.optFloat(P + "rope.scaling.yarn_beta_fast").orElse(32f);
        float betaSlow = md.optFloat(P + "rope.scaling.yarn_beta_slow").orElse(1f);
        return new RopeParams(RopeParams.MODE_NORM, base, freqScale, ext, attn, betaFast, betaSlow, ctxOrig);
    }

    /** {@code rope.scaling.yarn_log_multiplier} is stored as 0.1 · mscale_all_dim; returns mscale_all_dim (0 if absent). */
    private static float yarnLogMultiplier(GgufMetadata md) {
        return md.optFloat(P + "rope.scaling.yarn_log_multiplier").map(v -> v / 0.1f).orElse(0f);
    }

    private static float yarnMscale(float factor, float mscale) {
        return factor <= 1f ? 1f : 0.1f * mscale * (float) Math.log(factor) + 1f;
    }

    /**
     * {@code mscale² / sqrt(headDimK)} where {@code mscale = attn_org · (1 + 0.1 · mscale_all_dim · ln(factor))} and
     * {@code attn_org} undoes the cancellation in {@link #ropeParams}; V3: 0.135234, V2-Lite: 0.114721 (spec §3.2).
     * The head size is the decompressed one (nope + rope), also in the absorbed form.
     */
    private static float kqScale(GgufMetadata md, RopeParams rope, int headDimK) {
        float lnF = (float) Math.log(1f / rope.freqScale());
        float attnOrg = rope.attnFactor() * (1f + 0.1f * lnF);
        float mscale = attnOrg * (1f + 0.1f * yarnLogMultiplier(md) * lnF);
        return mscale * mscale / (float) Math.sqrt(headDimK);
    }

    private static int positive(GgufMetadata md, String key, String source) {
        int v = md.getInt(key);
        if (v <= 0) {
            throw new ModelFormatException(source + ": metadata '" + key + "' = " + v + ", must be positive",
                    md.offset(key));
        }
        return v;
    }
}
