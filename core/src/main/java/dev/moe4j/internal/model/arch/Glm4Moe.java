package dev.moe4j.internal.model.arch;

import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.ExpertGating;
import dev.moe4j.internal.model.FeedForward;
import dev.moe4j.internal.model.GqaAttention;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.model.MoeFfn;
import dev.moe4j.internal.model.SharedExpert;
import dev.moe4j.internal.model.TopKRouter;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * GLM-4.5 / 4.6 / 4.5-Air ({@code glm4moe}), as llama.cpp's {@code glm4-moe} graph: GQA with q/k/v biases, an
 * optional per-head RMSNorm of q and k, partial rotary (NEOX pairs over the first {@code rope.dimension_count} dims of
 * each head), scale {@code 1/sqrt(head size)}; the FFN norm is {@code post_attention_norm}; SwiGLU in the
 * {@code leading_dense_block_count} first blocks, then DeepSeek-V3-style routed experts (sigmoid gating by default,
 * the {@code exp_probs_b} selection bias, optional groups, renormalised and scaled as the file says) plus always-active
 * shared experts. The trailing {@code nextn_predict_layers} blocks are multi-token-prediction layers, which the main
 * forward pass does not run ({@link HyperParams#layers()} excludes them).
 */
public final class Glm4Moe implements Architecture {
    @Override
    public String name() {
        return "glm4moe";
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        HyperParams c = Common.gqaParams(t, name(), RopeParams.MODE_NEOX);
        c.requireExperts(t.source());
        return c.withRope(c.rope(), (float) (1.0 / Math.sqrt(c.headDimK()))); // llama.cpp ignores attention.scale
    }

    @Override
    public Block block(LayerLoad load, int l) {
        HyperParams c = load.params();
        ModelTensors t = load.tensors();
        String p = LayerLoad.prefix(l);
        int d = c.embd();
        FeedForward ffn;
        if (!c.isMoeLayer(l)) {
            ffn = Common.denseFfn(load, l);
        } else {
            int f = c.expertWidth() > 0 ? c.expertWidth() : c.requireFfnWidth(t.source()) / c.expertsUsed();
            ExpertGating gating = c.gating(ExpertGating.SIGMOID, t.metadata());
            float[] bias = t.floats(p + "exp_probs_b.bias", c.experts());
            TopKRouter router = Common.router(t, c, () -> new TopKRouter(gating, bias, c.experts(), c.expertsUsed(),
                    c.groupsOr(1), c.groupsUsedOr(1), Boolean.TRUE.equals(c.weightsNorm()), c.expertsScale()));
            java.util.function.Supplier<SharedExpert> shared = c.expertsShared() > 0
                    ? () -> SharedExpert.load(t, p, d, f * c.expertsShared()) : null;
            ffn = MoeFfn.load(t, p, d, f, router, MoeFfn.Options.PLAIN, shared, load.experts());
        }
        QkNorm qk = t.has(p + "attn_q_norm.weight") ? QkNorm.PER_HEAD : QkNorm.NONE;
        return Common.block(load, l, GqaAttention.Options.qkNorm(qk), "post_attention_norm", ffn);
    }
}
