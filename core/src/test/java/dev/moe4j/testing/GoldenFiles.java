package dev.moe4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared, read-only test fixtures are: the {@code moe4j.shared} system property (set by surefire). */
public final class GoldenFiles {
    private GoldenFiles() {}

    /** {@code <shared>/golden}; fails (rather than skips) when it is missing, so a misconfigured build cannot pass. */
    public static Path goldenDir() {
        String shared = System.getProperty("moe4j.shared");
        if (shared == null || shared.isBlank()) {
            throw new IllegalStateException("system property moe4j.shared is not set (surefire sets it to <repo>/../shared)");
        }
        Path dir = Path.of(shared).resolve("golden");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("golden fixtures not found at " + dir.toAbsolutePath());
        }
        return dir;
    }
}
