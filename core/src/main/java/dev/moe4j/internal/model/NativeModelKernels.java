package dev.moe4j.internal.model;

import dev.moe4j.internal.nativeio.CpuLevel;
import dev.moe4j.internal.nativeio.KernelContext;
import dev.moe4j.internal.nativeio.RopeParams;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * {@link ModelKernels} on the native kernels: one {@link KernelContext} (dispatch level + worker pool), owned.
 * With {@code ggmlActivations}, products take llama.cpp's activation numerics in C ({@link KernelContext#matmulGgml}:
 * 8-bit activations and integer dot products for quantized weights, f16/bf16-rounded activations for F16/BF16);
 * without, f32 activations.
 */
final class NativeModelKernels implements ModelKernels {
    private final KernelContext ctx;
    private final boolean ggmlActivations;
    /** Per ggml type id: 0 not asked yet, 1 has 8-bit-activation products (fused calls possible), 2 has not. */
    private final byte[] q8Products = new byte[64];

    /** f32 activations. */
    NativeModelKernels(int threads) {
        this(threads, false);
    }

    NativeModelKernels(int threads, boolean ggmlActivations) {
        this(KernelContext.create(threads), ggmlActivations);
    }

    /** At a given dispatch level rather than the configured one (tests compare every level). */
    NativeModelKernels(CpuLevel level, int threads, boolean ggmlActivations) {
        this(KernelContext.create(level, threads), ggmlActivations);
    }

    private NativeModelKernels(KernelContext ctx, boolean ggmlActivations) {
        this.ctx = ctx;
        this.ggmlActivations = ggmlActivations;
    }

    @Override
    public int threads() {
        return ctx.threads();
    }

    @Override
    public void matmul(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols, MemorySegment x, long xStride,
                       int nTokens, MemorySegment y, long yStride) {
        if (ggmlActivations) {
            ctx.matmulGgml(type.id(), w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride);
        } else if (nTokens == 1) {
            ctx.matvec(type.id(), w, rowBytes, rows, cols, x, y);
        } else {
            ctx.matmul(type.id(), w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride);
        }
    }

    @Override
    public boolean moeExperts(GgmlType guType, GgmlType dType, int dim, int ffn, int k, MemorySegment[] gate,
                              MemorySegment[] up, MemorySegment[] down, long guRowBytes, long dRowBytes,
                              float[] weights, MemorySegment x, MemorySegment out) {
        // the fused call is llama.cpp's 8-bit-activation arithmetic; f32 activations or float weights: separate calls
        if (!ggmlActivations || !q8Products(guType) || !q8Products(dType)) {
            return false;
        }
        ctx.ffnExperts(guType.id(), dType.id(), dim, ffn, k, gate, up, down, guRowBytes, dRowBytes, weights, x, out);
        return true;
    }

    @Override
    public boolean matvecBatch(GgmlType type, MemorySegment[] w, long rowBytes, int rows, int cols, int n,
                               MemorySegment x, long xMatStride, MemorySegment y, long yMatStride) {
        if (!ggmlActivations || !q8Products(type)) {
            return false;
        }
        ctx.matvecBatch(type.id(), w, rowBytes, rows, cols, n, x, xMatStride, y, yMatStride);
        return true;
    }

    /** Whether products with {@code type} take 8-bit activations (asked of the library once per type). */
    private boolean q8Products(GgmlType type) {
        int id = type.id();
        if (id < 0 || id >= q8Products.length) {
            return false;
        }
        if (q8Products[id] == 0) { // one block's worth of columns: the answer depends on the type alone
            q8Products[id] = (byte) (KernelContext.q8RowBytes(id, type.blockElems()) > 0 ? 1 : 2);
        }
        return q8Products[id] == 1;
    }

    @Override
    public void getRows(GgmlType type, MemorySegment table, long rowBytes, long nRows, int cols, MemorySegment ids,
                        int nIds, MemorySegment out) {
        ctx.getRows(type.id(), table, rowBytes, nRows, cols, ids, nIds, out);
    }

    @Override
    public void dequantize(GgmlType type, MemorySegment src, long n, MemorySegment dst) {
        ctx.dequantize(type.id(), src, n, dst);
    }

    @Override
    public void rmsnorm(MemorySegment x, MemorySegment weight, int n, int rows, float eps, MemorySegment out) {
        ctx.rmsnorm(x, weight, n, rows, eps, out);
    }

    @Override
    public void rope(MemorySegment x, int nTokens, long tokenStride, int nHeads, long headStride, int nRot,
                     MemorySegment positions, RopeParams p) {
        ctx.rope(x, nTokens, tokenStride, nHeads, headStride, nRot, positions, p);
    }

    @Override
    public void softmax(MemorySegment x, int n, int rows, float scale) {
        ctx.softmax(x, n, rows, scale);
    }

    @Override
    public void softmaxSinks(MemorySegment x, int n, int rows, float scale, MemorySegment sinks) {
        ctx.softmaxSinks(x, n, rows, scale, sinks);
    }

    @Override
    public void swigluOai(MemorySegment gate, MemorySegment up, long n, float alpha, float limit, MemorySegment out) {
        ctx.swigluOai(gate, up, n, alpha, limit, out);
    }

    @Override
    public void swiglu(MemorySegment gate, MemorySegment up, long n, MemorySegment out) {
        ctx.swiglu(gate, up, n, out);
    }

    @Override
    public void axpy(float a, MemorySegment x, int n, MemorySegment y) {
        ctx.axpy(a, x, n, y);
    }

    @Override
    public void add(MemorySegment a, MemorySegment b, long n, MemorySegment out) {
        ctx.add(a, b, n, out);
    }

    @Override
    public void close() {
        ctx.close();
    }
}
