package dev.moe4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.moe4j.ModelFormatException;
import dev.moe4j.ModelInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code moe4j inspect <model.gguf> [--json]}: describes a GGUF model without loading its weights. Exit codes: 0 done,
 * 1 the file cannot be read, 2 the file is not a valid GGUF model (the reason on stderr) or the command line is wrong.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Describe a GGUF model (architecture, parameters, experts, tensors) without loading its weights.")
public final class InspectCommand implements Callable<Integer> {
    static final int EXIT_UNREADABLE = 1;
    static final int EXIT_MALFORMED = 2;

    @Parameters(index = "0", paramLabel = "<model.gguf>",
            description = "The model file (for a split model, its first shard *-00001-of-0000N.gguf).")
    Path model;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ModelInfo info;
        try {
            info = ModelInfo.read(model);
        } catch (ModelFormatException e) {
            err.println("moe4j inspect: " + e.getMessage());
            err.flush();
            return EXIT_MALFORMED;
        } catch (UncheckedIOException e) {
            err.println("moe4j inspect: " + e.getMessage());
            err.flush();
            return EXIT_UNREADABLE;
        }
        out.print(json ? json(info) + System.lineSeparator() : text(info));
        out.flush();
        return 0;
    }

    /** The JSON object: snake_case fields; hyperparameters are the file's scalar {@code <arch>.*} keys. */
    static String json(ModelInfo info) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("file", info.path().toString());
        o.put("architecture", info.architecture());
        o.put("name", info.name().orElse(null));
        o.put("gguf_version", info.ggufVersion());
        o.put("file_size", info.fileSize());
        o.put("file_count", info.fileCount());
        o.put("tensor_count", info.tensorCount());
        o.put("tensor_count_by_type", info.tensorCountByType());
        o.put("parameters_total", info.parametersTotal());
        o.put("parameters_active", info.parametersActive());
        o.put("expert_count", info.expertCount());
        o.put("expert_used_count", info.expertUsedCount());
        o.put("block_count", info.blockCount());
        o.put("embedding_length", info.embeddingLength());
        o.put("context_length", info.contextLength());
        o.put("kv_cache_bytes_per_token", info.kvCacheBytesPerToken().isPresent()
                ? info.kvCacheBytesPerToken().getAsLong() : null);
        o.put("vocab_size", info.vocabularySize());
        o.put("has_chat_template", info.chatTemplate().isPresent());
        Map<String, Object> hp = new LinkedHashMap<>();
        hyperparameters(info).forEach((k, v) -> hp.put(k, jsonSafe(v)));
        o.put("hyperparameters", hp);
        try {
            return new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS).writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    /** JSON has no NaN or infinities: those become strings. */
    private static Object jsonSafe(Object v) {
        if (v instanceof Float f && !Float.isFinite(f) || v instanceof Double d && !Double.isFinite(d)) {
            return v.toString();
        }
        return v;
    }

    static String text(ModelInfo info) {
        StringBuilder b = new StringBuilder();
        line(b, "file", info.path() + (info.fileCount() > 1 ? " (+" + (info.fileCount() - 1) + " shards)" : ""));
        info.name().ifPresent(n -> line(b, "name", n));
        line(b, "architecture", info.architecture());
        line(b, "file size", Units.bytes(info.fileSize()) + " (" + info.fileSize() + " bytes), GGUF v"
                + info.ggufVersion());
        if (info.tensorCount() == 0) {
            line(b, "parameters", "none (no tensors: a vocabulary-only file)");
        } else {
            String active = info.parametersActive() == info.parametersTotal() ? "all active (dense)"
                    : Units.count(info.parametersActive()) + " active per token (" + String.format(Locale.ROOT,
                    "%.1f %%", 100.0 * info.parametersActive() / info.parametersTotal()) + ")";
            line(b, "parameters", Units.count(info.parametersTotal()) + " total, " + active);
            line(b, "experts", info.expertCount() == 0 ? "none (dense)"
                    : info.expertCount() + " routed, " + info.expertUsedCount() + " used per token");
        }
        if (info.blockCount() > 0) {
            line(b, "blocks", Integer.toString(info.blockCount()));
        }
        if (info.embeddingLength() > 0) {
            line(b, "embedding", Integer.toString(info.embeddingLength()));
        }
        if (info.contextLength() > 0) {
            line(b, "context", info.contextLength() + " tokens");
        }
        info.kvCacheBytesPerToken().ifPresent(kv -> line(b, "kv cache", Units.bytes(kv) + " per token (" + kv
                + " bytes), " + Units.bytes(kv * 131072L) + " for 128k tokens"
                + (info.contextLength() > 0 ? ", " + Units.bytes(kv * info.contextLength()) + " for the full "
                + info.contextLength() : "")));
        line(b, "vocabulary", info.vocabularySize() + " tokens" + (info.chatTemplate().isPresent()
                ? ", with a chat template" : ", no chat template"));
        if (info.tensorCount() > 0) {
            line(b, "tensors", info.tensorCount() + " (" + info.tensorCountByType().entrySet().stream()
                    .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")) + ")");
        }
        Map<String, Object> hp = hyperparameters(info);
        if (!hp.isEmpty()) {
            b.append(System.lineSeparator()).append("hyperparameters (").append(info.architecture()).append(".*)")
                    .append(System.lineSeparator());
            int width = hp.keySet().stream().mapToInt(String::length).max().orElse(0);
            hp.forEach((k, v) -> b.append("  ").append(k).append(" ".repeat(width - k.length() + 2)).append(v)
                    .append(System.lineSeparator()));
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String label, String value) {
        b.append(String.format(Locale.ROOT, "%-14s%s", label, value)).append(System.lineSeparator());
    }

    /** The scalar {@code <arch>.*} metadata, keys without the prefix, in file order. */
    private static Map<String, Object> hyperparameters(ModelInfo info) {
        String prefix = info.architecture() + ".";
        Map<String, Object> hp = new LinkedHashMap<>();
        info.metadata().forEach((k, v) -> {
            if (k.startsWith(prefix) && !(v instanceof List)) {
                hp.put(k.substring(prefix.length()), v);
            }
        });
        return hp;
    }
}
