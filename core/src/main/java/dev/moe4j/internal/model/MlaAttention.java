package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * DeepSeek's Multi-head Latent Attention in its absorbed form, for prefill and decode alike (spec §3.4): the cache keeps
 * one {@code [latent | rope key]} row per token, queries are mapped into latent space with {@code W_UK}, the attention
 * output back with {@code W_UV}. It is MQA with one shared key row {@code [c_s | k_pe_s]} per position, the latent
 * {@code c_s} doubling as the value:
 * <pre>
 * q        = W_q·x  or  W_qb·RMSNorm(W_qa·x)                 [H][nope | rope],  q_pe rotated
 * [c | kpe] = W_kva·x;  c = RMSNorm(c);  kpe = RoPE(kpe)     appended to the cache
 * qcur[h]  = [W_UK[h]ᵀ·q_nope[h] | q_pe[h]]
 * score[h, s] = scale · qcur[h] · cache[s]        for s ≤ the token's position
 * ō[h]     = Σ_s softmax(score[h, ·])_s · c_s
 * out      = W_o · [W_UV[h]·ō[h]]_h
 * </pre>
 * Both products of the attention run on the matrix kernels with the cache as the weight: the scores read cache rows as
 * stored, the weighted sum reads the latents transposed ({@code latentT[c][s]}, the kernels' rows are dot products).
 * llama.cpp transposes the whole latent cache for every step (its {@code v_cont}), which costs O(position · r) per layer
 * and token and dominates at long context; here each layer keeps its transposed copy up to date instead, transposing
 * only the rows a step appends ({@link #appendTransposed}), for r more floats of cache per token and layer.
 * Shapes are GGUF {@code ne}, innermost first; D = hidden, H = heads, dk = nope + rope, r = kv_lora_rank.
 */
public final class MlaAttention implements Attention {
    /** Cache rows transposed per tile, so the copy reads and writes runs rather than single floats. */
    static final int TILE = 64;

    /**
     * The MLA sizes beyond the common ones.
     *
     * @param qLoraRank  rank of the query compression, 0 when queries are projected directly (V2-Lite)
     * @param kvLoraRank r, the latent width
     */
    public record Dims(int heads, int headDimK, int headDimV, int ropeDim, int qLoraRank, int kvLoraRank, float eps,
                       float kqScale, dev.moe4j.internal.nativeio.RopeParams rope, int embd) {
        int nopeDim() {
            return headDimK - ropeDim;
        }

        /** Floats one token takes in one layer's cache: the normalised latent and the rotated shared key. */
        int cacheWidth() {
            return kvLoraRank + ropeDim;
        }
    }

    private final Dims c;
    final Weight q;              // attn_q         [D, H·dk]   direct query projection (V2-Lite), else null
    final Weight qA;             // attn_q_a       [D, r_q]    query down-projection, else null
    final MemorySegment qANorm;  // attn_q_a_norm  [r_q]
    final Weight qB;             // attn_q_b       [r_q, H·dk] query up-projection
    final Weight kvA;            // attn_kv_a_mqa  [D, r + rope]: rows [0, r) latent, [r, r + rope) shared rope key
    final MemorySegment kvANorm; // attn_kv_a_norm [r]
    final Weight kB;             // attn_k_b       [nope, r, H]: head h = W_UK[h]ᵀ, r rows of nope
    final Weight vB;             // attn_v_b       [r, dv, H]:   head h = W_UV[h], dv rows of r
    final Weight out;            // attn_output    [H·dv, D]
    final LightningIndexer indexer; // DeepSeek Sparse Attention (deepseek32), else null: every query reads every position

    public MlaAttention(Dims c, Weight q, Weight qA, MemorySegment qANorm, Weight qB, Weight kvA,
                        MemorySegment kvANorm, Weight kB, Weight vB, Weight out) {
        this(c, q, qA, qANorm, qB, kvA, kvANorm, kB, vB, out, null);
    }

    /** @param indexer the sparse-attention indexer (needs query compression), or null */
    public MlaAttention(Dims c, Weight q, Weight qA, MemorySegment qANorm, Weight qB, Weight kvA,
                        MemorySegment kvANorm, Weight kB, Weight vB, Weight out, LightningIndexer indexer) {
        if ((q == null) == (qA == null || qB == null || qANorm == null)) {
            throw new IllegalArgumentException("MLA needs either attn_q or attn_q_a + attn_q_a_norm + attn_q_b");
        }
        this.c = c;
        this.q = q;
        this.qA = qA;
        this.qANorm = qANorm;
        this.qB = qB;
        this.kvA = kvA;
        this.kvANorm = kvANorm;
        this.kB = kB;
        this.vB = vB;
        this.out = out;
        if (indexer != null && qA == null) {
            throw new IllegalArgumentException("the sparse-attention indexer reads the compressed query (attn_q_a)");
        }
        this.indexer = indexer;
    }

    /** This attention with the lightning indexer of DeepSeek Sparse Attention. */
    public MlaAttention withIndexer(LightningIndexer ix) {
        return new MlaAttention(c, q, qA, qANorm, qB, kvA, kvANorm, kB, vB, out, ix);
    }

    /**
     * Reads one layer's MLA tensors: {@code attn_q} or {@code attn_q_a} + {@code attn_q_a_norm} + {@code attn_q_b},
     * {@code attn_kv_a_mqa}, {@code attn_kv_a_norm}, {@code attn_k_b} + {@code attn_v_b} (or a legacy
     * {@code attn_kv_b}, from which they are derived) and {@code attn_output}.
     *
     * @param k kernels to dequantize a legacy {@code attn_kv_b} with
     */
    public static MlaAttention load(ModelTensors t, String p, Dims c, ModelKernels k) {
        int d = c.embd();
        int h = c.heads();
        int r = c.kvLoraRank();
        Weight q = null;
        Weight qA = null;
        MemorySegment qANorm = null;
        Weight qB = null;
        if (c.qLoraRank() > 0) {
            qA = t.matrix(p + "attn_q_a.weight", d, c.qLoraRank());
            qANorm = t.vector(p + "attn_q_a_norm.weight", c.qLoraRank());
            qB = t.matrix(p + "attn_q_b.weight", c.qLoraRank(), (long) h * c.headDimK());
        } else {
            q = t.matrix(p + "attn_q.weight", d, (long) h * c.headDimK());
        }
        Weight kB;
        Weight vB;
        if (t.has(p + "attn_k_b.weight") || !t.has(p + "attn_kv_b.weight")) {
            kB = t.stack(p + "attn_k_b.weight", c.nopeDim(), r, h);
            vB = t.stack(p + "attn_v_b.weight", r, c.headDimV(), h);
        } else {
            GgufTensor kvB = t.require(p + "attn_kv_b.weight", r, (long) h * (c.nopeDim() + c.headDimV()));
            kB = deriveKb(kvB, c, t.arena(), k);
            vB = deriveVb(kvB, c);
        }
        return new MlaAttention(c, q, qA, qANorm, qB, t.matrix(p + "attn_kv_a_mqa.weight", d, c.cacheWidth()),
                t.vector(p + "attn_kv_a_norm.weight", r), kB, vB,
                t.matrix(p + "attn_output.weight", (long) h * c.headDimV(), d));
    }

    /**
     * Legacy files carry {@code attn_kv_b} [r, H·(nope + dv)]: per head, nope rows of W_UK[h] then dv rows of W_UV[h].
     * The absorbed form needs W_UK[h]ᵀ (r rows of nope), which a row-major quantized matrix cannot give without
     * re-blocking, so it is dequantized and transposed to f32 once (spec §3.4; 2 GB for V3).
     */
    private static Weight deriveKb(GgufTensor kvB, Dims c, Arena arena, ModelKernels k) {
        int h = c.heads();
        int r = c.kvLoraRank();
        int nope = c.nopeDim();
        int per = nope + c.headDimV();
        MemorySegment kb = arena.allocate((long) h * r * nope * Float.BYTES, 64);
        try (Arena scratch = Arena.ofConfined()) { // the dequantized copy is only needed for the transpose
            MemorySegment full = scratch.allocate(kvB.elementCount() * Float.BYTES, 64);
            k.dequantize(kvB.type(), kvB.segment(), kvB.elementCount(), full);
            for (int head = 0; head < h; head++) {
                for (int dIdx = 0; dIdx < nope; dIdx++) {
                    long src = ((long) head * per + dIdx) * r;
                    for (int col = 0; col < r; col++) {
                        kb.setAtIndex(JAVA_FLOAT, ((long) head * r + col) * nope + dIdx,
                                full.getAtIndex(JAVA_FLOAT, src + col));
                    }
                }
            }
        }
        return Weight.stacked(kvB.name() + " (as attn_k_b)", GgmlType.F32, r, nope, (long) nope * Float.BYTES, h, kb);
    }

    /** W_UV[h] is already row-major inside {@code attn_kv_b}: a view of its rows, no copy. */
    private static Weight deriveVb(GgufTensor kvB, Dims c) {
        int per = c.nopeDim() + c.headDimV();
        MemorySegment[] heads = new MemorySegment[c.heads()];
        for (int head = 0; head < heads.length; head++) {
            heads[head] = kvB.segment().asSlice(((long) head * per + c.nopeDim()) * kvB.rowBytes(),
                    c.headDimV() * kvB.rowBytes());
        }
        return new Weight(kvB.name() + " (as attn_v_b)", kvB.type(), c.headDimV(), c.kvLoraRank(), kvB.rowBytes(), heads);
    }

    /** One sequence's cache of this layer. */
    static final class Cache {
        final MemorySegment rows;    // [ctx][r + rope]
        final MemorySegment latentT; // [r][ctx] transposed latents (the values of the absorbed attention)
        final MemorySegment keys;    // [ctx][d_I] the indexer's keys, or null without one
        final int ctx;

        Cache(Dims c, LightningIndexer ix, int ctx, StateMemory mem) {
            this.ctx = ctx;
            rows = mem.floats((long) ctx * c.cacheWidth());
            latentT = mem.floats((long) c.kvLoraRank() * ctx);
            keys = ix == null ? null : mem.floats((long) ctx * ix.keyWidth());
        }
    }

    /** Per-step buffers shared by the layers of one state. */
    static final class Scratch {
        final MemorySegment qa;     // [B][r_q] compressed query (one float without q compression)
        final MemorySegment q;      // [B][H][dk] queries: nope | rope per head
        final MemorySegment kvcp;   // [B][r + rope] kv_a_mqa output: latent | rope key
        final MemorySegment qcur;   // [B][H][r + rope] absorbed queries: W_UKᵀ·q_nope | q_pe
        final MemorySegment scores; // [H][ctx] attention probabilities of one token
        final MemorySegment obar;   // [B][H][r] attention output in latent space
        final MemorySegment attn;   // [B][H][dv] per-head attention output (kqv_out)
        final float[] tile;         // transpose tile of appendTransposed
        // per-head views, sliced once so the forward pass does not slice
        final MemorySegment[] qHead;
        final MemorySegment[] qcurHead;
        final MemorySegment[] obarHead;
        final MemorySegment[] attnHead;
        final MemorySegment qPe;    // q at offset nope (the rope part of head 0)
        final MemorySegment kPe;    // kvcp at offset r
        // sparse attention (with an indexer only)
        final LightningIndexer.Scratch ix;
        final int[] selected;         // [top-k] positions one query reads, ascending
        final MemorySegment gathered; // [top-k][r + rope] their cache rows
        final MemorySegment gatheredT; // [r][top-k] their latents transposed

        Scratch(Dims c, LightningIndexer indexer, int b, int ctx, StateMemory mem) {
            int h = c.heads();
            int w = c.cacheWidth();
            int r = c.kvLoraRank();
            qa = mem.floats((long) b * Math.max(1, c.qLoraRank()));
            q = mem.floats((long) b * h * c.headDimK());
            kvcp = mem.floats((long) b * w);
            qcur = mem.floats((long) b * h * w);
            scores = mem.floats((long) h * ctx);
            obar = mem.floats((long) b * h * r);
            attn = mem.floats((long) b * h * c.headDimV());
            tile = new float[TILE * (w + r)];
            qHead = heads(q, h, c.headDimK());
            qcurHead = heads(qcur, h, w);
            obarHead = heads(obar, h, r);
            attnHead = heads(attn, h, c.headDimV());
            qPe = q.asSlice((long) c.nopeDim() * Float.BYTES);
            kPe = kvcp.asSlice((long) r * Float.BYTES);
            int k = indexer == null ? 0 : Math.min(ctx, indexer.c.topK());
            ix = indexer == null ? null : new LightningIndexer.Scratch(indexer.c, b, ctx, mem);
            selected = new int[k];
            gathered = indexer == null ? null : mem.floats((long) k * w);
            gatheredT = indexer == null ? null : mem.floats((long) r * k);
        }

        private static MemorySegment[] heads(MemorySegment buf, int heads, int width) {
            MemorySegment[] out = new MemorySegment[heads];
            for (int i = 0; i < heads; i++) {
                out[i] = buf.asSlice((long) i * width * Float.BYTES);
            }
            return out;
        }
    }

    @Override
    public Object newCache(int contextLength, StateMemory mem) {
        return new Cache(c, indexer, contextLength, mem);
    }

    @Override
    public Object scratchKey() {
        return indexer == null ? c : java.util.List.of(c, indexer.c);
    }

    @Override
    public Object newScratch(int maxBatch, int contextLength, StateMemory mem) {
        return new Scratch(c, indexer, maxBatch, contextLength, mem);
    }

    /**
     * {@code (kv_lora_rank + rope + kv_lora_rank) · 4}: the cache row and its transposed latent, plus the indexer's key
     * ({@code d_I · 4}) with sparse attention.
     */
    @Override
    public long cacheBytesPerToken() {
        return (long) (c.cacheWidth() + c.kvLoraRank() + (indexer == null ? 0 : indexer.keyWidth())) * Float.BYTES;
    }

    @Override
    public void forward(ModelKernels k, Batch b, Object[] caches, Object scratch, MemorySegment xn, MemorySegment outBuf,
                        Trace trace, int l) {
        Scratch s = (Scratch) scratch;
        int n = b.rows;
        int pos0 = b.pos0[0];
        int h = c.heads();
        int dk = c.headDimK();
        int nope = c.nopeDim();
        int rope = c.ropeDim();
        int r = c.kvLoraRank();
        int w = c.cacheWidth();
        long wBytes = (long) w * Float.BYTES;

        // queries: [n][H][nope | rope]
        if (q != null) {
            q.apply(k, xn, n, s.q);
        } else {
            qA.apply(k, xn, n, s.qa);
            k.rmsnorm(s.qa, qANorm, c.qLoraRank(), n, c.eps(), s.qa);
            if (indexer != null) {
                indexer.project(k, s.ix, s.qa, xn, n, b.positions, trace, l, pos0);
                long kb = (long) indexer.keyWidth() * Float.BYTES;
                for (int sq = 0; sq < b.sequences; sq++) {
                    Cache cache = (Cache) caches[sq];
                    MemorySegment.copy(s.ix.k, b.first[sq] * kb, cache.keys, b.pos0[sq] * kb, b.count[sq] * kb);
                }
            }
            qB.apply(k, s.qa, n, s.q);
        }
        k.rope(s.qPe, n, (long) h * dk, h, dk, rope, b.positions, c.rope());
        if (trace != null) {
            trace.rows("q", l, pos0, n, s.q, (long) h * dk);
        }

        // the new cache rows: [RMSNorm(latent) | RoPE(k_pe)]
        kvA.apply(k, xn, n, s.kvcp);
        k.rope(s.kPe, n, w, 1, w, rope, b.positions, c.rope());
        for (int t = 0; t < n; t++) {
            MemorySegment row = t == 0 ? s.kvcp : s.kvcp.asSlice(t * wBytes, wBytes);
            k.rmsnorm(row, kvANorm, r, 1, c.eps(), row);
        }
        for (int sq = 0; sq < b.sequences; sq++) {
            Cache cache = (Cache) caches[sq];
            MemorySegment.copy(s.kvcp, b.first[sq] * wBytes, cache.rows, b.pos0[sq] * wBytes, b.count[sq] * wBytes);
        }
        if (trace != null) {
            trace.rows("kv_cmpr", l, pos0, n, s.kvcp, r, w);
            trace.rows("k_pe", l, pos0, n, s.kPe, rope, w);
        }

        // absorbed queries: [n][H][W_UK[h]ᵀ·q_nope | q_pe]
        if (n == 1) { // decoding: every head in one call
            kB.applyEach(k, s.q, dk, s.qHead, s.qcur, w, s.qcurHead);
        } else {
            for (int head = 0; head < h; head++) {
                kB.apply(k, head, s.qHead[head], (long) h * dk, n, s.qcurHead[head], (long) h * w);
            }
        }
        for (int t = 0; t < n; t++) {
            for (int head = 0; head < h; head++) {
                MemorySegment.copy(s.q, ((long) (t * h + head) * dk + nope) * Float.BYTES, s.qcur,
                        ((long) (t * h + head) * w + r) * Float.BYTES, (long) rope * Float.BYTES);
            }
        }
        if (trace != null) {
            trace.rows("Qcur", l, pos0, n, s.qcur, (long) h * w);
        }

        long qBytes = (long) h * w * Float.BYTES;
        long oBytes = (long) h * r * Float.BYTES;
        for (int sq = 0; sq < b.sequences; sq++) {
            Cache cache = (Cache) caches[sq];
            int first = b.first[sq];
            appendTransposed(cache.rows, w, r, b.pos0[sq], b.pos0[sq] + b.count[sq], cache.latentT, cache.ctx, s.tile);
            int dense = indexer == null ? b.count[sq]
                    : Math.clamp(indexer.c.topK() - b.pos0[sq], 0, b.count[sq]); // rows that see at most top-k positions
            if (dense > 0) {
                attend(k, cache.rows, w, r, cache.latentT, cache.ctx, b.pos0[sq], dense, h,
                        first == 0 ? s.qcur : s.qcur.asSlice(first * qBytes), s.scores,
                        first == 0 ? s.obar : s.obar.asSlice(first * oBytes), c.kqScale());
            }
            for (int t = dense; t < b.count[sq]; t++) {
                attendSparse(k, s, cache, first + t, b.pos0[sq] + t, qBytes, oBytes, trace, l);
            }
        }

        // back from latent space: o[h] = W_UV[h]·ō[h], then the output projection
        if (n == 1) {
            vB.applyEach(k, s.obar, r, s.obarHead, s.attn, c.headDimV(), s.attnHead);
        } else {
            for (int head = 0; head < h; head++) {
                vB.apply(k, head, s.obarHead[head], (long) h * r, n, s.attnHead[head], (long) h * c.headDimV());
            }
        }
        if (trace != null) {
            trace.rows("kqv_out", l, pos0, n, s.attn, (long) h * c.headDimV());
        }
        out.apply(k, s.attn, n, outBuf);
        if (trace != null) {
            trace.rows("attn_out", l, pos0, n, outBuf, c.embd());
        }
    }

    /**
     * DeepSeek Sparse Attention of batch row {@code row} at position {@code pos}: the indexer picks the top-k cached
     * positions, whose rows are gathered (and their latents transposed) so that the two products of {@link #attend}
     * run over top-k positions instead of all of them. Equal to dense attention with every other position masked out.
     */
    private void attendSparse(ModelKernels k, Scratch s, Cache cache, int row, int pos, long qBytes, long oBytes,
                              Trace trace, int l) {
        int w = c.cacheWidth();
        int r = c.kvLoraRank();
        int h = c.heads();
        int ih = indexer.c.heads();
        int id = indexer.c.headDim();
        long wBytes = (long) w * Float.BYTES;
        int n = indexer.select(k, s.ix, cache.keys, pos + 1,
                s.ix.q.asSlice((long) row * ih * id * Float.BYTES, (long) ih * id * Float.BYTES),
                s.ix.w.asSlice((long) row * ih * Float.BYTES, (long) ih * Float.BYTES), s.selected);
        if (trace != null) {
            float[] sel = new float[n];
            for (int j = 0; j < n; j++) {
                sel[j] = s.selected[j];
            }
            trace.values("top_k", l, pos, sel, 0, n);
        }
        for (int j = 0; j < n; j++) {
            MemorySegment.copy(cache.rows, s.selected[j] * wBytes, s.gathered, j * wBytes, wBytes);
        }
        attendRows(k, s.gathered, w, r, n, s.qcur.asSlice(row * qBytes, qBytes), h, s.scores, s.gatheredT, s.tile,
                s.obar.asSlice(row * oBytes, oBytes), c.kqScale(), null);
    }

    /**
     * One query's attention over {@code n} gathered key rows whose first {@code valueWidth} floats are the values
     * (MLA: the latent; DeepSeek-V4: the whole row, K = V): scores on the rows as stored, softmax (with per-head sinks
     * if given), then the weighted sum on the rows transposed into {@code rowsT} ([valueWidth][n]).
     *
     * @param q   [heads][width] the query
     * @param out receives [heads][valueWidth]
     */
    static void attendRows(ModelKernels k, MemorySegment rows, int width, int valueWidth, int n, MemorySegment q,
                           int heads, MemorySegment scores, MemorySegment rowsT, float[] tile, MemorySegment out,
                           float scale, MemorySegment sinks) {
        k.matmul(GgmlType.F32, rows, (long) width * Float.BYTES, n, width, q, width, heads, scores, n);
        if (sinks == null) {
            k.softmax(scores, n, heads, scale);
        } else {
            k.softmaxSinks(scores, n, heads, scale, sinks);
        }
        appendTransposed(rows, width, valueWidth, 0, n, rowsT, n, tile);
        k.matmul(GgmlType.F32, rowsT, (long) n * Float.BYTES, valueWidth, n, scores, n, heads, out, valueWidth);
    }

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
