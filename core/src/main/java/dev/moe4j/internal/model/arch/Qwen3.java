package dev.moe4j.internal.model.arch;

import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.GqaAttention;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Qwen3 dense models ({@code qwen3}), as llama.cpp's {@code qwen3} graph: GQA with a per-head RMSNorm of q and k
 * before RoPE (NEOX pairs), no biases, SwiGLU feed-forward of {@code feed_forward_length}; the output projection may
 * be tied to the token embedding.
 */
public final class Qwen3 implements Architecture {
    @Override
    public String name() {
        return "qwen3";
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        return Common.gqaParams(t, name(), RopeParams.MODE_NEOX);
    }

    @Override
    public Block block(LayerLoad load, int l) {
        return Common.block(load, l, GqaAttention.Options.qkNorm(QkNorm.PER_HEAD), "ffn_norm",
                Common.denseFfn(load, l));
    }
}
