package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Qwen3 dense models ({@code general.architecture = qwen3}), as llama.cpp's {@code qwen3} graph: GQA with a per-head
 * RMSNorm of q and k before RoPE (NEOX pairs), no biases, SwiGLU feed-forward of {@code feed_forward_length}; the
 * output projection may be tied to the token embedding.
 */
final class Qwen3Model {
    static final String ARCH = "qwen3";

    private Qwen3Model() {}

    static LanguageModel load(GgufFile file, ModelOptions options) {
        return DecoderModel.load(file, options, ARCH, RopeParams.MODE_NEOX, false, Qwen3Model::layer);
    }

    private static DecoderModel.Layer layer(ModelTensors t, DecoderConfig c, RotaryEmbedding rope, int l) {
        String p = "blk." + l + ".";
        int d = c.embd();
        return new DecoderModel.Layer(t.vector(p + "attn_norm.weight", d),
                GqaAttention.load(t, p, c, rope, QkNorm.PER_HEAD), t.vector(p + "ffn_norm.weight", d),
                DenseFfn.load(t, p, "", d, c.requireFfnWidth(t.source())), null, null);
    }
}
