package dev.moe4j.internal.model;

/**
 * One model family ({@code general.architecture}): which parts its blocks use and how its tensors are named. One
 * implementation per family in {@code arch/}, listed in {@link dev.moe4j.internal.model.arch.Architectures}; the
 * forward pass, the state and the loading of what every family shares (embeddings, output head, rotary embedding)
 * are {@link Transformer}'s.
 *
 * <p>Implementations are stateless.
 */
public interface Architecture {

    /** The {@code general.architecture} value this family is stored under. */
    String name();

    /**
     * Reads the hyper-parameters (usually {@link HyperParams#read} with the family's rotary mode and defaults).
     *
     * @throws dev.moe4j.ModelFormatException if the metadata does not describe a model of this family
     */
    HyperParams hyperParams(ModelTensors t);

    /** Whether the family uses Llama 3's per-pair rotary frequency factors ({@code rope_freqs.weight}) when present. */
    default boolean ropeFreqFactors() {
        return false;
    }

    /**
     * KV-cache bytes one token takes over all layers, from the hyper-parameters alone (what {@code inspect} reports
     * before loading); must equal the sum of the loaded blocks' {@link Attention#cacheBytesPerToken()}. The default is
     * grouped-query attention's f32 keys and values in every layer.
     */
    default long cacheBytesPerToken(HyperParams hp, ModelTensors t) {
        return (long) hp.layers() * (hp.kvWidthK() + hp.kvWidthV()) * Float.BYTES;
    }

    /**
     * DeepSeek-V4's collapse of the hyper-connection streams before the output norm ({@code output_hc_*}), or null for
     * a family with one residual stream (the default). When there is one, every block has its two mixers.
     */
    default HyperConnections headMixer(ModelTensors t, HyperParams hp) {
        return null;
    }

    /**
     * Builds block {@code l} from the file's tensors.
     *
     * @throws dev.moe4j.ModelFormatException if a tensor is missing or does not fit (the message names it)
     */
    Block block(LayerLoad load, int l);
}
