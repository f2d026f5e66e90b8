package dev.moe4j.internal.model.arch;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.DenseFfn;
import dev.moe4j.internal.model.FeedForward;
import dev.moe4j.internal.model.GqaAttention;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.model.TopKRouter;

/** What several families' files share: how GQA hyper-parameters are read and how a plain block is assembled. */
final class Common {
    private Common() {}

    /** The common keys with a required epsilon, rotary dims checked against the head size. */
    static HyperParams gqaParams(ModelTensors t, String arch, int ropeMode) {
        return HyperParams.read(t.metadata(), arch, ropeMode, Float.NaN, t.source())
                .requireRopeWithinHead(t.metadata(), t.source());
    }

    /** {@code attn_norm}, the attention, {@code ffn_norm} (or the family's name for it), the FFN. */
    static Block block(LayerLoad load, int l, GqaAttention.Options attn, String ffnNormName, FeedForward ffn) {
        String p = LayerLoad.prefix(l);
        ModelTensors t = load.tensors();
        int d = load.params().embd();
        return new Block(t.vector(p + "attn_norm.weight", d),
                GqaAttention.load(t, p, load.params(), load.rope(), attn),
                t.vector(p + ffnNormName + ".weight", d), ffn);
    }

    /**
     * The router {@code make} builds, or a {@link ModelFormatException} naming the file and the routing keys when the
     * file's values cannot describe one (k above the expert count, groups that do not divide the experts, ...).
     */
    static TopKRouter router(ModelTensors t, HyperParams c, java.util.function.Supplier<TopKRouter> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(t.source() + ": " + c.arch() + ".expert_count, expert_used_count,"
                    + " expert_group_count and expert_group_used_count do not describe a router: " + e.getMessage(), -1);
        }
    }

    /** The SwiGLU FFN of {@code feed_forward_length}. */
    static DenseFfn denseFfn(LayerLoad load, int l) {
        HyperParams c = load.params();
        return DenseFfn.load(load.tensors(), LayerLoad.prefix(l), "", c.embd(), c.requireFfnWidth(load.tensors().source()));
    }
}
