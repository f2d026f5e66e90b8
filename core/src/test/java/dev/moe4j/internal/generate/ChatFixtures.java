package dev.moe4j.internal.generate;

import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.TokenType;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The real chat templates of {@code ../shared/templates} paired with the vocabularies of their families
 * ({@code ../shared/tokenizers/llama.cpp-vocab}), for the chat-prompt tests. Tokenizers are loaded once per JVM.
 */
final class ChatFixtures {
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    /** A template file and the vocabulary (llama.cpp vocab name) of its family. */
    enum Family {
        DEEPSEEK_V3_1("deepseek-ai-DeepSeek-V3.1", "deepseek-v3"),
        DEEPSEEK_R1("deepseek-ai-DeepSeek-R1-Distill-Llama-8B", "deepseek-v3"),
        QWEN2_5("Qwen-Qwen2.5-7B-Instruct", "qwen2"),
        QWEN3("Qwen-Qwen3-0.6B", "qwen2"),
        LLAMA3_1("meta-llama-Llama-3.1-8B-Instruct", "llama-bpe");

        final String template;
        final String vocab;

        Family(String template, String vocab) {
            this.template = template;
            this.vocab = vocab;
        }

        Tokenizer tokenizer() {
            return ChatFixtures.tokenizer(vocab);
        }

        String templateSource() {
            return ChatFixtures.templateSource(template);
        }

        ChatPromptEncoder encoder() {
            return ChatFixtures.encoder(templateSource(), tokenizer());
        }
    }

    private ChatFixtures() {
    }

    static Path shared() {
        String dir = System.getProperty("moe4j.shared");
        if (dir == null) {
            throw new IllegalStateException("system property moe4j.shared is not set (surefire sets it to ../shared)");
        }
        return Path.of(dir);
    }

    static Tokenizer tokenizer(String vocab) {
        return TOKENIZERS.computeIfAbsent(vocab, v -> {
            try {
                return GgufTokenizerLoader.load(shared().resolve("tokenizers/llama.cpp-vocab/ggml-vocab-" + v
                        + ".gguf"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static String templateSource(String name) {
        try {
            return Files.readString(shared().resolve("templates/" + name + ".jinja"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ChatPromptEncoder encoder(String templateSource, Tokenizer tokenizer) {
        return new ChatPromptEncoder(PromptFormat.compile(templateSource, "test template", tokenizer), tokenizer);
    }

    /** Whether the id is a token that only special-token parsing recognises (what a message must never produce). */
    static boolean isSpecialOnly(Tokenizer t, int id) {
        TokenType type = t.tokenType(id);
        return type == TokenType.CONTROL || type == TokenType.UNKNOWN;
    }

    /** The special-only ids among {@code ids}, in order. */
    static int[] specialOnly(Tokenizer t, int[] ids) {
        return IntStream.of(ids).filter(id -> isSpecialOnly(t, id)).toArray();
    }
}
