package dev.moe4j;

import dev.moe4j.internal.nativeio.CpuLevel;
import dev.moe4j.internal.nativeio.NativeLibrary;

import java.nio.file.Path;

/**
 * What the native side of moe4j runs on in this process: the platform, the loaded library and the SIMD level the CPU
 * kernels dispatch to.
 *
 * @param platform        e.g. {@code linux-x86_64}, {@code linux-aarch64}, {@code windows-x86_64}
 * @param libraryPath     where the library ({@code libmoe4j.so}, {@code moe4j.dll}) was loaded from (extracted from the
 *                        jar, or {@code -Dmoe4j.native.library})
 * @param detectedLevel   the best kernel level this CPU supports: {@code scalar}, {@code avx2} or {@code avx512} on
 *                        x86-64; {@code scalar}, {@code neon}, {@code neon_dotprod} or {@code neon_i8mm} on AArch64
 * @param configuredLevel the level new models use: {@code detectedLevel}, lowered by {@code -Dmoe4j.cpu.level}
 */
public record NativeRuntime(String platform, Path libraryPath, String detectedLevel, String configuredLevel) {

    /**
     * Loads the native library if it is not loaded yet (extracting it once per version) and describes it.
     *
     * @return the platform, the library's path and the kernel levels
     * @throws NativeLibraryException if no library exists for this platform or it cannot be loaded
     */
    public static NativeRuntime current() {
        return new NativeRuntime(NativeLibrary.platform(), NativeLibrary.path(), CpuLevel.detected().label(),
                CpuLevel.configured().label());
    }
}
