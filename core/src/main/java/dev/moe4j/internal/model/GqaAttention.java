package dev.moe4j.internal.model;

import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * One layer's grouped-query self-attention, as llama.cpp's {@code build_qkv} + {@code build_attn} compute it:
 * <pre>
 * q = W_q·x (+ b_q),  k = W_k·x (+ b_k),  v = W_v·x (+ b_v)        H query heads, H_kv key/value heads of size dk / dv
 * q, k = RMSNorm(q), RMSNorm(k)    optional: per head (Qwen3) or over the whole projection (OLMoE), before RoPE
 * q, k = RoPE(q), RoPE(k)
 * o[h] = Σ_s softmax_s(scale · q[h]·K[s, g(h)]) · V[s, g(h)]      g(h) = h / (H / H_kv), s ≤ the token's position
 * out  = W_o·o (+ b_o)
 * </pre>
 * The KV cache (in {@link DecoderState}) keeps per layer the rotated keys row by row ({@code [ctx][H_kv·dk]}) and the
 * values transposed ({@code [H_kv][dv][ctx]}), as llama.cpp does without flash attention, so that both products of
 * a head group run on the matrix kernels with the cache as the weight: the scores read key rows as stored, the
 * weighted sum reads value rows of positions.
 */
final class GqaAttention {

    /** Where the optional q/k RMSNorm applies. */
    enum QkNorm {
        NONE,
        /** One weight of {@code dk} values applied to each head separately (Qwen3, Qwen3-MoE). */
        PER_HEAD,
        /** One weight over the whole projection, all heads at once (OLMoE). */
        WHOLE
    }

    private final DecoderConfig c;
    private final RotaryEmbedding rope;
    private final QkNorm qkNorm;
    final Weight q;               // attn_q      [D, H·dk]   (or rows of a fused attn_qkv)
    final Weight k;               // attn_k      [D, Hkv·dk]
    final Weight v;               // attn_v      [D, Hkv·dv]
    final MemorySegment qBias;    // attn_q.bias [H·dk] or null
    final MemorySegment kBias;    // attn_k.bias [Hkv·dk] or null
    final MemorySegment vBias;    // attn_v.bias [Hkv·dv] or null
    final MemorySegment qNorm;    // attn_q_norm [dk] or [H·dk], or null
    final MemorySegment kNorm;    // attn_k_norm [dk] or [Hkv·dk], or null
    final Weight out;             // attn_output [H·dv, D]
    final MemorySegment outBias;  // attn_output.bias [D] or null

    private GqaAttention(DecoderConfig c, RotaryEmbedding rope, QkNorm qkNorm, Weight q, Weight k, Weight v,
                         MemorySegment qBias, MemorySegment kBias, MemorySegment vBias, MemorySegment qNorm,
                         MemorySegment kNorm, Weight out, MemorySegment outBias) {
        this.c = c;
        this.rope = rope;
        this.qkNorm = qkNorm;
        this.q = q;
        this.k = k;
        this.v = v;
        this.qBias = qBias;
        this.kBias = kBias;
        this.vBias = vBias;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.out = out;
        this.outBias = outBias;
    }

    /**
     * Reads {@code <prefix>attn_{q,k,v}.weight} (or one fused {@code attn_qkv.weight}), their biases when the file has
     * them, the q/k norms that {@code qkNorm} requires, and {@code attn_output.weight} (+ optional bias).
     */
    static GqaAttention load(ModelTensors t, String prefix, DecoderConfig c, RotaryEmbedding rope, QkNorm qkNorm) {
        int d = c.embd();
        int qw = c.heads() * c.headDimK();
        int kw = c.kvWidthK();
        int vw = c.kvWidthV();
        Weight q;
        Weight k;
        Weight v;
        MemorySegment qb;
        MemorySegment kb;
        MemorySegment vb;
        if (t.has(prefix + "attn_qkv.weight")) { // fused: rows [q | k | v]
            Weight qkv = t.matrix(prefix + "attn_qkv.weight", d, (long) qw + kw + vw);
            q = qkv.rows(0, qw);
            k = qkv.rows(qw, kw);
            v = qkv.rows(qw + kw, vw);
            MemorySegment b = t.optVector(prefix + "attn_qkv.bias", (long) qw + kw + vw).orElse(null);
            qb = b == null ? null : b.asSlice(0, (long) qw * Float.BYTES);
            kb = b == null ? null : b.asSlice((long) qw * Float.BYTES, (long) kw * Float.BYTES);
            vb = b == null ? null : b.asSlice((long) (qw + kw) * Float.BYTES, (long) vw * Float.BYTES);
        } else {
            q = t.matrix(prefix + "attn_q.weight", d, qw);
            k = t.matrix(prefix + "attn_k.weight", d, kw);
            v = t.matrix(prefix + "attn_v.weight", d, vw);
            qb = t.optVector(prefix + "attn_q.bias", qw).orElse(null);
            kb = t.optVector(prefix + "attn_k.bias", kw).orElse(null);
            vb = t.optVector(prefix + "attn_v.bias", vw).orElse(null);
        }
        MemorySegment qn = null;
        MemorySegment kn = null;
        if (qkNorm != QkNorm.NONE) {
            boolean perHead = qkNorm == QkNorm.PER_HEAD;
            qn = t.vector(prefix + "attn_q_norm.weight", perHead ? c.headDimK() : qw);
            kn = t.vector(prefix + "attn_k_norm.weight", perHead ? c.headDimK() : kw);
        }
        Weight o = t.matrix(prefix + "attn_output.weight", (long) c.heads() * c.headDimV(), d);
        MemorySegment ob = t.optVector(prefix + "attn_output.bias", d).orElse(null);
        return new GqaAttention(c, rope, qkNorm, q, k, v, qb, kb, vb, qn, kn, o, ob);
    }

    /**
     * Attention of the {@code n} tokens whose normalised inputs are in {@code s.xn}, at positions {@code pos0 ..}:
     * appends their keys and values to layer {@code l}'s cache, attends each token over the cache up to its own
     * position, and leaves the projected output in {@code s.tmp}.
     */
    void forward(ModelKernels kern, DecoderState s, int l, int n, int pos0) {
        Trace trace = s.trace;
        int h = c.heads();
        int hkv = c.headsKv();
        int dk = c.headDimK();
        int dv = c.headDimV();
        int qw = h * dk;
        int kw = c.kvWidthK();
        int vw = c.kvWidthV();

        project(kern, q, qBias, s.xn, n, s.q, qw);
        project(kern, k, kBias, s.xn, n, s.k, kw);
        project(kern, v, vBias, s.xn, n, s.v, vw);
        if (qkNorm == QkNorm.PER_HEAD) {
            kern.rmsnorm(s.q, qNorm, dk, n * h, c.eps(), s.q);
            kern.rmsnorm(s.k, kNorm, dk, n * hkv, c.eps(), s.k);
        } else if (qkNorm == QkNorm.WHOLE) {
            kern.rmsnorm(s.q, qNorm, qw, n, c.eps(), s.q);
            kern.rmsnorm(s.k, kNorm, kw, n, c.eps(), s.k);
        }
        rope.apply(kern, s.q, n, qw, h, dk, s.positions, s.ropeScratch);
        rope.apply(kern, s.k, n, kw, hkv, dk, s.positions, s.ropeScratch);
        if (trace != null) {
            trace.rows("Qcur", l, pos0, n, s.q, qw);
            trace.rows("Kcur", l, pos0, n, s.k, kw);
            trace.rows("Vcur", l, pos0, n, s.v, vw);
        }

        // append to the cache: key rows as they are, values transposed
        int ctx = s.contextLength();
        MemorySegment.copy(s.k, 0, s.keys[l], (long) pos0 * kw * Float.BYTES, (long) n * kw * Float.BYTES);
        MemorySegment.copy(s.v, JAVA_FLOAT, 0, s.vHeap, 0, n * vw);
        MemorySegment values = s.values[l];
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < vw; j++) { // j = g·dv + d: row j of the transposed cache
                values.setAtIndex(JAVA_FLOAT, (long) j * ctx + pos0 + t, s.vHeap[t * vw + j]);
            }
        }

        int group = c.groupSize();
        long qBytes = (long) qw * Float.BYTES;
        long oBytes = (long) h * dv * Float.BYTES;
        for (int t = 0; t < n; t++) {
            int len = pos0 + t + 1; // causal: the token sees itself and everything before it
            for (int g = 0; g < hkv; g++) {
                MemorySegment qg = t == 0 ? s.qGroup[g] : s.q.asSlice(t * qBytes + (long) g * group * dk * Float.BYTES);
                MemorySegment og = t == 0 ? s.attnGroup[g]
                        : s.attn.asSlice(t * oBytes + (long) g * group * dv * Float.BYTES);
                kern.matmul(GgmlType.F32, s.keyGroup[l][g], (long) kw * Float.BYTES, len, dk, qg, dk, group, s.scores,
                        len);
                kern.softmax(s.scores, len, group, c.kqScale());
                kern.matmul(GgmlType.F32, s.valueGroup[l][g], (long) ctx * Float.BYTES, dv, len, s.scores, len, group,
                        og, dv);
            }
        }
        if (trace != null) {
            trace.rows("kqv_out", l, pos0, n, s.attn, (long) h * dv);
        }
        project(kern, out, outBias, s.attn, n, s.tmp, c.embd());
        if (trace != null) {
            trace.rows("attn_out", l, pos0, n, s.tmp, c.embd());
        }
    }

    /** {@code y[t] = W·x[t] (+ bias)} for {@code n} contiguous rows; y rows are {@code width} floats. */
    private static void project(ModelKernels kern, Weight w, MemorySegment bias, MemorySegment x, int n,
                                MemorySegment y, int width) {
        w.apply(kern, x, n, y);
        if (bias != null) {
            long rowBytes = (long) width * Float.BYTES;
            for (int t = 0; t < n; t++) {
                MemorySegment row = t == 0 ? y : y.asSlice(t * rowBytes, rowBytes);
                kern.add(row, bias, width, row);
            }
        }
    }
}
