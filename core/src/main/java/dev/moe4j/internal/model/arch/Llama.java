package dev.moe4j.internal.model.arch;

import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.GqaAttention;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.model.MoeFfn;
import dev.moe4j.internal.model.TopKRouter;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Llama 2/3 and Mistral dense models and Mixtral ({@code llama}), as llama.cpp's {@code llama} graph: GQA with RoPE
 * on adjacent pairs (NORM; the converter permuted q/k rows into that order), Llama 3's per-pair frequency factors
 * {@code rope_freqs.weight} when the file has them, optional q/k/v/output biases.
 * <ul>
 * <li>{@code expert_count = 0}: SwiGLU feed-forward of {@code feed_forward_length};</li>
 * <li>{@code expert_count > 0} (Mixtral): softmax over all experts, top-k (2), weights renormalised to sum 1; the
 *     experts are {@code feed_forward_length} wide, stored as 3-D {@code ffn_*_exps} or, in old conversions, as one
 *     {@code ffn_{gate,up,down}.E.weight} per expert.</li>
 * </ul>
 */
public final class Llama implements Architecture {
    @Override
    public String name() {
        return "llama";
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        return Common.gqaParams(t, name(), RopeParams.MODE_NORM);
    }

    @Override
    public boolean ropeFreqFactors() {
        return true;
    }

    @Override
    public Block block(LayerLoad load, int l) {
        HyperParams c = load.params();
        if (!c.moe()) {
            return Common.block(load, l, GqaAttention.Options.PLAIN, "ffn_norm", Common.denseFfn(load, l));
        }
        int f = c.requireFfnWidth(load.tensors().source());
        TopKRouter router = Common.router(load.tensors(), c,
                () -> TopKRouter.softmax(c.experts(), c.expertsUsed(), true, c.expertsScale()));
        MoeFfn moe = MoeFfn.load(load.tensors(), LayerLoad.prefix(l), c.embd(), f, router, MoeFfn.Options.PLAIN, null,
                load.experts());
        return Common.block(load, l, GqaAttention.Options.PLAIN, "ffn_norm", moe);
    }
}
