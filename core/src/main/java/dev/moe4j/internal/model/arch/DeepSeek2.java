package dev.moe4j.internal.model.arch;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Attention;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.DenseFfn;
import dev.moe4j.internal.model.ExpertGating;
import dev.moe4j.internal.model.FeedForward;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.MlaAttention;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.model.MoeFfn;
import dev.moe4j.internal.model.SharedExpert;
import dev.moe4j.internal.model.TopKRouter;
import dev.moe4j.internal.nativeio.RopeParams;

import static dev.moe4j.internal.model.HyperParams.positive;

/**
 * DeepSeek-V2 / V2-Lite / V3 / R1 ({@code deepseek2}), following shared/spec/deepseek-v3-architecture.md and
 * llama.cpp's {@code deepseek2} graph: Multi-head Latent Attention ({@link MlaAttention}) in every block; SwiGLU in the
 * {@code leading_dense_block_count} first blocks, routed experts + shared experts in the others. Routing: softmax
 * (V2) or sigmoid with the {@code exp_probs_b} selection bias (V3), group-limited, optionally renormalised and scaled.
 * The rotary embedding turns adjacent pairs (NORM) with YaRN, its magnitude moved into the softmax scale.
 */
public final class DeepSeek2 implements Architecture {
    public static final String ARCH = "deepseek2";

    /**
     * What a {@code deepseek2} file says beyond the common keys, read the way llama.cpp reads it (spec §1, §3.2, §3.3),
     * with the defaults it applies to older files. Head sizes are the MLA ("decompressed") ones.
     *
     * @param hp    the common parameters, with the MLA head sizes, rotary parameters and softmax scale
     * @param mla   the attention's sizes
     */
    public record Config(HyperParams hp, MlaAttention.Dims mla, ExpertGating gating, boolean weightsNorm, int groups,
                         int groupsUsed) {
        public int nopeDim() {
            return hp.headDimK() - hp.ropeDim();
        }

        public int cacheWidth() {
            return mla.kvLoraRank() + mla.ropeDim();
        }

        public float kqScale() {
            return hp.kqScale();
        }

        public RopeParams rope() {
            return hp.rope();
        }

        public int qLoraRank() {
            return mla.qLoraRank();
        }

        public float weightsScale() {
            return hp.expertsScale();
        }

        public int headDimK() {
            return hp.headDimK();
        }

        public int headDimV() {
            return hp.headDimV();
        }
    }

    @Override
    public String name() {
        return ARCH;
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        return read(t.metadata(), t.has("blk.0.attn_q_a.weight"), t.source()).hp();
    }

    /** Every layer caches the MLA row and its transposed latent ({@link MlaAttention#cacheBytesPerToken()}). */
    @Override
    public long cacheBytesPerToken(HyperParams hp, ModelTensors t) {
        Config c = read(t.metadata(), t.has("blk.0.attn_q_a.weight"), t.source());
        return (long) hp.layers() * (2L * c.mla().kvLoraRank() + c.mla().ropeDim()) * Float.BYTES;
    }

    @Override
    public Block block(LayerLoad load, int l) {
        ModelTensors t = load.tensors();
        Config c = load.once(Config.class, () -> read(t.metadata(), t.has("blk.0.attn_q_a.weight"), t.source()));
        return block(load, l, c, MlaAttention.load(t, LayerLoad.prefix(l), c.mla(), load.kernels()));
    }

    /** Block {@code l} around {@code attn}: the norms and deepseek2's dense or routed + shared feed-forward. */
    static Block block(LayerLoad load, int l, Config c, Attention attn) {
        ModelTensors t = load.tensors();
        HyperParams hp = c.hp();
        String p = LayerLoad.prefix(l);
        int d = hp.embd();
        FeedForward ffn;
        if (!hp.isMoeLayer(l)) {
            ffn = DenseFfn.load(t, p, "", d, hp.ffnWidth());
        } else {
            int e = hp.experts();
            int f = hp.expertWidth();
            float[] bias = t.has(p + "exp_probs_b.bias") ? t.floats(p + "exp_probs_b.bias", e) : null;
            TopKRouter router = Common.router(t, hp, () -> new TopKRouter(c.gating(), bias, e, hp.expertsUsed(),
                    c.groups(), c.groupsUsed(), c.weightsNorm(), hp.expertsScale()));
            java.util.function.Supplier<SharedExpert> shared = hp.expertsShared() > 0
                    ? () -> SharedExpert.load(t, p, d, f * hp.expertsShared()) : null;
            ffn = MoeFfn.load(t, p, d, f, router, MoeFfn.Options.PLAIN, shared, load.experts());
        }
        return new Block(t.vector(p + "attn_norm.weight", d), attn, t.vector(p + "ffn_norm.weight", d), ffn);
    }

    /**
     * @param qCompressed whether the file has {@code attn_q_a}/{@code attn_q_b} (else a direct {@code attn_q})
     * @param source      the file, for messages
     */
    public static Config read(GgufMetadata md, boolean qCompressed, String source) {
        return read(md, ARCH, qCompressed, source);
    }

    /**
     * The same for a family that extends deepseek2 under its own key prefix ({@code deepseek32}).
     *
     * @param arch the {@code general.architecture} whose keys are read
     */
    public static Config read(GgufMetadata md, String arch, boolean qCompressed, String source) {
        String p = arch + ".";
        HyperParams common = HyperParams.read(md, arch, RopeParams.MODE_NORM, 1e-6f, source);
        int layers = common.layers();
        int kvRank = positive(md, p + "attention.kv_lora_rank", source);
        int qRank = qCompressed ? positive(md, p + "attention.q_lora_rank", source) : 0;
        int rope = positive(md, p + "rope.dimension_count", source);
        // Files converted with split k_b/v_b carry the MLA head sizes in *_mla keys (key_length is then the MQA view,
        // kv_lora_rank + rope); older files carry them in key_length / value_length.
        boolean mlaKeys = md.has(p + "attention.key_length_mla") && md.has(p + "attention.value_length_mla");
        int dk = positive(md, p + (mlaKeys ? "attention.key_length_mla" : "attention.key_length"), source);
        int dv = positive(md, p + (mlaKeys ? "attention.value_length_mla" : "attention.value_length"), source);
        if (dk <= rope || rope % 2 != 0) {
            throw new ModelFormatException(source + ": key length " + dk + " must exceed the even rope dimension " + rope,
                    -1);
        }
        int dense = common.denseLayers();
        if (dense > 0) {
            positive(md, p + "feed_forward_length", source);
        }
        boolean moe = dense < layers;
        ExpertGating gating = ExpertGating.SOFTMAX;
        int groups = 1;
        int groupsUsed = 1;
        if (moe) {
            int experts = positive(md, p + "expert_count", source);
            int used = positive(md, p + "expert_used_count", source);
            positive(md, p + "expert_feed_forward_length", source);
            gating = common.gating(ExpertGating.SOFTMAX, md);
            if (gating != ExpertGating.SOFTMAX && gating != ExpertGating.SIGMOID) {
                throw new ModelFormatException(source + ": " + p + "expert_gating_func = " + common.gatingKey()
                        + " is not supported for " + arch + " (1 = softmax, 2 = sigmoid)", md.offset(p + "expert_gating_func"));
            }
            // Group-limited routing; a V3-shaped file converted before these keys existed still means 8 groups, 4 used.
            boolean v3Shaped = experts == 256 && gating == ExpertGating.SIGMOID;
            groups = md.optInt(p + "expert_group_count").orElse(v3Shaped ? 8 : 1);
            groupsUsed = md.optInt(p + "expert_group_used_count").orElse(v3Shaped ? 4 : 1);
            if (used > experts) {
                throw new ModelFormatException(source + ": expert_used_count " + used + " > expert_count " + experts, -1);
            }
            if (groups < 1 || experts % groups != 0 || groupsUsed < 1 || groupsUsed > groups
                    || (long) groupsUsed * (experts / groups) < used) {
                throw new ModelFormatException(source + ": " + experts + " experts in " + groups + " groups with "
                        + groupsUsed + " used cannot route " + used + " experts per token", -1);
            }
        }
        boolean norm = common.weightsNorm() != null && common.weightsNorm();
        RopeParams ropeParams = ropeParams(md, p, common.contextLength());
        float kq = kqScale(md, p, ropeParams, dk);
        HyperParams hp = common.withHeadDims(dk, dv, rope, kq).withRope(ropeParams, kq);
        MlaAttention.Dims mla = new MlaAttention.Dims(hp.heads(), dk, dv, rope, qRank, kvRank, hp.eps(), kq, ropeParams,
                hp.embd());
        return new Config(hp, mla, gating, norm, groups, groupsUsed);
    }

    /**
     * Rotary parameters as llama.cpp derives them for deepseek2: adjacent-pair rotation (NORM), YaRN when
     * {@code rope.scaling.type = yarn}, and a cos/sin magnitude that cancels ggml's built-in YaRN mscale so that the
     * rotated q_pe / k_pe keep unit magnitude (the mscale goes into the softmax scale instead, see {@link #kqScale}).
     */
    private static RopeParams ropeParams(GgufMetadata md, String p, int ctx) {
        float base = md.optFloat(p + "rope.freq_base").orElse(10000f);
        String type = md.optString(p + "rope.scaling.type").orElse("linear");
        float factor = md.optFloat(p + "rope.scaling.factor")
                .orElse(md.optFloat(p + "rope.scale_linear").orElse(0f));
        float freqScale = factor == 0f || type.equals("none") ? 1f : 1f / factor;
        boolean yarn = type.equals("yarn");
        float ext = yarn ? 1f : 0f;
        int ctxOrig = md.optInt(p + "rope.scaling.original_context_length").orElse(ctx);
        float logMul = yarnLogMultiplier(md, p);
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
        attn *= md.optFloat(p + "rope.scaling.attn_factor").orElse(1f);
        // llama.cpp keeps the defaults 32 / 1 for deepseek2; real files that carry the keys carry the same values.
        float betaFast = md.optFloat(p + "rope.scaling.yarn_beta_fast").orElse(32f);
        float betaSlow = md.optFloat(p + "rope.scaling.yarn_beta_slow").orElse(1f);
        return new RopeParams(RopeParams.MODE_NORM, base, freqScale, ext, attn, betaFast, betaSlow, ctxOrig);
    }

    /** {@code rope.scaling.yarn_log_multiplier} is stored as 0.1 · mscale_all_dim; returns mscale_all_dim (0 if absent). */
    private static float yarnLogMultiplier(GgufMetadata md, String p) {
        return md.optFloat(p + "rope.scaling.yarn_log_multiplier").map(v -> v / 0.1f).orElse(0f);
    }

    private static float yarnMscale(float factor, float mscale) {
        return factor <= 1f ? 1f : 0.1f * mscale * (float) Math.log(factor) + 1f;
    }

    /**
     * {@code mscale² / sqrt(headDimK)} where {@code mscale = attn_org · (1 + 0.1 · mscale_all_dim · ln(factor))} and
     * {@code attn_org} undoes the cancellation in {@link #ropeParams}; V3: 0.135234, V2-Lite: 0.114721 (spec §3.2).
     * The head size is the decompressed one (nope + rope), also in the absorbed form.
     */
    private static float kqScale(GgufMetadata md, String p, RopeParams rope, int headDimK) {
        float lnF = (float) Math.log(1f / rope.freqScale());
        float attnOrg = rope.attnFactor() * (1f + 0.1f * lnF);
        float mscale = attnOrg * (1f + 0.1f * yarnLogMultiplier(md, p) * lnF);
        return mscale * mscale / (float) Math.sqrt(headDimK);
    }
}
