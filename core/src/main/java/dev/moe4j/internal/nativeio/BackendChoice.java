package dev.moe4j.internal.nativeio;

import java.util.Objects;

/**
 * The backend chosen for this process and why.
 *
 * @param backend CPU, CUDA or JAVA
 * @param reason  one line for the log: what was forced or found (the device, or why there is no usable one)
 * @param device  the CUDA device when {@code backend} is CUDA, else null
 */
public record BackendChoice(Backend backend, String reason, CudaProbe.Device device) {
    public BackendChoice {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(reason, "reason");
        if ((backend == Backend.CUDA) != (device != null)) {
            throw new IllegalArgumentException("a CUDA choice names its device, a CPU or Java choice none");
        }
    }
}
