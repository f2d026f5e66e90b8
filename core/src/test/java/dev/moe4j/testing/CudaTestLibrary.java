package dev.moe4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CUDA library the GPU-path tests run on: the real libmoe4j_cuda when a GPU run names it
 * ({@code -Dmoe4j.test.cudaGpuLibrary=PATH}, as native-kernels/cuda/check-gpu.sh does), else the CPU emulation build
 * native-kernels makes where nvcc is ({@code moe4j.test.cudaEmuLibrary}, set by surefire); null when neither exists.
 */
public final class CudaTestLibrary {
    private CudaTestLibrary() {}

    public static Path path() {
        for (String property : new String[] {"moe4j.test.cudaGpuLibrary", "moe4j.test.cudaEmuLibrary"}) {
            String p = System.getProperty(property, "");
            if (!p.isBlank() && Files.isRegularFile(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    /** The assumption message of a test skipped for want of a library. */
    public static String missing() {
        return "no CUDA library: libmoe4j_cuda_emu.so is built by native-kernels where nvcc is (expected at "
                + System.getProperty("moe4j.test.cudaEmuLibrary") + ")";
    }
}
