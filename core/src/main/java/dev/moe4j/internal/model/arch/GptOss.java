package dev.moe4j.internal.model.arch;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.ExpertGating;
import dev.moe4j.internal.model.GqaAttention;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.model.MoeFfn;
import dev.moe4j.internal.model.TopKRouter;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * gpt-oss ({@code gpt-oss}), as llama.cpp's {@code openai-moe} graph: GQA with q/k/v/output biases, RoPE (NEOX, YaRN)
 * over heads of {@code rope.dimension_count} dims, scale {@code 1/sqrt(n_rot)}, a learned sink logit per head
 * ({@code attn_sinks}), and a sliding window of {@code attention.sliding_window} tokens on every other layer (those
 * with {@code l % pattern < pattern - 1}, pattern {@code attention.sliding_window_pattern} or 2: the even layers);
 * the FFN norm is {@code post_attention_norm}; every block is MoE with a biased router, experts chosen on the raw
 * logits and weighted by the softmax over the chosen ones, biased experts and the clamped SwiGLU
 * ({@code alpha = 1.702, limit = 7}, constants of llama.cpp's LLM_FFN_SWIGLU_OAI_MOE).
 */
public final class GptOss implements Architecture {
    static final float SWIGLU_ALPHA = 1.702f;
    static final float SWIGLU_LIMIT = 7.0f;

    @Override
    public String name() {
        return "gpt-oss";
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        HyperParams c = Common.gqaParams(t, name(), RopeParams.MODE_NEOX);
        c.requireExperts(t.source());
        if (c.headDimK() != c.ropeDim() || c.headDimV() != c.ropeDim()) {
            throw new ModelFormatException(t.source() + ": gpt-oss heads are rope.dimension_count = " + c.ropeDim()
                    + " wide, but the file says keys " + c.headDimK() + ", values " + c.headDimV(), -1);
        }
        if (c.slidingWindow() <= 0) {
            throw new ModelFormatException(t.source() + ": missing metadata 'gpt-oss.attention.sliding_window'", -1);
        }
        if (c.expertWidth() <= 0) {
            throw new ModelFormatException(t.source() + ": missing metadata 'gpt-oss.expert_feed_forward_length'", -1);
        }
        return c.withRope(c.rope(), (float) (1.0 / Math.sqrt(c.ropeDim())));
    }

    @Override
    public Block block(LayerLoad load, int l) {
        HyperParams c = load.params();
        ModelTensors t = load.tensors();
        int pattern = t.metadata().optInt(name() + ".attention.sliding_window_pattern").orElse(2);
        boolean sliding = pattern == 0 || l % pattern < pattern - 1;
        TopKRouter router = Common.router(t, c, () -> new TopKRouter(ExpertGating.SOFTMAX_WEIGHT, null, c.experts(),
                c.expertsUsed(), 1, 1, false, c.expertsScale()));
        MoeFfn moe = MoeFfn.load(t, LayerLoad.prefix(l), c.embd(), c.expertWidth(), router,
                new MoeFfn.Options(MoeFfn.Activation.oai(SWIGLU_ALPHA, SWIGLU_LIMIT), true), null, load.experts());
        var attn = new GqaAttention.Options(QkNorm.NONE, sliding ? c.slidingWindow() : 0, true);
        return Common.block(load, l, attn, "post_attention_norm", moe);
    }
}
