package dev.moe4j.internal.model.arch;

import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.GqaAttention;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Qwen2 / Qwen2.5 dense models ({@code qwen2}), as llama.cpp's {@code qwen2} graph: GQA with q/k/v biases and RoPE
 * (NEOX pairs), SwiGLU feed-forward of {@code feed_forward_length}; the output projection may be tied to the token
 * embedding.
 */
public final class Qwen2 implements Architecture {
    @Override
    public String name() {
        return "qwen2";
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        return Common.gqaParams(t, name(), RopeParams.MODE_NEOX);
    }

    @Override
    public Block block(LayerLoad load, int l) {
        return Common.block(load, l, GqaAttention.Options.PLAIN, "ffn_norm", Common.denseFfn(load, l));
    }
}
