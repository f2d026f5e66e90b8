package dev.moe4j.internal.gpu;

import dev.moe4j.Moe4jException;
import dev.moe4j.NativeLibraryException;
import dev.moe4j.internal.nativeio.CudaLibrary;
import dev.moe4j.internal.nativeio.CudaProbe;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The part of {@code moe4j_cuda.h} the model runs on: contexts, buffers, copies and the matrix product. One instance
 * per library file (the real libmoe4j_cuda, or its CPU emulation build for tests), bound once and kept for the life of
 * the process. Handles are raw addresses ({@link MemorySegment}s of size 0); every failing status becomes a
 * {@link Moe4jException} that names the call and carries the library's own message.
 *
 * <p>Thread-safe as the C library is: calls on one context must not overlap, different contexts are independent.
 */
public final class CudaApi {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Map<Path, CudaApi> BOUND = new ConcurrentHashMap<>();

    private final Path path;
    private final MethodHandle statusStr;
    private final MethodHandle lastError;
    private final MethodHandle ctxCreate;
    private final MethodHandle ctxDestroy;
    private final MethodHandle ctxSynchronize;
    private final MethodHandle bufAlloc;
    private final MethodHandle bufView;
    private final MethodHandle bufFree;
    private final MethodHandle bufUpload;
    private final MethodHandle bufDownload;
    private final MethodHandle matmul;

    private CudaApi(Path path, SymbolLookup lib) {
        this.path = path;
        int abi;
        try {
            abi = (int) handle(lib, "moe_cuda_abi_version", FunctionDescriptor.of(JAVA_INT)).invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (abi != CudaProbe.ABI_VERSION) {
            throw new NativeLibraryException("the CUDA library " + path + " has ABI version " + abi + ", this jar needs "
                    + CudaProbe.ABI_VERSION);
        }
        statusStr = handle(lib, "moe_cuda_status_str", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        lastError = handle(lib, "moe_cuda_last_error", FunctionDescriptor.of(ADDRESS));
        ctxCreate = handle(lib, "moe_cuda_ctx_create", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        ctxDestroy = handle(lib, "moe_cuda_ctx_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ctxSynchronize = handle(lib, "moe_cuda_ctx_synchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        bufAlloc = handle(lib, "moe_cuda_buf_alloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
        bufView = handle(lib, "moe_cuda_buf_view",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
        bufFree = handle(lib, "moe_cuda_buf_free", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        bufUpload = handle(lib, "moe_cuda_buf_upload",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
        bufDownload = handle(lib, "moe_cuda_buf_download",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
        matmul = handle(lib, "moe_cuda_tensor_matmul", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG));
    }

    /**
     * The library at {@code path}, bound on first use.
     *
     * @throws NativeLibraryException if it cannot be loaded, lacks a symbol or has another ABI version
     */
    public static CudaApi at(Path path) {
        return BOUND.computeIfAbsent(path.toAbsolutePath().normalize(), p -> new CudaApi(p, CudaLibrary.bind(p)));
    }

    /** The library file. */
    public Path path() {
        return path;
    }

    /** A new context (device + stream) on {@code device}. */
    public MemorySegment ctxCreate(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) ctxCreate.invokeExact(device, out), "moe_cuda_ctx_create(device " + device + ")");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Waits for the context's work and frees it; reports a pending execution error. */
    public void ctxDestroy(MemorySegment ctx) {
        try {
            check((int) ctxDestroy.invokeExact(ctx), "moe_cuda_ctx_destroy");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public void synchronize(MemorySegment ctx) {
        try {
            check((int) ctxSynchronize.invokeExact(ctx), "moe_cuda_ctx_synchronize");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code bytes} of device memory on the context's device. */
    public MemorySegment alloc(MemorySegment ctx, long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) bufAlloc.invokeExact(ctx, bytes, out), "moe_cuda_buf_alloc(" + bytes + " bytes)");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A handle on {@code [offset, offset + bytes)} of {@code parent}; free it like a buffer. */
    public MemorySegment view(MemorySegment parent, long offset, long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) bufView.invokeExact(parent, offset, bytes, out),
                    "moe_cuda_buf_view(" + offset + ", " + bytes + " bytes)");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Frees a buffer handle; null (or NULL) is ignored. */
    public void free(MemorySegment buf) {
        if (buf == null || buf.equals(MemorySegment.NULL)) {
            return;
        }
        try {
            check((int) bufFree.invokeExact(buf), "moe_cuda_buf_free");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Copies {@code bytes} of host memory {@code src} into {@code dst} at {@code dstOffset}. */
    public void upload(MemorySegment ctx, MemorySegment dst, long dstOffset, MemorySegment src, long bytes) {
        try {
            check((int) bufUpload.invokeExact(ctx, dst, dstOffset, src, bytes), "moe_cuda_buf_upload(" + bytes
                    + " bytes)");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Waits for the context's work, then copies {@code bytes} at {@code srcOffset} into host memory {@code dst}. */
    public void download(MemorySegment ctx, MemorySegment src, long srcOffset, MemorySegment dst, long bytes) {
        try {
            check((int) bufDownload.invokeExact(ctx, src, srcOffset, dst, bytes), "moe_cuda_buf_download(" + bytes
                    + " bytes)");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code moe_cuda_tensor_matmul}: {@code Y[t][r] = dot(W row r, X[t])}, strides in floats. */
    public void matmul(MemorySegment ctx, int type, MemorySegment w, long rowBytes, long rows, long cols,
                       MemorySegment x, long xStride, long nTokens, MemorySegment y, long yStride) {
        try {
            check((int) matmul.invokeExact(ctx, type, w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride),
                    "moe_cuda_tensor_matmul(type " + type + ", " + rows + " x " + cols + ", " + nTokens + " tokens)");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void check(int status, String call) throws Throwable {
        if (status != 0) {
            // read on this thread right after the failing call, as moe_cuda_last_error requires
            String message = ((MemorySegment) lastError.invokeExact()).reinterpret(1024).getString(0);
            String name = ((MemorySegment) statusStr.invokeExact(status)).reinterpret(256).getString(0);
            throw new Moe4jException("CUDA: " + call + " failed with " + name + " (status " + status + "): " + message);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("CUDA downcall failed", t);
    }

    private static MethodHandle handle(SymbolLookup lib, String symbol, FunctionDescriptor fd) {
        MemorySegment addr = lib.find(symbol).orElseThrow(() -> new NativeLibraryException(
                "the CUDA library lacks symbol " + symbol + " (not a libmoe4j_cuda, or a stale build?)"));
        return LINKER.downcallHandle(addr, fd);
    }
}
