package dev.moe4j.internal.model;

import dev.moe4j.internal.nativeio.RopeParams;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * DeepSeek-V4's attention ({@code deepseek4}): one shared key/value head of {@code hd} dims (the key is the value), read
 * by every query head, over two kinds of cached rows:
 * <ul>
 * <li>raw: the keys of the last {@code window} positions (the query's own included);</li>
 * <li>compressed (layers with a compression ratio r): one row per complete block of r positions, a learned softmax
 *     pooling of the block's projected inputs. With r = 4 (CSA) each block also pools the first half of the previous
 *     block's channels (overlapping windows), and a {@link LightningIndexer}-like scorer over compressed indexer keys
 *     keeps the top-k blocks; with r = 128 (HCA) every complete block is read.</li>
 * </ul>
 * <pre>
 * qr    = RMSNorm(W_qa·x; attn_q_a_norm)                 [r_q]
 * q[h]  = RMSNorm((W_qb·qr)[h]) (no weight), RoPE        [H][hd], rope on the last n_rot dims
 * k     = RoPE(RMSNorm(W_kv·x; attn_kv_a_norm))          [hd], cached
 * block b (positions [b·r, (b+1)·r)):  v = W_ckv·x_j, s = W_cgate·x_j + ape[j mod r] per position j;
 *         row_b[c] = Σ_j softmax_j(s_j[c])·v_j[c], RMSNorm(·; compressor_norm), RoPE at b·r
 * o[h]  = Σ_i softmax(q[h]·key_i / sqrt(hd), sink_h)·key_i over the raw and chosen compressed rows
 * o[h]  = RoPE⁻¹(o[h]) at the query's position (the value's rotation undone)
 * out   = W_ob · [W_oa[g] · (o of the heads of group g)]_g   grouped low-rank output
 * </pre>
 * A query at position p sees block b once p ≥ (b+1)·r − 1, so a block's row is made when its last position is
 * processed. Rotary embedding: rope.freq_base without scaling in layers without compression, the file's YaRN on
 * compress_rope_freq_base in the others (and their compressors and indexer).
 *
 * <p>What is cached per sequence grows by {@code (hd + indexer dims)/r} floats per token in a compressed layer and not
 * at all in a window-only one; the raw keys and the partial blocks' inputs live in rings of fixed size, which hold
 * {@link #ROLLBACK} positions beyond what the next token needs, so a state can be cut back that far (further back it
 * restarts from position 0, as llama.cpp's V4 cache refuses such a removal).
 */
public final class CompressedAttention implements Attention {
    /** Positions the rings keep beyond what the next token needs: how far a state can be cut back exactly. */
    static final int ROLLBACK = 64;

    /**
     * @param ratio     compression ratio of the layer (0: window only, 4: CSA with the indexer, else HCA)
     * @param groups    output groups ({@code attention.output_group_count})
     * @param oRank     rank of each group's output projection ({@code attention.output_lora_rank})
     * @param rope      this layer's rotary parameters (NORM mode, on the tail of each head)
     * @param idxHeads  indexer heads (r = 4 only, else 0)
     */
    public record Dims(int embd, int heads, int headDim, int ropeDim, int qLoraRank, int window, int ratio,
                       int groups, int oRank, float eps, RopeParams rope, int idxHeads, int idxDim, int idxTopK) {
        boolean overlap() {
            return ratio == 4;
        }

        /** Compressor output width: two halves with overlapping windows. */
        int coff() {
            return overlap() ? 2 : 1;
        }
    }

    /** One softmax-pooling compressor ({@code attn_compressor_*} or {@code indexer_compressor_*}). */
    record Compressor(Weight kv, Weight gate, float[] ape, MemorySegment norm, int dim, int coff) {
        static Compressor load(ModelTensors t, String p, int embd, int dim, int ratio, int coff) {
            return new Compressor(t.matrix(p + "_kv.weight", embd, (long) coff * dim),
                    t.matrix(p + "_gate.weight", embd, (long) coff * dim),
                    t.vectors(p + "_ape.weight", (long) coff * dim, ratio).toArray(JAVA_FLOAT),
                    t.vector(p + "_norm.weight", dim), dim,
                    coff);
        }
    }

    private final Dims c;
    final Weight qA;              // attn_q_a        [D, r_q]
    final MemorySegment qANorm;   // attn_q_a_norm   [r_q]
    final Weight qB;              // attn_q_b        [r_q, H·hd]
    final Weight kv;              // attn_kv         [D, hd]
    final MemorySegment kvNorm;   // attn_kv_a_norm  [hd]
    final MemorySegment sinks;    // attn_sinks      [H]
    final Weight outA;            // attn_output_a   [H·hd/G, r_o·G] as G matrices of r_o rows
    final Weight outB;            // attn_output_b   [r_o·G, D]
    final Compressor comp;        // attn_compressor_*, or null (window only)
    final Compressor idxComp;     // indexer_compressor_*, or null (r != 4)
    final Weight idxQ;            // indexer.attn_q_b [r_q, H_I·d_I]
    final Weight idxProj;         // indexer.proj     [D, H_I]

    CompressedAttention(Dims c, Weight qA, MemorySegment qANorm, Weight qB, Weight kv, MemorySegment kvNorm,
                        MemorySegment sinks, Weight outA, Weight outB, Compressor comp, Compressor idxComp,
                        Weight idxQ, Weight idxProj) {
        this.c = c;
        this.qA = qA;
        this.qANorm = qANorm;
        this.qB = qB;
        this.kv = kv;
        this.kvNorm = kvNorm;
        this.sinks = sinks;
        this.outA = outA;
        this.outB = outB;
        this.comp = comp;
        this.idxComp = idxComp;
        this.idxQ = idxQ;
        this.idxProj = idxProj;
    }

    /** Reads layer {@code p}'s attention tensors. */
    public static CompressedAttention load(ModelTensors t, String p, Dims c) {
        int d = c.embd();
        int hd = c.headDim();
        long qWidth = (long) c.heads() * hd;
        Compressor comp = null;
        Compressor idxComp = null;
        Weight idxQ = null;
        Weight idxProj = null;
        if (c.ratio() > 0) {
            comp = Compressor.load(t, p + "attn_compressor", d, hd, c.ratio(), c.coff());
            if (c.overlap()) {
                idxQ = t.matrix(p + "indexer.attn_q_b.weight", c.qLoraRank(), (long) c.idxHeads() * c.idxDim());
                idxProj = t.matrix(p + "indexer.proj.weight", d, c.idxHeads());
                idxComp = Compressor.load(t, p + "indexer_compressor", d, c.idxDim(), c.ratio(), 2);
            }
        }
        return new CompressedAttention(c, t.matrix(p + "attn_q_a.weight", d, c.qLoraRank()),
                t.vector(p + "attn_q_a_norm.weight", c.qLoraRank()),
                t.matrix(p + "attn_q_b.weight", c.qLoraRank(), qWidth), t.matrix(p + "attn_kv.weight", d, hd),
                t.vector(p + "attn_kv_a_norm.weight", hd), t.vector(p + "attn_sinks.weight", c.heads()),
                t.groups(p + "attn_output_a.weight", qWidth / c.groups(), c.oRank(), c.groups()),
                t.matrix(p + "attn_output_b.weight", (long) c.oRank() * c.groups(), d), comp, idxComp, idxQ,
                idxProj);
    }

    /** A compressor's per-sequence state: the rows made so far and the inputs of the positions not yet pooled. */
    static final class Pool {
        final MemorySegment rows; // [blocks][dim] pooled, normalised, rotated
        final float[] values;     // [ring][coff·dim]
        final float[] scores;     // [ring][coff·dim]
        final int ring;

        Pool(Compressor cp, int ratio, int ctx, StateMemory mem) {
            rows = mem.floats((long) Math.max(1, ctx / ratio) * cp.dim());
            ring = 2 * ratio + ROLLBACK;
            values = new float[ring * cp.coff() * cp.dim()];
            scores = new float[ring * cp.coff() * cp.dim()];
        }
    }

    /** One sequence's cache of this layer. */
    static final class Cache {
        final MemorySegment raw; // [ring][hd] keys of the last positions, position p at p mod ring
        final int rawRing;
        final Pool pool;         // or null
        final Pool idxPool;      // or null
        final int ctx;

        Cache(CompressedAttention a, int ctx, StateMemory mem) {
            Dims c = a.c;
            this.ctx = ctx;
            rawRing = Math.min(ctx, c.window() + ROLLBACK);
            raw = mem.floats((long) rawRing * c.headDim());
            pool = a.comp == null ? null : new Pool(a.comp, c.ratio(), ctx, mem);
            idxPool = a.idxComp == null ? null : new Pool(a.idxComp, c.ratio(), ctx, mem);
        }
    }

    /** Per-step buffers. */
    static final class Scratch {
        final MemorySegment qr;       // [B][r_q]
        final MemorySegment q;        // [B][H][hd]
        final MemorySegment k;        // [B][hd]
        final MemorySegment cv;       // [B][coff·hd] compressor values
        final MemorySegment cs;       // [B][coff·hd] compressor scores
        final MemorySegment iv;       // [B][2·d_I]
        final MemorySegment is;       // [B][2·d_I]
        final MemorySegment iq;       // [B][H_I][d_I]
        final MemorySegment iw;       // [B][H_I]
        final MemorySegment keys;     // [window + blocks][hd] gathered rows one query reads
        final MemorySegment keysT;    // [hd][window + blocks]
        final MemorySegment scores;   // [H][window + blocks]
        final LightningIndexer.Selection selection; // the indexer's scoring over [blocks]
        final int[] chosen;           // [blocks]
        final MemorySegment o;        // [B][H][hd]
        final MemorySegment oa;       // [B][G·r_o]
        final MemorySegment ones;     // [hd] the weight of the per-head query norm
        final MemorySegment negPos;   // i32 [B] negated positions: RoPE by −θ
        final MemorySegment pos1;     // i32 [1] one position
        final MemorySegment row;      // [max(hd, d_I)] one pooled row
        final float[] tile;
        final float[] pooled;

        Scratch(Dims c, int b, int ctx, StateMemory mem) {
            int hd = c.headDim();
            int blocks = c.ratio() == 0 ? 0 : Math.max(1, ctx / c.ratio());
            int maxKeys = Math.min(ctx, c.window()) + blocks;
            int coff = c.coff();
            qr = mem.floats((long) b * c.qLoraRank());
            q = mem.floats((long) b * c.heads() * hd);
            k = mem.floats((long) b * hd);
            cv = mem.floats((long) b * coff * hd);
            cs = mem.floats((long) b * coff * hd);
            iv = mem.floats((long) b * 2 * c.idxDim());
            is = mem.floats((long) b * 2 * c.idxDim());
            iq = mem.floats((long) b * c.idxHeads() * c.idxDim());
            iw = mem.floats((long) b * c.idxHeads());
            keys = mem.floats((long) maxKeys * hd);
            keysT = mem.floats((long) maxKeys * hd);
            scores = mem.floats((long) c.heads() * maxKeys);
            selection = c.overlap() ? new LightningIndexer.Selection(c.idxHeads(), blocks, mem) : null;
            chosen = new int[blocks];
            o = mem.floats((long) b * c.heads() * hd);
            oa = mem.floats((long) b * c.groups() * c.oRank());
            ones = mem.floats(hd);
            for (int i = 0; i < hd; i++) {
                ones.setAtIndex(JAVA_FLOAT, i, 1f);
            }
            negPos = mem.ints(b);
            pos1 = mem.ints(1);
            row = mem.floats(Math.max(hd, c.idxDim()));
            tile = new float[MlaAttention.TILE * 2 * hd];
            pooled = new float[Math.max(hd, c.idxDim())];
        }
    }

    @Override
    public Object newCache(int contextLength, StateMemory mem) {
        return new Cache(this, contextLength, mem);
    }

    @Override
    public Object scratchKey() {
        return c;
    }

    @Override
    public Object newScratch(int maxBatch, int contextLength, StateMemory mem) {
        return new Scratch(c, maxBatch, contextLength, mem);
    }

    /**
     * The compressed rows' floats per token, rounded up: {@code (hd + d_I)/4} floats with CSA, {@code hd/128} with HCA,
     * none for a window-only layer (its keys live in a ring of fixed size).
     */
    @Override
    public long cacheBytesPerToken() {
        return bytesPerToken(c);
    }

    public static long bytesPerToken(Dims c) {
        if (c.ratio() == 0) {
            return 0;
        }
        long floats = c.headDim() + (c.overlap() ? c.idxDim() : 0);
        return (floats * Float.BYTES + c.ratio() - 1) / c.ratio();
    }

    @Override
    public int resumablePosition(Object cache, int position, int wanted) {
        return wanted == 0 || position - wanted <= ROLLBACK ? wanted : 0;
    }

    @Override
    public void forward(ModelKernels k, Batch b, Object[] caches, Object scratch, MemorySegment xn, MemorySegment out,
                        Trace trace, int l) {
        Scratch s = (Scratch) scratch;
        int n = b.rows;
        int pos0 = b.pos0[0];
        int h = c.heads();
        int hd = c.headDim();
        int nope = hd - c.ropeDim();
        long noff = (long) nope * Float.BYTES;

        qA.apply(k, xn, n, s.qr);
        k.rmsnorm(s.qr, qANorm, c.qLoraRank(), n, c.eps(), s.qr);
        qB.apply(k, s.qr, n, s.q);
        k.rmsnorm(s.q, s.ones, hd, n * h, c.eps(), s.q);
        k.rope(s.q.asSlice(noff), n, (long) h * hd, h, hd, c.ropeDim(), b.positions, c.rope());
        kv.apply(k, xn, n, s.k);
        k.rmsnorm(s.k, kvNorm, hd, n, c.eps(), s.k);
        k.rope(s.k.asSlice(noff), n, hd, 1, hd, c.ropeDim(), b.positions, c.rope());
        if (trace != null) {
            trace.rows("q", l, pos0, n, s.q, (long) h * hd);
            trace.rows("kv", l, pos0, n, s.k, hd);
        }
        if (comp != null) {
            project(k, comp, xn, n, b, s.cv, s.cs);
        }
        if (idxComp != null) {
            project(k, idxComp, xn, n, b, s.iv, s.is);
            int ih = c.idxHeads();
            int id = c.idxDim();
            idxQ.apply(k, s.qr, n, s.iq);
            k.rope(s.iq.asSlice((long) (id - c.ropeDim()) * Float.BYTES), n, (long) ih * id, ih, id, c.ropeDim(),
                    b.positions, c.rope());
            idxProj.apply(k, xn, n, s.iw);
            float scale = (float) (1.0 / Math.sqrt((double) id * ih));
            for (long i = 0, e = (long) n * ih; i < e; i++) {
                s.iw.setAtIndex(JAVA_FLOAT, i, s.iw.getAtIndex(JAVA_FLOAT, i) * scale);
            }
        }

        for (int sq = 0; sq < b.sequences; sq++) {
            Cache cache = (Cache) caches[sq];
            for (int t = 0; t < b.count[sq]; t++) {
                int row = b.first[sq] + t;
                int p = b.pos0[sq] + t;
                MemorySegment.copy(s.k, (long) row * hd * Float.BYTES, cache.raw,
                        (long) (p % cache.rawRing) * hd * Float.BYTES, (long) hd * Float.BYTES);
                if (comp != null) {
                    absorb(k, comp, cache.pool, s.cv, s.cs, row, p, s);
                }
                if (idxComp != null) {
                    absorb(k, idxComp, cache.idxPool, s.iv, s.is, row, p, s);
                }
                attendRow(k, s, cache, row, p);
            }
        }
        // undo the value's rotation: RoPE by −θ at each query's position
        for (int t = 0; t < n; t++) {
            s.negPos.setAtIndex(JAVA_INT, t, -b.position[t]);
        }
        k.rope(s.o.asSlice(noff), n, (long) h * hd, h, hd, c.ropeDim(), s.negPos, c.rope());
        if (trace != null) {
            trace.rows("attn_derope", l, pos0, n, s.o, (long) h * hd);
        }
        int g = c.groups();
        long groupWidth = (long) h * hd / g;
        for (int gi = 0; gi < g; gi++) {
            outA.apply(k, gi, s.o.asSlice(gi * groupWidth * Float.BYTES), (long) h * hd, n,
                    s.oa.asSlice((long) gi * c.oRank() * Float.BYTES), (long) g * c.oRank());
        }
        outB.apply(k, s.oa, n, out);
        if (trace != null) {
            trace.rows("attn_out", l, pos0, n, out, c.embd());
        }
    }

    /** A compressor's values and scores of the batch rows (scores with the positional term of each row). */
    private void project(ModelKernels k, Compressor cp, MemorySegment xn, int n, Batch b, MemorySegment v,
                         MemorySegment sc) {
        int w = cp.coff() * cp.dim();
        cp.kv().apply(k, xn, n, v);
        cp.gate().apply(k, xn, n, sc);
        for (int t = 0; t < n; t++) {
            int j = b.position[t] % c.ratio();
            for (int i = 0; i < w; i++) {
                long at = (long) t * w + i;
                sc.setAtIndex(JAVA_FLOAT, at, sc.getAtIndex(JAVA_FLOAT, at) + cp.ape()[j * w + i]);
            }
        }
    }

    /**
     * Stores row {@code row}'s compressor inputs for position {@code p}; when {@code p} ends a block, pools the block
     * into its row: per channel, a softmax over the block's positions (with overlap, the previous block's first half of
     * the channels and this block's second half), then RMSNorm and RoPE at the block's first position.
     */
    private void absorb(ModelKernels k, Compressor cp, Pool pool, MemorySegment v, MemorySegment sc, int row, int p,
                        Scratch s) {
        int dim = cp.dim();
        int w = cp.coff() * dim;
        int r = c.ratio();
        int slot = p % pool.ring;
        MemorySegment.copy(v, JAVA_FLOAT, (long) row * w * Float.BYTES, pool.values, slot * w, w);
        MemorySegment.copy(sc, JAVA_FLOAT, (long) row * w * Float.BYTES, pool.scores, slot * w, w);
        if ((p + 1) % r != 0) {
            return;
        }
        int blk = p / r;
        int first = blk * r;
        float[] out = s.pooled;
        for (int ch = 0; ch < dim; ch++) {
            int half = cp.coff() == 2 ? dim : 0; // this block's channels sit in the second half when overlapping
            double max = Double.NEGATIVE_INFINITY;
            for (int j = first; j <= p; j++) {
                max = Math.max(max, pool.scores[(j % pool.ring) * w + half + ch]);
            }
            if (cp.coff() == 2 && blk > 0) {
                for (int j = first - r; j < first; j++) {
                    max = Math.max(max, pool.scores[(j % pool.ring) * w + ch]);
                }
            }
            double sum = 0;
            double acc = 0;
            for (int j = first; j <= p; j++) {
                int at = (j % pool.ring) * w + half + ch;
                double e = Math.exp(pool.scores[at] - max);
                sum += e;
                acc += e * pool.values[at];
            }
            if (cp.coff() == 2 && blk > 0) {
                for (int j = first - r; j < first; j++) {
                    int at = (j % pool.ring) * w + ch;
                    double e = Math.exp(pool.scores[at] - max);
                    sum += e;
                    acc += e * pool.values[at];
                }
            }
            out[ch] = (float) (acc / sum);
        }
        MemorySegment dst = pool.rows.asSlice((long) blk * dim * Float.BYTES, (long) dim * Float.BYTES);
        MemorySegment.copy(out, 0, dst, JAVA_FLOAT, 0, dim);
        k.rmsnorm(dst, cp.norm(), dim, 1, c.eps(), dst);
        s.pos1.setAtIndex(JAVA_INT, 0, first);
        k.rope(dst.asSlice((long) (dim - c.ropeDim()) * Float.BYTES), 1, dim, 1, dim, c.ropeDim(), s.pos1, c.rope());
    }

    /** Attention of batch row {@code row} at position {@code p} over its window and the compressed rows it may read. */
    private void attendRow(ModelKernels k, Scratch s, Cache cache, int row, int p) {
        int hd = c.headDim();
        int h = c.heads();
        long rowBytes = (long) hd * Float.BYTES;
        int nk = 0;
        for (int j = Math.max(0, p - c.window() + 1); j <= p; j++) {
            MemorySegment.copy(cache.raw, (long) (j % cache.rawRing) * rowBytes, s.keys, nk++ * rowBytes, rowBytes);
        }
        if (comp != null) {
            int visible = (p + 1) / c.ratio();
            int chosen = visible;
            if (idxComp != null) {
                int ih = c.idxHeads();
                int id = c.idxDim();
                chosen = LightningIndexer.select(k, s.selection, cache.idxPool.rows, visible, id, ih, c.idxTopK(),
                        s.iq.asSlice((long) row * ih * id * Float.BYTES, (long) ih * id * Float.BYTES),
                        s.iw.asSlice((long) row * ih * Float.BYTES, (long) ih * Float.BYTES), s.chosen);
            } else {
                for (int i = 0; i < visible; i++) {
                    s.chosen[i] = i;
                }
            }
            for (int i = 0; i < chosen; i++) {
                MemorySegment.copy(cache.pool.rows, s.chosen[i] * rowBytes, s.keys, nk++ * rowBytes, rowBytes);
            }
        }
        long headsBytes = (long) h * hd * Float.BYTES;
        MlaAttention.attendRows(k, s.keys, hd, hd, nk, s.q.asSlice(row * headsBytes, headsBytes), h, s.scores,
                s.keysT, s.tile, s.o.asSlice(row * headsBytes, headsBytes), (float) (1.0 / Math.sqrt(hd)), sinks);
    }
}
