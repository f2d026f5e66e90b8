package dev.moe4j.internal.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.internal.nativeio.Backend;
import dev.moe4j.internal.nativeio.BackendChoice;
import dev.moe4j.internal.nativeio.BackendSelector;
import dev.moe4j.testing.GoldenFiles;
import dev.moe4j.testing.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pure-Java fallback (the platforms without a native library, or {@code -Dmoe4j.backend=java}): golden models of
 * several architectures load with the plain-Java reference kernels and reproduce llama.cpp's greedy tokens and its
 * last-prompt logits (cosine ≥ 0.99999, max |Δ| ≤ 1e-3, the golden tests' tolerance); and the backend choice falls back
 * to Java, with its reason, exactly when the native library cannot be loaded.
 */
class JavaFallbackGoldenTest {

    @ParameterizedTest
    @ValueSource(strings = {"ds2-tiny-f32", "ds2-lite-tiny-f32", "qwen3moe-tiny-f32", "llama-dense-tiny-f32",
            "mixtral-tiny-f32", "olmoe-tiny-f32", "qwen2moe-tiny-f32"})
    void goldenModelsRunOnTheJavaKernels(String name) throws IOException {
        Path dir = GoldenFiles.caseDir(name);
        JsonNode fx = new ObjectMapper().readTree(dir.resolve("fixture.json").toFile());
        Path model = dir.resolve(fx.has("model") ? fx.get("model").asText() : "model.gguf").normalize();
        int[] prompt = ids(dir.resolve("prompt_tokens.txt"));
        int[] generated = ids(dir.resolve("generated_tokens.txt"));
        float[] expected = Npy.read(dir.resolve("logits_last_prompt.npy")).floats();

        ModelLoader.Loaded loaded = ModelLoader.load(model, ModelLoader.Settings.of(1, 0), (f, m) -> { }, null, true);
        try (Engine engine = loaded.engine(); DecodingSession s = engine.newSession(prompt.length + generated.length)) {
            float[] logits = new float[engine.vocabSize()];
            s.forward(prompt, 0, prompt.length, logits);
            assertClose(expected, logits, name);
            int[] out = new int[generated.length];
            int[] one = new int[1];
            for (int i = 0; i < out.length; i++) {
                out[i] = argmax(logits);
                one[0] = out[i];
                s.forward(one, 0, 1, logits);
            }
            assertArrayEquals(generated, out, name + ": greedy tokens on the Java kernels");
        }
    }

    @Test
    void theBackendFallsBackToJavaOnlyWithoutANativeLibrary() {
        String missing = "moe4j has no native library for platform linux-riscv64";
        BackendChoice auto = BackendSelector.choose(BackendSelector.Mode.AUTO, () -> {
            throw new AssertionError("no GPU probe without the CPU library");
        }, () -> missing);
        assertEquals(Backend.JAVA, auto.backend());
        assertTrue(auto.reason().contains(missing), auto.reason());

        BackendChoice forced = BackendSelector.choose(BackendSelector.Mode.JAVA, () -> {
            throw new AssertionError("no GPU probe when Java is forced");
        }, () -> null);
        assertEquals(Backend.JAVA, forced.backend());

        for (BackendSelector.Mode m : List.of(BackendSelector.Mode.CPU, BackendSelector.Mode.CUDA)) {
            var e = assertThrows(dev.moe4j.NativeLibraryException.class,
                    () -> BackendSelector.choose(m, () -> null, () -> missing));
            assertTrue(e.getMessage().contains(missing), e.getMessage());
        }
        assertEquals(BackendSelector.Mode.JAVA, BackendSelector.Mode.parse(" Java "));
    }

    private static void assertClose(float[] expected, float[] got, String name) {
        assertEquals(expected.length, got.length);
        double dot = 0;
        double ne = 0;
        double ng = 0;
        double max = 0;
        for (int i = 0; i < got.length; i++) {
            dot += (double) expected[i] * got[i];
            ne += (double) expected[i] * expected[i];
            ng += (double) got[i] * got[i];
            max = Math.max(max, Math.abs(expected[i] - got[i]));
        }
        double cos = dot / Math.sqrt(ne * ng);
        assertTrue(cos >= 0.99999 && max <= 1e-3, name + ": cosine " + cos + ", max |Δ| " + max);
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }

    private static int[] ids(Path file) throws IOException {
        return Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
    }
}
