package dev.moe4j.internal.model;

import dev.moe4j.internal.nativeio.RopeParams;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * The compute operations a model's forward pass is made of, with the semantics of {@code moe4j.h} (ggml conventions:
 * a weight is {@code rows} rows of {@code cols} elements stored {@code rowBytes} apart, {@code y[r] = dot(row r, x)}).
 * Activations are f32; sizes and strides are in elements unless a name says bytes.
 *
 * <p>Implementations: {@link NativeModelKernels} (the C kernels, what products run), {@link CudaModelKernels} (the
 * products on GPU-placed weights through libmoe4j_cuda, the rest on the C kernels) and {@link ReferenceModelKernels}
 * (plain Java, slow, the yardstick for tests). Models only talk to this interface, so a whole forward pass can be
 * checked against the reference.
 *
 * <p>Not thread-safe: an instance belongs to one model's pool of kernel sets and is leased to one forward call at a
 * time.
 */
public interface ModelKernels extends AutoCloseable {

    /** Threads the matrix kernels use (the calling thread included). */
    int threads();

    /** {@code Y[t][r] = dot(W row r, X[t])} for {@code t < nTokens}; {@code X[t]} at {@code x + t·xStride}, {@code Y[t]} at {@code y + t·yStride}. */
    void matmul(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols, MemorySegment x, long xStride,
                int nTokens, MemorySegment y, long yStride);

    /** {@code out[i] = } dequantized row {@code ids[i]} of a table of {@code nRows} rows (ids are i32). */
    void getRows(GgmlType type, MemorySegment table, long rowBytes, long nRows, int cols, MemorySegment ids, int nIds,
                 MemorySegment out);

    /** Dequantizes {@code n} elements (whole blocks) of {@code type} into f32 {@code dst}. */
    void dequantize(GgmlType type, MemorySegment src, long n, MemorySegment dst);

    /** {@code out[r] = x[r] / sqrt(mean(x[r]²) + eps) · weight} for {@code rows} contiguous rows of {@code n}; out may be x. */
    void rmsnorm(MemorySegment x, MemorySegment weight, int n, int rows, float eps, MemorySegment out);

    /** In-place rotary embedding (ggml_rope_ext semantics, see {@link RopeParams}) of the first {@code nRot} dims of each head. */
    void rope(MemorySegment x, int nTokens, long tokenStride, int nHeads, long headStride, int nRot,
              MemorySegment positions, RopeParams p);

    /** In-place {@code softmax(scale · x)} of {@code rows} contiguous rows of {@code n}. */
    void softmax(MemorySegment x, int n, int rows, float scale);

    /**
     * In-place softmax with attention sinks (ggml_soft_max_ext with {@code sinks}): row {@code r} of {@code rows}
     * contiguous rows of {@code n} becomes {@code exp(scale·x_i − m) / (Σ_j exp(scale·x_j − m) + exp(sink_r − m))},
     * {@code m = max(max_i scale·x_i, sink_r)}; the sink takes probability mass and yields no value. {@code sinks} holds
     * {@code rows} f32 logits (not scaled).
     */
    void softmaxSinks(MemorySegment x, int n, int rows, float scale, MemorySegment sinks);

    /**
     * gpt-oss's clamped SwiGLU (ggml_swiglu_oai): with {@code g = min(gate[i], limit)} and
     * {@code u = clamp(up[i], −limit, limit)}, {@code out[i] = g · sigmoid(alpha · g) · (u + 1)}; out may alias gate or up.
     */
    void swigluOai(MemorySegment gate, MemorySegment up, long n, float alpha, float limit, MemorySegment out);

    /** {@code out[i] = silu(gate[i]) · up[i]}; out may alias gate or up. */
    void swiglu(MemorySegment gate, MemorySegment up, long n, MemorySegment out);

    /** {@code y[i] += a · x[i]}. */
    void axpy(float a, MemorySegment x, int n, MemorySegment y);

    /** {@code out[i] = a[i] + b[i]}; out may alias a or b. */
    void add(MemorySegment a, MemorySegment b, long n, MemorySegment out);

    /**
     * The routed experts of one token in one fused call, if these kernels have one for these types:
     * {@code out = Σ_{j<k} weights[j] · down_j(swiglu(gate_j x, up_j x))}, which must equal (bit for bit) zeroing
     * {@code out}, then for each j in order {@link #matmul} gate and up, {@link #swiglu}, {@link #matmul} down and
     * {@link #axpy}. {@code gate[j]}/{@code up[j]} are {@code ffn × dim} matrices of {@code guType}, {@code down[j]}
     * {@code dim × ffn} of {@code dType}. Returns false, having done nothing, when there is no fused form (the caller
     * then makes the separate calls).
     */
    default boolean moeExperts(GgmlType guType, GgmlType dType, int dim, int ffn, int k, MemorySegment[] gate,
                               MemorySegment[] up, MemorySegment[] down, long guRowBytes, long dRowBytes,
                               float[] weights, MemorySegment x, MemorySegment out) {
        return false;
    }

    /**
     * {@code n} one-token products of one type and shape at once, if these kernels can:
     * {@code Y_m = W_m · X_m} with {@code X_m} at {@code x + m·xMatStride} and {@code Y_m} at {@code y + m·yMatStride}
     * (floats), equal bit for bit to {@code n} {@link #matmul} calls of one token. Returns false, having done nothing,
     * when there is no batched form (the caller then makes the separate calls).
     */
    default boolean matvecBatch(GgmlType type, MemorySegment[] w, long rowBytes, int rows, int cols, int n,
                                MemorySegment x, long xMatStride, MemorySegment y, long yMatStride) {
        return false;
    }

    /** Releases worker threads; idempotent. */
    @Override
    void close();
}
