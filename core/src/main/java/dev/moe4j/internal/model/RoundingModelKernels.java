package dev.moe4j.internal.model;

import dev.moe4j.internal.nativeio.RopeParams;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * {@link ModelKernels} that round each product's activations as ggml does ({@link GgmlActivationRounding}) and then
 * hand them to another implementation: llama.cpp's activation numerics for the reference kernels (the native kernels
 * do this in C, with integer dot products). Buffers grow to the largest product seen and are then reused, so a steady
 * forward pass allocates nothing.
 */
final class RoundingModelKernels implements ModelKernels {
    private final ModelKernels inner;
    private final Arena arena = Arena.ofShared();
    private float[] heap = new float[0];
    private MemorySegment rounded = MemorySegment.NULL;

    RoundingModelKernels(ModelKernels inner) {
        this.inner = inner;
    }

    @Override
    public int threads() {
        return inner.threads();
    }

    @Override
    public void matmul(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols, MemorySegment x, long xStride,
                       int nTokens, MemorySegment y, long yStride) {
        if (!GgmlActivationRounding.rounds(type)) {
            inner.matmul(type, w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride);
            return;
        }
        int n = Math.multiplyExact(nTokens, cols);
        if (heap.length < n) {
            heap = new float[n];
            rounded = arena.allocate((long) n * Float.BYTES, 64);
        }
        for (int t = 0; t < nTokens; t++) {
            MemorySegment.copy(x, JAVA_FLOAT, t * xStride * Float.BYTES, heap, t * cols, cols);
            GgmlActivationRounding.round(type, heap, t * cols, cols);
        }
        MemorySegment.copy(heap, 0, rounded, JAVA_FLOAT, 0, n);
        inner.matmul(type, w, rowBytes, rows, cols, rounded, cols, nTokens, y, yStride);
    }

    @Override
    public void getRows(GgmlType type, MemorySegment table, long rowBytes, long nRows, int cols, MemorySegment ids,
                        int nIds, MemorySegment out) {
        inner.getRows(type, table, rowBytes, nRows, cols, ids, nIds, out);
    }

    @Override
    public void dequantize(GgmlType type, MemorySegment src, long n, MemorySegment dst) {
        inner.dequantize(type, src, n, dst);
    }

    @Override
    public void rmsnorm(MemorySegment x, MemorySegment weight, int n, int rows, float eps, MemorySegment out) {
        inner.rmsnorm(x, weight, n, rows, eps, out);
    }

    @Override
    public void rope(MemorySegment x, int nTokens, long tokenStride, int nHeads, long headStride, int nRot,
                     MemorySegment positions, RopeParams p) {
        inner.rope(x, nTokens, tokenStride, nHeads, headStride, nRot, positions, p);
    }

    @Override
    public void softmax(MemorySegment x, int n, int rows, float scale) {
        inner.softmax(x, n, rows, scale);
    }

    @Override
    public void softmaxSinks(MemorySegment x, int n, int rows, float scale, MemorySegment sinks) {
        inner.softmaxSinks(x, n, rows, scale, sinks);
    }

    @Override
    public void swigluOai(MemorySegment gate, MemorySegment up, long n, float alpha, float limit, MemorySegment out) {
        inner.swigluOai(gate, up, n, alpha, limit, out);
    }

    @Override
    public void swiglu(MemorySegment gate, MemorySegment up, long n, MemorySegment out) {
        inner.swiglu(gate, up, n, out);
    }

    @Override
    public void axpy(float a, MemorySegment x, int n, MemorySegment y) {
        inner.axpy(a, x, n, y);
    }

    @Override
    public void add(MemorySegment a, MemorySegment b, long n, MemorySegment out) {
        inner.add(a, b, n, out);
    }

    @Override
    public void close() {
        inner.close();
        arena.close();
    }
}
