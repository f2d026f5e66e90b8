package dev.moe4j.internal.nativeio;

import dev.moe4j.NativeLibraryException;

import java.util.Locale;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the compute backend once per process: CUDA when libmoe4j_cuda is on the class path (or named by
 * {@value CudaLibrary#LIBRARY_PROPERTY}) and reports a device, else the CPU. The system property
 * {@value #PROPERTY} forces a side: {@code auto} (the default), {@code cpu} (the CUDA library is not even loaded) or
 * {@code cuda} (an error, rather than a silent CPU run, when no GPU is usable). The choice and its reason are logged
 * once at INFO.
 *
 * <p>A CUDA choice makes {@code ModelLoader} plan and upload the model's GPU share at load
 * ({@code dev.moe4j.internal.gpu}) and run the products on it through the hybrid kernels.
 */
public final class BackendSelector {
    public static final String PROPERTY = "moe4j.backend";

    private static final Logger LOG = LoggerFactory.getLogger(BackendSelector.class);

    /** The values of {@value #PROPERTY}. */
    public enum Mode {
        AUTO, CPU, CUDA;

        /** @throws IllegalArgumentException for anything but auto, cpu or cuda (any case, surrounding blanks ok) */
        public static Mode parse(String value) {
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": expected auto, cpu or cuda", e);
            }
        }
    }

    private BackendSelector() {}

    /** The backend of this process: chosen on the first call (probing the GPU if needed), logged once, then fixed. */
    public static BackendChoice selected() {
        return Holder.CHOICE;
    }

    private static final class Holder {
        static final BackendChoice CHOICE = log(choose(Mode.parse(System.getProperty(PROPERTY)), CudaProbe::probe));
    }

    private static BackendChoice log(BackendChoice c) {
        LOG.info("compute backend: {} ({})", c.backend().label(), c.reason());
        return c;
    }

    /**
     * The decision itself, with the probe as a parameter so every branch can be tested.
     *
     * @param probe called at most once, and not at all when the mode is {@code CPU}
     * @throws NativeLibraryException when the mode is {@code CUDA} and the probe finds no usable device
     */
    public static BackendChoice choose(Mode mode, Supplier<CudaProbe.Result> probe) {
        if (mode == Mode.CPU) {
            return new BackendChoice(Backend.CPU, "forced by -D" + PROPERTY + "=cpu", null);
        }
        CudaProbe.Result r = probe.get();
        if (r.usable()) {
            String how = mode == Mode.CUDA ? "forced by -D" + PROPERTY + "=cuda" : "found";
            return new BackendChoice(Backend.CUDA, how + ": CUDA device " + r.device().index() + " of " + r.count()
                    + ", " + r.device().describe() + ", library " + r.library(), r.device());
        }
        if (mode == Mode.CUDA) {
            throw new NativeLibraryException("-D" + PROPERTY + "=cuda, but no CUDA device is usable: " + r.reason());
        }
        return new BackendChoice(Backend.CPU, "no usable CUDA device: " + r.reason(), null);
    }
}
