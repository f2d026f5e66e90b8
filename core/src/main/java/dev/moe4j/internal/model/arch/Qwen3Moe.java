package dev.moe4j.internal.model.arch;

import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.GqaAttention;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.model.MoeFfn;
import dev.moe4j.internal.model.TopKRouter;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Qwen3-MoE ({@code qwen3moe}, e.g. Qwen3-30B-A3B, Qwen3-235B-A22B), as llama.cpp's {@code qwen3moe} graph: GQA with
 * a per-head RMSNorm of q and k before RoPE (NEOX pairs), no biases; every layer is MoE: softmax over all experts,
 * top-k, weights renormalised to sum 1 (then {@code expert_weights_scale} if set); no shared expert. Expert width:
 * {@code expert_feed_forward_length}, else {@code feed_forward_length / k}.
 */
public final class Qwen3Moe implements Architecture {
    @Override
    public String name() {
        return "qwen3moe";
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        HyperParams c = Common.gqaParams(t, name(), RopeParams.MODE_NEOX);
        c.requireExperts(t.source());
        return c;
    }

    @Override
    public Block block(LayerLoad load, int l) {
        HyperParams c = load.params();
        ModelTensors t = load.tensors();
        int f = c.expertWidth() > 0 ? c.expertWidth() : c.requireFfnWidth(t.source()) / c.expertsUsed();
        TopKRouter router = Common.router(t, c,
                () -> TopKRouter.softmax(c.experts(), c.expertsUsed(), true, c.expertsScale()));
        MoeFfn moe = MoeFfn.load(t, LayerLoad.prefix(l), c.embd(), f, router, MoeFfn.Options.PLAIN, null,
                load.experts());
        return Common.block(load, l, GqaAttention.Options.qkNorm(QkNorm.PER_HEAD), "ffn_norm", moe);
    }
}
