package dev.moe4j.internal.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Locates the shared tokenizer fixtures (system property {@code moe4j.shared}, set by surefire) and caches loaded
 * tokenizers, so the several test classes that use DeepSeek-V3's 129k-token vocabulary load it once per JVM.
 */
final class TokenizerFixtures {
    private static final Map<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

    private TokenizerFixtures() {
    }

    static Path shared() {
        String dir = System.getProperty("moe4j.shared");
        if (dir == null) {
            throw new IllegalStateException("system property moe4j.shared is not set (surefire sets it to ../shared)");
        }
        Path p = Path.of(dir);
        if (!Files.isDirectory(p.resolve("tokenizers"))) {
            throw new IllegalStateException("no tokenizers/ under moe4j.shared = " + p.toAbsolutePath());
        }
        return p;
    }

    static Path llamaCppVocab(String name) {
        return shared().resolve("tokenizers/llama.cpp-vocab/ggml-vocab-" + name + ".gguf");
    }

    static Path deepseekV3Json() {
        return shared().resolve("tokenizers/deepseek-v3/tokenizer.json");
    }

    /** The tokenizer of llama.cpp's vocab-only GGUF {@code ggml-vocab-<name>.gguf}. */
    static Tokenizer gguf(String name) {
        return CACHE.computeIfAbsent("gguf:" + name, k -> {
            try {
                return GgufTokenizerLoader.load(llamaCppVocab(name));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** DeepSeek-V3's tokenizer from its tokenizer.json (+ tokenizer_config.json). */
    static Tokenizer deepseekV3FromJson() {
        return CACHE.computeIfAbsent("json:deepseek-v3", k -> Tokenizer.fromTokenizerJson(deepseekV3Json()));
    }
}
