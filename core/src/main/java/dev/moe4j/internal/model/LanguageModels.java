package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;

import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * Builds the {@link LanguageModel} for a GGUF file from its {@code general.architecture}. Each architecture is one
 * class with a static {@code load(GgufFile, ModelOptions)}; adding one is one entry here.
 */
public final class LanguageModels {
    private static final Map<String, BiFunction<GgufFile, ModelOptions, LanguageModel>> LOADERS = Map.ofEntries(
            Map.entry(DeepSeek2Config.ARCH, DeepSeek2Model::load),
            Map.entry(LlamaModel.ARCH, LlamaModel::load),
            Map.entry(Qwen2Model.ARCH, Qwen2Model::load),
            Map.entry(Qwen3Model.ARCH, Qwen3Model::load),
            Map.entry(Qwen2MoeModel.ARCH, Qwen2MoeModel::load),
            Map.entry(Qwen3MoeModel.ARCH, Qwen3MoeModel::load),
            Map.entry(OlmoeModel.ARCH, OlmoeModel::load));

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
        var loader = LOADERS.get(arch);
        if (loader == null) {
            throw new ModelFormatException(file.path() + ": architecture '" + arch + "' is not supported (supported: "
                    + String.join(", ", supportedArchitectures()) + ")", file.metadata().offset("general.architecture"));
        }
        return loader.apply(file, options);
    }

    /** The {@code general.architecture} values {@link #load} accepts, sorted. */
    public static java.util.List<String> supportedArchitectures() {
        return LOADERS.keySet().stream().sorted().toList();
    }
}
