package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Qwen1.5-MoE / Qwen2-MoE ({@code general.architecture = qwen2moe}), as llama.cpp's {@code qwen2moe} graph: GQA with
 * q/k/v biases and RoPE (NEOX pairs); every layer is MoE: softmax over all experts, top-k, weights NOT renormalised;
 * plus a shared expert whose output is scaled per token by {@code sigmoid(ffn_gate_inp_shexp · x)}.
 * Expert width: {@code expert_feed_forward_length}, else {@code feed_forward_length / k}; shared-expert width:
 * {@code expert_shared_feed_forward_length}, else {@code feed_forward_length}.
 */
final class Qwen2MoeModel {
    static final String ARCH = "qwen2moe";

    private Qwen2MoeModel() {}

    static LanguageModel load(GgufFile file, ModelOptions options) {
        return DecoderModel.load(file, options, ARCH, RopeParams.MODE_NEOX, false, Qwen2MoeModel::layer);
    }

    private static DecoderModel.Layer layer(ModelTensors t, DecoderConfig c, RotaryEmbedding rope, int l) {
        c.requireExperts(t.source());
        String p = "blk." + l + ".";
        int d = c.embd();
        int f = c.expertWidth() > 0 ? c.expertWidth() : c.requireFfnWidth(t.source()) / c.expertsUsed();
        int fShared = c.sharedWidth() > 0 ? c.sharedWidth() : c.requireFfnWidth(t.source());
        ExpertRouter router = TopKRouter.softmax(c.experts(), c.expertsUsed(), false, c.expertsScale());
        return new DecoderModel.Layer(t.vector(p + "attn_norm.weight", d),
                GqaAttention.load(t, p, c, rope, QkNorm.NONE), t.vector(p + "ffn_norm.weight", d),
                null, MoeFfn.load(t, p, d, f, router), SharedExpert.load(t, p, d, fShared));
    }
}
