package dev.moe4j.internal.model.arch;

import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.GqaAttention;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.model.MoeFfn;
import dev.moe4j.internal.model.SharedExpert;
import dev.moe4j.internal.model.TopKRouter;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Qwen1.5-MoE / Qwen2-MoE ({@code qwen2moe}), as llama.cpp's {@code qwen2moe} graph: GQA with q/k/v biases and RoPE
 * (NEOX pairs); every layer is MoE: softmax over all experts, top-k, weights NOT renormalised; plus a shared expert
 * whose output is scaled per token by {@code sigmoid(ffn_gate_inp_shexp · x)}. Expert width:
 * {@code expert_feed_forward_length}, else {@code feed_forward_length / k}; shared-expert width:
 * {@code expert_shared_feed_forward_length}, else {@code feed_forward_length}.
 */
public final class Qwen2Moe implements Architecture {
    @Override
    public String name() {
        return "qwen2moe";
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
        String p = LayerLoad.prefix(l);
        int d = c.embd();
        int f = c.expertWidth() > 0 ? c.expertWidth() : c.requireFfnWidth(t.source()) / c.expertsUsed();
        int fShared = c.sharedWidth() > 0 ? c.sharedWidth() : c.requireFfnWidth(t.source());
        TopKRouter router = Common.router(t, c,
                () -> TopKRouter.softmax(c.experts(), c.expertsUsed(), false, c.expertsScale()));
        MoeFfn moe = MoeFfn.load(t, p, d, f, router, MoeFfn.Options.PLAIN, () -> SharedExpert.load(t, p, d, fShared),
                load.experts());
        return Common.block(load, l, GqaAttention.Options.PLAIN, "ffn_norm", moe);
    }
}
