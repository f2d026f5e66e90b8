package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.GqaAttention.QkNorm;
import dev.moe4j.internal.nativeio.RopeParams;

/**
 * OLMoE ({@code general.architecture = olmoe}), as llama.cpp's {@code olmoe} graph: GQA whose q and k projections are
 * RMS-normalised over their whole width (all heads at once) before RoPE (NEOX pairs); every layer is MoE: softmax over
 * all experts, top-k, weights NOT renormalised; no shared expert. The experts are {@code feed_forward_length} wide.
 */
final class OlmoeModel {
    static final String ARCH = "olmoe";

    private OlmoeModel() {}

    static LanguageModel load(GgufFile file, ModelOptions options) {
        return DecoderModel.load(file, options, ARCH, RopeParams.MODE_NEOX, false, OlmoeModel::layer);
    }

    private static DecoderModel.Layer layer(ModelTensors t, DecoderConfig c, RotaryEmbedding rope, int l) {
        c.requireExperts(t.source());
        String p = "blk." + l + ".";
        int d = c.embd();
        int f = c.requireFfnWidth(t.source());
        ExpertRouter router = TopKRouter.softmax(c.experts(), c.expertsUsed(), false, c.expertsScale());
        return new DecoderModel.Layer(t.vector(p + "attn_norm.weight", d),
                GqaAttention.load(t, p, c, rope, QkNorm.WHOLE), t.vector(p + "ffn_norm.weight", d),
                null, MoeFfn.load(t, p, d, f, router), null);
    }
}
