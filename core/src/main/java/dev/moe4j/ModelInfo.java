package dev.moe4j;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.model.ExpertTensorNames;
import dev.moe4j.internal.quant.GgmlType;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * What a GGUF model file contains, read from its header without loading any weight: architecture, size in
 * parameters (total and active per token), experts, main hyperparameters, tensors by type and all metadata.
 *
 * <p>An immutable value, detached from the file (safe to keep, share between threads and compare). Counts that the
 * file does not state are 0: a dense model has {@code expertCount() == 0}, a vocabulary-only file has
 * {@code blockCount() == 0}. Hyperparameters are read from the {@code <architecture>.*} keys llama.cpp uses
 * (e.g. {@code deepseek2.block_count}).
 *
 * <p><b>Parameters.</b> {@link #parametersTotal()} is the sum of the element counts of all tensors.
 * {@link #parametersActive()} is what one token uses: the total minus, in every layer, the routed experts it does
 * not select, i.e. {@code total - (expertCount - expertUsedCount) * Σ_layers Σ_{blk.N.*_exps tensors}
 * elementCount / expertCount}. Old Mixtral conversions store one 2-D tensor per expert
 * ({@code blk.N.ffn_gate.E.weight}); those count the same way. Shared experts, routers and attention always count as
 * active. For a dense model the two are equal.
 */
public final class ModelInfo {

    private final Path path;
    private final int ggufVersion;
    private final String architecture;
    private final @Nullable String name;
    private final int tensorCount;
    private final Map<String, Integer> tensorCountByType;
    private final long parametersTotal;
    private final long parametersActive;
    private final int expertCount;
    private final int expertUsedCount;
    private final int blockCount;
    private final int embeddingLength;
    private final int contextLength;
    private final int vocabularySize;
    private final @Nullable String chatTemplate;
    private final long fileSize;
    private final int fileCount;
    private final Map<String, Object> metadata;
    private final long kvCacheBytesPerToken; // -1: unknown

    private ModelInfo(GgufFile f) {
        GgufMetadata md = f.metadata();
        this.path = f.path();
        this.ggufVersion = f.version();
        this.architecture = md.getString("general.architecture");
        String a = architecture + ".";
        this.name = md.optString("general.name").orElse(null);
        this.tensorCount = f.tensors().size();
        this.expertCount = md.optInt(a + "expert_count").orElse(0);
        this.expertUsedCount = expertCount == 0 ? md.optInt(a + "expert_used_count").orElse(0)
                : md.getInt(a + "expert_used_count");
        if (expertCount < 0 || expertUsedCount < 0 || expertUsedCount > expertCount) {
            throw new ModelFormatException(f.path() + ": " + a + "expert_used_count = " + expertUsedCount
                    + " does not fit " + a + "expert_count = " + expertCount, -1);
        }
        this.blockCount = md.optInt(a + "block_count").orElse(0);
        this.embeddingLength = md.optInt(a + "embedding_length").orElse(0);
        this.contextLength = md.optInt(a + "context_length").orElse(0);
        this.vocabularySize = md.has("tokenizer.ggml.tokens") ? md.getArray("tokenizer.ggml.tokens").size()
                : md.optInt(a + "vocab_size").orElse(0);
        this.chatTemplate = md.optString("tokenizer.chat_template").orElse(null);
        this.fileSize = f.fileSize();
        this.fileCount = f.shardPaths().size();

        Map<GgmlType, Integer> byType = new TreeMap<>();
        long total = 0;
        long routed = 0; // elements of all routed experts of all layers
        for (GgufTensor t : f.tensors()) {
            byType.merge(t.type(), 1, Integer::sum);
            total = Math.addExact(total, t.elementCount());
            var expert = expertCount > 0 ? ExpertTensorNames.parse(t.name()) : java.util.Optional.<ExpertTensorNames.Parsed>empty();
            if (expert.isPresent() && expert.get().stacked()) {
                if (t.dim(t.rank() - 1) != expertCount) {
                    throw new ModelFormatException(f.path() + ": tensor '" + t.name() + "' holds routed experts but"
                            + " its last dimension is " + t.dim(t.rank() - 1) + ", not " + a + "expert_count = "
                            + expertCount, t.fileOffset());
                }
                routed += t.elementCount();
            } else if (expert.isPresent()) {
                if (expert.get().expert() >= expertCount) {
                    throw new ModelFormatException(f.path() + ": tensor '" + t.name() + "' names expert "
                            + expert.get().expert() + ", but " + a + "expert_count = " + expertCount, t.fileOffset());
                }
                routed += t.elementCount();
            }
        }
        long routedPerExpert = routed / Math.max(1, expertCount);
        Map<String, Integer> types = new LinkedHashMap<>();
        byType.forEach((type, n) -> types.put(type.name(), n));
        this.tensorCountByType = Collections.unmodifiableMap(types);
        this.parametersTotal = total;
        this.parametersActive = total - (long) (expertCount - expertUsedCount) * routedPerExpert;

        Map<String, Object> all = new LinkedHashMap<>();
        for (String key : md.keys()) {
            all.put(key, md.toJava(key));
        }
        this.metadata = Collections.unmodifiableMap(all);
        this.kvCacheBytesPerToken = dev.moe4j.internal.model.KvCacheSize.perToken(f).orElse(-1);
    }

    /**
     * Reads the header of a GGUF file (v2 or v3; for a split model, the first shard {@code *-00001-of-0000N.gguf}
     * and its siblings) and describes it. The file is mapped, validated and closed again; no weight is read.
     *
     * @param path the GGUF file, or the first shard of a split model
     * @return the file's description
     * @throws ModelFormatException if the file is not a valid GGUF model, or lacks {@code general.architecture}
     * @throws UncheckedIOException if the file cannot be opened or read
     * @throws NullPointerException if {@code path} is null
     */
    public static ModelInfo read(Path path) {
        Objects.requireNonNull(path, "path");
        try (GgufFile f = GgufFile.open(path)) {
            return new ModelInfo(f);
        } catch (IOException e) {
            String why = e instanceof NoSuchFileException ? "no such file"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new UncheckedIOException("cannot read " + path + ": " + why, e);
        }
    }

    /**
     * The file that was read (the first shard of a split model).
     *
     * @return the file's path
     */
    public Path path() {
        return path;
    }

    /**
     * GGUF format version: 2 or 3.
     *
     * @return the version
     */
    public int ggufVersion() {
        return ggufVersion;
    }

    /**
     * {@code general.architecture}, e.g. {@code deepseek2}, {@code qwen3moe}, {@code llama}.
     *
     * @return the architecture's name
     */
    public String architecture() {
        return architecture;
    }

    /**
     * {@code general.name}, if the file has one.
     *
     * @return the model's name, or an empty optional
     */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    /**
     * Number of tensors, all shards together.
     *
     * @return the tensor count
     */
    public int tensorCount() {
        return tensorCount;
    }

    /**
     * Number of tensors per ggml type name ({@code "F32"}, {@code "Q4_K"}, ...), in type-id order; unmodifiable.
     *
     * @return the counts by type name, only types that occur
     */
    public Map<String, Integer> tensorCountByType() {
        return tensorCountByType;
    }

    /**
     * Sum of the element counts of all tensors.
     *
     * @return the number of parameters
     */
    public long parametersTotal() {
        return parametersTotal;
    }

    /**
     * Parameters used per token (see the class description); equals {@link #parametersTotal()} for dense models.
     *
     * @return the number of active parameters
     */
    public long parametersActive() {
        return parametersActive;
    }

    /**
     * Routed experts per MoE layer ({@code <arch>.expert_count}); 0 for a dense model.
     *
     * @return the expert count
     */
    public int expertCount() {
        return expertCount;
    }

    /**
     * Routed experts selected per token ({@code <arch>.expert_used_count}); 0 for a dense model.
     *
     * @return the number of experts used per token, at most {@link #expertCount()}
     */
    public int expertUsedCount() {
        return expertUsedCount;
    }

    /**
     * Number of transformer blocks ({@code <arch>.block_count}); 0 if not stated.
     *
     * @return the block count
     */
    public int blockCount() {
        return blockCount;
    }

    /**
     * Hidden size ({@code <arch>.embedding_length}); 0 if not stated.
     *
     * @return the embedding length, in elements
     */
    public int embeddingLength() {
        return embeddingLength;
    }

    /**
     * Training context length in tokens ({@code <arch>.context_length}); 0 if not stated.
     *
     * @return the trained context, in tokens
     */
    public int contextLength() {
        return contextLength;
    }

    /**
     * Vocabulary size: the length of {@code tokenizer.ggml.tokens}, else {@code <arch>.vocab_size}, else 0.
     *
     * @return the number of tokens in the vocabulary
     */
    public int vocabularySize() {
        return vocabularySize;
    }

    /**
     * The Jinja chat template ({@code tokenizer.chat_template}), if the file has one.
     *
     * @return the template's source, or an empty optional
     */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /**
     * KV-cache bytes one token of context takes in one session, over all layers, as moe4j stores the cache (f32):
     * context length × this is what a session's cache costs. DeepSeek's latent attention keeps one compressed row per
     * token and layer ({@code 2·kv_lora_rank + rope} floats here, the latent kept twice for speed) and V3.2's sparse
     * attention adds its indexer key; grouped-query models keep {@code 2 · kv_heads · head_dim} floats.
     *
     * @return the bytes per token, or an empty optional when moe4j does not run the file's architecture
     */
    public OptionalLong kvCacheBytesPerToken() {
        return kvCacheBytesPerToken < 0 ? OptionalLong.empty() : OptionalLong.of(kvCacheBytesPerToken);
    }

    /**
     * Size in bytes of the model file (all shards together).
     *
     * @return the size in bytes
     */
    public long fileSize() {
        return fileSize;
    }

    /**
     * Number of files: 1, or the shard count of a split model.
     *
     * @return the number of files
     */
    public int fileCount() {
        return fileCount;
    }

    /**
     * Every metadata key/value of the file, in file order; unmodifiable. Values: {@link Long} for every integer type
     * ({@link java.math.BigInteger} for a UINT64 above {@link Long#MAX_VALUE}), {@link Float} (FLOAT32),
     * {@link Double} (FLOAT64), {@link Boolean}, {@link String}, or an unmodifiable {@link java.util.List} of those
     * for arrays.
     *
     * @return the metadata by key
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof ModelInfo m && path.equals(m.path) && ggufVersion == m.ggufVersion
                && tensorCount == m.tensorCount && parametersTotal == m.parametersTotal
                && parametersActive == m.parametersActive && fileSize == m.fileSize && fileCount == m.fileCount
                && tensorCountByType.equals(m.tensorCountByType) && metadata.equals(m.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, tensorCount, parametersTotal, parametersActive, fileSize, metadata.keySet());
    }

    @Override
    public String toString() {
        return "ModelInfo[" + architecture + (name != null ? " '" + name + "'" : "") + ", " + tensorCount
                + " tensors, " + parametersTotal + " parameters (" + parametersActive + " active), experts "
                + expertUsedCount + "/" + expertCount + ", " + fileSize + " bytes]";
    }
}
