package dev.moe4j;

import dev.moe4j.internal.nativeio.Backend;
import dev.moe4j.internal.nativeio.BackendSelector;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code Model.Builder.gpuMemoryBudget} through the public API. The test JVM has no CUDA library on its class path (the
 * cuda classifier jar is not a test dependency), so these are the contract's CPU side: arguments checked at once, and
 * without a GPU the budget changes nothing. The GPU side runs in ModelLoaderGpuTest on the CUDA emulation.
 */
class GpuBudgetApiTest {

    @Test
    void budgetsAreCheckedAtOnce() {
        Model.Builder b = Model.builder(java.nio.file.Path.of("unused.gguf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.gpuMemoryBudget(-1));
        assertTrue(e.getMessage().contains("gpuMemoryBudget") && e.getMessage().contains("-1"), e.getMessage());
        b.gpuMemoryBudget(0).gpuMemoryBudget(1L << 40).gpuMemoryBudget("6GiB").gpuMemoryBudget("512m");
        e = assertThrows(IllegalArgumentException.class, () -> b.gpuMemoryBudget("6 parsecs"));
        assertTrue(e.getMessage().contains("6 parsecs"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.gpuMemoryBudget("0"));
    }

    @Test
    void withoutAGpuTheBudgetIsIgnored() {
        assumeTrue(BackendSelector.selected().backend() == Backend.CPU, "this JVM runs on a GPU");
        GoldenFixture g = GoldenFixture.load("ds2-tiny-f32");
        float[] plain;
        try (Model m = Model.builder(g.model()).threads(1).build()) {
            plain = m.logits(g.promptTokens());
            assertEquals("", m.memoryStats().gpuPlacement());
        }
        try (Model m = Model.builder(g.model()).threads(1).gpuMemoryBudget("1GiB").build()) {
            assertArrayEquals(plain, m.logits(g.promptTokens()), "the CPU path, bit for bit");
            MemoryStats st = m.memoryStats();
            assertEquals("", st.gpuPlacement());
            assertTrue(!st.summary().contains("GPU"), st.summary());
        }
    }

    /**
     * On a GPU (a JVM started with {@code -Dmoe4j.backend=cuda -Dmoe4j.cuda.library=...}, as check-gpu.sh does): the
     * plan is made at load, reported by memoryStats, and greedy generation still gives llama.cpp's tokens.
     */
    @Test
    void onAGpuThePlacementIsReportedAndTheTokensAreLlamaCpps() {
        assumeTrue(BackendSelector.selected().backend() == Backend.CUDA, "no GPU in this JVM (the CPU test above ran)");
        GoldenFixture g = GoldenFixture.load("ds2-tiny-f32");
        try (Model m = Model.builder(g.model()).threads(2).gpuMemoryBudget("1GiB").build()) {
            GenerationResult r = m.request(g.prompt()).temperature(0).ignoreEos(true)
                    .maxTokens(g.generatedTokens().length).generate();
            assertArrayEquals(g.generatedTokens(), r.tokenIds(), "greedy tokens on the GPU");
            String placed = m.memoryStats().gpuPlacement();
            assertTrue(placed.startsWith("GPU 1.0 GiB budget") && placed.contains("routed experts 48/48"), placed);
        }
    }
}
