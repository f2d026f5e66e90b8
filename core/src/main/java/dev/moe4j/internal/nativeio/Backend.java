package dev.moe4j.internal.nativeio;

import java.util.Locale;

/**
 * Where the compute of a model runs: the CPU kernels (libmoe4j), the CUDA kernels (libmoe4j_cuda), or the plain-Java
 * reference kernels where no native library can be loaded (any platform with a JDK).
 */
public enum Backend {
    CPU, CUDA, JAVA;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
