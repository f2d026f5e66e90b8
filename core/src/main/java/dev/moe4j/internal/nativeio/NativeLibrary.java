package dev.moe4j.internal.nativeio;

import dev.moe4j.NativeLibraryException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds libmoe4j for this platform and binds it once per JVM.
 *
 * <p>Order: the system property {@value #LIBRARY_PROPERTY} (a library built elsewhere), else the copy packaged at
 * {@code META-INF/native/<platform>/<file>} ({@code libmoe4j.so} on Linux, {@code moe4j.dll} on Windows,
 * {@code libmoe4j.dylib} on macOS), extracted once into a content-addressed cache directory
 * ({@value #CACHE_DIR_PROPERTY}, default {@code <java.io.tmpdir>/moe4j-<user>/native}; on Windows java.io.tmpdir is
 * {@code %TEMP%}). Extraction writes a temporary file and renames it atomically, so two processes or two class loaders
 * extracting at once both end with the same complete file. Windows refuses to replace a DLL another process has loaded:
 * an identical file already there is used as it is, and a different one (damaged, or locked by a process that loaded
 * it) is left alone while this process loads its own copy under a unique name beside it. The library is bound with {@link SymbolLookup#libraryLookup(Path, Arena)} in the global arena: it is not
 * tied to a class loader, so several class loaders (application servers, IDE plugins) can each bind it.
 */
public final class NativeLibrary {
    public static final String LIBRARY_PROPERTY = "moe4j.native.library";
    public static final String CACHE_DIR_PROPERTY = "moe4j.native.cacheDir";
    static final String LIBRARY_FILE = "libmoe4j.so";

    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);

    private NativeLibrary() {}

    /** The bound library, loaded on first use. */
    public static SymbolLookup lookup() {
        return Holder.LOOKUP;
    }

    /**
     * Why the library cannot be loaded on this machine, or null when it can (it is then loaded). Never throws.
     */
    public static String problem() {
        return Probe.PROBLEM;
    }

    private static final class Probe {
        static final String PROBLEM = probe();

        private static String probe() {
            try {
                lookup();
                return null;
            } catch (NativeLibraryException e) {
                return e.getMessage();
            } catch (ExceptionInInitializerError e) {
                Throwable c = e.getCause();
                return c != null && c.getMessage() != null ? c.getMessage() : String.valueOf(c);
            } catch (LinkageError e) {
                return e.toString();
            }
        }
    }

    /** Where the bound library was loaded from. */
    public static Path path() {
        return Holder.PATH;
    }

    private static final class Holder {
        static final Path PATH = locate();
        static final SymbolLookup LOOKUP = bind(PATH);
    }

    private static SymbolLookup bind(Path path) {
        try {
            return SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
            throw new NativeLibraryException("cannot load the moe4j native library " + path + ": " + e.getMessage(), e);
        }
    }

    private static Path locate() {
        String explicit = System.getProperty(LIBRARY_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isRegularFile(p)) {
                throw new NativeLibraryException("-D" + LIBRARY_PROPERTY + "=" + explicit + " is not a file");
            }
            LOG.debug("using native library from -D{}: {}", LIBRARY_PROPERTY, p);
            return p.toAbsolutePath();
        }
        String platform = platform();
        byte[] bytes = packagedLibrary(platform);
        return extract(bytes, cacheRoot(), libraryFile(platform));
    }

    /** The file name of libmoe4j on a platform: {@code moe4j.dll}, {@code libmoe4j.dylib} or {@code libmoe4j.so}. */
    static String libraryFile(String platform) {
        return libraryFile(platform, "moe4j");
    }

    /** The file name of the native library {@code name} on a platform, as the platform's loader expects it. */
    static String libraryFile(String platform, String name) {
        if (platform.startsWith("windows-")) {
            return name + ".dll";
        }
        return platform.startsWith("macos-") ? "lib" + name + ".dylib" : "lib" + name + ".so";
    }

    /** The library packaged for {@code platform} on the class path of this class's loader. */
    static byte[] packagedLibrary(String platform) {
        String file = libraryFile(platform);
        String resource = "/META-INF/native/" + platform + "/" + file;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new NativeLibraryException("moe4j has no native library for platform " + platform
                        + " (looked for " + resource + " on the class path; set -D" + LIBRARY_PROPERTY
                        + "=/path/to/" + file + " to use one built elsewhere)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new NativeLibraryException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    static Path cacheRoot() {
        String configured = System.getProperty(CACHE_DIR_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        String user = System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), "moe4j-" + user, "native");
    }

    /** Writes bytes to {@code root/<version>-<sha256 prefix>/libmoe4j.so} unless an identical file is already there. */
    static Path extract(byte[] bytes, Path root) {
        return extract(bytes, root, LIBRARY_FILE);
    }

    /**
     * Writes bytes to {@code root/<version>-<sha256 prefix>/<fileName>} unless an identical file is already there, and
     * returns the path of a complete file with exactly these bytes.
     */
    static Path extract(byte[] bytes, Path root, String fileName) {
        String digest = sha256(bytes).substring(0, 16);
        Path dir = root.resolve(version() + "-" + digest);
        Path target = dir.resolve(fileName);
        try {
            if (holds(target, bytes.length, digest)) {
                return target;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, fileName, ".tmp");
            try {
                Files.write(tmp, bytes);
                try {
                    moveOver(tmp, target);
                } catch (FileSystemException e) {
                    // Windows: the target is a DLL another process loaded (it cannot be replaced while mapped), or
                    // was just renamed into place by a racing extractor. Use it if it is ours; else keep our copy.
                    if (holds(target, bytes.length, digest)) {
                        return target;
                    }
                    Path own = dir.resolve(uniqueName(fileName));
                    moveOver(tmp, own);
                    LOG.debug("{} could not be replaced ({}); using {}", target, e.toString(), own);
                    return own;
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            LOG.debug("extracted native library to {}", target);
            return target;
        } catch (IOException e) {
            throw new NativeLibraryException("cannot extract the moe4j native library to " + dir + ": " + e.getMessage()
                    + " (set -D" + CACHE_DIR_PROPERTY + " to a writable directory)", e);
        }
    }

    private static void moveOver(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Whether {@code file} is a regular file of this size whose SHA-256 starts with {@code digest}. */
    private static boolean holds(Path file, long size, String digest) throws IOException {
        return Files.isRegularFile(file) && Files.size(file) == size
                && sha256(Files.readAllBytes(file)).startsWith(digest);
    }

    /** {@code moe4j.dll} becomes {@code moe4j-<pid>-<nanos>.dll}: same extension, so the platform loader accepts it. */
    static String uniqueName(String fileName) {
        int dot = fileName.indexOf('.');
        String stem = dot < 0 ? fileName : fileName.substring(0, dot);
        String ext = dot < 0 ? "" : fileName.substring(dot);
        return stem + "-" + ProcessHandle.current().pid() + "-" + Long.toHexString(System.nanoTime()) + ext;
    }

    /** e.g. {@code linux-x86_64}, {@code linux-aarch64}, {@code macos-aarch64}, {@code windows-x86_64}. */
    public static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("linux") ? "linux" : os.contains("mac") || os.contains("darwin") ? "macos"
                : os.contains("windows") ? "windows" : os.replaceAll("[^a-z0-9]", "");
        String a = switch (arch) {
            case "amd64", "x86_64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch.replaceAll("[^a-z0-9_]", "");
        };
        return o + "-" + a;
    }

    static String version() {
        Properties p = new Properties();
        try (InputStream in = NativeLibrary.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall through to "dev"
        }
        String v = p.getProperty("version", "dev");
        return v.startsWith("${") ? "dev" : v;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
