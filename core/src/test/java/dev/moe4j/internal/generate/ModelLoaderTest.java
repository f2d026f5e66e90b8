package dev.moe4j.internal.generate;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Which token ids end generation, read from GGUF metadata. */
class ModelLoaderTest {
    @TempDir
    Path dir;

    private int[] endTokens(GgufWriter w, int vocab) throws IOException {
        Path p = w.putString("general.architecture", "test").write(dir.resolve("m" + System.nanoTime() + ".gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            return ModelLoader.endTokens(f.metadata(), vocab);
        }
    }

    @Test
    void eosAndEotBothEndGeneration() throws IOException {
        assertArrayEquals(new int[] {5, 7}, endTokens(new GgufWriter()
                .putUInt32("tokenizer.ggml.eos_token_id", 5).putUInt32("tokenizer.ggml.eot_token_id", 7), 100));
    }

    /** GLM-4.5's files name {@code <|observation|>} (written after a tool call) as end of message. */
    @Test
    void endOfMessageEndsGenerationToo() throws IOException {
        assertArrayEquals(new int[] {5, 7, 8}, endTokens(new GgufWriter()
                .putUInt32("tokenizer.ggml.eos_token_id", 5).putUInt32("tokenizer.ggml.eot_token_id", 7)
                .putUInt32("tokenizer.ggml.eom_token_id", 8), 100));
    }

    @Test
    void duplicatesMissingKeysAndOutOfRangeIdsAreDropped() throws IOException {
        assertArrayEquals(new int[] {5}, endTokens(new GgufWriter()
                .putUInt32("tokenizer.ggml.eos_token_id", 5).putUInt32("tokenizer.ggml.eot_token_id", 5), 100));
        assertArrayEquals(new int[] {9}, endTokens(new GgufWriter()
                .putUInt32("tokenizer.ggml.eot_token_id", 9), 100));
        assertArrayEquals(new int[] {}, endTokens(new GgufWriter()
                .putUInt32("tokenizer.ggml.eos_token_id", 100).putInt32("tokenizer.ggml.eot_token_id", -1), 100));
        assertArrayEquals(new int[] {}, endTokens(new GgufWriter(), 100));
    }
}
