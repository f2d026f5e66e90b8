package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * DeepSeek-V2 / V2-Lite / V3 / R1 ({@code general.architecture = deepseek2}), following
 * shared/spec/deepseek-v3-architecture.md and llama.cpp's {@code deepseek2} graph:
 * <pre>
 * h = E[token]
 * for each layer:  h += MLA(RMSNorm(h));  h += (dense layer ? SwiGLU : MoE + shared experts)(RMSNorm(h))
 * logits = W_out · RMSNorm(h)
 * </pre>
 * Attention is MLA in its absorbed form for prefill and decode alike: the cache keeps one {@code [latent | rope key]} row
 * per token and layer, queries are mapped into latent space with {@code W_UK}, the attention output back with
 * {@code W_UV} (spec §3.4). Shapes below are GGUF {@code ne}, innermost first; D = hidden, H = heads,
 * dk = nope + rope, r = kv_lora_rank, E = experts, F = FFN width.
 */
final class DeepSeek2Model implements LanguageModel, MoeModel {

    /** One layer's attention weights. */
    record Attention(
            MemorySegment norm,    // attn_norm      [D]
            Weight q,              // attn_q         [D, H·dk]   direct query projection (V2-Lite), else null
            Weight qA,             // attn_q_a       [D, r_q]    query down-projection, else null
            MemorySegment qANorm,  // attn_q_a_norm  [r_q]
            Weight qB,             // attn_q_b       [r_q, H·dk] query up-projection
            Weight kvA,            // attn_kv_a_mqa  [D, r + rope]: rows [0, r) latent, [r, r + rope) shared rope key
            MemorySegment kvANorm, // attn_kv_a_norm [r]
            Weight kB,             // attn_k_b       [nope, r, H]: head h = W_UK[h]ᵀ, r rows of nope
            Weight vB,             // attn_v_b       [r, dv, H]:   head h = W_UV[h], dv rows of r
            Weight out) {          // attn_output    [H·dv, D]
    }

    /** One transformer block: attention, then a dense FFN (leading layers) or routed + shared experts. */
    record Layer(
            Attention attn,
            MemorySegment ffnNorm, // ffn_norm [D]
            DenseFfn dense,        // ffn_{gate,up,down}: [D, F], [D, F], [F, D]          (dense layers)
            MoeFfn moe,            // ffn_gate_inp [D, E], exp_probs_b [E], ffn_{gate,up,down}_exps [D, F, E],
                                   // [D, F, E], [F, D, E] or a fused ffn_gate_up_exps [D, 2F, E] (MoE layers)
            DenseFfn shared) {     // ffn_{gate,up,down}_shexp, width n_shared · F_exp     (MoE layers, optional)
    }

    final DeepSeek2Config cfg;
    private final ModelConfig config;
    private final ModelOptions options;
    private final Arena arena; // tensors derived at load
    private final Weight tokenEmbd;         // token_embd  [D, V]
    private final MemorySegment outputNorm; // output_norm [D]
    private final Weight output;            // output      [D, V] (token_embd when the file has none)
    private final Layer[] layers;
    private volatile boolean closed;

    private DeepSeek2Model(DeepSeek2Config cfg, ModelConfig config, ModelOptions options, Arena arena, Weight tokenEmbd,
                           MemorySegment outputNorm, Weight output, Layer[] layers) {
        this.cfg = cfg;
        this.config = config;
        this.options = options;
        this.arena = arena;
        this.tokenEmbd = tokenEmbd;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = layers;
    }

    // ---- loading ------------------------------------------------------------------------------------------------

    static DeepSeek2Model load(GgufFile file, ModelOptions options) {
        Arena arena = Arena.ofShared();
        try {
            return load(file, options, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static DeepSeek2Model load(GgufFile file, ModelOptions options, Arena arena) {
        ModelTensors t = new ModelTensors(file, arena, options);
        DeepSeek2Config c = DeepSeek2Config.read(file.metadata(), t.has("blk.0.attn_q_a.weight"), t.source());
        int d = c.embd();
        // the vocabulary is whatever the embedding holds; its shape is checked against D by matrix()
        long vocabRows = file.tensor("token_embd.weight").map(x -> x.dim(1)).orElse(0L);
        if (vocabRows > Integer.MAX_VALUE) {
            throw new ModelFormatException(t.source() + ": token_embd.weight has " + vocabRows + " rows", -1);
        }
        int vocab = (int) vocabRows;
        var vocabKey = file.metadata().optInt("deepseek2.vocab_size");
        if (vocabKey.isPresent() && vocabKey.get() != vocab) {
            throw new ModelFormatException(t.source() + ": deepseek2.vocab_size = " + vocabKey.get()
                    + " but token_embd.weight has " + vocab + " rows", -1);
        }
        Weight tokenEmbd = t.matrix("token_embd.weight", d, vocab);
        Weight output = t.optMatrix("output.weight", d, vocab).orElse(tokenEmbd);
        MemorySegment outputNorm = t.vector("output_norm.weight", d);

        Layer[] layers = new Layer[c.layers()];
        try (ModelKernels k = options.createKernels(1)) {
            for (int l = 0; l < c.layers(); l++) {
                layers[l] = loadLayer(t, c, l, arena, k);
            }
        }
        var md = file.metadata();
        ModelConfig config = new ModelConfig(DeepSeek2Config.ARCH, c.name(), vocab, c.contextLength(), d, c.layers(),
                md.optInt("tokenizer.ggml.bos_token_id").orElse(-1), md.optInt("tokenizer.ggml.eos_token_id").orElse(-1),
                (long) c.layers() * (c.cacheWidth() + c.kvLoraRank()) * Float.BYTES);
        return new DeepSeek2Model(c, config, options, arena, tokenEmbd, outputNorm, output, layers);
    }

    private static Layer loadLayer(ModelTensors t, DeepSeek2Config c, int l, Arena arena, ModelKernels k) {
        String p = "blk." + l + ".";
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
            kB = deriveKb(kvB, c, arena, k);
            vB = deriveVb(kvB, c);
        }
        Attention attn = new Attention(t.vector(p + "attn_norm.weight", d), q, qA, qANorm, qB,
                t.matrix(p + "attn_kv_a_mqa.weight", d, c.cacheWidth()), t.vector(p + "attn_kv_a_norm.weight", r),
                kB, vB, t.matrix(p + "attn_output.weight", (long) h * c.headDimV(), d));
        MemorySegment ffnNorm = t.vector(p + "ffn_norm.weight", d);
        if (!c.isMoeLayer(l)) {
            return new Layer(attn, ffnNorm, DenseFfn.load(t, p, "", d, c.ffnWidth()), null, null);
        }
        int e = c.experts();
        int f = c.expertWidth();
        float[] bias = t.has(p + "exp_probs_b.bias") ? t.floats(p + "exp_probs_b.bias", e) : null;
        ExpertRouter router = new TopKRouter(c.gating(), bias, e, c.expertsUsed(), c.groups(), c.groupsUsed(),
                c.weightsNorm(), c.weightsScale());
        Weight gate;
        Weight up;
        if (t.has(p + "ffn_gate_up_exps.weight")) { // fused: per expert, rows [0, F) gate, [F, 2F) up
            Weight fused = t.stack(p + "ffn_gate_up_exps.weight", d, 2L * f, e);
            gate = fused.rows(0, f);
            up = fused.rows(f, f);
        } else {
            gate = t.stack(p + "ffn_gate_exps.weight", d, f, e);
            up = t.stack(p + "ffn_up_exps.weight", d, f, e);
        }
        MoeFfn moe = new MoeFfn(t.matrix(p + "ffn_gate_inp.weight", d, e), router, gate, up,
                t.stack(p + "ffn_down_exps.weight", f, d, e));
        DenseFfn shared = c.expertsShared() > 0
                ? DenseFfn.load(t, p, "_shexp", d, f * c.expertsShared()) : null;
        return new Layer(attn, ffnNorm, null, moe, shared);
    }

    /**
     * Legacy files carry {@code attn_kv_b} [r, H·(nope + dv)]: per head, nope rows of W_UK[h] then dv rows of W_UV[h].
     * The absorbed form needs W_UK[h]ᵀ (r rows of nope), which a row-major quantized matrix cannot give without
     * re-blocking, so it is dequantized and transposed to f32 once (spec §3.4; 2 GB for V3).
     */
    private static Weight deriveKb(GgufTensor kvB, DeepSeek2Config c, Arena arena, ModelKernels k) {
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
    private static Weight deriveVb(GgufTensor kvB, DeepSeek2Config c) {
        int per = c.nopeDim() + c.headDimV();
        MemorySegment[] heads = new MemorySegment[c.heads()];
        for (int head = 0; head < heads.length; head++) {
            heads[head] = kvB.segment().asSlice(((long) head * per + c.nopeDim()) * kvB.rowBytes(),
                    c.headDimV() * kvB.rowBytes());
        }
        return new Weight(kvB.name() + " (as attn_v_b)", kvB.type(), c.headDimV(), c.kvLoraRank(), kvB.rowBytes(), heads);
    }

    @Override
    public int blocks() {
        return layers.length;
    }

    @Override
    public MoeFfn moe(int l) {
        return layers[l].moe();
    }

    MoeFfn firstMoe() {
        for (Layer l : layers) {
            if (l.moe() != null) {
                return l.moe();
            }
        }
        return null;
    }

    // ---- LanguageModel --------------------------------------------------------------------------------------------

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public InferenceState newState(int contextLength) {
        checkOpen();
        if (contextLength < 1 || contextLength > cfg.contextLength()) {
            throw new IllegalArgumentException("context length must be in 1.." + cfg.contextLength() + ", got "
                    + contextLength);
        }
        return new DeepSeek2State(this, contextLength, Math.min(options.maxBatch(), contextLength),
                options.createKernels(options.threads()));
    }

    @Override
    public void forward(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut) {
        DeepSeek2State s = check(state, tokens, offset, count, logitsOut, 1);
        for (int done = 0; done < count; ) {
            int n = Math.min(s.maxBatch, count - done);
            boolean last = done + n == count;
            step(s, tokens, offset + done, n, last && logitsOut != null ? logitsOut : null, -1);
            done += n;
        }
    }

    @Override
    public void forwardAllLogits(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut) {
        Objects.requireNonNull(logitsOut, "logitsOut");
        DeepSeek2State s = check(state, tokens, offset, count, logitsOut, count);
        for (int done = 0; done < count; ) {
            int n = Math.min(s.maxBatch, count - done);
            step(s, tokens, offset + done, n, logitsOut, done);
            done += n;
        }
    }

    /** Validates everything before the state is touched, so a bad call changes nothing. */
    private DeepSeek2State check(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut,
                                 int rows) {
        checkOpen();
        if (!(state instanceof DeepSeek2State s) || s.model != this) {
            throw new IllegalArgumentException("the state was not created by this model");
        }
        s.checkOpen();
        ForwardArgs.check(config, s, tokens, offset, count, logitsOut, rows);
        return s;
    }

    // ---- forward pass ---------------------------------------------------------------------------------------------

    /**
     * Runs {@code n <= maxBatch} tokens through the model at the state's position. With {@code firstRow >= 0} the
     * logits of token {@code t} go to row {@code firstRow + t} of {@code logitsOut}; otherwise, when {@code logitsOut}
     * is not null, only the last token's go to {@code logitsOut[0 .. V)}.
     */
    private void step(DeepSeek2State s, int[] tokens, int off, int n, float[] logitsOut, int firstRow) {
        ModelKernels k = s.kernels;
        Trace trace = s.trace;
        int pos0 = s.position();
        int d = cfg.embd();
        long dBytes = (long) d * Float.BYTES;
        for (int t = 0; t < n; t++) {
            s.tokens.setAtIndex(JAVA_INT, t, tokens[off + t]);
            s.positions.setAtIndex(JAVA_INT, t, pos0 + t);
        }
        k.getRows(tokenEmbd.type, tokenEmbd.matrix(0), tokenEmbd.rowBytes, tokenEmbd.rows, d, s.tokens, n, s.x);
        if (trace != null) {
            trace.rows("embd", -1, pos0, n, s.x, d);
        }

        for (int l = 0; l < layers.length; l++) {
            Layer layer = layers[l];
            k.rmsnorm(s.x, layer.attn().norm(), d, n, cfg.eps(), s.xn);
            if (trace != null) {
                trace.rows("attn_norm", l, pos0, n, s.xn, d);
            }
            attention(s, l, layer.attn(), n, pos0);
            k.add(s.x, s.tmp, (long) n * d, s.x);
            if (trace != null) {
                trace.rows("ffn_inp", l, pos0, n, s.x, d);
            }

            k.rmsnorm(s.x, layer.ffnNorm(), d, n, cfg.eps(), s.xn);
            if (trace != null) {
                trace.rows("ffn_norm", l, pos0, n, s.xn, d);
            }
            if (layer.moe() == null) {
                layer.dense().forward(k, s.xn, n, s.ffnGate, s.ffnUp, s.tmp);
            } else {
                layer.moe().forward(k, s.xn, n, s.moe, s.tmp, trace, l, pos0);
                if (layer.shared() != null) {
                    layer.shared().forward(k, s.xn, n, s.ffnGate, s.ffnUp, s.tmp2);
                    if (trace != null) {
                        trace.rows("ffn_shexp", l, pos0, n, s.tmp2, d);
                    }
                    k.add(s.tmp, s.tmp2, (long) n * d, s.tmp);
                }
            }
            if (trace != null) {
                trace.rows("ffn_out", l, pos0, n, s.tmp, d);
            }
            k.add(s.x, s.tmp, (long) n * d, s.x);
            if (trace != null) {
                trace.rows("l_out", l, pos0, n, s.x, d);
            }
        }
        s.advance(n);

        if (logitsOut == null) {
            return;
        }
        int vocab = config.vocabSize();
        boolean allRows = firstRow >= 0;
        for (int t = allRows ? 0 : n - 1; t < n; t++) {
            MemorySegment hn = s.xn; // row 0 of xn is free now
            k.rmsnorm(t == 0 ? s.x : s.x.asSlice(t * dBytes, dBytes), outputNorm, d, 1, cfg.eps(), hn);
            output.apply(k, hn, 1, s.logits);
            if (trace != null) {
                trace.rows("result_norm", -1, pos0 + t, 1, hn, d);
                trace.rows("result_output", -1, pos0 + t, 1, s.logits, vocab);
            }
            MemorySegment.copy(s.logits, JAVA_FLOAT, 0, logitsOut, allRows ? (firstRow + t) * vocab : 0, vocab);
        }
    }

    /**
     * Absorbed MLA for {@code n} tokens at positions {@code pos0 ..}: appends their cache rows, attends each token over
     * the rows up to its own position, and leaves {@code W_O · attention} in {@code s.tmp}.
     */
    private void attention(DeepSeek2State s, int l, Attention a, int n, int pos0) {
        ModelKernels k = s.kernels;
        Trace trace = s.trace;
        int h = cfg.heads();
        int dk = cfg.headDimK();
        int nope = cfg.nopeDim();
        int rope = cfg.ropeDim();
        int r = cfg.kvLoraRank();
        int w = cfg.cacheWidth();
        long wBytes = (long) w * Float.BYTES;
        MemorySegment cache = s.cache[l];

        // queries: [n][H][nope | rope]
        if (a.q() != null) {
            a.q().apply(k, s.xn, n, s.q);
        } else {
            a.qA().apply(k, s.xn, n, s.qa);
            k.rmsnorm(s.qa, a.qANorm(), cfg.qLoraRank(), n, cfg.eps(), s.qa);
            a.qB().apply(k, s.qa, n, s.q);
        }
        k.rope(s.qPe, n, (long) h * dk, h, dk, rope, s.positions, cfg.rope());
        if (trace != null) {
            trace.rows("q", l, pos0, n, s.q, (long) h * dk);
        }

        // the new cache rows: [RMSNorm(latent) | RoPE(k_pe)]
        a.kvA().apply(k, s.xn, n, s.kvcp);
        k.rope(s.kPe, n, w, 1, w, rope, s.positions, cfg.rope());
        for (int t = 0; t < n; t++) {
            MemorySegment row = t == 0 ? s.kvcp : s.kvcp.asSlice(t * wBytes, wBytes);
            k.rmsnorm(row, a.kvANorm(), r, 1, cfg.eps(), row);
            MemorySegment.copy(s.kvcp, t * wBytes, cache, (pos0 + t) * wBytes, wBytes);
        }
        if (trace != null) {
            trace.rows("kv_cmpr", l, pos0, n, s.kvcp, r, w);
            trace.rows("k_pe", l, pos0, n, s.kPe, rope, w);
        }

        // absorbed queries: [n][H][W_UK[h]ᵀ·q_nope | q_pe]
        if (n == 1) { // decoding: every head in one call
            a.kB().applyEach(k, s.q, dk, s.qHead, s.qcur, w, s.qcurHead);
        } else {
            for (int head = 0; head < h; head++) {
                a.kB().apply(k, head, s.qHead[head], (long) h * dk, n, s.qcurHead[head], (long) h * w);
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

        MlaAttention.appendTransposed(cache, w, r, pos0, pos0 + n, s.latentT[l], s.contextLength(), s.tile);
        MlaAttention.attend(k, cache, w, r, s.latentT[l], s.contextLength(), pos0, n, h, s.qcur, s.scores, s.obar,
                cfg.kqScale());

        // back from latent space: o[h] = W_UV[h]·ō[h], then the output projection
        if (n == 1) {
            a.vB().applyEach(k, s.obar, r, s.obarHead, s.attn, cfg.headDimV(), s.attnHead);
        } else {
            for (int head = 0; head < h; head++) {
                a.vB().apply(k, head, s.obarHead[head], (long) h * r, n, s.attnHead[head], (long) h * cfg.headDimV());
            }
        }
        if (trace != null) {
            trace.rows("kqv_out", l, pos0, n, s.attn, (long) h * cfg.headDimV());
        }
        a.out().apply(k, s.attn, n, s.tmp);
        if (trace != null) {
            trace.rows("attn_out", l, pos0, n, s.tmp, cfg.embd());
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "deepseek2 '" + cfg.name() + "': " + cfg.layers() + " layers, D=" + cfg.embd() + ", H=" + cfg.heads()
                + ", r=" + cfg.kvLoraRank() + ", experts " + cfg.expertsUsed() + "/" + cfg.experts();
    }
}
