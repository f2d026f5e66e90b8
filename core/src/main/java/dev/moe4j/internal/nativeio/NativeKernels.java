package dev.moe4j.internal.nativeio;

import dev.moe4j.KernelException;
import dev.moe4j.NativeLibraryException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The one place where {@code moe4j.h} is bound: a {@code static final MethodHandle} per C function, and a Java method
 * per function that turns a negative status into a {@link KernelException}.
 *
 * <p>Pointers are {@link MemorySegment}s. Calls that may run long (matvec, matmul, dequantize) are ordinary downcalls
 * and need native segments; short ops are {@code critical} downcalls (no thread-state transition) and also accept heap
 * segments ({@code MemorySegment.ofArray}). The Java wrappers check that each segment is large enough for the counts
 * passed, so a wrong count is an exception here, never an out-of-bounds access in C.
 */
public final class NativeKernels {
    public static final int ABI_VERSION = 4;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);

    private static final MethodHandle STATUS_STR = bind("moe_status_str", FunctionDescriptor.of(ADDRESS, JAVA_INT), true);
    private static final MethodHandle ABI_VERSION_FN = bind("moe_abi_version", FunctionDescriptor.of(JAVA_INT), true);
    private static final MethodHandle CPU_DETECT = bind("moe_cpu_detect", FunctionDescriptor.of(JAVA_INT), true);
    private static final MethodHandle CPU_SUPPORTS = bind("moe_cpu_supports", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true);
    private static final MethodHandle TYPE_BLOCK = bind("moe_type_block",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), true);
    private static final MethodHandle CTX_CREATE = bind("moe_ctx_create",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), false);
    private static final MethodHandle CTX_DESTROY = bind("moe_ctx_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), false);
    private static final MethodHandle CTX_LEVEL = bind("moe_ctx_level", FunctionDescriptor.of(JAVA_INT, ADDRESS), true);
    private static final MethodHandle CTX_THREADS = bind("moe_ctx_threads", FunctionDescriptor.of(JAVA_INT, ADDRESS), true);
    private static final MethodHandle DEQUANTIZE = bind("moe_tensor_dequantize",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS), false);
    private static final MethodHandle MATVEC = bind("moe_tensor_matvec",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS),
            false);
    private static final MethodHandle MATMUL = bind("moe_tensor_matmul",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                    JAVA_LONG, ADDRESS, JAVA_LONG), false);
    private static final MethodHandle GET_ROWS = bind("moe_tensor_get_rows",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                    ADDRESS), true);
    private static final MethodHandle Q8_ROW_BYTES = bind("moe_tensor_q8_row_bytes",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), true);
    private static final MethodHandle Q8_QUANTIZE = bind("moe_tensor_q8_quantize",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG),
            false);
    private static final MethodHandle Q8_MATMUL = bind("moe_tensor_q8_matmul",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                    JAVA_LONG, ADDRESS, JAVA_LONG), false);
    private static final MethodHandle MATMUL_GGML = bind("moe_tensor_matmul_ggml",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                    JAVA_LONG, ADDRESS, JAVA_LONG), false);
    private static final MethodHandle FFN_EXPERTS = bind("moe_ffn_experts",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS,
                    ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS), false);
    private static final MethodHandle MATVEC_BATCH = bind("moe_tensor_matvec_batch",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS,
                    JAVA_LONG, ADDRESS, JAVA_LONG), false);
    private static final MethodHandle RMSNORM = bind("moe_op_rmsnorm",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_FLOAT, ADDRESS), true);
    private static final MethodHandle ROPE = bind("moe_op_rope",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS,
                    JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, JAVA_INT), true);
    private static final MethodHandle SOFTMAX = bind("moe_op_softmax",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_FLOAT), true);
    private static final MethodHandle SOFTMAX_SINKS = bind("moe_op_softmax_sinks",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_FLOAT, ADDRESS), true);
    private static final MethodHandle SWIGLU = bind("moe_op_swiglu",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true);
    private static final MethodHandle SWIGLU_OAI = bind("moe_op_swiglu_oai",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, JAVA_FLOAT, ADDRESS), true);
    private static final MethodHandle TOPK = bind("moe_op_topk",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS), true);
    private static final MethodHandle ADD = bind("moe_op_add",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), true);
    private static final MethodHandle SCALE = bind("moe_op_scale",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_FLOAT, ADDRESS), true);
    private static final MethodHandle AXPY = bind("moe_op_axpy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_FLOAT, ADDRESS, JAVA_LONG, ADDRESS), true);

    static {
        int v = abiVersion();
        if (v != ABI_VERSION) {
            throw new NativeLibraryException("native library " + NativeLibrary.path() + " has ABI version " + v
                    + ", this jar needs " + ABI_VERSION + " (a stale -D" + NativeLibrary.LIBRARY_PROPERTY + "?)");
        }
    }

    private NativeKernels() {}

    private static MethodHandle bind(String name, FunctionDescriptor fd, boolean critical) {
        SymbolLookup lib = NativeLibrary.lookup();
        MemorySegment addr = lib.find(name).orElseThrow(() -> new NativeLibraryException(
                "native library " + NativeLibrary.path() + " lacks symbol " + name + " (stale build?)"));
        return critical ? LINKER.downcallHandle(addr, fd, CRITICAL) : LINKER.downcallHandle(addr, fd);
    }

    // ---- status ---------------------------------------------------------------------------------------------------

    private static String statusString(int status) {
        try {
            MemorySegment s = (MemorySegment) STATUS_STR.invokeExact(status);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void check(String call, int status) {
        if (status != 0) {
            throw dev.moe4j.internal.ApiValues.get().kernelException(call, status, statusString(status));
        }
    }

    public static int abiVersion() {
        try {
            return (int) ABI_VERSION_FN.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Best {@link CpuLevel} ordinal this CPU and build support. */
    public static int cpuDetect() {
        try {
            return (int) CPU_DETECT.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Whether this CPU and build run the {@link CpuLevel} of this ordinal (levels of the other architecture: no). */
    public static boolean cpuSupports(int level) {
        try {
            return (int) CPU_SUPPORTS.invokeExact(level) != 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {elements per block, bytes per block}, or null if the kernels do not support the type. */
    public static long[] typeBlock(int type) {
        long[] blk = cachedBlock(type);
        return blk == null ? null : blk.clone();
    }

    /**
     * Block geometry by type id, asked of the library once: every product checks its weight size with it, and a
     * downcall plus three allocations per product is measurable when decoding small models.
     */
    private static final class Blocks {
        static final long[][] BY_ID = new long[64][];

        static {
            for (int id = 0; id < BY_ID.length; id++) {
                BY_ID[id] = queryBlock(id);
            }
        }
    }

    private static long[] cachedBlock(int type) {
        return type >= 0 && type < Blocks.BY_ID.length ? Blocks.BY_ID[type] : queryBlock(type);
    }

    private static long[] queryBlock(int type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment e = arena.allocate(JAVA_LONG);
            MemorySegment b = arena.allocate(JAVA_LONG);
            int st = (int) TYPE_BLOCK.invokeExact(type, e, b);
            return st != 0 ? null : new long[] {e.get(JAVA_LONG, 0), b.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- context --------------------------------------------------------------------------------------------------

    static MemorySegment ctxCreate(int level, int threads) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ADDRESS);
            check("moe_ctx_create(level=" + level + ", threads=" + threads + ")",
                    (int) CTX_CREATE.invokeExact(level, threads, slot));
            return slot.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void ctxDestroy(MemorySegment ctx) {
        try {
            check("moe_ctx_destroy", (int) CTX_DESTROY.invokeExact(ctx));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ctxLevel(MemorySegment ctx) {
        try {
            return (int) CTX_LEVEL.invokeExact(ctx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static int ctxThreads(MemorySegment ctx) {
        try {
            return (int) CTX_THREADS.invokeExact(ctx);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- tensor kernels -------------------------------------------------------------------------------------------

    static void dequantize(MemorySegment ctx, int type, MemorySegment src, long n, MemorySegment dst) {
        long bytes = bytesFor(type, n);
        need("dequantize src", src, bytes);
        need("dequantize dst", dst, f32(n));
        try {
            check("moe_tensor_dequantize", (int) DEQUANTIZE.invokeExact(ctx, type, src, n, dst));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void matvec(MemorySegment ctx, int type, MemorySegment w, long rowBytes, long rows, long cols,
                       MemorySegment x, MemorySegment y) {
        needMatrix(type, w, rowBytes, rows, cols);
        need("matvec x", x, f32(cols));
        need("matvec y", y, f32(rows));
        try {
            check("moe_tensor_matvec", (int) MATVEC.invokeExact(ctx, type, w, rowBytes, rows, cols, x, y));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void matmul(MemorySegment ctx, int type, MemorySegment w, long rowBytes, long rows, long cols,
                       MemorySegment x, long xStride, long nTokens, MemorySegment y, long yStride) {
        needMatrix(type, w, rowBytes, rows, cols);
        if (nTokens < 1 || xStride < cols || yStride < rows) {
            throw new IllegalArgumentException("matmul: nTokens=" + nTokens + " xStride=" + xStride + " (cols " + cols
                    + ") yStride=" + yStride + " (rows " + rows + ")");
        }
        need("matmul x", x, f32(span(nTokens, xStride, cols)));
        need("matmul y", y, f32(span(nTokens, yStride, rows)));
        try {
            check("moe_tensor_matmul",
                    (int) MATMUL.invokeExact(ctx, type, w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void getRows(MemorySegment ctx, int type, MemorySegment table, long rowBytes, long nRows, long cols,
                        MemorySegment ids, long nIds, MemorySegment out) {
        needMatrix(type, table, rowBytes, nRows, cols);
        need("get_rows ids", ids, f32(nIds));
        need("get_rows out", out, f32(nIds, cols));
        try {
            check("moe_tensor_get_rows",
                    (int) GET_ROWS.invokeExact(ctx, type, table, rowBytes, nRows, cols, ids, nIds, out));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- 8-bit-activation products --------------------------------------------------------------------------------

    /**
     * Bytes of one row of {@code cols} activations quantized for products with weights of {@code type} (a multiple of
     * 64), or -1 when the type has no quantized-activation products (F32, F16, BF16, unsupported types).
     *
     * @throws IllegalArgumentException if cols is not a positive multiple of the type's block size
     */
    public static long q8RowBytes(int type, long cols) {
        MemorySegment out = MemorySegment.ofArray(new long[1]);
        int st;
        try {
            st = (int) Q8_ROW_BYTES.invokeExact(type, cols, out);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (st == -2) {
            return -1;
        }
        if (st != 0) {
            throw new IllegalArgumentException("moe_tensor_q8_row_bytes(type " + type + ", cols " + cols + "): "
                    + statusString(st));
        }
        return out.get(JAVA_LONG, 0);
    }

    private static long needQ8Rows(int type, long cols, long nTokens) {
        long row = q8RowBytes(type, cols);
        if (row < 0) {
            throw dev.moe4j.internal.ApiValues.get().kernelException("type " + type + " has no quantized-activation products", -2, statusString(-2));
        }
        if (nTokens < 1) {
            throw new IllegalArgumentException("nTokens=" + nTokens);
        }
        return Math.multiplyExact(row, nTokens);
    }

    static void q8Quantize(MemorySegment ctx, int type, MemorySegment x, long cols, long nTokens, long xStride,
                           MemorySegment xq) {
        long bytes = needQ8Rows(type, cols, nTokens);
        if (xStride < cols) {
            throw new IllegalArgumentException("q8_quantize: xStride " + xStride + " < cols " + cols);
        }
        need("q8_quantize x", x, f32(span(nTokens, xStride, cols)));
        need("q8_quantize xq", xq, bytes);
        try {
            check("moe_tensor_q8_quantize",
                    (int) Q8_QUANTIZE.invokeExact(ctx, type, x, cols, nTokens, xStride, xq, xq.byteSize()));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void q8Matmul(MemorySegment ctx, int type, MemorySegment w, long rowBytes, long rows, long cols,
                         MemorySegment xq, long nTokens, MemorySegment y, long yStride) {
        needMatrix(type, w, rowBytes, rows, cols);
        need("q8_matmul xq", xq, needQ8Rows(type, cols, nTokens));
        if (yStride < rows) {
            throw new IllegalArgumentException("q8_matmul: yStride " + yStride + " < rows " + rows);
        }
        need("q8_matmul y", y, f32(span(nTokens, yStride, rows)));
        try {
            check("moe_tensor_q8_matmul", (int) Q8_MATMUL.invokeExact(ctx, type, w, rowBytes, rows, cols, xq,
                    xq.byteSize(), nTokens, y, yStride));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void matmulGgml(MemorySegment ctx, int type, MemorySegment w, long rowBytes, long rows, long cols,
                           MemorySegment x, long xStride, long nTokens, MemorySegment y, long yStride) {
        needMatrix(type, w, rowBytes, rows, cols);
        if (nTokens < 1 || xStride < cols || yStride < rows) {
            throw new IllegalArgumentException("matmul_ggml: nTokens=" + nTokens + " xStride=" + xStride + " (cols "
                    + cols + ") yStride=" + yStride + " (rows " + rows + ")");
        }
        need("matmul_ggml x", x, f32(span(nTokens, xStride, cols)));
        need("matmul_ggml y", y, f32(span(nTokens, yStride, rows)));
        try {
            check("moe_tensor_matmul_ggml",
                    (int) MATMUL_GGML.invokeExact(ctx, type, w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Most experts one {@link #ffnExperts} call takes ({@code MOE_FFN_MAX_EXPERTS}). */
    static final int FFN_MAX_EXPERTS = 256;

    /**
     * moe_ffn_experts over {@code k} experts whose matrices are {@code gate[j]}, {@code up[j]}, {@code down[j]}.
     * {@code ptrs} is scratch for 3k addresses, {@code weights} holds k floats.
     */
    static void ffnExperts(MemorySegment ctx, int guType, int dType, long dim, long ffn, int k, MemorySegment[] gate,
                           MemorySegment[] up, MemorySegment[] down, long guRowBytes, long dRowBytes,
                           MemorySegment weights, MemorySegment x, MemorySegment out, MemorySegment ptrs) {
        if (k < 1 || k > FFN_MAX_EXPERTS || gate.length < k || up.length < k || down.length < k) {
            throw new IllegalArgumentException("ffn_experts: k=" + k + " with " + gate.length + "/" + up.length + "/"
                    + down.length + " matrices (at most " + FFN_MAX_EXPERTS + ")");
        }
        for (int j = 0; j < k; j++) {
            needMatrix(guType, gate[j], guRowBytes, ffn, dim);
            needMatrix(guType, up[j], guRowBytes, ffn, dim);
            needMatrix(dType, down[j], dRowBytes, dim, ffn);
        }
        need("ffn_experts weights", weights, f32(k));
        need("ffn_experts x", x, f32(dim));
        need("ffn_experts out", out, f32(dim));
        long slot = ADDRESS.byteSize();
        need("ffn_experts pointers", ptrs, 3L * k * slot);
        for (int j = 0; j < k; j++) {
            ptrs.setAtIndex(ADDRESS, j, gate[j]);
            ptrs.setAtIndex(ADDRESS, k + j, up[j]);
            ptrs.setAtIndex(ADDRESS, 2L * k + j, down[j]);
        }
        try {
            check("moe_ffn_experts", (int) FFN_EXPERTS.invokeExact(ctx, guType, dType, dim, ffn, (long) k, ptrs,
                    ptrs.asSlice(k * slot), ptrs.asSlice(2 * k * slot), guRowBytes, dRowBytes, weights, x, out));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** moe_tensor_matvec_batch over {@code w[0 .. n)}; {@code ptrs} is scratch for n addresses. */
    static void matvecBatch(MemorySegment ctx, int type, MemorySegment[] w, long rowBytes, long rows, long cols, int n,
                            MemorySegment x, long xMatStride, MemorySegment y, long yMatStride, MemorySegment ptrs) {
        if (n < 1 || n > FFN_MAX_EXPERTS || w.length < n || xMatStride < cols || yMatStride < rows) {
            throw new IllegalArgumentException("matvec_batch: n=" + n + " of " + w.length + " matrices (at most "
                    + FFN_MAX_EXPERTS + "), xMatStride=" + xMatStride + " (cols " + cols + "), yMatStride="
                    + yMatStride + " (rows " + rows + ")");
        }
        for (int m = 0; m < n; m++) {
            needMatrix(type, w[m], rowBytes, rows, cols);
        }
        need("matvec_batch x", x, f32(span(n, xMatStride, cols)));
        need("matvec_batch y", y, f32(span(n, yMatStride, rows)));
        need("matvec_batch pointers", ptrs, n * ADDRESS.byteSize());
        for (int m = 0; m < n; m++) {
            ptrs.setAtIndex(ADDRESS, m, w[m]);
        }
        try {
            check("moe_tensor_matvec_batch", (int) MATVEC_BATCH.invokeExact(ctx, type, ptrs, rowBytes, rows, cols,
                    (long) n, x, xMatStride, y, yMatStride));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- ops ------------------------------------------------------------------------------------------------------

    static void rmsnorm(MemorySegment ctx, MemorySegment x, MemorySegment weight, long n, long rows, float eps,
                        MemorySegment out) {
        need("rmsnorm x", x, f32(n, rows));
        if (!weight.equals(MemorySegment.NULL)) {
            need("rmsnorm weight", weight, f32(n));
        }
        need("rmsnorm out", out, f32(n, rows));
        try {
            check("moe_op_rmsnorm", (int) RMSNORM.invokeExact(ctx, x, weight, n, rows, eps, out));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void rope(MemorySegment ctx, MemorySegment x, long nTokens, long tokenStride, long nHeads, long headStride,
                     long nRot, MemorySegment positions, int mode, float freqBase, float freqScale, float extFactor,
                     float attnFactor, float betaFast, float betaSlow, int nCtxOrig) {
        if (nTokens < 1 || nHeads < 1) {
            throw new IllegalArgumentException("rope: nTokens=" + nTokens + " nHeads=" + nHeads);
        }
        need("rope x", x, f32(Math.addExact(span(nTokens, tokenStride, 0), span(nHeads, headStride, nRot))));
        need("rope positions", positions, f32(nTokens));
        try {
            check("moe_op_rope", (int) ROPE.invokeExact(ctx, x, nTokens, tokenStride, nHeads, headStride, nRot,
                    positions, mode, freqBase, freqScale, extFactor, attnFactor, betaFast, betaSlow, nCtxOrig));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void softmax(MemorySegment ctx, MemorySegment x, long n, long rows, float scale) {
        need("softmax x", x, f32(n, rows));
        try {
            check("moe_op_softmax", (int) SOFTMAX.invokeExact(ctx, x, n, rows, scale));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void softmaxSinks(MemorySegment ctx, MemorySegment x, long n, long rows, float scale, MemorySegment sinks) {
        need("softmax_sinks x", x, f32(n, rows));
        need("softmax_sinks sinks", sinks, f32(rows));
        try {
            check("moe_op_softmax_sinks", (int) SOFTMAX_SINKS.invokeExact(ctx, x, n, rows, scale, sinks));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void swigluOai(MemorySegment ctx, MemorySegment gate, MemorySegment up, long n, float alpha, float limit,
                          MemorySegment out) {
        need("swiglu_oai gate", gate, f32(n));
        need("swiglu_oai up", up, f32(n));
        need("swiglu_oai out", out, f32(n));
        try {
            check("moe_op_swiglu_oai", (int) SWIGLU_OAI.invokeExact(ctx, gate, up, n, alpha, limit, out));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void swiglu(MemorySegment ctx, MemorySegment gate, MemorySegment up, long n, MemorySegment out) {
        need("swiglu gate", gate, f32(n));
        need("swiglu up", up, f32(n));
        need("swiglu out", out, f32(n));
        try {
            check("moe_op_swiglu", (int) SWIGLU.invokeExact(ctx, gate, up, n, out));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void topk(MemorySegment ctx, MemorySegment x, long n, long k, MemorySegment idx, MemorySegment val) {
        need("topk x", x, f32(n));
        need("topk idx", idx, f32(k));
        if (!val.equals(MemorySegment.NULL)) {
            need("topk val", val, f32(k));
        }
        try {
            check("moe_op_topk", (int) TOPK.invokeExact(ctx, x, n, k, idx, val));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void add(MemorySegment ctx, MemorySegment a, MemorySegment b, long n, MemorySegment out) {
        need("add a", a, f32(n));
        need("add b", b, f32(n));
        need("add out", out, f32(n));
        try {
            check("moe_op_add", (int) ADD.invokeExact(ctx, a, b, n, out));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void scale(MemorySegment ctx, MemorySegment x, long n, float s, MemorySegment out) {
        need("scale x", x, f32(n));
        need("scale out", out, f32(n));
        try {
            check("moe_op_scale", (int) SCALE.invokeExact(ctx, x, n, s, out));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void axpy(MemorySegment ctx, float a, MemorySegment x, long n, MemorySegment y) {
        need("axpy x", x, f32(n));
        need("axpy y", y, f32(n));
        try {
            check("moe_op_axpy", (int) AXPY.invokeExact(ctx, a, x, n, y));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    // ---- argument checks ------------------------------------------------------------------------------------------

    private static long bytesFor(int type, long n) {
        long[] blk = cachedBlock(type);
        if (blk == null) {
            throw dev.moe4j.internal.ApiValues.get().kernelException("type " + type, -2, statusString(-2));
        }
        if (n < 0 || n % blk[0] != 0) {
            throw new IllegalArgumentException(n + " elements is not a multiple of the block size " + blk[0]
                    + " of type " + type);
        }
        return Math.multiplyExact(n / blk[0], blk[1]);
    }

    private static void needMatrix(int type, MemorySegment w, long rowBytes, long rows, long cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("matrix of " + rows + " x " + cols);
        }
        long rowMin = bytesFor(type, cols);
        if (rowBytes < rowMin) {
            throw new IllegalArgumentException("rowBytes " + rowBytes + " < " + rowMin + " bytes for " + cols
                    + " elements of type " + type);
        }
        need("weights", w, Math.addExact(Math.multiplyExact(rows - 1, rowBytes), rowMin));
    }

    /**
     * Bytes of {@code n} floats. Overflow throws {@link ArithmeticException}; a negative count gives
     * a negative size, which passes here and is refused by the native argument checks with its status.
     */
    private static long f32(long n) {
        return Math.multiplyExact(4L, n);
    }

    /** Bytes of {@code a * b} floats (two arguments, not varargs: no array per call on the hot path). */
    private static long f32(long a, long b) {
        return Math.multiplyExact(Math.multiplyExact(4L, a), b);
    }

    /** Elements spanned by {@code count} items {@code stride} apart, the last {@code len} long (0 if count is 0). */
    private static long span(long count, long stride, long len) {
        if (count < 0 || stride < 0 || len < 0) {
            throw new IllegalArgumentException("negative count/stride: " + count + ", " + stride + ", " + len);
        }
        return count == 0 ? 0 : Math.addExact(Math.multiplyExact(count - 1, stride), len);
    }

    private static void need(String what, MemorySegment s, long bytes) {
        if (s.byteSize() < bytes) {
            throw new IndexOutOfBoundsException(what + ": segment of " + s.byteSize() + " bytes, needs " + bytes);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
