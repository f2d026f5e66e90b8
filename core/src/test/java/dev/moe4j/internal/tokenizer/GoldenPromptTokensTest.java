package dev.moe4j.internal.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.testing.GoldenFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For every golden model (every architecture), the prompt tokenized by the GGUF's own tokenizer equals llama.cpp's ids
 * (BOS added as the file says, special-token strings parsed only where the fixture says {@code parse_special}), and the
 * ids decode back to the prompt.
 */
class GoldenPromptTokensTest {

    static Stream<String> goldenFolders() {
        return GoldenFiles.caseDirs().stream().map(d -> d.getFileName().toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenFolders")
    void promptIdsEqualLlamaCpp(String folder) throws IOException {
        Path dir = GoldenFiles.caseDir(folder);
        JsonNode fx = new ObjectMapper().readTree(dir.resolve("fixture.json").toFile());
        Path model = dir.resolve(fx.has("model") ? fx.get("model").asText() : "model.gguf").normalize();
        boolean parseSpecial = fx.path("parse_special").asBoolean(false);
        String prompt = fx.get("prompt").asText();
        int[] expected = Files.readAllLines(dir.resolve("prompt_tokens.txt")).stream().map(String::trim)
                .filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();

        Tokenizer tok = GgufTokenizerLoader.load(model);
        int[] ids = tok.encode(prompt, true, parseSpecial);
        assertArrayEquals(expected, ids, folder + ": prompt ids");
        assertTrue(ids.length > 1, folder);
        int[] withoutBos = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        assertEquals(prompt, tok.decode(withoutBos), folder + ": decode(encode(prompt))");
    }
}
