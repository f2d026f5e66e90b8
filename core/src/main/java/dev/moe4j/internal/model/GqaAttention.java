package dev.moe4j.internal.model;

import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * One layer's grouped-query self-attention, as llama.cpp's {@code build_qkv} + {@code build_attn} compute it:
 * <pre>
 * q = W_q·x (+ b_q),  k = W_k·x (+ b_k),  v = W_v·x (+ b_v)        H query heads, H_kv key/value heads of size dk / dv
 * q, k = RMSNorm(q), RMSNorm(k)    optional: per head (Qwen3, GLM-4.5) or over the whole projection (OLMoE)
 * q, k = RoPE(q), RoPE(k)          the first n_rot dims of each head (partial rotary when n_rot &lt; dk)
 * o[h] = Σ_s p_s · V[s, g(h)],  p = softmax_s(scale · q[h]·K[s, g(h)]  [, sink_h])     g(h) = h / (H / H_kv)
 *        s runs over the token's own position and those before it, the last {@code window} of them in a
 *        sliding-window layer; a sink (gpt-oss) is one more logit per head that takes probability mass, no value
 * out  = W_o·o (+ b_o)
 * </pre>
 * The cache ({@link Cache}) keeps the rotated keys row by row ({@code [ctx][H_kv·dk]}) and the values transposed
 * ({@code [H_kv·dv][ctx]}), as llama.cpp does without flash attention, so that both products of a head group run on
 * the matrix kernels with the cache as the weight: the scores read key rows as stored, the weighted sum reads value
 * rows of positions. A sliding window is a narrower range of the same rows.
 */
public final class GqaAttention implements Attention {

    /** Where the optional q/k RMSNorm applies. */
    public enum QkNorm {
        NONE,
        /** One weight of {@code dk} values applied to each head separately (Qwen3, Qwen3-MoE, GLM-4.5). */
        PER_HEAD,
        /** One weight over the whole projection, all heads at once (OLMoE). */
        WHOLE
    }

    /**
     * What a family's layer uses besides the projections.
     *
     * @param qkNorm where q/k are normalised
     * @param window tokens a query sees (its own included) in a sliding-window layer; 0 for all
     * @param sinks  whether the layer has {@code attn_sinks.weight} (one logit per query head)
     */
    public record Options(QkNorm qkNorm, int window, boolean sinks) {
        public static final Options PLAIN = new Options(QkNorm.NONE, 0, false);

        public Options {
            if (window < 0) {
                throw new IllegalArgumentException("window " + window);
            }
        }

        public static Options qkNorm(QkNorm n) {
            return new Options(n, 0, false);
        }
    }

    private final HyperParams c;
    private final RotaryEmbedding rope;
    private final Options opt;
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
    final MemorySegment sinks;    // attn_sinks  [H] or null
    private final MemorySegment[] sinkGroup; // [g]: the sinks of KV head g's query heads, sliced once

    private GqaAttention(HyperParams c, RotaryEmbedding rope, Options opt, Weight q, Weight k, Weight v,
                         MemorySegment qBias, MemorySegment kBias, MemorySegment vBias, MemorySegment qNorm,
                         MemorySegment kNorm, Weight out, MemorySegment outBias, MemorySegment sinks) {
        this.c = c;
        this.rope = rope;
        this.opt = opt;
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
        this.sinks = sinks;
        this.sinkGroup = new MemorySegment[c.headsKv()];
        long groupBytes = (long) c.groupSize() * Float.BYTES;
        for (int g = 0; sinks != null && g < sinkGroup.length; g++) {
            sinkGroup[g] = sinks.asSlice(g * groupBytes, groupBytes);
        }
    }

    /**
     * Reads {@code <prefix>attn_{q,k,v}.weight} (or one fused {@code attn_qkv.weight}), their biases when the file has
     * them, the q/k norms and sinks that {@code opt} requires, and {@code attn_output.weight} (+ optional bias).
     */
    public static GqaAttention load(ModelTensors t, String prefix, HyperParams c, RotaryEmbedding rope, Options opt) {
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
        if (opt.qkNorm() != QkNorm.NONE) {
            boolean perHead = opt.qkNorm() == QkNorm.PER_HEAD;
            qn = t.vector(prefix + "attn_q_norm.weight", perHead ? c.headDimK() : qw);
            kn = t.vector(prefix + "attn_k_norm.weight", perHead ? c.headDimK() : kw);
        }
        MemorySegment sinks = opt.sinks() ? t.vector(prefix + "attn_sinks.weight", c.heads()) : null;
        Weight o = t.matrix(prefix + "attn_output.weight", (long) c.heads() * c.headDimV(), d);
        MemorySegment ob = t.optVector(prefix + "attn_output.bias", d).orElse(null);
        return new GqaAttention(c, rope, opt, q, k, v, qb, kb, vb, qn, kn, o, ob, sinks);
    }

    /** One sequence's cache of this layer, with the per-KV-head views sliced once so decoding slices nothing. */
    static final class Cache {
        final MemorySegment keys;   // [ctx][Hkv·dk]
        final MemorySegment values; // [Hkv·dv][ctx]
        final MemorySegment[] keyGroup;   // [g]: keys of KV head g (rows H_kv·dk apart)
        final MemorySegment[] valueGroup; // [g]: the dv transposed value rows of KV head g
        final int ctx;

        Cache(HyperParams c, int ctx, StateMemory mem) {
            this.ctx = ctx;
            keys = mem.floats((long) ctx * c.kvWidthK());
            values = mem.floats((long) ctx * c.kvWidthV());
            keyGroup = new MemorySegment[c.headsKv()];
            valueGroup = new MemorySegment[c.headsKv()];
            for (int g = 0; g < c.headsKv(); g++) {
                keyGroup[g] = keys.asSlice((long) g * c.headDimK() * Float.BYTES);
                valueGroup[g] = values.asSlice((long) g * c.headDimV() * ctx * Float.BYTES);
            }
        }
    }

    /** Per-step buffers, shared by the layers of one state. */
    static final class Scratch {
        final MemorySegment q;      // [B][H·dk]
        final MemorySegment k;      // [B][Hkv·dk]
        final MemorySegment v;      // [B][Hkv·dv]
        final MemorySegment scores; // [H/Hkv][ctx] attention probabilities of one head group
        final MemorySegment attn;   // [B][H·dv] attention output before W_o
        final float[] vHeap;        // [B·Hkv·dv] the new values, for the transposed write
        final float[] ropeScratch;
        final MemorySegment[] qGroup;    // q of row 0 at the first query head of group g
        final MemorySegment[] attnGroup; // attn of row 0 at the first query head of group g

        Scratch(HyperParams c, RotaryEmbedding rope, int b, int ctx, StateMemory mem) {
            q = mem.floats((long) b * c.heads() * c.headDimK());
            k = mem.floats((long) b * c.kvWidthK());
            v = mem.floats((long) b * c.kvWidthV());
            scores = mem.floats((long) c.groupSize() * ctx);
            attn = mem.floats((long) b * c.heads() * c.headDimV());
            vHeap = new float[b * c.kvWidthV()];
            ropeScratch = new float[rope.scratchSize()];
            qGroup = new MemorySegment[c.headsKv()];
            attnGroup = new MemorySegment[c.headsKv()];
            for (int g = 0; g < c.headsKv(); g++) {
                qGroup[g] = q.asSlice((long) g * c.groupSize() * c.headDimK() * Float.BYTES);
                attnGroup[g] = attn.asSlice((long) g * c.groupSize() * c.headDimV() * Float.BYTES);
            }
        }
    }

    private record ScratchKey(int heads, int headsKv, int dk, int dv, RotaryEmbedding rope) {}

    @Override
    public Object newCache(int contextLength, StateMemory mem) {
        return new Cache(c, contextLength, mem);
    }

    @Override
    public Object scratchKey() {
        return new ScratchKey(c.heads(), c.headsKv(), c.headDimK(), c.headDimV(), rope);
    }

    @Override
    public Object newScratch(int maxBatch, int contextLength, StateMemory mem) {
        return new Scratch(c, rope, maxBatch, contextLength, mem);
    }

    @Override
    public long cacheBytesPerToken() {
        return (long) (c.kvWidthK() + c.kvWidthV()) * Float.BYTES;
    }

    @Override
    public void forward(ModelKernels kern, Batch b, Object[] caches, Object scratch, MemorySegment xn,
                        MemorySegment outBuf, Trace trace, int l) {
        Scratch s = (Scratch) scratch;
        int n = b.rows;
        int pos0 = b.pos0[0];
        int h = c.heads();
        int hkv = c.headsKv();
        int dk = c.headDimK();
        int dv = c.headDimV();
        int qw = h * dk;
        int kw = c.kvWidthK();
        int vw = c.kvWidthV();

        project(kern, q, qBias, xn, n, s.q, qw);
        project(kern, k, kBias, xn, n, s.k, kw);
        project(kern, v, vBias, xn, n, s.v, vw);
        if (opt.qkNorm() == QkNorm.PER_HEAD) {
            kern.rmsnorm(s.q, qNorm, dk, n * h, c.eps(), s.q);
            kern.rmsnorm(s.k, kNorm, dk, n * hkv, c.eps(), s.k);
        } else if (opt.qkNorm() == QkNorm.WHOLE) {
            kern.rmsnorm(s.q, qNorm, qw, n, c.eps(), s.q);
            kern.rmsnorm(s.k, kNorm, kw, n, c.eps(), s.k);
        }
        rope.apply(kern, s.q, n, qw, h, dk, b.positions, s.ropeScratch);
        rope.apply(kern, s.k, n, kw, hkv, dk, b.positions, s.ropeScratch);
        if (trace != null) {
            trace.rows("Qcur", l, pos0, n, s.q, qw);
            trace.rows("Kcur", l, pos0, n, s.k, kw);
            trace.rows("Vcur", l, pos0, n, s.v, vw);
        }

        MemorySegment.copy(s.v, JAVA_FLOAT, 0, s.vHeap, 0, n * vw);
        int group = c.groupSize();
        long qBytes = (long) qw * Float.BYTES;
        long oBytes = (long) h * dv * Float.BYTES;
        for (int sq = 0; sq < b.sequences; sq++) {
            Cache cache = (Cache) caches[sq];
            int ctx = cache.ctx;
            int first = b.first[sq];
            int cnt = b.count[sq];
            int p0 = b.pos0[sq];
            // append to the cache: key rows as they are, values transposed
            MemorySegment.copy(s.k, (long) first * kw * Float.BYTES, cache.keys, (long) p0 * kw * Float.BYTES,
                    (long) cnt * kw * Float.BYTES);
            for (int t = 0; t < cnt; t++) {
                int row = (first + t) * vw;
                for (int j = 0; j < vw; j++) { // j = g·dv + d: row j of the transposed cache
                    cache.values.setAtIndex(JAVA_FLOAT, (long) j * ctx + p0 + t, s.vHeap[row + j]);
                }
            }
            for (int t = 0; t < cnt; t++) {
                int r = first + t;
                int end = p0 + t + 1; // causal: the token sees itself and everything before it
                int start = opt.window() > 0 ? Math.max(0, end - opt.window()) : 0;
                int len = end - start;
                for (int g = 0; g < hkv; g++) {
                    MemorySegment qg = r == 0 ? s.qGroup[g] : s.q.asSlice(r * qBytes + (long) g * group * dk * Float.BYTES);
                    MemorySegment og = r == 0 ? s.attnGroup[g]
                            : s.attn.asSlice(r * oBytes + (long) g * group * dv * Float.BYTES);
                    MemorySegment keys = start == 0 ? cache.keyGroup[g]
                            : cache.keyGroup[g].asSlice((long) start * kw * Float.BYTES);
                    MemorySegment values = start == 0 ? cache.valueGroup[g]
                            : cache.valueGroup[g].asSlice((long) start * Float.BYTES);
                    kern.matmul(GgmlType.F32, keys, (long) kw * Float.BYTES, len, dk, qg, dk, group, s.scores, len);
                    if (sinks == null) {
                        kern.softmax(s.scores, len, group, c.kqScale());
                    } else {
                        kern.softmaxSinks(s.scores, len, group, c.kqScale(), sinkGroup[g]);
                    }
                    kern.matmul(GgmlType.F32, values, (long) ctx * Float.BYTES, dv, len, s.scores, len, group, og, dv);
                }
            }
        }
        if (trace != null) {
            trace.rows("kqv_out", l, pos0, n, s.attn, (long) h * dv);
        }
        project(kern, out, outBias, s.attn, n, outBuf, c.embd());
        if (trace != null) {
            trace.rows("attn_out", l, pos0, n, outBuf, c.embd());
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
