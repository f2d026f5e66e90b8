package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Llama 2/3 and Mistral dense models and Mixtral ({@code general.architecture = llama}), as llama.cpp's {@code llama}
 * graph: GQA with RoPE on adjacent pairs (NORM; the converter permuted q/k rows into that order), Llama 3's per-pair
 * frequency factors {@code rope_freqs.weight} when the file has them, optional q/k/v/output biases.
 * <ul>
 * <li>{@code expert_count = 0}: SwiGLU feed-forward of {@code feed_forward_length};</li>
 * <li>{@code expert_count > 0} (Mixtral): softmax over all experts, top-k (2), weights renormalised to sum 1; the
 *     experts are {@code feed_forward_length} wide, stored as 3-D {@code ffn_*_exps} or, in old conversions, as one
 *     {@code ffn_{gate,up,down}.E.weight} per expert.</li>
 * </ul>
 */
final class LlamaModel {
    static final String ARCH = "llama";

    private LlamaModel() {}

    static LanguageModel load(GgufFile file, ModelOptions options) {
        return DecoderModel.load(file, options, ARCH, RopeParams.MODE_NORM, true, LlamaModel::layer);
    }

    private static DecoderModel.Layer layer(ModelTensors t, DecoderConfig c, RotaryEmbedding rope, int l) {
        String p = "blk." + l + ".";
        int d = c.embd();
        int f = c.requireFfnWidth(t.source());
        GqaAttention attn = GqaAttention.load(t, p, c, rope, QkNorm.NONE);
        if (!c.moe()) {
            return new DecoderModel.Layer(t.vector(p + "attn_norm.weight", d), attn, t.vector(p + "ffn_norm.weight", d),
                    DenseFfn.load(t, p, "", d, f), null, null);
        }
        ExpertRouter router = TopKRouter.softmax(c.experts(), c.expertsUsed(), true, c.expertsScale());
        return new DecoderModel.Layer(t.vector(p + "attn_norm.weight", d), attn, t.vector(p + "ffn_norm.weight", d),
                null, MoeFfn.load(t, p, d, f, router), null);
    }
}
