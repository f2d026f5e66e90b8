package dev.moe4j;

import dev.moe4j.internal.model.OffloadFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Offloading through the public API: {@code Model.Builder.memoryBudget}, {@code Model.memoryStats()}. */
class OffloadApiTest {
    @TempDir
    Path dir;

    private static long expertBytes(Path model) {
        try (Model m = Model.builder(model).threads(1).build()) {
            MemoryStats st = m.memoryStats();
            assertFalse(st.offloading(), "a tiny model fits: memory-mapped by default");
            assertTrue(st.summary().contains("memory-mapped"), st.summary());
            return st.expertBytes();
        }
    }

    /**
     * With an eighth of the experts' bytes as budget: llama.cpp's greedy tokens, logits bit-identical to the mapped
     * run, and the expert memory within the budget after every token.
     */
    private static void sameOutputInAnEighth(String fixture) {
        GoldenFixture g = GoldenFixture.load(fixture);
        long budget = expertBytes(g.model()) / 8;
        float[] mappedLogits;
        try (Model m = Model.builder(g.model()).threads(2).build()) {
            mappedLogits = m.logits(g.promptTokens());
        }
        try (Model m = Model.builder(g.model()).threads(2).memoryBudget(budget).build()) {
            int[] count = {0};
            GenerationResult r = m.request(g.prompt()).temperature(0).ignoreEos(true)
                    .maxTokens(g.generatedTokens().length).generate(event -> {
                        long held = m.memoryStats().residentExpertBytes();
                        assertTrue(held <= budget, "after token " + count[0] + ": " + held + " > " + budget);
                        count[0]++;
                    });
            assertArrayEquals(g.generatedTokens(), r.tokenIds(), fixture + ": greedy tokens");
            assertArrayEquals(mappedLogits, m.logits(g.promptTokens()), fixture + ": logits, bit for bit");
            MemoryStats st = m.memoryStats();
            assertTrue(st.offloading());
            assertEquals(budget, st.budgetBytes());
            assertTrue(st.residentExpertBytes() <= budget && st.residentExpertBytes() > 0);
            assertTrue(st.evictions() > 0 && st.misses() > 0 && st.bytesRead() > 0, st.summary());
            assertTrue(st.prefetchRecall() > 0 && st.prefetchRecall() <= 1, st.summary());
            assertFalse(st.layers().isEmpty());
            assertEquals(st.hits() + st.misses() + st.prefetchHits(), st.layers().stream()
                    .mapToLong(l -> l.hits() + l.misses() + l.prefetchHits()).sum(), st.summary());
        }
    }

    @Test
    void deepseek2() {
        sameOutputInAnEighth("ds2-tiny-f32");
    }

    @Test
    void deepseek32() {
        sameOutputInAnEighth("deepseek32-tiny-f32");
    }

    @Test
    void deepseek4() {
        sameOutputInAnEighth("deepseek4-tiny-f32");
    }

    @Test
    void deepseek4Mxfp4() {
        sameOutputInAnEighth("deepseek4-tiny-mxfp4");
    }

    @Test
    void qwen3moe() {
        sameOutputInAnEighth("qwen3moe-tiny-f32");
    }

    @Test
    void mixtral() {
        sameOutputInAnEighth("mixtral-tiny-f32");
    }

    @Test
    void budgetsAreCheckedAtOnceAndAgainstTheModel() {
        Path model = GoldenFixture.load("ds2-tiny-f32").model();
        Model.Builder b = Model.builder(model);
        assertThrows(IllegalArgumentException.class, () -> b.memoryBudget(0));
        assertThrows(IllegalArgumentException.class, () -> b.memoryBudget(-5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.memoryBudget("6 apples"));
        assertTrue(e.getMessage().contains("6 apples"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Model.builder(model).memoryBudget("4KiB").build());
        assertTrue(e.getMessage().contains("does not hold one expert"), e.getMessage());
        try (Model m = Model.builder(model).memoryBudget("1TiB").build()) {
            assertFalse(m.memoryStats().offloading(), "a budget that holds every expert changes nothing");
        }
        try (Model m = Model.builder(GoldenFixture.load("llama-dense-tiny-f32").model()).memoryBudget("1M").build()) {
            assertFalse(m.memoryStats().offloading(), "a dense model has no routed experts");
            assertEquals(0, m.memoryStats().expertBytes());
        }
    }

    /** A profile recorded on the demo model pins its hottest experts in a later budgeted run; output unchanged. */
    @Test
    void aSavedProfilePinsHotExperts() {
        Path demo = GoldenFixture.wordnetModel();
        String prompt = "<｜User｜>What does \"lantern\" mean?<｜Assistant｜>";
        Path file = dir.resolve("demo.profile");
        int[] tokens;
        try (Model m = Model.builder(demo).threads(2).recordRouting(true).build()) {
            tokens = m.request(prompt).temperature(0).maxTokens(24).ignoreEos(true).generate().tokenIds();
            m.routingProfile().save(file);
        }
        long budget = expertBytes(demo) / 3;
        try (Model m = Model.builder(demo).threads(2).memoryBudget(budget).routingProfile(file).build()) {
            assertTrue(m.memoryStats().policy().endsWith("+pin"), m.memoryStats().policy());
            int[] again = m.request(prompt).temperature(0).maxTokens(24).ignoreEos(true).generate().tokenIds();
            assertArrayEquals(tokens, again);
            assertTrue(m.memoryStats().residentExpertBytes() <= budget);
        }
        RoutingProfile other = new RoutingProfile(3, 16, 4, new int[] {1}, new long[] {0},
                new long[][] {new long[16]});
        assertThrows(IllegalArgumentException.class,
                () -> Model.builder(demo).memoryBudget(budget).routingProfile(other).build());
    }

    /**
     * The model file loses its last layer's experts while the model is loaded: generating needs them, so it fails
     * with a {@link Moe4jException} (not a crash); once the file is whole again the same model generates llama.cpp's
     * tokens.
     */
    @Test
    void aTruncatedFileIsAnExceptionNotACrash() throws IOException {
        GoldenFixture g = GoldenFixture.load("ds2-tiny-f32");
        Path copy = OffloadFiles.expertsLast(g.model(), dir.resolve("experts-last.gguf"));
        long cut = OffloadFiles.lastLayerExpertsStart(copy);
        byte[] whole = Files.readAllBytes(copy);
        long budget = expertBytes(copy) / 8;
        try (Model m = Model.builder(copy).threads(2).memoryBudget(budget).build()) {
            int n = g.generatedTokens().length;
            assertArrayEquals(g.generatedTokens(), m.request(g.prompt()).temperature(0).ignoreEos(true).maxTokens(n)
                    .generate().tokenIds());
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                ch.truncate(cut);
            }
            Moe4jException e = assertThrows(Moe4jException.class, () -> m.request(g.prompt()).temperature(0)
                    .ignoreEos(true).maxTokens(n).generate());
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertTrue(m.memoryStats().failedReads() > 0);
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(Arrays.copyOfRange(whole, (int) cut, whole.length)), cut);
            }
            assertArrayEquals(g.generatedTokens(), m.request(g.prompt()).temperature(0).ignoreEos(true).maxTokens(n)
                    .generate().tokenIds(), "after the file is whole again");
        }
    }
}
