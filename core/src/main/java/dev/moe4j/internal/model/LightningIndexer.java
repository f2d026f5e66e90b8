package dev.moe4j.internal.model;

import dev.moe4j.internal.nativeio.RopeParams;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * DeepSeek Sparse Attention's lightning indexer (DeepSeek-V3.2, {@code deepseek32}): for each query it scores every
 * cached position with a few cheap heads and keeps the {@code topK} best, the only positions the query's MLA attention
 * then reads. Attention cost per token stops growing with the context once it exceeds {@code topK}; the indexer itself
 * still reads every position, but with {@code H_I · d_I} floats (64 · 128) where MLA reads {@code H · (r + rope)}
 * (128 · 576).
 * <pre>
 * iq[h]   = (W_iqb · qr)[h]                      [H_I][d_I], qr the normalised compressed query of MLA
 * ik      = LayerNorm(W_ik · x; γ, β, 1e-6)      [d_I], cached for every token
 * iq, ik  : RoPE (NEOX pairs) on the first rope dims of each head, the layout being [rope | nope]
 * w[h]    = (W_proj · x)[h] / sqrt(d_I · H_I)
 * score_s = Σ_h relu(iq[h] · ik_s) · w[h]       for cached positions s ≤ the query's
 * </pre>
 * llama.cpp also multiplies {@code iq} and {@code ik} by a normalised Hadamard matrix before caching; that is an
 * orthogonal map, so it leaves every {@code iq · ik} unchanged and only matters for a quantized key cache (it spreads
 * outliers before rounding). moe4j caches the keys in f32, where it would be pure cost, so it is left out.
 * Shapes are GGUF {@code ne}, innermost first; D = hidden, r_q = q_lora_rank.
 */
public final class LightningIndexer {
    /** llama.cpp's fixed LayerNorm epsilon of the indexer keys ({@code f_norm_eps}). */
    static final float KEY_NORM_EPS = 1e-6f;

    /**
     * @param heads   H_I, {@code attention.indexer.head_count}
     * @param headDim d_I, {@code attention.indexer.key_length}
     * @param ropeDim rotated dims at the start of each head (the model's rope dimension)
     * @param topK    positions each query keeps, {@code attention.indexer.top_k}
     * @param rope    the model's rotary parameters in NEOX mode
     */
    public record Dims(int heads, int headDim, int ropeDim, int topK, RopeParams rope) {
        public Dims {
            if (heads <= 0 || headDim <= 0 || topK <= 0 || ropeDim > headDim || ropeDim % 2 != 0) {
                throw new IllegalArgumentException("indexer: " + heads + " heads of " + headDim + ", rope " + ropeDim
                        + ", top-k " + topK);
            }
        }
    }

    final Dims c;
    final Weight qB;           // indexer.attn_q_b [r_q, H_I·d_I]
    final Weight k;            // indexer.attn_k   [D, d_I]
    final MemorySegment kNorm; // indexer.k_norm.weight [d_I]
    final MemorySegment kBias; // indexer.k_norm.bias   [d_I]
    final Weight proj;         // indexer.proj     [D, H_I]

    LightningIndexer(Dims c, Weight qB, Weight k, MemorySegment kNorm, MemorySegment kBias, Weight proj) {
        this.c = c;
        this.qB = qB;
        this.k = k;
        this.kNorm = kNorm;
        this.kBias = kBias;
        this.proj = proj;
    }

    /** Reads one layer's indexer tensors ({@code blk.N.indexer.*}). */
    public static LightningIndexer load(ModelTensors t, String p, Dims c, int embd, int qLoraRank) {
        return new LightningIndexer(c, t.matrix(p + "indexer.attn_q_b.weight", qLoraRank, (long) c.heads() * c.headDim()),
                t.matrix(p + "indexer.attn_k.weight", embd, c.headDim()),
                t.vector(p + "indexer.k_norm.weight", c.headDim()), t.vector(p + "indexer.k_norm.bias", c.headDim()),
                t.matrix(p + "indexer.proj.weight", embd, c.heads()));
    }

    /** Floats one token's key takes in the cache. */
    int keyWidth() {
        return c.headDim();
    }

    /** Per-step buffers. */
    static final class Scratch {
        final MemorySegment q;       // [B][H_I][d_I]
        final MemorySegment k;       // [B][d_I]
        final MemorySegment w;       // [B][H_I]
        final Selection selection;
        final float[] row;           // [d_I] LayerNorm row

        Scratch(Dims c, int b, int ctx, StateMemory mem) {
            q = mem.floats((long) b * c.heads() * c.headDim());
            k = mem.floats((long) b * c.headDim());
            w = mem.floats((long) b * c.heads());
            selection = new Selection(c.heads(), ctx, mem);
            row = new float[c.headDim()];
        }
    }

    /** Buffers of one query's scoring over up to {@code len} cached keys (V3.2's positions, V4's CSA blocks). */
    static final class Selection {
        final MemorySegment headQk;  // [H_I][len] per-head products of one query
        final float[] qk;            // the same, on the heap for the reduction
        final float[] score;         // [len] one query's scores
        final int[] order;           // [len] candidates, partially ordered by score

        Selection(int heads, int len, StateMemory mem) {
            headQk = mem.floats((long) heads * len);
            qk = new float[heads * len];
            score = new float[len];
            order = new int[len];
        }
    }

    /**
     * Projects the batch's indexer queries, keys and head weights: {@code qr} holds the normalised compressed queries
     * ({@code n × r_q}), {@code xn} the normalised inputs ({@code n × D}). Keys land in {@code s.k}, ready to be cached.
     */
    void project(ModelKernels kern, Scratch s, MemorySegment qr, MemorySegment xn, int n, MemorySegment positions,
                 Trace trace, int layer, int pos0) {
        int h = c.heads();
        int d = c.headDim();
        qB.apply(kern, qr, n, s.q);
        kern.rope(s.q, n, (long) h * d, h, d, c.ropeDim(), positions, c.rope());
        k.apply(kern, xn, n, s.k);
        for (int t = 0; t < n; t++) {
            layerNorm(s.k, (long) t * d, s.row);
        }
        kern.rope(s.k, n, d, 1, d, c.ropeDim(), positions, c.rope());
        proj.apply(kern, xn, n, s.w);
        float scale = (float) (1.0 / Math.sqrt((double) d * h));
        for (long i = 0, e = (long) n * h; i < e; i++) {
            s.w.setAtIndex(JAVA_FLOAT, i, s.w.getAtIndex(JAVA_FLOAT, i) * scale);
        }
        if (trace != null) {
            trace.rows("indexer_q", layer, pos0, n, s.q, (long) h * d);
            trace.rows("indexer_k", layer, pos0, n, s.k, d);
            trace.rows("indexer_weights", layer, pos0, n, s.w, h);
        }
    }

    /** ggml_norm then the affine map: {@code (x − mean) / sqrt(var + eps) · γ + β}, in place at {@code off}. */
    private void layerNorm(MemorySegment x, long off, float[] row) {
        int d = row.length;
        MemorySegment.copy(x, JAVA_FLOAT, off * Float.BYTES, row, 0, d);
        // ggml sums in double (ggml_float) for the mean and the variance
        double sum = 0;
        for (float v : row) {
            sum += v;
        }
        float mean = (float) (sum / d);
        double sq = 0;
        for (int i = 0; i < d; i++) {
            float v = row[i] - mean;
            row[i] = v;
            sq += (double) (v * v);
        }
        float variance = (float) (sq / d);
        float scale = 1.0f / (float) Math.sqrt(variance + KEY_NORM_EPS);
        for (int i = 0; i < d; i++) {
            row[i] = row[i] * scale * kNorm.getAtIndex(JAVA_FLOAT, i) + kBias.getAtIndex(JAVA_FLOAT, i);
        }
        MemorySegment.copy(row, 0, x, JAVA_FLOAT, off * Float.BYTES, d);
    }

    /**
     * Selects the positions one query attends to among the {@code len} cached ones: all of them when
     * {@code len <= topK}, else the {@code topK} of highest score, ties going to the earlier position. Writes them
     * ascending to {@code out} and returns how many.
     *
     * @param keys [len][d_I] cached keys
     * @param q    the query's [H_I][d_I]
     * @param w    the query's [H_I] scaled head weights
     */
    int select(ModelKernels kern, Scratch s, MemorySegment keys, int len, MemorySegment q, MemorySegment w, int[] out) {
        return select(kern, s.selection, keys, len, c.headDim(), c.heads(), c.topK(), q, w, out);
    }

    /**
     * The lightning indexer's choice, shared by V3.2 (over cached positions) and V4's CSA layers (over compressed
     * blocks): {@code score_i = Σ_h relu(q[h] · keys[i]) · w[h]}, the {@code topK} best of {@code len} candidates
     * (all when there are no more), ties to the earlier one, written ascending to {@code out}; returns how many.
     *
     * @param keys [len][dim] candidate keys
     * @param q    [heads][dim] the query
     * @param w    [heads] scaled head weights
     */
    static int select(ModelKernels kern, Selection s, MemorySegment keys, int len, int dim, int heads, int topK,
                      MemorySegment q, MemorySegment w, int[] out) {
        if (len <= topK) {
            for (int i = 0; i < len; i++) {
                out[i] = i;
            }
            return len;
        }
        kern.matmul(GgmlType.F32, keys, (long) dim * Float.BYTES, len, dim, q, dim, heads, s.headQk, len);
        MemorySegment.copy(s.headQk, JAVA_FLOAT, 0, s.qk, 0, heads * len);
        float[] score = s.score;
        Arrays.fill(score, 0, len, 0f);
        for (int head = 0; head < heads; head++) {
            float wh = w.getAtIndex(JAVA_FLOAT, head);
            int base = head * len;
            for (int i = 0; i < len; i++) {
                score[i] += Math.max(s.qk[base + i], 0f) * wh;
            }
        }
        int[] order = s.order;
        for (int i = 0; i < len; i++) {
            order[i] = i;
        }
        TopK.select(score, order, len, topK);
        System.arraycopy(order, 0, out, 0, topK);
        Arrays.sort(out, 0, topK);
        return topK;
    }
}
