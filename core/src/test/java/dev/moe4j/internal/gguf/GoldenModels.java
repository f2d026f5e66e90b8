package dev.moe4j.internal.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared reference files (system property {@code moe4j.shared}, set by surefire to {@code <repo>/../shared}):
 * golden model folders and vocab-only GGUFs. Missing files fail the test rather than skip it, so that a wrong path
 * cannot make the suite pass without checking anything.
 */
public final class GoldenModels {
    private static final Pattern MODEL_FIELD = Pattern.compile("\"model\"\\s*:\\s*\"([^\"]+)\"");

    private GoldenModels() {
    }

    public static Path shared() {
        String p = System.getProperty("moe4j.shared");
        assertTrue(p != null, "system property moe4j.shared is not set (the parent pom sets it for surefire)");
        Path dir = Path.of(p);
        assertTrue(Files.isDirectory(dir.resolve("golden")), "no golden folder in " + dir.toAbsolutePath());
        return dir;
    }

    /**
     * Every folder of shared/golden and shared/golden-iq (the i-quant, TQ2_0 and MXFP4 models, same layout), sorted by
     * name.
     */
    public static List<Path> goldenDirs() {
        List<Path> dirs = new ArrayList<>();
        for (String root : List.of("golden", "golden-iq")) {
            try (Stream<Path> s = Files.list(shared().resolve(root))) {
                s.filter(Files::isDirectory).forEach(dirs::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        dirs.sort(Comparator.comparing(d -> d.getFileName().toString()));
        assertTrue(dirs.size() >= 19, "expected the golden and golden-iq model folders, found " + dirs);
        return dirs;
    }

    /** The model of a golden folder: its model.gguf, or the file fixture.json's {@code model} names. */
    public static Path model(Path goldenDir) {
        Path local = goldenDir.resolve("model.gguf");
        if (Files.exists(local)) {
            return local;
        }
        try {
            Matcher m = MODEL_FIELD.matcher(Files.readString(goldenDir.resolve("fixture.json")));
            assertTrue(m.find(), goldenDir + ": no model.gguf and no \"model\" in fixture.json");
            Path p = goldenDir.resolve(m.group(1)).normalize();
            assertTrue(Files.exists(p), goldenDir + ": fixture.json names a missing model " + p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The vocab-only GGUFs of shared/tokenizers/llama.cpp-vocab. */
    public static List<Path> vocabFiles() {
        try (Stream<Path> s = Files.list(shared().resolve("tokenizers/llama.cpp-vocab"))) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
            assertTrue(files.size() >= 5, "expected the llama.cpp vocab files, found " + files);
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
