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
 * OLMoE ({@code olmoe}), as llama.cpp's {@code olmoe} graph: GQA whose q and k projections are RMS-normalised over
 * their whole width (all heads at once) before RoPE (NEOX pairs); every layer is MoE: softmax over all experts, top-k,
 * weights NOT renormalised; no shared expert. The experts are {@code feed_forward_length} wide.
 */
public final class Olmoe implements Architecture {
    @Override
    public String name() {
        return "olmoe";
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
        TopKRouter router = Common.router(t, c,
                () -> TopKRouter.softmax(c.experts(), c.expertsUsed(), false, c.expertsScale()));
        MoeFfn moe = MoeFfn.load(t, LayerLoad.prefix(l), c.embd(), c.requireFfnWidth(t.source()), router,
                MoeFfn.Options.PLAIN, null, load.experts());
        return Common.block(load, l, GqaAttention.Options.qkNorm(QkNorm.WHOLE), "ffn_norm", moe);
    }
}
