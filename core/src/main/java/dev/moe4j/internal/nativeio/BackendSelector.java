package dev.moe4j.internal.nativeio;

import dev.moe4j.NativeLibraryException;

import java.util.Locale;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the compute backend once per process: CUDA when libmoe4j_cuda is on the class path (or named by
 * {@value CudaLibrary#LIBRARY_PROPERTY}) and reports a device, else the CPU; where the CPU's native library cannot be
 * loaded (no build for this platform), the plain-Java reference kernels. The system property {@value #PROPERTY}
 * forces a side: {@code auto} (the default), {@code cpu} (the CUDA library is not even loaded; a missing native
 * library is an error), {@code cuda} (an error, rather than a silent CPU run, when no GPU is usable) or {@code java}
 * (the Java kernels even where native ones exist). The choice and its reason are logged once, at INFO, or at WARN for
 * the Java fallback, which is much slower.
 *
 * <p>A CUDA choice makes {@code ModelLoader} plan and upload the model's GPU share at load
 * ({@code dev.moe4j.internal.gpu}) and run the products on it through the hybrid kernels.
 */
public final class BackendSelector {
    public static final String PROPERTY = "moe4j.backend";

    private static final Logger LOG = LoggerFactory.getLogger(BackendSelector.class);

    /** The values of {@value #PROPERTY}. */
    public enum Mode {
        AUTO, CPU, CUDA, JAVA;

        /**
         * @throws IllegalArgumentException for anything but auto, cpu, cuda or java (any case, surrounding blanks ok)
         */
        public static Mode parse(String value) {
            if (value == null || value.isBlank()) {
                return AUTO;
            }
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("-D" + PROPERTY + "=" + value
                        + ": expected auto, cpu, cuda or java", e);
            }
        }
    }

    private BackendSelector() {}

    /** The backend of this process: chosen on the first call (probing the GPU if needed), logged once, then fixed. */
    public static BackendChoice selected() {
        return Holder.CHOICE;
    }

    private static final class Holder {
        static final BackendChoice CHOICE = log(choose(Mode.parse(System.getProperty(PROPERTY)), CudaProbe::probe,
                NativeLibrary::problem));
    }

    private static BackendChoice log(BackendChoice c) {
        if (c.backend() == Backend.JAVA) {
            LOG.warn("compute backend: java ({}): the plain-Java reference kernels run on one thread, {}; add the "
                    + "moe4j-native-kernels jar of this platform, or set -D{}=/path/to/libmoe4j, for the native "
                    + "kernels", c.reason(), JAVA_SLOWDOWN, NativeLibrary.LIBRARY_PROPERTY);
        } else {
            LOG.info("compute backend: {} ({})", c.backend().label(), c.reason());
        }
        return c;
    }

    /** How much slower the Java kernels are, as measured (docs/PERFORMANCE.md), for the log line. */
    static final String JAVA_SLOWDOWN = "4-14x slower than the native kernels on two cores for the small models "
            + "measured, and they use no more cores";

    /**
     * The decision itself, with the probe as a parameter so every branch can be tested; the native library is taken
     * to be present.
     *
     * @param probe called at most once, and not at all when the mode is {@code CPU} or {@code JAVA} or the native
     *              library is missing
     * @throws NativeLibraryException when the mode is {@code CUDA} and the probe finds no usable device, or the mode
     *                                is {@code CPU} or {@code CUDA} and the native library cannot be loaded
     */
    public static BackendChoice choose(Mode mode, Supplier<CudaProbe.Result> probe) {
        return choose(mode, probe, () -> null);
    }

    /**
     * {@link #choose(Mode, Supplier)} on a machine where the native library may be missing.
     *
     * @param nativeProblem why the CPU's native library cannot be loaded, or null when it can
     */
    public static BackendChoice choose(Mode mode, Supplier<CudaProbe.Result> probe, Supplier<String> nativeProblem) {
        if (mode == Mode.JAVA) {
            return new BackendChoice(Backend.JAVA, "forced by -D" + PROPERTY + "=java", null);
        }
        String problem = nativeProblem.get();
        if (problem != null) {
            if (mode != Mode.AUTO) {
                throw new NativeLibraryException("-D" + PROPERTY + "=" + mode.name().toLowerCase(Locale.ROOT)
                        + " needs the native library: " + problem);
            }
            return new BackendChoice(Backend.JAVA, "no native library: " + problem, null);
        }
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
