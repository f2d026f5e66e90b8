package dev.moe4j.internal.nativeio;

import dev.moe4j.NativeLibraryException;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds libmoe4j_cuda, the optional CUDA kernels (native-kernels/cuda, ABI {@code moe4j_cuda.h}).
 *
 * <p>Order: the system property {@value #LIBRARY_PROPERTY} (a library built elsewhere), else the copy packaged at
 * {@code META-INF/native/<platform>-cuda/libmoe4j_cuda.so} by the {@code cuda} classifier of moe4j-native-kernels,
 * extracted like libmoe4j (see {@link NativeLibrary}). Its absence is normal: most installations have no GPU, and the
 * library is only needed to choose the CUDA backend. The library links the CUDA runtime statically and loads without
 * a driver; whether a GPU is usable is the {@link CudaProbe}'s question.
 */
public final class CudaLibrary {
    public static final String LIBRARY_PROPERTY = "moe4j.cuda.library";

    private CudaLibrary() {}

    /**
     * Where the library is, or why there is none.
     *
     * @param path    the library file, or null
     * @param missing when path is null: why (for the backend's log line)
     */
    public record Location(Path path, String missing) {}

    /** {@link #locate(String, String, Path)} with this process's property, platform and cache directory. */
    public static Location locate() {
        return locate(System.getProperty(LIBRARY_PROPERTY), NativeLibrary.platform(), NativeLibrary.cacheRoot());
    }

    /**
     * @param explicit  a path from {@value #LIBRARY_PROPERTY}, or null/blank
     * @param platform  e.g. {@code linux-x86_64}
     * @param cacheRoot where a packaged copy is extracted
     * @throws NativeLibraryException if {@code explicit} names no file (a configuration mistake, not an absent GPU),
     *                                or the packaged copy cannot be read or extracted
     */
    static Location locate(String explicit, String platform, Path cacheRoot) {
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isRegularFile(p)) {
                throw new NativeLibraryException("-D" + LIBRARY_PROPERTY + "=" + explicit + " is not a file");
            }
            return new Location(p.toAbsolutePath(), null);
        }
        String resource = resource(platform);
        try (InputStream in = CudaLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                return new Location(null, "no CUDA library on the class path (" + resource
                        + "; add dev.moe4j:moe4j-native-kernels with classifier cuda, or set -D" + LIBRARY_PROPERTY + ")");
            }
            return new Location(NativeLibrary.extract(in.readAllBytes(), cacheRoot,
                    NativeLibrary.libraryFile(platform, "moe4j_cuda")), null);
        } catch (IOException e) {
            throw new NativeLibraryException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    static String resource(String platform) {
        return "/META-INF/native/" + platform + "-cuda/" + NativeLibrary.libraryFile(platform, "moe4j_cuda");
    }

    /**
     * Binds the library in the global arena (it stays loaded for the life of the process, like libmoe4j).
     *
     * @throws NativeLibraryException if the dynamic loader refuses it
     */
    public static SymbolLookup bind(Path path) {
        try {
            return SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalArgumentException | UnsatisfiedLinkError e) {
            throw new NativeLibraryException("cannot load the moe4j CUDA library " + path + ": " + e.getMessage(), e);
        }
    }
}
