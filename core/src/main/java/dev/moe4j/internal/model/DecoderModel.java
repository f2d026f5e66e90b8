package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The pre-norm decoder that {@code llama}, {@code qwen2}, {@code qwen3}, {@code qwen2moe}, {@code qwen3moe} and
 * {@code olmoe} share, in llama.cpp's graph:
 * <pre>
 * h = E[token]
 * for each layer:  h += GQA(RMSNorm(h));  h += FFN(RMSNorm(h))     FFN = SwiGLU, or routed experts (+ shared expert)
 * logits = W_out · RMSNorm(h)                                      W_out = token_embd when the file has no output
 * </pre>
 * What an architecture chooses (rope mode, q/k norms, biases, which FFN and router) is decided by its class
 * ({@link LlamaModel}, {@link Qwen2Model}, ...) when it builds the {@link Layer}s; the forward pass here is the same for
 * all. Shapes are GGUF {@code ne}, innermost first; D = hidden, V = vocabulary.
 */
final class DecoderModel implements LanguageModel, MoeModel {

    /** One transformer block: attention, then either a dense FFN or routed experts with an optional shared expert. */
    record Layer(MemorySegment attnNorm, // attn_norm [D]
                 GqaAttention attn,
                 MemorySegment ffnNorm,  // ffn_norm  [D]
                 DenseFfn dense,         // dense layers, else null
                 MoeFfn moe,             // MoE layers, else null
                 SharedExpert shared) {  // MoE layers that have one, else null
        Layer {
            if ((dense == null) == (moe == null) || (shared != null && moe == null)) {
                throw new IllegalArgumentException("a layer has either a dense FFN or routed experts (+ shared)");
            }
        }
    }

    /** Builds layer {@code l} of an architecture from the file's tensors. */
    @FunctionalInterface
    interface LayerLoader {
        Layer load(ModelTensors t, DecoderConfig c, RotaryEmbedding rope, int l);
    }

    final DecoderConfig cfg;
    private final ModelConfig config;
    private final ModelOptions options;
    private final Arena arena; // tensors converted at load (non-f32 norms)
    private final RotaryEmbedding rope;
    private final Weight tokenEmbd;         // token_embd  [D, V]
    private final MemorySegment outputNorm; // output_norm [D]
    private final Weight output;            // output      [D, V], or token_embd
    private final Layer[] layers;
    private final int ffnScratchWidth;
    private volatile boolean closed;

    private DecoderModel(DecoderConfig cfg, ModelConfig config, ModelOptions options, Arena arena,
                         RotaryEmbedding rope, Weight tokenEmbd, MemorySegment outputNorm, Weight output,
                         Layer[] layers) {
        this.cfg = cfg;
        this.config = config;
        this.options = options;
        this.arena = arena;
        this.rope = rope;
        this.tokenEmbd = tokenEmbd;
        this.outputNorm = outputNorm;
        this.output = output;
        this.layers = layers;
        int f = 1;
        for (Layer l : layers) {
            f = Math.max(f, l.dense() != null ? l.dense().width() : l.shared() != null ? l.shared().width() : 1);
        }
        this.ffnScratchWidth = f;
    }

    // ---- loading ------------------------------------------------------------------------------------------------

    /**
     * Loads a decoder of architecture {@code arch}: the common hyper-parameters and tensors here, each layer through
     * {@code layers}.
     *
     * @param ropeMode        the architecture's rotary mode ({@code RopeParams.MODE_NORM} or {@code MODE_NEOX})
     * @param ropeFreqFactors whether the architecture uses {@code rope_freqs.weight} when the file has it (Llama 3)
     * @throws ModelFormatException if the metadata or a tensor does not fit the architecture (the message names it)
     */
    static DecoderModel load(GgufFile file, ModelOptions options, String arch, int ropeMode, boolean ropeFreqFactors,
                             LayerLoader layers) {
        Arena arena = Arena.ofShared();
        try {
            return load(file, options, arch, ropeMode, ropeFreqFactors, layers, arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static DecoderModel load(GgufFile file, ModelOptions options, String arch, int ropeMode,
                                     boolean ropeFreqFactors, LayerLoader loader, Arena arena) {
        ModelTensors t = new ModelTensors(file, arena, options);
        var md = file.metadata();
        DecoderConfig c = DecoderConfig.read(md, arch, ropeMode, t.source());
        int d = c.embd();
        long vocabRows = file.tensor("token_embd.weight").map(x -> x.dim(1)).orElse(0L);
        if (vocabRows > Integer.MAX_VALUE) {
            throw new ModelFormatException(t.source() + ": token_embd.weight has " + vocabRows + " rows", -1);
        }
        int vocab = (int) vocabRows;
        var vocabKey = md.optInt(arch + ".vocab_size");
        if (vocabKey.isPresent() && vocabKey.get() != vocab) {
            throw new ModelFormatException(t.source() + ": " + arch + ".vocab_size = " + vocabKey.get()
                    + " but token_embd.weight has " + vocab + " rows", md.offset(arch + ".vocab_size"));
        }
        Weight tokenEmbd = t.matrix("token_embd.weight", d, vocab);
        Weight output = t.optMatrix("output.weight", d, vocab).orElse(tokenEmbd);
        MemorySegment outputNorm = t.vector("output_norm.weight", d);
        float[] factors = ropeFreqFactors && t.has("rope_freqs.weight")
                ? t.floats("rope_freqs.weight", c.ropeDim() / 2) : null;
        RotaryEmbedding rope = new RotaryEmbedding(c.rope(), c.ropeDim(), factors);

        Layer[] layers = new Layer[c.layers()];
        for (int l = 0; l < c.layers(); l++) {
            layers[l] = loader.load(t, c, rope, l);
        }
        ModelConfig config = new ModelConfig(arch, c.name(), vocab, c.contextLength(), d, c.layers(),
                md.optInt("tokenizer.ggml.bos_token_id").orElse(-1), md.optInt("tokenizer.ggml.eos_token_id").orElse(-1),
                (long) c.layers() * (c.kvWidthK() + c.kvWidthV()) * Float.BYTES);
        return new DecoderModel(c, config, options, arena, rope, tokenEmbd, outputNorm, output, layers);
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

    /** Floats per token the dense / shared-expert hidden buffers need. */
    int ffnScratchWidth() {
        return ffnScratchWidth;
    }

    RotaryEmbedding rope() {
        return rope;
    }

    Layer layer(int l) {
        return layers[l];
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
        return new DecoderState(this, contextLength, Math.min(options.maxBatch(), contextLength),
                options.createKernels(options.threads()));
    }

    @Override
    public void forward(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut) {
        DecoderState s = check(state, tokens, offset, count, logitsOut, 1);
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
        DecoderState s = check(state, tokens, offset, count, logitsOut, count);
        for (int done = 0; done < count; ) {
            int n = Math.min(s.maxBatch, count - done);
            step(s, tokens, offset + done, n, logitsOut, done);
            done += n;
        }
    }

    /** Validates everything before the state is touched, so a bad call changes nothing. */
    private DecoderState check(InferenceState state, int[] tokens, int offset, int count, float[] logitsOut, int rows) {
        checkOpen();
        if (!(state instanceof DecoderState s) || s.model != this) {
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
    private void step(DecoderState s, int[] tokens, int off, int n, float[] logitsOut, int firstRow) {
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
            k.rmsnorm(s.x, layer.attnNorm(), d, n, cfg.eps(), s.xn);
            if (trace != null) {
                trace.rows("attn_norm", l, pos0, n, s.xn, d);
            }
            layer.attn().forward(k, s, l, n, pos0);
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
                    layer.shared().addTo(k, s.xn, n, s.ffnGate, s.ffnUp, s.tmp2, s.shexpGate, s.tmp, trace, l, pos0);
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
        return cfg.arch() + " '" + cfg.name() + "': " + cfg.layers() + " layers, D=" + cfg.embd() + ", H=" + cfg.heads()
                + "/" + cfg.headsKv() + " × " + cfg.headDimK()
                + (cfg.moe() ? ", experts " + cfg.expertsUsed() + "/" + cfg.experts() : ", dense");
    }
}
