package dev.moe4j.internal.model;

import dev.moe4j.Moe4jException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.arch.Architectures;

import java.util.OptionalLong;

/**
 * KV-cache bytes per token of a model file, from its metadata alone (nothing is loaded): what {@code inspect} and
 * {@link dev.moe4j.ModelInfo} report so that a context length can be sized before loading. Equal to the sum of
 * {@link Attention#cacheBytesPerToken()} over the loaded blocks (a test holds every golden model to that).
 */
public final class KvCacheSize {
    private KvCacheSize() {}

    /** The bytes, or empty when moe4j does not run the file's architecture or its metadata does not describe one. */
    public static OptionalLong perToken(GgufFile file) {
        var arch = file.metadata().optString("general.architecture").flatMap(Architectures::of);
        if (arch.isEmpty()) {
            return OptionalLong.empty();
        }
        ModelTensors t = new ModelTensors(file, null, ModelOptions.defaults(1));
        try {
            return OptionalLong.of(arch.get().cacheBytesPerToken(arch.get().hyperParams(t), t));
        } catch (Moe4jException e) {
            return OptionalLong.empty(); // the file is not a valid model of its family: load says why
        }
    }
}
