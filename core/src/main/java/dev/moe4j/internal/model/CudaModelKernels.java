package dev.moe4j.internal.model;

import dev.moe4j.internal.gpu.CudaApi;
import dev.moe4j.internal.gpu.GpuWeights;
import dev.moe4j.internal.nativeio.RopeParams;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * The hybrid kernels: a product whose weight the placement plan put on the GPU ({@link GpuWeights#find}) runs there
 * through libmoe4j_cuda, with the activations uploaded and the result downloaded; everything else (products on weights
 * left on the CPU, on the expert cache's slots, on the KV cache, and every element-wise op) runs on the CPU kernels
 * this wraps. Simple and correct rather than fast: each GPU product is one upload, one kernel and one waiting download
 * on this kernel set's own CUDA context, so no state's data lives on the device between calls (which is what lets the
 * model lend one set to any of its states).
 *
 * <p>Numerics: with llama.cpp's activation rounding ({@code ggmlActivations}) the activations of a product with a
 * quantized or half-precision weight are rounded to the weight's ggml {@code vec_dot_type} on the host first
 * ({@link GgmlActivationRounding}), so the GPU's f32 dot products compute what the CPU's integer products compute, up to
 * the order of summation.
 *
 * <p>Not thread-safe, like every {@link ModelKernels}: leased to one forward call at a time.
 */
final class CudaModelKernels implements ModelKernels {
    private final NativeModelKernels cpu;
    private final GpuWeights weights;
    private final CudaApi api;
    private final boolean ggmlActivations;
    private final MemorySegment ctx;
    private final Arena arena = Arena.ofShared();
    private MemorySegment hostX = MemorySegment.NULL;
    private MemorySegment hostY = MemorySegment.NULL;
    private float[] heap = new float[0];
    private MemorySegment devX = MemorySegment.NULL;
    private MemorySegment devY = MemorySegment.NULL;
    private long devXBytes;
    private long devYBytes;
    private long gpuProducts;
    private long cpuProducts;
    private boolean closed;

    /** Takes ownership of {@code cpu} (closed with this, or at once if the CUDA context cannot be made). */
    CudaModelKernels(NativeModelKernels cpu, GpuWeights weights, boolean ggmlActivations) {
        this.cpu = cpu;
        this.weights = weights;
        this.api = weights.api();
        this.ggmlActivations = ggmlActivations;
        try {
            this.ctx = api.ctxCreate(weights.device());
        } catch (RuntimeException | Error e) {
            cpu.close();
            arena.close();
            throw e;
        }
    }

    @Override
    public int threads() {
        return cpu.threads();
    }

    /** Products run on the GPU so far (for tests and diagnostics). */
    long gpuProducts() {
        return gpuProducts;
    }

    /** Products run on the CPU kernels so far. */
    long cpuProducts() {
        return cpuProducts;
    }

    @Override
    public void matmul(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols, MemorySegment x, long xStride,
                       int nTokens, MemorySegment y, long yStride) {
        GpuWeights.Location at = closed ? null : weights.find(w);
        if (at == null) {
            cpuProducts++;
            cpu.matmul(type, w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride);
            return;
        }
        gpuProducts++;
        long xBytes = (long) nTokens * cols * Float.BYTES;
        long yBytes = (long) nTokens * rows * Float.BYTES;
        stage(type, x, xStride, nTokens, cols);
        ensureDevice(xBytes, yBytes);
        api.upload(ctx, devX, 0, hostX, xBytes);
        boolean whole = at.offset() == 0;
        MemorySegment wBuf = whole ? at.buffer() : api.view(at.buffer(), at.offset(), w.byteSize());
        try {
            api.matmul(ctx, type.id(), wBuf, rowBytes, rows, cols, devX, cols, nTokens, devY, rows);
            api.download(ctx, devY, 0, hostY, yBytes);
        } finally {
            if (!whole) {
                api.free(wBuf);
            }
        }
        long rowOut = (long) rows * Float.BYTES;
        for (int t = 0; t < nTokens; t++) {
            MemorySegment.copy(hostY, t * rowOut, y, t * yStride * Float.BYTES, rowOut);
        }
    }

    /** The fused CPU call when none of these experts is on the GPU; otherwise the separate calls (false). */
    @Override
    public boolean moeExperts(GgmlType guType, GgmlType dType, int dim, int ffn, int k, MemorySegment[] gate,
                              MemorySegment[] up, MemorySegment[] down, long guRowBytes, long dRowBytes,
                              float[] expertWeights, MemorySegment x, MemorySegment out) {
        if (closed) {
            return false;
        }
        for (int j = 0; j < k; j++) {
            if (weights.find(gate[j]) != null || weights.find(up[j]) != null || weights.find(down[j]) != null) {
                return false;
            }
        }
        boolean fused = cpu.moeExperts(guType, dType, dim, ffn, k, gate, up, down, guRowBytes, dRowBytes,
                expertWeights, x, out);
        cpuProducts += fused ? 3L * k : 0;
        return fused;
    }

    /** The batched CPU call when none of the matrices is on the GPU; otherwise the separate calls (false). */
    @Override
    public boolean matvecBatch(GgmlType type, MemorySegment[] w, long rowBytes, int rows, int cols, int n,
                               MemorySegment x, long xMatStride, MemorySegment y, long yMatStride) {
        if (closed) {
            return false;
        }
        for (int m = 0; m < n; m++) {
            if (weights.find(w[m]) != null) {
                return false;
            }
        }
        boolean batched = cpu.matvecBatch(type, w, rowBytes, rows, cols, n, x, xMatStride, y, yMatStride);
        cpuProducts += batched ? n : 0;
        return batched;
    }

    /** Packs the token rows of {@code x} into {@code hostX}, rounded as llama.cpp does when asked to. */
    private void stage(GgmlType type, MemorySegment x, long xStride, int nTokens, int cols) {
        int n = Math.multiplyExact(nTokens, cols);
        long bytes = (long) n * Float.BYTES;
        if (hostX.byteSize() < bytes) {
            hostX = arena.allocate(bytes, 64);
        }
        if (!ggmlActivations || !GgmlActivationRounding.rounds(type)) {
            for (int t = 0; t < nTokens; t++) {
                MemorySegment.copy(x, t * xStride * Float.BYTES, hostX, (long) t * cols * Float.BYTES,
                        (long) cols * Float.BYTES);
            }
            return;
        }
        if (heap.length < n) {
            heap = new float[n];
        }
        for (int t = 0; t < nTokens; t++) {
            MemorySegment.copy(x, JAVA_FLOAT, t * xStride * Float.BYTES, heap, t * cols, cols);
            GgmlActivationRounding.round(type, heap, t * cols, cols);
        }
        MemorySegment.copy(heap, 0, hostX, JAVA_FLOAT, 0, n);
    }

    /** Grows the device activations and the host result buffer to at least the sizes given. */
    private void ensureDevice(long xBytes, long yBytes) {
        if (devXBytes < xBytes) {
            api.free(devX);
            devX = MemorySegment.NULL;
            devX = api.alloc(ctx, xBytes);
            devXBytes = xBytes;
        }
        if (devYBytes < yBytes) {
            api.free(devY);
            devY = MemorySegment.NULL;
            devY = api.alloc(ctx, yBytes);
            devYBytes = yBytes;
        }
        if (hostY.byteSize() < yBytes) {
            hostY = arena.allocate(yBytes, 64);
        }
    }

    @Override
    public void getRows(GgmlType type, MemorySegment table, long rowBytes, long nRows, int cols, MemorySegment ids,
                        int nIds, MemorySegment out) {
        cpu.getRows(type, table, rowBytes, nRows, cols, ids, nIds, out);
    }

    @Override
    public void dequantize(GgmlType type, MemorySegment src, long n, MemorySegment dst) {
        cpu.dequantize(type, src, n, dst);
    }

    @Override
    public void rmsnorm(MemorySegment x, MemorySegment weight, int n, int rows, float eps, MemorySegment out) {
        cpu.rmsnorm(x, weight, n, rows, eps, out);
    }

    @Override
    public void rope(MemorySegment x, int nTokens, long tokenStride, int nHeads, long headStride, int nRot,
                     MemorySegment positions, RopeParams p) {
        cpu.rope(x, nTokens, tokenStride, nHeads, headStride, nRot, positions, p);
    }

    @Override
    public void softmax(MemorySegment x, int n, int rows, float scale) {
        cpu.softmax(x, n, rows, scale);
    }

    // Softmax with sinks and the clamped SwiGLU stay on the CPU like every element-wise op here (activations live in
    // host memory between products); libmoe4j_cuda has them too (moe_cuda_op_softmax_sinks, moe_cuda_op_swiglu_oai)
    // for when the residual stream stays on the device.
    @Override
    public void softmaxSinks(MemorySegment x, int n, int rows, float scale, MemorySegment sinks) {
        cpu.softmaxSinks(x, n, rows, scale, sinks);
    }

    @Override
    public void swigluOai(MemorySegment gate, MemorySegment up, long n, float alpha, float limit, MemorySegment out) {
        cpu.swigluOai(gate, up, n, alpha, limit, out);
    }

    @Override
    public void swiglu(MemorySegment gate, MemorySegment up, long n, MemorySegment out) {
        cpu.swiglu(gate, up, n, out);
    }

    @Override
    public void axpy(float a, MemorySegment x, int n, MemorySegment y) {
        cpu.axpy(a, x, n, y);
    }

    @Override
    public void add(MemorySegment a, MemorySegment b, long n, MemorySegment out) {
        cpu.add(a, b, n, out);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            api.free(devX);
            api.free(devY);
            api.ctxDestroy(ctx);
        } finally {
            arena.close();
            cpu.close();
        }
    }
}
