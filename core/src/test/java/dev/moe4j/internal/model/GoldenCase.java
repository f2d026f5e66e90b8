package dev.moe4j.internal.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.testing.GoldenFiles;
import dev.moe4j.testing.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One folder of shared/golden: a model and what llama.cpp computed with it (see golden/README.md): the prompt ids,
 * the 32 greedy tokens it generated and the logits row that chose each of them (row 0 = last prompt position).
 *
 * @param arch        {@code fixture.json}'s {@code arch}
 * @param expertsUsed the model file's {@code <arch>.expert_used_count}, 0 for a dense model
 */
record GoldenCase(String name, String arch, Path model, boolean quantized, int expertsUsed, int[] prompt,
                  int[] generated, float[][] steps) {

    static GoldenCase load(String name) {
        Path dir = GoldenFiles.caseDir(name);
        try {
            JsonNode fx = new ObjectMapper().readTree(dir.resolve("fixture.json").toFile());
            Path model = dir.resolve(fx.has("model") ? fx.get("model").asText() : "model.gguf").normalize();
            Npy steps = Npy.read(dir.resolve("logits_gen_steps.npy"));
            int rows = (int) steps.shape()[0];
            int vocab = (int) steps.shape()[1];
            float[] flat = steps.floats();
            float[][] byStep = new float[rows][];
            for (int i = 0; i < rows; i++) {
                byStep[i] = java.util.Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
            }
            float[] last = Npy.read(dir.resolve("logits_last_prompt.npy")).floats();
            if (!java.util.Arrays.equals(last, byStep[0])) {
                throw new IllegalStateException(name + ": logits_last_prompt.npy differs from row 0 of logits_gen_steps.npy");
            }
            String arch = fx.get("arch").asText();
            int used;
            try (GgufFile file = GgufFile.open(model)) {
                used = file.metadata().optInt(arch + ".expert_used_count").orElse(0);
            }
            return new GoldenCase(name, arch, model, fx.get("quant").asBoolean(), used,
                    ids(dir.resolve("prompt_tokens.txt")), ids(dir.resolve("generated_tokens.txt")), byStep);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A weight type of the model that the native kernels do not compute ({@link GgmlType#kernels()}), if any. */
    Optional<GgmlType> typeWithoutKernels() {
        try (GgufFile file = GgufFile.open(model)) {
            return file.tensors().stream().map(GgufTensor::type).filter(t -> !t.kernels()).sorted().findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every golden folder (shared and the repository's) whose fixture.json says {@code arch = deepseek2}, sorted. */
    static List<String> deepseek2Cases() {
        return cases("deepseek2"::equals);
    }

    /** Every golden folder whose fixture.json's {@code arch} passes {@code arch}, sorted. */
    static List<String> cases(Predicate<String> arch) {
        List<String> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try {
            for (Path d : GoldenFiles.caseDirs()) {
                if (arch.test(json.readTree(d.resolve("fixture.json").toFile()).path("arch").asText())) {
                    out.add(d.getFileName().toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static int[] ids(Path file) throws IOException {
        return Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
    }
}
