package dev.moe4j.internal.model.arch;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.LightningIndexer;
import dev.moe4j.internal.model.MlaAttention;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.nativeio.RopeParams;

import static dev.moe4j.internal.model.HyperParams.positive;

/**
 * DeepSeek-V3.2 ({@code deepseek32}): DeepSeek-V3's blocks ({@link DeepSeek2}: MLA, leading dense layers, sigmoid
 * routing with selection bias over groups, shared expert) with DeepSeek Sparse Attention: a {@link LightningIndexer} in
 * every block picks the {@code attention.indexer.top_k} (2,048) cached positions each query attends to. Queries are
 * always compressed ({@code attn_q_a}), since the indexer reads the compressed query. The NextN (MTP) block after the
 * main layers is not part of the forward pass.
 */
public final class DeepSeek32 implements Architecture {
    public static final String ARCH = "deepseek32";
    private static final String P = ARCH + ".";

    /** deepseek2's configuration plus the indexer's sizes. */
    record Config(DeepSeek2.Config base, LightningIndexer.Dims indexer) {}

    @Override
    public String name() {
        return ARCH;
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        return read(t.metadata(), t.source()).base().hp();
    }

    /** deepseek2's MLA cache plus the indexer's key of every token in every layer. */
    @Override
    public long cacheBytesPerToken(HyperParams hp, ModelTensors t) {
        Config c = read(t.metadata(), t.source());
        int r = c.base().mla().kvLoraRank();
        return (long) hp.layers() * (2L * r + c.base().mla().ropeDim() + c.indexer().headDim()) * Float.BYTES;
    }

    @Override
    public Block block(LayerLoad load, int l) {
        ModelTensors t = load.tensors();
        Config c = load.once(Config.class, () -> read(t.metadata(), t.source()));
        String p = LayerLoad.prefix(l);
        DeepSeek2.Config base = c.base();
        MlaAttention attn = MlaAttention.load(t, p, base.mla(), load.kernels()).withIndexer(
                LightningIndexer.load(t, p, c.indexer(), base.hp().embd(), base.qLoraRank()));
        return DeepSeek2.block(load, l, base, attn);
    }

    /**
     * Reads deepseek2's keys under the {@code deepseek32} prefix and the indexer's {@code attention.indexer.*}.
     *
     * @throws ModelFormatException if a key is missing or the sizes do not fit (the rotated dims must fit in an
     *                              indexer head)
     */
    static Config read(GgufMetadata md, String source) {
        DeepSeek2.Config base = DeepSeek2.read(md, ARCH, true, source);
        int heads = positive(md, P + "attention.indexer.head_count", source);
        int dim = positive(md, P + "attention.indexer.key_length", source);
        int topK = positive(md, P + "attention.indexer.top_k", source);
        int rope = base.hp().ropeDim();
        if (rope > dim) {
            throw new ModelFormatException(source + ": " + P + "attention.indexer.key_length " + dim
                    + " is smaller than the rope dimension " + rope, md.offset(P + "attention.indexer.key_length"));
        }
        RopeParams r = base.rope();
        RopeParams neox = new RopeParams(RopeParams.MODE_NEOX, r.freqBase(), r.freqScale(), r.extFactor(),
                r.attnFactor(), r.betaFast(), r.betaSlow(), r.nCtxOrig());
        return new Config(base, new LightningIndexer.Dims(heads, dim, rope, topK, neox));
    }
}
