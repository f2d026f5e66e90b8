package dev.moe4j.internal.nativeio;

import java.util.Locale;

/** Where the compute of a model runs: the CPU kernels (libmoe4j) or the CUDA kernels (libmoe4j_cuda). */
public enum Backend {
    CPU, CUDA;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
