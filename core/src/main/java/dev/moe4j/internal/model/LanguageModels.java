package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;

import dev.moe4j.internal.model.arch.Architectures;

import java.util.Objects;

/**
 * Builds the {@link LanguageModel} for a GGUF file from its {@code general.architecture}: the one {@link Transformer}
 * with the family's parts ({@link Architectures}).
 */
public final class LanguageModels {
    private LanguageModels() {}

    /**
     * Loads the model in {@code file}. The file must stay open while the model is used (weights are views of its
     * mapping).
     *
     * @throws ModelFormatException if the architecture is not supported, or the file's metadata and tensors do not
     *                              describe a consistent model of it (the message names the key or tensor)
     */
    public static LanguageModel load(GgufFile file, ModelOptions options) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        String arch = file.metadata().getString("general.architecture");
        var family = Architectures.of(arch);
        if (family.isEmpty()) {
            throw new ModelFormatException(file.path() + ": architecture '" + arch + "' is not supported (supported: "
                    + String.join(", ", supportedArchitectures()) + ")", file.metadata().offset("general.architecture"));
        }
        return Transformer.load(file, options, family.get());
    }

    /** The {@code general.architecture} values {@link #load} accepts, sorted. */
    public static java.util.List<String> supportedArchitectures() {
        return Architectures.names();
    }
}
