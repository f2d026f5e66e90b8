package dev.moe4j.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the golden fixtures are: the shared, read-only ones in {@code <shared>/golden} and {@code <shared>/golden-iq}
 * (the {@code moe4j.shared} system property, set by surefire) and the repository's own in {@code core/src/test/golden}
 * (the fixtures of the bundled demo model, under {@code moe4j.repo}). All hold folders of the same format
 * (shared/golden/README.md); {@link #caseDirs()} and {@link #caseDir} take them together.
 */
public final class GoldenFiles {
    private GoldenFiles() {}

    /** {@code <shared>/golden}; fails (rather than skips) when it is missing, so a misconfigured build cannot pass. */
    public static Path goldenDir() {
        return sharedDir("golden");
    }

    /**
     * {@code <shared>/golden-iq}: the models of the i-quant, TQ2_0 and MXFP4 formats (llama-quantize mixes, one random
     * deepseek2 model), kept in a folder of their own in shared. Fails when missing, like goldenDir.
     */
    public static Path goldenIqDir() {
        return sharedDir("golden-iq");
    }

    private static Path sharedDir(String name) {
        String shared = System.getProperty("moe4j.shared");
        if (shared == null || shared.isBlank()) {
            throw new IllegalStateException("system property moe4j.shared is not set (surefire sets it to <repo>/../shared)");
        }
        Path dir = Path.of(shared).resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(name + " fixtures not found at " + dir.toAbsolutePath());
        }
        return dir;
    }

    /** The repository's root (the {@code moe4j.repo} system property, set by surefire). */
    public static Path repoDir() {
        String repo = System.getProperty("moe4j.repo");
        if (repo == null || repo.isBlank()) {
            throw new IllegalStateException("system property moe4j.repo is not set (surefire sets it to the checkout)");
        }
        return Path.of(repo);
    }

    /** {@code core/src/test/golden}: fixtures made for this repository's own models. */
    public static Path repoGoldenDir() {
        Path dir = repoDir().resolve("core/src/test/golden");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("repository golden fixtures not found at " + dir.toAbsolutePath());
        }
        return dir;
    }

    /** The bundled demo model, {@code models/demo-countries-q8_0.gguf}. */
    public static Path demoModel() {
        return repoDir().resolve("models/demo-countries-q8_0.gguf");
    }

    /** The folder of one golden case, shared (golden or golden-iq) or the repository's; fails when none has it. */
    public static Path caseDir(String name) {
        for (Path root : roots()) {
            Path dir = root.resolve(name);
            if (Files.isRegularFile(dir.resolve("fixture.json"))) {
                return dir;
            }
        }
        throw new IllegalArgumentException("no golden case named " + name);
    }

    private static List<Path> roots() {
        return List.of(goldenDir(), goldenIqDir(), repoGoldenDir());
    }

    /** Every golden case folder (one with a fixture.json), shared and the repository's, sorted by name. */
    public static List<Path> caseDirs() {
        List<Path> out = new ArrayList<>();
        for (Path root : roots()) {
            try (Stream<Path> dirs = Files.list(root)) {
                dirs.filter(d -> Files.isRegularFile(d.resolve("fixture.json"))).forEach(out::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        out.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return out;
    }
}
