package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Qwen2 / Qwen2.5 dense models ({@code general.architecture = qwen2}), as llama.cpp's {@code qwen2} graph: GQA with
 * q/k/v biases and RoPE (NEOX pairs), SwiGLU feed-forward of {@code feed_forward_length}; the output projection may be
 * tied to the token embedding.
 */
final class Qwen2Model {
    static final String ARCH = "qwen2";

    private Qwen2Model() {}

    static LanguageModel load(GgufFile file, ModelOptions options) {
        return DecoderModel.load(file, options, ARCH, RopeParams.MODE_NEOX, false, Qwen2Model::layer);
    }

    private static DecoderModel.Layer layer(ModelTensors t, DecoderConfig c, RotaryEmbedding rope, int l) {
        String p = "blk." + l + ".";
        int d = c.embd();
        return new DecoderModel.Layer(t.vector(p + "attn_norm.weight", d),
                GqaAttention.load(t, p, c, rope, QkNorm.NONE), t.vector(p + "ffn_norm.weight", d),
                DenseFfn.load(t, p, "", d, c.requireFfnWidth(t.source())), null, null);
    }
}
