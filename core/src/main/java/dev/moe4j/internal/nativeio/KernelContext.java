package dev.moe4j.internal.nativeio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * A native {@code moe_ctx}: a dispatch level and a persistent pool of worker threads. Not thread-safe: one thread
 * drives a context at a time (a model session owns one). Closing it joins the workers.
 *
 * <p>Weights and activations are {@link MemorySegment}s; matrix kernels need native segments (mapped files, arena
 * allocations), element-wise ops also take heap segments.
 */
public final class KernelContext implements AutoCloseable {
    private final MemorySegment ctx;
    /** Argument scratch of {@link #ffnExperts} (pointer and weight arrays), made on first use, freed by close. */
    private Arena scratchArena;
    private MemorySegment ffnPointers;
    private MemorySegment ffnWeights;
    private final CpuLevel level;
    private final int threads;
    private boolean closed;

    private KernelContext(MemorySegment ctx) {
        this.ctx = ctx;
        this.level = CpuLevel.values()[NativeKernels.ctxLevel(ctx)];
        this.threads = NativeKernels.ctxThreads(ctx);
    }

    /** A context at {@link CpuLevel#configured()} with the given number of threads (the caller's thread included). */
    public static KernelContext create(int threads) {
        return create(CpuLevel.configured(), threads);
    }

    public static KernelContext create(CpuLevel level, int threads) {
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("threads must be in 1..256, got " + threads);
        }
        return new KernelContext(NativeKernels.ctxCreate(level.ordinal(), threads));
    }

    public CpuLevel level() {
        return level;
    }

    public int threads() {
        return threads;
    }

    private MemorySegment h() {
        if (closed) {
            throw new IllegalStateException("kernel context is closed");
        }
        return ctx;
    }

    /** Dequantizes {@code n} elements of {@code type} from {@code src} into f32 {@code dst}. */
    public void dequantize(int type, MemorySegment src, long n, MemorySegment dst) {
        NativeKernels.dequantize(h(), type, src, n, dst);
    }

    /** {@code y[r] = dot(W row r, x)}; rows are {@code rowBytes} apart. */
    public void matvec(int type, MemorySegment w, long rowBytes, long rows, long cols, MemorySegment x, MemorySegment y) {
        NativeKernels.matvec(h(), type, w, rowBytes, rows, cols, x, y);
    }

    /** {@code Y[t][r] = dot(W row r, X[t])}; strides in floats. */
    public void matmul(int type, MemorySegment w, long rowBytes, long rows, long cols, MemorySegment x, long xStride,
                       long nTokens, MemorySegment y, long yStride) {
        NativeKernels.matmul(h(), type, w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride);
    }

    /**
     * Bytes of one row of {@code cols} activations quantized for {@link #q8Matmul} with weights of {@code type} (a
     * multiple of 64), or -1 for types whose products take f32 activations (F32, F16, BF16). Layout: moe4j.h.
     */
    public static long q8RowBytes(int type, long cols) {
        return NativeKernels.q8RowBytes(type, cols);
    }

    /**
     * Quantizes {@code nTokens} rows of {@code cols} f32 activations ({@code xStride} floats apart) the way llama.cpp
     * does for products with {@code type} weights, into {@code xq} (rows {@link #q8RowBytes} apart). Large batches use
     * the workers.
     */
    public void q8Quantize(int type, MemorySegment x, long cols, long nTokens, long xStride, MemorySegment xq) {
        NativeKernels.q8Quantize(h(), type, x, cols, nTokens, xStride, xq);
    }

    /**
     * {@code Y[t][r] = dot(W row r, quantized row t)} with integer dot products (llama.cpp's arithmetic), from rows made
     * by {@link #q8Quantize} with the same type and cols; {@code yStride} in floats.
     */
    public void q8Matmul(int type, MemorySegment w, long rowBytes, long rows, long cols, MemorySegment xq, long nTokens,
                         MemorySegment y, long yStride) {
        NativeKernels.q8Matmul(h(), type, w, rowBytes, rows, cols, xq, nTokens, y, yStride);
    }

    /**
     * {@link #matmul} with llama.cpp's activation numerics: quantized types quantize x once into a buffer the context
     * keeps (grown on demand) and take integer dot products; F16/BF16 weights see x rounded to f16/bf16; F32 is
     * {@link #matmul}. One token is a matvec.
     */
    public void matmulGgml(int type, MemorySegment w, long rowBytes, long rows, long cols, MemorySegment x,
                           long xStride, long nTokens, MemorySegment y, long yStride) {
        NativeKernels.matmulGgml(h(), type, w, rowBytes, rows, cols, x, xStride, nTokens, y, yStride);
    }

    /**
     * The routed experts of one token in one call (moe4j.h {@code moe_ffn_experts}):
     * {@code out = Σ_j weights[j] · down_j(silu(gate_j x) · up_j x)} for {@code j < k}, with llama.cpp's 8-bit
     * activations, equal bit for bit to the separate {@link #matmulGgml}, {@link #swiglu} and {@link #axpy} calls in
     * expert order. Both types must be quantized ({@link #q8RowBytes} {@code > 0}); {@code k} at most 256.
     *
     * @param gate {@code ffn × dim} matrices of {@code guType}, rows {@code guRowBytes} apart (also {@code up})
     * @param down {@code dim × ffn} matrices of {@code dType}, rows {@code dRowBytes} apart
     * @param x    {@code dim} floats; {@code out}: {@code dim} floats (overwritten, not overlapping x)
     */
    public void ffnExperts(int guType, int dType, long dim, long ffn, int k, MemorySegment[] gate, MemorySegment[] up,
                           MemorySegment[] down, long guRowBytes, long dRowBytes, float[] weights, MemorySegment x,
                           MemorySegment out) {
        MemorySegment c = h();
        if (k < 1 || k > NativeKernels.FFN_MAX_EXPERTS || weights.length < k) {
            throw new IllegalArgumentException("ffnExperts: k=" + k + " with " + weights.length + " weights");
        }
        ensureScratch();
        MemorySegment.copy(weights, 0, ffnWeights, JAVA_FLOAT, 0, k);
        NativeKernels.ffnExperts(c, guType, dType, dim, ffn, k, gate, up, down, guRowBytes, dRowBytes, ffnWeights, x,
                out, ffnPointers);
    }

    /**
     * {@code n} one-token products of one type and shape in one call (moe4j.h {@code moe_tensor_matvec_batch}):
     * {@code y[m·yMatStride ..] = W_m · x[m·xMatStride ..]} (strides in floats), equal bit for bit to {@code n}
     * {@link #matmulGgml} calls of one token. Quantized types only ({@link #q8RowBytes} {@code > 0}); n at most 256.
     */
    public void matvecBatch(int type, MemorySegment[] w, long rowBytes, long rows, long cols, int n, MemorySegment x,
                            long xMatStride, MemorySegment y, long yMatStride) {
        MemorySegment c = h();
        ensureScratch();
        NativeKernels.matvecBatch(c, type, w, rowBytes, rows, cols, n, x, xMatStride, y, yMatStride, ffnPointers);
    }

    private void ensureScratch() {
        if (scratchArena == null) {
            scratchArena = Arena.ofShared();
            ffnPointers = scratchArena.allocate(3L * NativeKernels.FFN_MAX_EXPERTS * ADDRESS.byteSize(), 64);
            ffnWeights = scratchArena.allocate((long) NativeKernels.FFN_MAX_EXPERTS * Float.BYTES, 64);
        }
    }

    public void getRows(int type, MemorySegment table, long rowBytes, long nRows, long cols, MemorySegment ids, long nIds,
                        MemorySegment out) {
        NativeKernels.getRows(h(), type, table, rowBytes, nRows, cols, ids, nIds, out);
    }

    /** {@code weight} may be {@link MemorySegment#NULL}. */
    public void rmsnorm(MemorySegment x, MemorySegment weight, long n, long rows, float eps, MemorySegment out) {
        NativeKernels.rmsnorm(h(), x, weight, n, rows, eps, out);
    }

    public void rope(MemorySegment x, long nTokens, long tokenStride, long nHeads, long headStride, long nRot,
                     MemorySegment positions, RopeParams p) {
        NativeKernels.rope(h(), x, nTokens, tokenStride, nHeads, headStride, nRot, positions, p.mode(), p.freqBase(),
                p.freqScale(), p.extFactor(), p.attnFactor(), p.betaFast(), p.betaSlow(), p.nCtxOrig());
    }

    public void softmax(MemorySegment x, long n, long rows, float scale) {
        NativeKernels.softmax(h(), x, n, rows, scale);
    }

    /**
     * In-place softmax with attention sinks (moe4j.h {@code moe_op_softmax_sinks}, ggml_soft_max_ext with sinks): row
     * {@code r} of {@code rows} rows of {@code n} also counts {@code exp(sinks[r] − m)} in its denominator, with
     * {@code m = max(max_i scale·x_i, sinks[r])}. {@code sinks}: {@code rows} unscaled f32 logits, not overlapping x.
     */
    public void softmaxSinks(MemorySegment x, long n, long rows, float scale, MemorySegment sinks) {
        NativeKernels.softmaxSinks(h(), x, n, rows, scale, sinks);
    }

    public void swiglu(MemorySegment gate, MemorySegment up, long n, MemorySegment out) {
        NativeKernels.swiglu(h(), gate, up, n, out);
    }

    /**
     * gpt-oss's clamped SwiGLU (moe4j.h {@code moe_op_swiglu_oai}, ggml_swiglu_oai): {@code g = min(gate, limit)},
     * {@code u = clamp(up, −limit, limit)}, {@code out = g·sigmoid(alpha·g)·(u + 1)}; alpha finite, limit finite and
     * {@code >= 0}; out may alias gate or up.
     */
    public void swigluOai(MemorySegment gate, MemorySegment up, long n, float alpha, float limit, MemorySegment out) {
        NativeKernels.swigluOai(h(), gate, up, n, alpha, limit, out);
    }

    /** {@code val} may be {@link MemorySegment#NULL}. */
    public void topk(MemorySegment x, long n, long k, MemorySegment idx, MemorySegment val) {
        NativeKernels.topk(h(), x, n, k, idx, val);
    }

    public void add(MemorySegment a, MemorySegment b, long n, MemorySegment out) {
        NativeKernels.add(h(), a, b, n, out);
    }

    public void scale(MemorySegment x, long n, float s, MemorySegment out) {
        NativeKernels.scale(h(), x, n, s, out);
    }

    public void axpy(float a, MemorySegment x, long n, MemorySegment y) {
        NativeKernels.axpy(h(), a, x, n, y);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            NativeKernels.ctxDestroy(ctx);
            if (scratchArena != null) {
                scratchArena.close();
            }
        }
    }
}
