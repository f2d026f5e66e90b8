package dev.moe4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.internal.gguf.GoldenModels;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ModelInfo} against llama.cpp's counts for every golden model, and on synthetic dense and MoE files. */
class ModelInfoTest {
    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicTest> goldenModelsMatchExpectedInspect() {
        ObjectMapper json = new ObjectMapper();
        return GoldenModels.goldenDirs().stream().map(d -> DynamicTest.dynamicTest(d.getFileName().toString(), () -> {
            JsonNode expected = json.readTree(d.resolve("expected_inspect.json").toFile());
            Path model = GoldenModels.model(d);
            ModelInfo info = ModelInfo.read(model);
            assertEquals(expected.get("architecture").asText(), info.architecture());
            assertEquals(expected.get("tensor_count").asInt(), info.tensorCount());
            assertEquals(expected.get("parameters_total").asLong(), info.parametersTotal());
            assertEquals(expected.get("parameters_active").asLong(), info.parametersActive());
            assertEquals(expected.get("expert_count").asInt(), info.expertCount());
            assertEquals(expected.get("expert_used_count").asInt(), info.expertUsedCount());
            assertEquals(Files.size(model), info.fileSize());
            assertEquals(info.tensorCount(), info.tensorCountByType().values().stream().mapToInt(i -> i).sum());
            String a = info.architecture() + ".";
            assertEquals(((Number) info.metadata().get(a + "block_count")).intValue(), info.blockCount());
            assertEquals(((Number) info.metadata().get(a + "embedding_length")).intValue(), info.embeddingLength());
            assertEquals(((Number) info.metadata().get(a + "context_length")).intValue(), info.contextLength());
            assertEquals(json.readTree(d.resolve("fixture.json").toFile()).get("n_vocab").asInt(),
                    info.vocabularySize());
            assertTrue(info.blockCount() > 0 && info.embeddingLength() > 0);
        }));
    }

    /**
     * The repository's fixtures that carry an expected_inspect.json (glm4moe with its NextN block, gpt-oss with expert
     * biases, f32 and MXFP4): gguf-py's counts, made by tools/golden/make_tiny.py. A NextN block counts like any
     * block (its routed experts less the unselected ones), and the per-expert biases {@code ffn_*_exps.bias} are
     * routed-expert parameters.
     */
    @TestFactory
    Stream<DynamicTest> repositoryFixturesMatchExpectedInspect() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Path> dirs;
        try (Stream<Path> s = Files.list(GoldenFiles.repoGoldenDir())) {
            dirs = s.filter(d -> Files.isRegularFile(d.resolve("expected_inspect.json"))).sorted().toList();
        }
        assertTrue(dirs.size() >= 3, "expected the glm4moe and gpt-oss fixtures, found " + dirs);
        return dirs.stream().map(d -> DynamicTest.dynamicTest(d.getFileName().toString(), () -> {
            JsonNode expected = json.readTree(d.resolve("expected_inspect.json").toFile());
            ModelInfo info = ModelInfo.read(d.resolve("model.gguf"));
            assertEquals(expected.get("architecture").asText(), info.architecture());
            assertEquals(expected.get("tensor_count").asInt(), info.tensorCount());
            assertEquals(expected.get("parameters_total").asLong(), info.parametersTotal());
            assertEquals(expected.get("parameters_active").asLong(), info.parametersActive());
            assertEquals(expected.get("expert_count").asInt(), info.expertCount());
            assertEquals(expected.get("expert_used_count").asInt(), info.expertUsedCount());
        }));
    }

    /** Two MoE layers (E = 8, top 3) and one dense layer, with shapes chosen so each count is distinct. */
    @Test
    void activeParametersOfASyntheticMoe() throws IOException {
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "qwen3moe")
                .putUInt32("qwen3moe.block_count", 3)
                .putUInt32("qwen3moe.embedding_length", 32)
                .putUInt32("qwen3moe.context_length", 2048)
                .putUInt32("qwen3moe.expert_count", 8)
                .put("qwen3moe.expert_used_count", GgufValueType.UINT8, 3)
                .putString("tokenizer.chat_template", "{{ messages }}")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, List.of("a", "b", "c", "d", "e"));
        long total = 0;
        total += f32(w, "token_embd.weight", 32, 5);
        total += f32(w, "blk.0.ffn_up.weight", 32, 48); // dense layer
        long perExpert = 0;
        for (int l = 1; l <= 2; l++) {
            total += f32(w, "blk." + l + ".ffn_gate_inp.weight", 32, 8); // router: always active
            long gate = f32(w, "blk." + l + ".ffn_gate_exps.weight", 32, 16, 8);
            long up = f32(w, "blk." + l + ".ffn_up_exps.weight", 32, 16, 8);
            long down = f32(w, "blk." + l + ".ffn_down_exps.weight", 16, 32, 8);
            long shexp = f32(w, "blk." + l + ".ffn_up_shexp.weight", 32, 24); // shared expert: always active
            total += gate + up + down + shexp;
            perExpert += (gate + up + down) / 8;
        }
        Path p = w.write(dir.resolve("moe.gguf"));
        ModelInfo info = ModelInfo.read(p);
        assertEquals(total, info.parametersTotal());
        assertEquals(total - 5 * perExpert, info.parametersActive());
        assertEquals(8, info.expertCount());
        assertEquals(3, info.expertUsedCount());
        assertEquals(3, info.blockCount());
        assertEquals(32, info.embeddingLength());
        assertEquals(2048, info.contextLength());
        assertEquals(5, info.vocabularySize());
        assertEquals("{{ messages }}", info.chatTemplate().orElseThrow());
        assertTrue(info.name().isEmpty());
        assertEquals(Map.of("F32", 12), info.tensorCountByType());
        assertEquals(3L, info.metadata().get("qwen3moe.expert_used_count"));
        assertEquals(List.of("a", "b", "c", "d", "e"), info.metadata().get("tokenizer.ggml.tokens"));
        assertThrows(UnsupportedOperationException.class, () -> info.metadata().put("x", 1));
        assertEquals(info, ModelInfo.read(p));
    }

    @Test
    void denseModelHasNoExperts() throws IOException {
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama")
                .putString("general.name", "dense").putUInt32("llama.vocab_size", 7);
        long total = f32(w, "blk.0.ffn_up.weight", 8, 4) + f32(w, "blk.0.attn_q.weight", 8, 8);
        w.tensor("blk.0.q8.weight", GgmlType.Q8_0, new long[] {32, 3}, new byte[34 * 3]);
        total += 96;
        ModelInfo info = ModelInfo.read(w.write(dir.resolve("dense.gguf")));
        assertEquals(total, info.parametersTotal());
        assertEquals(total, info.parametersActive());
        assertEquals(0, info.expertCount());
        assertEquals(0, info.expertUsedCount());
        assertEquals(0, info.blockCount());
        assertEquals(7, info.vocabularySize());
        assertEquals("dense", info.name().orElseThrow());
        assertFalse(info.chatTemplate().isPresent());
        assertEquals(List.of("F32", "Q8_0"), List.copyOf(info.tensorCountByType().keySet()));
    }

    @Test
    void inconsistentExpertsAreRejected() throws IOException {
        GgufWriter w = new GgufWriter().putString("general.architecture", "qwen3moe")
                .putUInt32("qwen3moe.expert_count", 8).putUInt32("qwen3moe.expert_used_count", 2);
        f32(w, "blk.0.ffn_up_exps.weight", 4, 4, 6);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelInfo.read(w.write(dir.resolve("e.gguf"))));
        assertTrue(e.getMessage().contains("blk.0.ffn_up_exps.weight") && e.getMessage().contains("expert_count = 8"),
                e.getMessage());

        GgufWriter used = new GgufWriter().putString("general.architecture", "x")
                .putUInt32("x.expert_count", 2).putUInt32("x.expert_used_count", 3);
        assertThrows(ModelFormatException.class, () -> ModelInfo.read(used.write(dir.resolve("u.gguf"))));
        GgufWriter missing = new GgufWriter().putString("general.architecture", "x").putUInt32("x.expert_count", 2);
        e = assertThrows(ModelFormatException.class, () -> ModelInfo.read(missing.write(dir.resolve("m.gguf"))));
        assertTrue(e.getMessage().contains("x.expert_used_count"), e.getMessage());
    }

    @Test
    void errorsAreTyped() throws IOException {
        Path noArch = new GgufWriter().putUInt32("a", 1).write(dir.resolve("noarch.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelInfo.read(noArch));
        assertTrue(e.getMessage().contains("general.architecture"), e.getMessage());
        Path junk = Files.write(dir.resolve("junk.gguf"), new byte[] {1, 2, 3, 4, 5});
        assertThrows(ModelFormatException.class, () -> ModelInfo.read(junk));
        assertThrows(UncheckedIOException.class, () -> ModelInfo.read(dir.resolve("absent.gguf")));
    }

    /** Adds an F32 tensor of the given shape (random-free: zeros) and returns its element count. */
    private static long f32(GgufWriter w, String name, long... dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        w.tensor(name, GgmlType.F32, dims, new byte[(int) (4 * n)]);
        return n;
    }
}
