package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Qwen3-MoE ({@code general.architecture = qwen3moe}, e.g. Qwen3-30B-A3B, Qwen3-235B-A22B), as llama.cpp's
 * {@code qwen3moe} graph: GQA with a per-head RMSNorm of q and k before RoPE (NEOX pairs), no biases; every layer is
 * MoE: softmax over all experts, top-k, weights renormalised to sum 1 (then {@code expert_weights_scale} if set); no
 * shared expert. Expert width: {@code expert_feed_forward_length}, else {@code feed_forward_length / k}.
 */
final class Qwen3MoeModel {
    static final String ARCH = "qwen3moe";

    private Qwen3MoeModel() {}

    static LanguageModel load(GgufFile file, ModelOptions options) {
        return DecoderModel.load(file, options, ARCH, RopeParams.MODE_NEOX, false, Qwen3MoeModel::layer);
    }

    private static DecoderModel.Layer layer(ModelTensors t, DecoderConfig c, RotaryEmbedding rope, int l) {
        c.requireExperts(t.source());
        String p = "blk." + l + ".";
        int d = c.embd();
        int f = c.expertWidth() > 0 ? c.expertWidth() : c.requireFfnWidth(t.source()) / c.expertsUsed();
        ExpertRouter router = TopKRouter.softmax(c.experts(), c.expertsUsed(), true, c.expertsScale());
        return new DecoderModel.Layer(t.vector(p + "attn_norm.weight", d),
                GqaAttention.load(t, p, c, rope, QkNorm.PER_HEAD), t.vector(p + "ffn_norm.weight", d),
                null, MoeFfn.load(t, p, d, f, router), null);
    }
}
