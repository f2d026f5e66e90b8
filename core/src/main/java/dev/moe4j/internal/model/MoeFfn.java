package dev.moe4j.internal.model;

import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.RoutingListener;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A Mixture-of-Experts feed-forward block: a router picks {@code k} experts per token and the output is the weighted
 * sum of those experts' gated FFNs, plus optional always-active {@link SharedExpert}s:
 * <pre>
 * logits = W_router·x (+ b_router)                  ffn_gate_inp (+ ffn_gate_inp.bias: gpt-oss)
 * (e_j, w_j) = route(logits)                         {@link ExpertRouter}: softmax / sigmoid / softmax over the chosen
 * out = Σ_j w_j · (W_down[e_j]·act(W_gate[e_j]·x + b_gate, W_up[e_j]·x + b_up) + b_down)    biases: gpt-oss
 *     (+ shared(x))
 * </pre>
 * {@code act} is SwiGLU, or gpt-oss's clamped SwiGLU ({@link Activation#oai}).
 *
 * <p>Only the chosen experts' weights are read: expert {@code e} of a 3-D {@code *_exps} tensor is its own matrix
 * slice. For a batch, tokens are grouped by expert so each chosen expert's weights are streamed once for all of its
 * tokens. Where the experts' bytes come from (the mapping or an {@link ExpertStore}), who listens to routing and what
 * is prefetched is the model's {@link ExpertWiring}, given at construction.
 */
public final class MoeFfn implements FeedForward {
    /** Prefetch only for small batches (decoding): a long prompt needs most experts of every layer anyway. */
    static final int PREFETCH_MAX_TOKENS = 4;

    /**
     * The gated activation of the experts.
     *
     * @param alpha 0 for SwiGLU ({@code silu(g)·u}); else gpt-oss's {@code g·sigmoid(alpha·g)·(u + 1)} with
     *              {@code g, u} clamped by {@code limit}
     */
    public record Activation(float alpha, float limit) {
        public static final Activation SWIGLU = new Activation(0f, 0f);

        /** gpt-oss's clamped SwiGLU (llama.cpp's LLM_FFN_SWIGLU_OAI_MOE: alpha 1.702, limit 7). */
        public static Activation oai(float alpha, float limit) {
            return new Activation(alpha, limit);
        }

        /**
         * DeepSeek-V4's clamped SwiGLU {@code silu(min(g, L))·clamp(u, −L, L)} (plain SwiGLU when {@code limit} is at
         * most 1e-6, as llama.cpp applies the clamp only above that).
         */
        public static Activation clamped(float limit) {
            return limit > 1e-6f ? new Activation(0f, limit) : SWIGLU;
        }

        boolean plain() {
            return alpha == 0f && limit == 0f;
        }

        /** {@code gate = min(gate, L)}, {@code up = clamp(up, −L, L)} for {@code n} floats: the clamp before SwiGLU. */
        static void clampInputs(MemorySegment gate, MemorySegment up, long n, float limit) {
            for (long i = 0; i < n; i++) {
                gate.setAtIndex(JAVA_FLOAT, i, Math.min(gate.getAtIndex(JAVA_FLOAT, i), limit));
                up.setAtIndex(JAVA_FLOAT, i, Math.clamp(up.getAtIndex(JAVA_FLOAT, i), -limit, limit));
            }
        }
    }

    /** The per-expert bias vectors of gpt-oss: row e of each is expert e's. */
    record ExpertBiases(MemorySegment gate, MemorySegment up, MemorySegment down) {} // [E][F], [E][F], [E][D]

    final Weight router;       // ffn_gate_inp: ne {D, E}
    final float[] routerBias;  // ffn_gate_inp.bias [E], or null
    final ExpertRouter routing;
    final Weight gateExps;     // ffn_gate_exps: ne {D, F, E}
    final Weight upExps;       // ffn_up_exps:   ne {D, F, E}
    final Weight downExps;     // ffn_down_exps: ne {F, D, E}
    final ExpertBiases biases; // or null
    final Activation activation;
    final SharedExpert shared; // or null
    final ExpertWiring wiring;
    /** This layer's index among the MoE layers (the store's key space). */
    final int moeIndex;

    MoeFfn(Weight router, float[] routerBias, ExpertRouter routing, Weight gateExps, Weight upExps, Weight downExps,
           ExpertBiases biases, Activation activation, SharedExpert shared, ExpertWiring wiring) {
        this.router = router;
        this.routerBias = routerBias;
        this.routing = routing;
        this.gateExps = gateExps;
        this.upExps = upExps;
        this.downExps = downExps;
        this.biases = biases;
        this.activation = activation;
        this.shared = shared;
        this.wiring = java.util.Objects.requireNonNull(wiring, "wiring");
        this.moeIndex = wiring.register(this);
    }

    /**
     * What a family's MoE block has besides the routed experts.
     *
     * @param activation the experts' gated activation
     * @param biases     whether the router and the experts have biases ({@code ffn_gate_inp.bias},
     *                   {@code ffn_{gate,up,down}_exps.bias}: gpt-oss)
     */
    public record Options(Activation activation, boolean biases) {
        public static final Options PLAIN = new Options(Activation.SWIGLU, false);
    }

    /**
     * Reads the routed experts of one layer: {@code ffn_gate_inp} [D, E] and the experts in whichever layout the file
     * has: 3-D {@code ffn_{gate,up,down}_exps}, a fused {@code ffn_gate_up_exps} [D, 2F, E] (per expert, rows
     * [0, F) gate and [F, 2F) up), or the per-expert 2-D tensors {@code ffn_{gate,up,down}.E.weight} of old Mixtral
     * conversions; the biases {@code opt} asks for; and the shared experts, if any.
     *
     * @param shared loads the block's shared experts after the routed ones (so a file's errors are reported in tensor
     *               order), or null for none
     */
    public static MoeFfn load(ModelTensors t, String prefix, int d, int f, ExpertRouter routing, Options opt,
                              java.util.function.Supplier<SharedExpert> shared, ExpertWiring wiring) {
        int e = routing.experts();
        Weight gate;
        Weight up;
        Weight down;
        if (t.has(ExpertTensorNames.stacked(prefix, "gate_up"))) {
            Weight fused = t.stack(ExpertTensorNames.stacked(prefix, "gate_up"), d, 2L * f, e);
            gate = fused.rows(0, f);
            up = fused.rows(f, f);
            down = t.stack(ExpertTensorNames.stacked(prefix, "down"), f, d, e);
        } else if (!t.has(ExpertTensorNames.stacked(prefix, "down"))
                && t.has(ExpertTensorNames.perExpert(prefix, "down", 0))) {
            gate = t.list(i -> ExpertTensorNames.perExpert(prefix, "gate", i), d, f, e);
            up = t.list(i -> ExpertTensorNames.perExpert(prefix, "up", i), d, f, e);
            down = t.list(i -> ExpertTensorNames.perExpert(prefix, "down", i), f, d, e);
        } else {
            gate = t.stack(ExpertTensorNames.stacked(prefix, "gate"), d, f, e);
            up = t.stack(ExpertTensorNames.stacked(prefix, "up"), d, f, e);
            down = t.stack(ExpertTensorNames.stacked(prefix, "down"), f, d, e);
        }
        float[] routerBias = null;
        ExpertBiases biases = null;
        if (opt.biases()) {
            routerBias = t.floats(prefix + "ffn_gate_inp.bias", e);
            biases = new ExpertBiases(t.vectors(ExpertTensorNames.stackedBias(prefix, "gate"), f, e),
                    t.vectors(ExpertTensorNames.stackedBias(prefix, "up"), f, e),
                    t.vectors(ExpertTensorNames.stackedBias(prefix, "down"), d, e));
        }
        Weight router = t.matrix(prefix + "ffn_gate_inp.weight", d, e);
        return new MoeFfn(router, routerBias, routing, gate, up, down, biases, opt.activation(),
                shared == null ? null : shared.get(), wiring);
    }

    int hidden() {
        return router.cols;
    }

    int width() {
        return gateExps.rows;
    }

    private record ScratchKey(int experts, int used, int hidden, int width, int sharedWidth, int work) {}

    @Override
    public Object scratchKey() {
        return new ScratchKey(routing.experts(), routing.used(), hidden(), width(),
                shared == null ? 0 : shared.width(), routing.workSize());
    }

    @Override
    public Object newScratch(int maxBatch, StateMemory mem) {
        return new Scratch(this, maxBatch, mem);
    }

    /** Per-state buffers for batches of up to {@code maxBatch} tokens. */
    static final class Scratch {
        final MemorySegment logits;  // [B][E]
        final MemorySegment gathered; // [B][D]  inputs of one expert's tokens
        final MemorySegment gate;    // [B][F]
        final MemorySegment up;      // [B][F]
        final MemorySegment down;    // [B][D]
        final MemorySegment sharedGate;   // [B][F_shared]
        final MemorySegment sharedUp;     // [B][F_shared]
        final MemorySegment sharedOut;    // [B][D]
        final MemorySegment sharedLogits; // [B]
        final float[] logitsHeap;    // [B·E]
        final float[] work;
        final int[] chosen;          // [B·k] expert ids
        final float[] weights;       // [B·k]
        final int[] count;           // [E] tokens per expert
        final int[] start;           // [E+1] start of each expert's run in order[]
        final int[] order;           // [B·k] token of each (expert, token) pair, grouped by expert
        final float[] orderWeight;   // [B·k]
        final int[] predicted;       // [B·k] experts the next layer's router picks from this layer's input
        final float[] predictedWeight; // [B·k]
        ExpertStore.Cursor cursor;   // this state's side of the expert store, made on first use
        float[] prefetchWork;        // routing scratch of the next layer's router, made on first prefetch
        final MemorySegment[] fusedGate; // [k] the chosen experts' matrices, for the fused one-token call
        final MemorySegment[] fusedUp;
        final MemorySegment[] fusedDown;
        final float[] fusedWeights;      // [k]

        Scratch(MoeFfn m, int maxBatch, StateMemory mem) {
            int e = m.routing.experts();
            int k = m.routing.used();
            int d = m.hidden();
            int f = m.width();
            int fs = m.shared == null ? 0 : m.shared.width();
            logits = mem.floats((long) maxBatch * e);
            gathered = mem.floats((long) maxBatch * d);
            gate = mem.floats((long) maxBatch * f);
            up = mem.floats((long) maxBatch * f);
            down = mem.floats((long) maxBatch * d);
            sharedGate = mem.floats((long) maxBatch * fs);
            sharedUp = mem.floats((long) maxBatch * fs);
            sharedOut = mem.floats(fs == 0 ? 1 : (long) maxBatch * d);
            sharedLogits = mem.floats(maxBatch);
            logitsHeap = new float[maxBatch * e];
            work = new float[m.routing.workSize()];
            chosen = new int[maxBatch * k];
            weights = new float[maxBatch * k];
            count = new int[e];
            start = new int[e + 1];
            order = new int[maxBatch * k];
            orderWeight = new float[maxBatch * k];
            predicted = new int[maxBatch * k];
            predictedWeight = new float[maxBatch * k];
            fusedGate = new MemorySegment[k];
            fusedUp = new MemorySegment[k];
            fusedDown = new MemorySegment[k];
            fusedWeights = new float[k];
        }
    }

    @Override
    public void forward(ModelKernels k, Batch b, Object scratch, MemorySegment xn, MemorySegment out, Trace trace,
                        int layer) {
        Scratch s = (Scratch) scratch;
        int n = b.rows;
        int pos0 = b.pos0[0];
        routed(k, b, xn, n, s, out, trace, layer, pos0);
        if (shared != null) {
            shared.addTo(k, xn, n, s.sharedGate, s.sharedUp, s.sharedOut, s.sharedLogits, out, trace, layer, pos0);
        }
    }

    /**
     * {@code out[t] = Σ_j w_tj · Expert_{e_tj}(x[t])} for {@code n} contiguous rows of {@code x}; {@code out} is
     * overwritten and must not alias {@code x}.
     */
    private void routed(ModelKernels k, Batch b, MemorySegment x, int n, Scratch s, MemorySegment out, Trace trace,
                        int layer, int pos0) {
        int e = routing.experts();
        int used = routing.used();
        int d = hidden();
        int f = width();
        RoutingListener listener = wiring.listener();
        ExpertStore store = wiring.store();

        routerLogits(k, x, n, s);
        for (int t = 0; t < n; t++) {
            routing.route(b.tokens.getAtIndex(JAVA_INT, t), s.logitsHeap, t * e, s.chosen, s.weights, t * used,
                    s.work);
            if (listener != null) {
                listener.onRouted(layer, b.position[t], s.chosen, t * used, used);
            }
            if (trace != null) {
                trace.values("ffn_moe_logits", layer, pos0 + t, s.logitsHeap, t * e, e);
                trace.values("ffn_moe_probs", layer, pos0 + t, s.work, 0, e);
                trace.values("ffn_moe_selection", layer, pos0 + t, s.work, e, e);
                float[] ids = new float[used];
                for (int j = 0; j < used; j++) {
                    ids[j] = s.chosen[t * used + j];
                }
                trace.values("ffn_moe_topk", layer, pos0 + t, ids, 0, used);
                trace.values("ffn_moe_weights", layer, pos0 + t, s.weights, t * used, used);
            }
        }

        // group (token, weight) pairs by expert, tokens ascending within an expert
        java.util.Arrays.fill(s.count, 0);
        for (int i = 0; i < n * used; i++) {
            s.count[s.chosen[i]]++;
        }
        s.start[0] = 0;
        for (int i = 0; i < e; i++) {
            s.start[i + 1] = s.start[i] + s.count[i];
            s.count[i] = 0;
        }
        for (int t = 0; t < n; t++) {
            for (int j = 0; j < used; j++) {
                int ex = s.chosen[t * used + j];
                int at = s.start[ex] + s.count[ex]++;
                s.order[at] = t;
                s.orderWeight[at] = s.weights[t * used + j];
            }
        }

        if (n == 1 && store == null && biases == null && activation.plain() && forwardFused(k, x, s, out)) {
            if (trace != null) {
                trace.rows("ffn_moe_out", layer, pos0, n, out, d);
            }
            return;
        }
        zero(out, (long) n * d * Float.BYTES);
        ExpertStore.Cursor cursor = null;
        if (store != null) {
            if (s.cursor == null) {
                s.cursor = store.newCursor();
            }
            cursor = s.cursor;
        }
        long rowBytes = (long) d * Float.BYTES;
        try {
            if (cursor != null) {
                cursor.begin(moeIndex, s.count); // starts the reads of missing experts
                MoeFfn next = wiring.prefetchAfter(moeIndex);
                if (next != null && n <= PREFETCH_MAX_TOKENS) {
                    prefetchNext(k, next, x, b, s, cursor);
                }
            }
            for (int ex = 0; ex < e; ex++) { // ascending, with or without a store: the same sums in the same order
                int m = s.count[ex];
                if (m == 0) {
                    continue;
                }
                int first = s.start[ex];
                MemorySegment in;
                if (n == 1) {
                    in = x; // decode: the one token's row, no copy
                } else {
                    for (int i = 0; i < m; i++) {
                        MemorySegment.copy(x, s.order[first + i] * rowBytes, s.gathered, i * rowBytes, rowBytes);
                    }
                    in = s.gathered;
                }
                if (cursor == null) {
                    gateExps.apply(k, ex, in, d, m, s.gate, f);
                    upExps.apply(k, ex, in, d, m, s.up, f);
                    activate(k, ex, m, s);
                    downExps.apply(k, ex, s.gate, f, m, s.down, d);
                } else {
                    MemorySegment[] slot = cursor.take(ex); // waits only for a miss
                    gateExps.apply(k, slot[0], in, d, m, s.gate, f);
                    upExps.apply(k, slot[1], in, d, m, s.up, f);
                    activate(k, ex, m, s);
                    downExps.apply(k, slot[2], s.gate, f, m, s.down, d);
                    cursor.done(ex);
                }
                if (biases != null) {
                    addRowBias(k, s.down, m, biases.down(), ex, d);
                }
                for (int i = 0; i < m; i++) {
                    int t = s.order[first + i];
                    k.axpy(s.orderWeight[first + i], row(s.down, i, rowBytes), d, row(out, t, rowBytes));
                }
            }
        } finally {
            if (cursor != null) {
                cursor.end();
            }
        }
        if (trace != null) {
            trace.rows("ffn_moe_out", layer, pos0, n, out, d);
        }
    }

    /** This layer's router logits of {@code n} rows of {@code x} (+ the router bias) into {@code s.logitsHeap}. */
    private void routerLogits(ModelKernels k, MemorySegment x, int n, Scratch s) {
        int e = routing.experts();
        router.apply(k, x, n, s.logits);
        MemorySegment.copy(s.logits, JAVA_FLOAT, 0, s.logitsHeap, 0, n * e);
        if (routerBias != null) {
            for (int t = 0; t < n; t++) {
                for (int i = 0; i < e; i++) {
                    s.logitsHeap[t * e + i] += routerBias[i];
                }
            }
        }
    }

    /** {@code gate = act(gate + b_gate, up + b_up)} for the {@code m} rows of expert {@code ex}. */
    private void activate(ModelKernels k, int ex, int m, Scratch s) {
        int f = width();
        if (biases != null) {
            addRowBias(k, s.gate, m, biases.gate(), ex, f);
            addRowBias(k, s.up, m, biases.up(), ex, f);
        }
        if (activation.plain()) {
            k.swiglu(s.gate, s.up, (long) m * f, s.gate);
        } else if (activation.alpha() == 0f) { // DeepSeek-V4: clamp, then plain SwiGLU
            Activation.clampInputs(s.gate, s.up, (long) m * f, activation.limit());
            k.swiglu(s.gate, s.up, (long) m * f, s.gate);
        } else {
            k.swigluOai(s.gate, s.up, (long) m * f, activation.alpha(), activation.limit(), s.gate);
        }
    }

    /** {@code buf[i] += bias row ex} for {@code m} rows of {@code width}. */
    private static void addRowBias(ModelKernels k, MemorySegment buf, int m, MemorySegment bias, int ex, int width) {
        long rowBytes = (long) width * Float.BYTES;
        MemorySegment b = bias.asSlice(ex * rowBytes, rowBytes);
        for (int i = 0; i < m; i++) {
            MemorySegment r = row(buf, i, rowBytes);
            k.add(r, b, width, r);
        }
    }

    /**
     * Decoding with the experts in the mapped file: every chosen expert in one native call, in ascending expert order
     * (the order of the separate path, whose sums it reproduces bit for bit). False when the kernels have no fused form.
     */
    private boolean forwardFused(ModelKernels k, MemorySegment x, Scratch s, MemorySegment out) {
        if (gateExps.type != upExps.type || gateExps.rowBytes != upExps.rowBytes) {
            return false; // the fused call takes one type for gate and up
        }
        int used = 0;
        for (int ex = 0; ex < routing.experts(); ex++) {
            if (s.count[ex] > 0) {
                s.fusedGate[used] = gateExps.matrix(ex);
                s.fusedUp[used] = upExps.matrix(ex);
                s.fusedDown[used] = downExps.matrix(ex);
                s.fusedWeights[used] = s.orderWeight[s.start[ex]];
                used++;
            }
        }
        return k.moeExperts(gateExps.type, downExps.type, hidden(), width(), used, s.fusedGate, s.fusedUp,
                s.fusedDown, gateExps.rowBytes, downExps.rowBytes, s.fusedWeights, x, out);
    }

    /**
     * Predicts the next MoE layer's experts by applying its router to this layer's input (the residual stream changes
     * little from one layer to the next) and starts reading them, so the reads overlap this layer's computation.
     */
    private static void prefetchNext(ModelKernels k, MoeFfn next, MemorySegment x, Batch b, Scratch s,
                                     ExpertStore.Cursor cursor) {
        int n = b.rows;
        int e = next.routing.experts();
        int used = next.routing.used();
        next.routerLogits(k, x, n, s);
        if (s.prefetchWork == null || s.prefetchWork.length < next.routing.workSize()) {
            s.prefetchWork = new float[next.routing.workSize()]; // the next layer may route differently (V4's hash)
        }
        for (int t = 0; t < n; t++) {
            // by the token too: a hash-routed next layer (V4) is predicted exactly
            next.routing.route(b.tokens.getAtIndex(JAVA_INT, t), s.logitsHeap, t * e, s.predicted,
                    s.predictedWeight, t * used, s.prefetchWork);
        }
        cursor.prefetch(next.moeIndex, s.predicted, n * used);
    }

    /** Row {@code i} of a buffer; row 0 is the buffer itself, so decoding one token slices nothing. */
    private static MemorySegment row(MemorySegment buf, int i, long rowBytes) {
        return i == 0 ? buf : buf.asSlice(i * rowBytes, rowBytes);
    }

    private static void zero(MemorySegment buf, long bytes) {
        (buf.byteSize() == bytes ? buf : buf.asSlice(0, bytes)).fill((byte) 0);
    }
}
