package dev.moe4j.tooling;

import dev.moe4j.Model;
import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GoldenModels;
import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tooling facades give what the internals they wrap give, and translate nothing but what they say. */
class ToolingTest {
    @TempDir
    Path dir;

    private static Path golden(String name) {
        return GoldenModels.shared().resolve("golden").resolve(name).resolve("model.gguf");
    }

    @Test
    void tensorTypesMirrorTheEnginesTypes() {
        assertEquals(Arrays.stream(GgmlType.values()).map(Enum::name).toList(),
                Arrays.stream(TensorType.values()).map(Enum::name).toList(), "same names, same (type-id) order");
        for (TensorType t : TensorType.values()) {
            GgmlType g = GgmlType.valueOf(t.name());
            assertEquals(g.id(), t.id());
            assertEquals(g.blockElems(), t.blockElements());
            assertEquals(g.blockBytes(), t.blockBytes());
            assertEquals(g.kernels(), t.computable());
            assertEquals(t, TensorType.of(g));
        }
        assertEquals(34, TensorType.Q8_0.bytesFor(32));
        assertThrows(IllegalArgumentException.class, () -> TensorType.Q8_0.bytesFor(33));
    }

    @Test
    void aWrittenFileReadsBack() throws IOException {
        float[] values = {1.5f, -2f, 0.25f, 3f, 0f, -1f};
        Path file = dir.resolve("t.gguf");
        long size = new GgufFileWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.block_count", 7)
                .putFloat32("llama.rope.freq_base", 10000f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putStringArray("tokenizer.ggml.tokens", List.of("a", "b", "c"))
                .putInt32Array("tokenizer.ggml.token_type", new int[] {1, 1, 3})
                .putFloat32Array("llama.clamp", new float[] {10f, 0.5f})
                .tensor("w", TensorType.F32, new long[] {3, 2}, (offset, chunk) -> {
                    for (int i = (int) offset / 4; chunk.hasRemaining(); i++) {
                        chunk.putFloat(values[i]);
                    }
                })
                .write(file, 2, null);
        assertEquals(java.nio.file.Files.size(file), size);
        try (GgufReader r = GgufReader.open(file)) {
            assertEquals(file, r.path());
            assertEquals(size, r.fileSize());
            assertEquals("llama", r.optString("general.architecture").orElseThrow());
            assertTrue(r.optString("general.name").isEmpty());
            assertEquals(7, r.getInt("llama.block_count"));
            assertEquals(List.of("a", "b", "c"), List.copyOf(r.getStringArray("tokenizer.ggml.tokens")));
            assertTrue(r.has("tokenizer.ggml.token_type") && !r.has("nope"));
            assertEquals(List.of(10f, 0.5f), r.value("llama.clamp"));
            assertTrue(r.offset("llama.block_count") > 0);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> r.getInt("general.architecture"));
            assertTrue(e.getMessage().contains("general.architecture"), e.getMessage());
            TensorInfo t = r.tensor("w").orElseThrow();
            assertEquals(new TensorInfo("w", TensorType.F32, List.of(3L, 2L), 24, 12), t);
            assertEquals(List.of(t), r.tensors());
            assertEquals(1, t.dim(2));
            assertTrue(r.tensor("v").isEmpty());
        }
        float[] row = new float[3];
        TensorType.F32.dequantizeRow(MemorySegment.ofArray(new float[] {4f, 5f, 6f}), 0, row, 3);
        assertArrayEquals(new float[] {4f, 5f, 6f}, row);
    }

    @Test
    void templateErrorsKeepTheirMessage() {
        ChatTemplateException syntax = assertThrows(ChatTemplateException.class,
                () -> ChatTemplateRenderer.compile("{{ x | frobnicate }}"));
        assertTrue(syntax.getMessage().contains("frobnicate") && syntax.getMessage().contains("line 1"),
                syntax.getMessage());
        ChatTemplateRenderer raising = ChatTemplateRenderer.compile("{{ raise_exception('no ' + messages[0].role) }}");
        ChatTemplateException raised = assertThrows(ChatTemplateException.class,
                () -> raising.render(List.of(Map.of("role", "user", "content", "hi")), false, null));
        assertTrue(raised.getMessage().startsWith("no user"), raised.getMessage());
        ChatTemplateRenderer t = ChatTemplateRenderer.compile(
                "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}"
                        + "<assistant>{% endif %}{{ bos_token }}");
        assertEquals("<user>hi<assistant>B", t.render(List.of(Map.of("role", "user", "content", "hi")), true,
                Map.of("bos_token", "B")));
        assertThrows(IllegalArgumentException.class, () -> t.render(List.of(), false, Map.of("messages", "x")));
    }

    @Test
    void theTokenizerIsTheModels() throws IOException {
        Path model = golden("ds2-tiny-q8e");
        TextTokenizer tok = TextTokenizer.fromGguf(model);
        try (Model m = Model.builder(model).threads(1).build()) {
            assertEquals(m.vocabularySize(), tok.vocabSize());
            assertArrayEquals(m.tokenize("Hello, world", true, false), tok.encode("Hello, world", true, false));
        }
        assertThrows(java.nio.file.NoSuchFileException.class, () -> TextTokenizer.fromGguf(dir.resolve("none")));
    }

    @Test
    void aRawModelRunsTheForwardPassOfTheModel() throws IOException {
        Path model = golden("ds2-tiny-f32");
        int[] tokens = {1, 20, 30, 40};
        float[] expected;
        try (Model m = Model.builder(model).threads(1).build()) {
            expected = m.logits(tokens);
        }
        try (RawModel raw = RawModel.builder(model).threads(1).sessionLength(16).build();
             ForwardSession s = raw.newSession(16)) {
            assertEquals(expected.length, raw.vocabSize());
            float[] logits = new float[raw.vocabSize()];
            s.forward(tokens, 0, tokens.length, logits);
            assertArrayEquals(expected, logits, 1e-5f);
            assertEquals(4, s.position());
            s.truncate(0);
            assertEquals(0, s.position());
            assertTrue(raw.expertCache().isEmpty(), "a small model stays mapped");
            assertTrue(raw.gpuPlacement().isEmpty(), "no GPU asked for");
        }
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> RawModel.builder(model).threads(1).sessionLength(1 << 30).build());
        assertTrue(tooLong.getMessage().contains("exceed the model's context"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RawModel.builder(model).maxBatch(0));
        assertEquals(3L << 30, ByteSizes.parse("3GiB"));
    }

    @Test
    void aSmallBudgetGivesAnExpertCache() throws IOException {
        try (RawModel raw = RawModel.builder(golden("ds2-tiny-q8e")).threads(1).sessionLength(16)
                .memoryBudget("256KiB").cachePolicy("lru").build();
             ForwardSession s = raw.newSession(16)) {
            s.forward(new int[] {1, 2, 3}, 0, 3, null);
            ExpertCacheStats c = raw.expertCache().orElseThrow();
            assertEquals("lru", c.policy());
            assertEquals(256 * 1024, c.budgetBytes());
            assertTrue(c.slots() > 0 && c.misses() > 0 && c.bytesRead() > 0, c.toString());
        }
        assertFalse(RawModel.supportedArchitectures().isEmpty());
    }
}
