package dev.moe4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.testing.GoldenFiles;
import dev.moe4j.testing.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One folder of shared/golden as the API tests need it: model path, prompt text and llama.cpp's ids and logits. */
record GoldenFixture(Path model, String prompt, boolean parseSpecial, int[] promptTokens, int[] generatedTokens,
                     float[] lastPromptLogits) {

    static GoldenFixture load(String name) {
        Path dir = GoldenFiles.caseDir(name);
        try {
            JsonNode fx = new ObjectMapper().readTree(dir.resolve("fixture.json").toFile());
            Path model = dir.resolve(fx.has("model") ? fx.get("model").asText() : "model.gguf").normalize();
            return new GoldenFixture(model, fx.get("prompt").asText(), fx.path("parse_special").asBoolean(false),
                    ids(dir.resolve("prompt_tokens.txt")), ids(dir.resolve("generated_tokens.txt")),
                    Npy.read(dir.resolve("logits_last_prompt.npy")).floats());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The earlier trained demo model (WordNet) in shared/models, which the routing and offloading tests use. */
    static Path wordnetModel() {
        return GoldenFiles.goldenDir().resolve("../models/demo-wordnet-q8_0.gguf").normalize();
    }

    private static int[] ids(Path file) throws IOException {
        return Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
    }
}
