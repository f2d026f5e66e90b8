package dev.moe4j;

import dev.moe4j.testing.FallbackMain;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM where the native library cannot be loaded (as on a platform without a build: here
 * {@code -Dmoe4j.native.library} names a file that does not exist) still loads a model with {@link Model#builder} and
 * generates llama.cpp's greedy tokens, on the plain-Java kernels, with one WARN line saying why.
 */
class JavaFallbackProcessTest {
    @Test
    void withoutANativeLibraryModelsRunOnTheJavaKernels() throws IOException, InterruptedException {
        Path dir = GoldenFiles.caseDir("ds2-tiny-f32");
        List<String> generated = Files.readAllLines(dir.resolve("generated_tokens.txt")).stream().map(String::trim)
                .filter(s -> !s.isEmpty()).limit(8).toList();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                "-Dmoe4j.native.library=" + dir.resolve("no-such-libmoe4j.so"), FallbackMain.class.getName(),
                dir.resolve("model.gguf").toString(), dir.resolve("prompt_tokens.txt").toString(), "8");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String stderr = new String(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), stderr);
        assertEquals("[" + String.join(", ", generated) + "]", new String(out, StandardCharsets.UTF_8).strip(),
                stderr);
        assertTrue(stderr.contains("compute backend: java") && stderr.contains("no-such-libmoe4j.so"), stderr);
        assertEquals(1, Arrays.stream(stderr.split("\n")).filter(l -> l.contains("compute backend")).count(), stderr);
    }
}
