package dev.moe4j.internal.nativeio;

import dev.moe4j.NativeLibraryException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Asks libmoe4j_cuda whether this process can use a GPU: the library's ABI version, {@code moe_cuda_device_count} and
 * the first device's description. Only these calls of {@code moe4j_cuda.h} are bound here; a probe never allocates on
 * the device and never fails with an exception for a missing driver or device (those are answers, not errors).
 *
 * <p>Thread-safe: every call is a fresh downcall; the library's error message is read on the thread that failed.
 */
public final class CudaProbe {
    /** {@code MOE_CUDA_ABI_VERSION} this code was written against. */
    public static final int ABI_VERSION = 1;

    static final int MOE_CUDA_OK = 0;
    static final int MOE_CUDA_ERR_NO_DEVICE = -20;
    static final int MOE_CUDA_ERR_NO_DRIVER = -21;

    private static final Linker LINKER = Linker.nativeLinker();

    private CudaProbe() {}

    /**
     * A CUDA device.
     *
     * @param totalBytes device memory in bytes
     */
    public record Device(int index, String name, int ccMajor, int ccMinor, int multiprocessors, long totalBytes) {
        /** e.g. {@code NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB)}. */
        public String describe() {
            return String.format(Locale.ROOT, "%s (sm_%d%d, %d SMs, %.1f GiB)", name, ccMajor, ccMinor,
                    multiprocessors, totalBytes / (double) (1L << 30));
        }
    }

    /**
     * What the probe found.
     *
     * @param device  the device to use (index 0), or null when none is usable
     * @param count   devices the driver reports (0 without one)
     * @param reason  when device is null: why, with the library's own message
     * @param library where the library was loaded from, or null if it was not found or not loadable
     */
    public record Result(Device device, int count, String reason, Path library) {
        public boolean usable() {
            return device != null;
        }

        static Result unavailable(String reason, Path library) {
            return new Result(null, 0, reason, library);
        }
    }

    /** Finds, loads and asks the library; every way of not finding a usable GPU is a non-usable result. */
    public static Result probe() {
        CudaLibrary.Location where = CudaLibrary.locate();
        if (where.path() == null) {
            return Result.unavailable(where.missing(), null);
        }
        return probe(where.path());
    }

    /** Loads the library at {@code path} and asks it; a library the loader refuses is a non-usable result. */
    public static Result probe(Path path) {
        SymbolLookup lib;
        try {
            lib = CudaLibrary.bind(path);
        } catch (NativeLibraryException e) {
            return Result.unavailable(e.getMessage(), null);
        }
        return probe(lib, path);
    }

    /** Asks an already bound library. */
    static Result probe(SymbolLookup lib, Path path) {
        try {
            int abi = (int) handle(lib, "moe_cuda_abi_version", FunctionDescriptor.of(JAVA_INT)).invokeExact();
            if (abi != ABI_VERSION) {
                return Result.unavailable("the CUDA library " + path + " has ABI version " + abi + ", this jar needs "
                        + ABI_VERSION, path);
            }
            MethodHandle count = handle(lib, "moe_cuda_device_count", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            MethodHandle info = handle(lib, "moe_cuda_device_info", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
                    JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment n = arena.allocate(JAVA_INT);
                int st = (int) count.invokeExact(n);
                if (st != MOE_CUDA_OK) {
                    return Result.unavailable(describe(lib, st), path);
                }
                int devices = n.get(JAVA_INT, 0);
                MemorySegment name = arena.allocate(256);
                MemorySegment major = arena.allocate(JAVA_INT), minor = arena.allocate(JAVA_INT);
                MemorySegment sms = arena.allocate(JAVA_INT), bytes = arena.allocate(JAVA_LONG);
                st = (int) info.invokeExact(0, name, name.byteSize(), major, minor, sms, bytes);
                if (st != MOE_CUDA_OK) {
                    return new Result(null, devices, describe(lib, st), path);
                }
                Device d = new Device(0, name.getString(0), major.get(JAVA_INT, 0), minor.get(JAVA_INT, 0),
                        sms.get(JAVA_INT, 0), bytes.get(JAVA_LONG, 0));
                return new Result(d, devices, null, path);
            }
        } catch (NativeLibraryException e) {
            return Result.unavailable(e.getMessage(), path);
        } catch (Throwable t) {
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException("CUDA probe of " + path + " failed", t);
        }
    }

    /** "no CUDA device: <the library's message>" for a status, read on this thread right after the failing call. */
    private static String describe(SymbolLookup lib, int status) throws Throwable {
        MethodHandle name = handle(lib, "moe_cuda_status_str", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        MethodHandle last = handle(lib, "moe_cuda_last_error", FunctionDescriptor.of(ADDRESS));
        String message = ((MemorySegment) last.invokeExact()).reinterpret(1024).getString(0);
        String statusName = ((MemorySegment) name.invokeExact(status)).reinterpret(256).getString(0);
        return statusName + " (status " + status + "): " + message;
    }

    private static MethodHandle handle(SymbolLookup lib, String symbol, FunctionDescriptor fd) {
        MemorySegment addr = lib.find(symbol).orElseThrow(() -> new NativeLibraryException(
                "the CUDA library lacks symbol " + symbol + " (not a libmoe4j_cuda, or a stale build?)"));
        return LINKER.downcallHandle(addr, fd);
    }
}
