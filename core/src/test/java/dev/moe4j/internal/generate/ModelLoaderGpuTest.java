package dev.moe4j.internal.generate;

import dev.moe4j.MemoryStats;
import dev.moe4j.internal.gpu.CudaApi;
import dev.moe4j.testing.GoldenFiles;
import dev.moe4j.testing.CudaTestLibrary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A load on a GPU (libmoe4j_cuda's CPU emulation standing in for one): the plan is made at load under the budget, its
 * summary reaches {@link MemoryStats#gpuPlacement()}, the logits are the CPU load's, and under a memory budget that
 * offloads the routed experts only the rest is placed on the GPU.
 */
class ModelLoaderGpuTest {
    private static Path library;

    @BeforeAll
    static void findLibrary() {
        library = CudaTestLibrary.path();
    }

    private static Path model() {
        return GoldenFiles.goldenDir().resolve("ds2-tiny-f32/model.gguf");
    }

    private static float[] logits(ModelLoader.Loaded loaded, int[] tokens) {
        float[] out = new float[loaded.engine().vocabSize()];
        try (DecodingSession s = loaded.engine().newSession(loaded.contextLength())) {
            s.forward(tokens, 0, tokens.length, out);
        }
        return out;
    }

    private static ModelLoader.Loaded load(ModelLoader.Settings s, boolean gpu) {
        ModelLoader.GpuTarget target = gpu ? new ModelLoader.GpuTarget(CudaApi.at(library), 0, 1L << 34, "emulated GPU")
                : null;
        return ModelLoader.load(model(), s, (f, m) -> { }, target);
    }

    @Test
    void theGpuRunsWhatThePlanPlacesWithTheCpusOutput() {
        assumeTrue(library != null, CudaTestLibrary.missing());
        int[] tokens = {1, 5, 9, 200, 17, 3, 44};
        float[] cpu;
        try (Closing l = new Closing(load(new ModelLoader.Settings(1, 64, false, -1, null), false))) {
            cpu = logits(l.loaded, tokens);
            assertEquals("", l.loaded.engine().memoryStats().gpuPlacement());
        }
        // automatic: 90% of the (emulated) 16 GiB holds everything
        try (Closing l = new Closing(load(new ModelLoader.Settings(1, 64, false, -1, null, -1), true))) {
            assertClose(cpu, logits(l.loaded, tokens));
            String placed = l.loaded.engine().memoryStats().gpuPlacement();
            assertTrue(placed.startsWith("GPU 14.4 GiB budget") && placed.contains("routed experts 48/48"), placed);
            assertTrue(l.loaded.engine().memoryStats().summary().endsWith(placed));
        }
        // 2 MiB: the always-active weights, not all experts
        try (Closing l = new Closing(load(new ModelLoader.Settings(1, 64, false, -1, null, 2L << 20),
                true))) {
            assertClose(cpu, logits(l.loaded, tokens));
            String placed = l.loaded.engine().memoryStats().gpuPlacement();
            assertTrue(placed.contains("always-active weights 58/58") && !placed.contains("routed experts 48/48"),
                    placed);
        }
    }

    @Test
    void offloadedExpertsStayWithTheCpuCache() {
        assumeTrue(library != null, CudaTestLibrary.missing());
        int[] tokens = {1, 5, 9, 200, 17, 3, 44};
        float[] cpu;
        try (Closing l = new Closing(load(new ModelLoader.Settings(1, 64, false, -1, null), false))) {
            cpu = logits(l.loaded, tokens);
        }
        try (Closing l = new Closing(load(new ModelLoader.Settings(1, 64, false, 1L << 20, null, 1L << 30),
                true))) {
            assertClose(cpu, logits(l.loaded, tokens));
            MemoryStats st = l.loaded.engine().memoryStats();
            assertTrue(st.offloading(), st.summary());
            assertFalse(st.gpuPlacement().contains("routed experts"), st.gpuPlacement());
            assertTrue(st.gpuPlacement().contains("always-active weights 58/58"), st.gpuPlacement());
        }
    }

    private static void assertClose(float[] want, float[] got) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * Math.max(1, Math.abs(want[i])), "logit " + i);
        }
    }

    /** A load whose engine is closed with try-with-resources. */
    private record Closing(ModelLoader.Loaded loaded) implements AutoCloseable {
        @Override
        public void close() {
            loaded.engine().close();
        }
    }
}
