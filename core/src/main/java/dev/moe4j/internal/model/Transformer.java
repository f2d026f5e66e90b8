package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * The one decoder-only transformer every family runs on, in llama.cpp's graph:
 * <pre>
 * h = E[token]
 * for each block:  h += attn(RMSNorm(h));  h += ffn(RMSNorm(h))      parts chosen per block by the family (arch/)
 * logits = W_out · RMSNorm(h)                                          W_out = token_embd when the file has no output
 * </pre>
 * The blocks' parts ({@link Attention}: {@link GqaAttention}, {@link MlaAttention}; {@link FeedForward}:
 * {@link DenseFfn}, {@link MoeFfn}) are built by the family's {@link Architecture}. A step runs a {@link Batch} of
 * rows that may belong to several sequences, each with its own positions and cache: products and experts run over all
 * rows at once, attention per sequence. Shapes are GGUF {@code ne}, innermost first; D = hidden, V = vocabulary.
 *
 * <p>Threading: the states hold what is per sequence (caches and scratch); the kernels, with their worker threads, are
 * the model's: {@link ModelOptions#workerGroups} sets in a {@link KernelPool}, one leased by each forward call for its
 * duration. Several threads may run their own states at once; beyond that many sets they wait their turn.
 */
public final class Transformer implements LanguageModel, MoeModel {

    final HyperParams hp;
    private final ModelConfig config;
    private final ModelOptions options;
    private final Arena arena; // tensors converted or derived at load
    private final Weight tokenEmbd;         // token_embd  [D, V]
    private final MemorySegment outputNorm; // output_norm [D]
    private final Weight output;            // output      [D, V], or token_embd
    private final Block[] blocks;
    private final ExpertWiring experts;
    private final KernelPool kernelSets;
    private volatile boolean closed;

    private final HyperConnections headMixer; // DeepSeek-V4's hyper-connections, or null

    private Transformer(HyperParams hp, ModelConfig config, ModelOptions options, Arena arena, Weight tokenEmbd,
                        MemorySegment outputNorm, Weight output, Block[] blocks, ExpertWiring experts,
                        HyperConnections headMixer) {
        this.headMixer = headMixer;
        this.hp = hp;
        this.config = config;
        this.options = options;
        this.arena = arena;
        this.tokenEmbd = tokenEmbd;
        this.outputNorm = outputNorm;
        this.output = output;
        this.blocks = blocks;
        this.experts = experts;
        this.kernelSets = new KernelPool(options.workerGroups(), () -> options.createKernels(options.threads()));
    }

    // ---- loading ------------------------------------------------------------------------------------------------

    /**
     * Loads a model of family {@code arch} from {@code file}: the embeddings, output head and rotary embedding here,
     * each block through the family.
     *
     * @throws ModelFormatException if the metadata or a tensor does not fit the family (the message names it)
     */
    public static Transformer load(GgufFile file, ModelOptions options, Architecture arch) {
        Arena arena = Arena.ofShared();
        try {
            return load(file, options, arch, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static Transformer load(GgufFile file, ModelOptions options, Architecture arch, Arena arena) {
        ModelTensors t = new ModelTensors(file, arena, options);
        var md = file.metadata();
        HyperParams hp = arch.hyperParams(t);
        int d = hp.embd();
        long vocabRows = file.tensor("token_embd.weight").map(x -> x.dim(1)).orElse(0L);
        if (vocabRows > Integer.MAX_VALUE) {
            throw new ModelFormatException(t.source() + ": token_embd.weight has " + vocabRows + " rows", -1);
        }
        int vocab = (int) vocabRows;
        String vocabKey = arch.name() + ".vocab_size";
        var declared = md.optInt(vocabKey);
        if (declared.isPresent() && declared.get() != vocab) {
            throw new ModelFormatException(t.source() + ": " + vocabKey + " = " + declared.get()
                    + " but token_embd.weight has " + vocab + " rows", md.offset(vocabKey));
        }
        Weight tokenEmbd = t.matrix("token_embd.weight", d, vocab);
        Weight output = t.optMatrix("output.weight", d, vocab).orElse(tokenEmbd);
        MemorySegment outputNorm = t.vector("output_norm.weight", d);
        float[] factors = arch.ropeFreqFactors() && t.has("rope_freqs.weight")
                ? t.floats("rope_freqs.weight", hp.ropeDim() / 2) : null;
        RotaryEmbedding rope = new RotaryEmbedding(hp.rope(), hp.ropeDim(), factors);

        HyperConnections head = arch.headMixer(t, hp);
        ExpertWiring experts = new ExpertWiring();
        Block[] blocks = new Block[hp.layers()];
        long kvBytes = 0;
        try (LayerLoad load = new LayerLoad(t, hp, rope, experts, options)) {
            for (int l = 0; l < hp.layers(); l++) {
                blocks[l] = arch.block(load, l);
                if ((head == null) != (blocks[l].attnMix() == null)) {
                    throw new IllegalStateException(arch.name() + ": block " + l + " and the head disagree on"
                            + " hyper-connections");
                }
                kvBytes += blocks[l].attn().cacheBytesPerToken();
            }
        }
        experts.seal();
        ModelConfig config = new ModelConfig(arch.name(), hp.name(), vocab, hp.contextLength(), d, hp.layers(),
                md.optInt("tokenizer.ggml.bos_token_id").orElse(-1), md.optInt("tokenizer.ggml.eos_token_id").orElse(-1),
                kvBytes);
        return new Transformer(hp, config, options, arena, tokenEmbd, outputNorm, output, blocks, experts, head);
    }

    @Override
    public int blocks() {
        return blocks.length;
    }

    @Override
    public MoeFfn moe(int l) {
        return blocks[l].moe();
    }

    /** The experts' wiring (store, routing listener, prefetch) every MoE block was built with. */
    @Override
    public ExpertWiring experts() {
        return experts;
    }

    Block block(int l) {
        return blocks[l];
    }

    /** The collapse of the hyper-connection streams before the output head, or null for one residual stream. */
    HyperConnections headMixer() {
        return headMixer;
    }

    // ---- LanguageModel --------------------------------------------------------------------------------------------

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public InferenceState newState(int contextLength) {
        checkOpen();
        if (contextLength < 1 || contextLength > hp.contextLength()) {
            throw new IllegalArgumentException("context length must be in 1.." + hp.contextLength() + ", got "
                    + contextLength);
        }
        return new TransformerState(this, contextLength, Math.min(options.maxBatch(), contextLength));
    }

    /** Kernel sets this model has made so far: at most {@link ModelOptions#workerGroups}. */
    int kernelSetsCreated() {
        return kernelSets.created();
    }

    /** The kernel sets made so far (tests read their counters). */
    List<ModelKernels> kernelSets() {
        return kernelSets.sets();
    }

    @Override
    public void forward(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut) {
        forwardBatch(List.of(new SequenceStep(state, tokens, offset, count, logitsOut, false)));
    }

    @Override
    public void forwardAllLogits(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut) {
        Objects.requireNonNull(logitsOut, "logitsOut");
        forwardBatch(List.of(new SequenceStep(state, tokens, offset, count, logitsOut, true)));
    }

    /**
     * Runs several sequences' tokens through the model together: rows of all sequences share each weight read, each
     * sequence attends over its own cache. The computation runs on a kernel set leased from the model for the whole
     * call (waiting, in turn, while all {@link ModelOptions#workerGroups} are busy) and in the first step's state's
     * scratch; the steps run in chunks of at most its batch size, a sequence split over chunks in order. The states
     * must not be used by another thread meanwhile. Per sequence the same
     * computation as separate {@link #forward} / {@link #forwardAllLogits} calls; the logits agree to float rounding,
     * not bit for bit, because products block rows differently in batches of other sizes. Observers
     * ({@link InferenceState#setObserver}) see only steps of one sequence.
     *
     * @throws IllegalArgumentException if a state appears twice, belongs to another model, or a step is invalid as
     *                                  {@link #forward} defines (nothing is changed)
     */
    @Override
    public void forwardBatch(List<SequenceStep> steps) {
        checkOpen();
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("forwardBatch needs at least one sequence");
        }
        TransformerState[] states = new TransformerState[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            SequenceStep st = steps.get(i);
            Objects.requireNonNull(st, "step");
            if (!(st.state() instanceof TransformerState s) || s.model != this) {
                throw new IllegalArgumentException("the state was not created by this model");
            }
            for (int j = 0; j < i; j++) { // batches are small: no set needed
                if (states[j] == s) {
                    throw new IllegalArgumentException("a state appears twice in one batch");
                }
            }
            s.checkOpen();
            ForwardArgs.check(config, s, st.tokens(), st.offset(), st.count(), st.logitsOut(),
                    st.allLogits() ? st.count() : 1);
            states[i] = s;
        }
        ModelKernels k = kernelSets.acquire();
        try {
            run(steps, states, k);
        } finally {
            kernelSets.release(k);
        }
    }

    /** The checked steps of {@link #forwardBatch} in chunks of the first state's batch, on kernels {@code k}. */
    private void run(List<SequenceStep> steps, TransformerState[] states, ModelKernels k) {
        TransformerState ws = states[0]; // the workspace: scratch
        Batch b = ws.batch;
        int seq = 0;
        int done = 0; // tokens of steps[seq] already run
        while (seq < steps.size()) {
            b.clear();
            while (seq < steps.size() && b.rows < b.capacity) {
                SequenceStep st = steps.get(seq);
                int n = Math.min(b.capacity - b.rows, st.count() - done);
                int firstRow = b.rows;
                b.add(states[seq], st.tokens(), st.offset() + done, n);
                for (int t = 0; t < n; t++) {
                    boolean lastOfSeq = done + t == st.count() - 1;
                    boolean wanted = st.logitsOut() != null && (st.allLogits() || lastOfSeq);
                    b.logitsTo[firstRow + t] = wanted ? st.logitsOut() : null;
                    b.logitsAt[firstRow + t] = st.allLogits() ? (done + t) * config.vocabSize() : 0;
                }
                done += n;
                if (done == st.count()) {
                    seq++;
                    done = 0;
                }
            }
            step(k, ws, b);
        }
    }

    // ---- forward pass ---------------------------------------------------------------------------------------------

    /** Runs the batch's rows through the model, advances each sequence and writes the logits its rows ask for. */
    private void step(ModelKernels k, TransformerState ws, Batch b) {
        if (headMixer != null) {
            stepHyper(k, ws, b);
            return;
        }
        Trace trace = b.single() ? b.seq[0].trace : null;
        int n = b.rows;
        int pos0 = b.pos0[0];
        int d = hp.embd();
        long dBytes = (long) d * Float.BYTES;
        k.getRows(tokenEmbd.type, tokenEmbd.matrix(0), tokenEmbd.rowBytes, tokenEmbd.rows, d, b.tokens, n, ws.x);
        if (trace != null) {
            trace.rows("embd", -1, pos0, n, ws.x, d);
        }

        Object[] caches = ws.cacheArgs;
        for (int l = 0; l < blocks.length; l++) {
            Block block = blocks[l];
            for (int q = 0; q < b.sequences; q++) {
                caches[q] = b.seq[q].caches[l];
            }
            k.rmsnorm(ws.x, block.attnNorm(), d, n, hp.eps(), ws.xn);
            if (trace != null) {
                trace.rows("attn_norm", l, pos0, n, ws.xn, d);
            }
            block.attn().forward(k, b, caches, ws.attnScratch[l], ws.xn, ws.tmp, trace, l);
            k.add(ws.x, ws.tmp, (long) n * d, ws.x);
            if (trace != null) {
                trace.rows("ffn_inp", l, pos0, n, ws.x, d);
            }

            k.rmsnorm(ws.x, block.ffnNorm(), d, n, hp.eps(), ws.xn);
            if (trace != null) {
                trace.rows("ffn_norm", l, pos0, n, ws.xn, d);
            }
            block.ffn().forward(k, b, ws.ffnScratch[l], ws.xn, ws.tmp, trace, l);
            if (trace != null) {
                trace.rows("ffn_out", l, pos0, n, ws.tmp, d);
            }
            k.add(ws.x, ws.tmp, (long) n * d, ws.x);
            if (trace != null) {
                trace.rows("l_out", l, pos0, n, ws.x, d);
            }
        }
        for (int q = 0; q < b.sequences; q++) {
            b.seq[q].advance(b.count[q]);
        }

        logits(k, ws, b, trace);
    }

    /**
     * The output head for the rows that want logits: the final RMSNorm of the row's residual (with hyper-connections,
     * of the head's collapse of its streams), the output matrix, and the copy to the caller's array.
     */
    private void logits(ModelKernels k, TransformerState ws, Batch b, Trace trace) {
        int d = hp.embd();
        int vocab = config.vocabSize();
        long rowBytes = (long) (headMixer == null ? 1 : headMixer.hc) * d * Float.BYTES;
        for (int t = 0; t < b.rows; t++) {
            float[] dest = b.logitsTo[t];
            if (dest == null) {
                continue;
            }
            MemorySegment hn = ws.xn; // row 0 of xn is free now
            MemorySegment x = t == 0 ? ws.x : ws.x.asSlice(t * rowBytes, rowBytes);
            if (headMixer == null) {
                k.rmsnorm(x, outputNorm, d, 1, hp.eps(), hn);
            } else {
                headMixer.collapse(k, x, 1, ws.headScratch, hn);
                k.rmsnorm(hn, outputNorm, d, 1, hp.eps(), hn);
            }
            output.apply(k, hn, 1, ws.logits);
            if (trace != null) {
                trace.rows("result_norm", -1, b.position[t], 1, hn, d);
                trace.rows("result_output", -1, b.position[t], 1, ws.logits, vocab);
            }
            MemorySegment.copy(ws.logits, JAVA_FLOAT, 0, dest, b.logitsAt[t], vocab);
        }
    }

    /**
     * {@link #step} with DeepSeek-V4's hyper-connections: the residual is {@code hc} streams per row
     * ({@code x[n][hc][D]}, the embedding copied into each); each sublayer reads their mix ({@link
     * HyperConnections#collapse}, then the block's RMSNorm) and writes back into all of them
     * ({@link HyperConnections#expand}); the head collapses them once more before the output norm.
     */
    private void stepHyper(ModelKernels k, TransformerState ws, Batch b) {
        Trace trace = b.single() ? b.seq[0].trace : null;
        int n = b.rows;
        int pos0 = b.pos0[0];
        int d = hp.embd();
        int hc = headMixer.hc;
        long dBytes = (long) d * Float.BYTES;
        k.getRows(tokenEmbd.type, tokenEmbd.matrix(0), tokenEmbd.rowBytes, tokenEmbd.rows, d, b.tokens, n, ws.tmp);
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < hc; h++) {
                MemorySegment.copy(ws.tmp, t * dBytes, ws.x, ((long) t * hc + h) * dBytes, dBytes);
            }
        }
        if (trace != null) {
            trace.rows("embd", -1, pos0, n, ws.tmp, d);
        }
        HyperConnections.Scratch hs = ws.mixScratch;
        Object[] caches = ws.cacheArgs;
        for (int l = 0; l < blocks.length; l++) {
            Block block = blocks[l];
            for (int q = 0; q < b.sequences; q++) {
                caches[q] = b.seq[q].caches[l];
            }
            block.attnMix().collapse(k, ws.x, n, hs, ws.xn);
            k.rmsnorm(ws.xn, block.attnNorm(), d, n, hp.eps(), ws.xn);
            if (trace != null) {
                trace.rows("attn_norm", l, pos0, n, ws.xn, d);
            }
            block.attn().forward(k, b, caches, ws.attnScratch[l], ws.xn, ws.tmp, trace, l);
            block.attnMix().expand(ws.x, ws.tmp, n, hs);
            block.ffnMix().collapse(k, ws.x, n, hs, ws.xn);
            k.rmsnorm(ws.xn, block.ffnNorm(), d, n, hp.eps(), ws.xn);
            if (trace != null) {
                trace.rows("ffn_norm", l, pos0, n, ws.xn, d);
            }
            block.ffn().forward(k, b, ws.ffnScratch[l], ws.xn, ws.tmp, trace, l);
            if (trace != null) {
                trace.rows("ffn_out", l, pos0, n, ws.tmp, d);
            }
            block.ffnMix().expand(ws.x, ws.tmp, n, hs);
            if (trace != null) {
                trace.rows("l_out", l, pos0, n, ws.x, (long) hc * d);
            }
        }
        for (int q = 0; q < b.sequences; q++) {
            b.seq[q].advance(b.count[q]);
        }
        logits(k, ws, b, trace);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
    }

    /** Closes the kernel sets (the states using them are closed by now), then frees the derived tensors. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                kernelSets.close();
            } finally {
                arena.close();
            }
        }
    }

    @Override
    public String toString() {
        return hp.arch() + " '" + hp.name() + "': " + hp.layers() + " layers, D=" + hp.embd() + ", H=" + hp.heads()
                + "/" + hp.headsKv() + " × " + hp.headDimK()
                + (hp.moe() ? ", experts " + hp.expertsUsed() + "/" + hp.experts() : ", dense");
    }
}
