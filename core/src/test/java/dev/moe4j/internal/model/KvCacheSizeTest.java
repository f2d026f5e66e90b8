package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link KvCacheSize} (from the metadata alone, what inspect reports) equals what the loaded blocks allocate per token,
 * on every golden model of every architecture.
 */
class KvCacheSizeTest {
    @Test
    void metadataFigureEqualsTheLoadedModels() throws IOException {
        List<String> checked = new ArrayList<>();
        for (String name : GoldenCase.cases(arch -> true)) {
            GoldenCase g = GoldenCase.load(name);
            try (GgufFile file = GgufFile.open(g.model());
                 LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1))) {
                long loaded = model.config().kvBytesPerToken();
                assertTrue(loaded > 0, name);
                assertEquals(loaded, KvCacheSize.perToken(file).orElseThrow(), name + " (" + g.arch() + ")");
                checked.add(g.arch());
            }
        }
        assertTrue(checked.containsAll(List.of("deepseek2", "deepseek32", "deepseek4", "qwen3moe", "glm4moe", "gpt-oss")), "" + checked);
    }
}
