package dev.moe4j.internal.model;

import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * The core of absorbed Multi-head Latent Attention over a compressed cache: MQA with one shared key row
 * {@code [c_s | k_pe_s]} per position, the latent {@code c_s} doubling as the value (spec §3.4):
 * <pre>
 * score[h, s] = scale · qcur[h] · cache[s]        for s ≤ the token's position
 * p[h, ·]     = softmax(score[h, ·])
 * ō[h]        = Σ_s p[h, s] · c_s
 * </pre>
 * Both products run on the matrix kernels with the cache as the weight: the scores read cache rows as stored, the
 * weighted sum reads the latents transposed ({@code latentT[c][s]}, the kernels' rows are dot products). llama.cpp
 * transposes the whole latent cache for every step (its {@code v_cont}), which costs O(position · r) per layer and token
 * and dominates at long context; here each layer keeps its transposed copy up to date instead, transposing only the
 * rows a step appends ({@link #appendTransposed}), for r more floats of cache per token and layer.
 */
final class MlaAttention {
    /** Cache rows transposed per tile, so the copy reads and writes runs rather than single floats. */
    static final int TILE = 64;

    private MlaAttention() {}

    /**
     * Attends {@code n} consecutive tokens at positions {@code pos0 ..}, whose cache rows and transposed latents are
     * already written.
     *
     * @param cache   [ctx][width] rows: latent (r floats) then rope key
     * @param latentT [r][ld] transposed latents, columns {@code [0, pos0 + n)} written
     * @param qcur    [n][heads][width] absorbed queries
     * @param scores  scratch, at least heads · (pos0 + n) floats
     * @param obar    receives [n][heads][r]
     */
    static void attend(ModelKernels k, MemorySegment cache, int width, int r, MemorySegment latentT, int ld, int pos0,
                       int n, int heads, MemorySegment qcur, MemorySegment scores, MemorySegment obar, float scale) {
        long qBytes = (long) heads * width * Float.BYTES;
        long oBytes = (long) heads * r * Float.BYTES;
        for (int t = 0; t < n; t++) {
            int len = pos0 + t + 1; // causal: the token sees itself and everything before it
            MemorySegment q = t == 0 ? qcur : qcur.asSlice(t * qBytes, qBytes);
            MemorySegment o = t == 0 ? obar : obar.asSlice(t * oBytes, oBytes);
            k.matmul(GgmlType.F32, cache, (long) width * Float.BYTES, len, width, q, width, heads, scores, len);
            k.softmax(scores, len, heads, scale);
            k.matmul(GgmlType.F32, latentT, (long) ld * Float.BYTES, r, len, scores, len, heads, o, r);
        }
    }

    /**
     * {@code latentT[c][s] = cache[s][c]} for {@code c < r}, {@code from <= s < to}: the rows a step appended.
     *
     * @param tile scratch of {@code TILE · (width + r)} floats
     */
    static void appendTransposed(MemorySegment cache, int width, int r, int from, int to, MemorySegment latentT,
                                 int ld, float[] tile) {
        int rowsOff = TILE * width;
        for (int s0 = from; s0 < to; s0 += TILE) {
            int m = Math.min(TILE, to - s0);
            MemorySegment.copy(cache, JAVA_FLOAT, (long) s0 * width * Float.BYTES, tile, 0, m * width);
            for (int c = 0; c < r; c++) {
                int dst = rowsOff + c * TILE;
                for (int j = 0; j < m; j++) {
                    tile[dst + j] = tile[j * width + c];
                }
            }
            for (int c = 0; c < r; c++) {
                MemorySegment.copy(tile, rowsOff + c * TILE, latentT, JAVA_FLOAT, ((long) c * ld + s0) * Float.BYTES, m);
            }
        }
    }
}
