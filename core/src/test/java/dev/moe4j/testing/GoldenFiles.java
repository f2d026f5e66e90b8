package dev.moe4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the shared, read-only test fixtures are: the {@code moe4j.shared} system property (set by surefire). */
public final class GoldenFiles {
    private GoldenFiles() {}

    /** {@code <shared>/golden}; fails (rather than skips) when it is missing, so a misconfigured build cannot pass. */
    public static Path goldenDir() {
        return sharedDir("golden");
    }

    /**
     * {@code <shared>/golden-iq}: the models of the formats the kernels do not compute yet (i-quants, MXFP4, TQ2_0),
     * kept apart so that every model under {@link #goldenDir()} stays loadable. Fails when missing, like goldenDir.
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
}
