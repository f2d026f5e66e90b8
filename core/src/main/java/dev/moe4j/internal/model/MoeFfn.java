package dev.moe4j.internal.model;

import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.RoutingListener;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * The routed-experts half of a Mixture-of-Experts feed-forward block: a router picks {@code k} experts per token and
 * the output is the weighted sum of those experts' SwiGLU FFNs. (Shared experts, where an architecture has them, are a
 * separate {@link DenseFfn} the model adds.)
 *
 * <p>Only the chosen experts' weights are read: expert {@code e} of a 3-D {@code *_exps} tensor is its own matrix slice.
 * For a batch, tokens are grouped by expert so each chosen expert's weights are streamed once for all of its tokens.
 */
final class MoeFfn {
    /** Prefetch only for small batches (decoding): a long prompt needs most experts of every layer anyway. */
    static final int PREFETCH_MAX_TOKENS = 4;

    final Weight router;     // ffn_gate_inp: ne {D, E}
    final ExpertRouter routing;
    final Weight gateExps;   // ffn_gate_exps: ne {D, F, E}
    final Weight upExps;     // ffn_up_exps:   ne {D, F, E}
    final Weight downExps;   // ffn_down_exps: ne {F, D, E}
    /** Sees every token's choice (routing profiles, traces); null when nobody listens. Set before states run. */
    RoutingListener listener;
    /** Where the experts' bytes come from when offloaded; null: the mapped file. Set at load. */
    ExpertStore store;
    /** This layer's index among the MoE layers (the store's key space). */
    int moeIndex;
    /** The next MoE layer, whose router predicts what to prefetch; null for the last or without prefetch. */
    MoeFfn prefetchFor;

    MoeFfn(Weight router, ExpertRouter routing, Weight gateExps, Weight upExps, Weight downExps) {
        this.router = router;
        this.routing = routing;
        this.gateExps = gateExps;
        this.upExps = upExps;
        this.downExps = downExps;
    }

    /**
     * Reads the routed experts of one layer: {@code ffn_gate_inp} [D, E] and the experts in whichever layout the file
     * has: 3-D {@code ffn_{gate,up,down}_exps}, a fused {@code ffn_gate_up_exps} [D, 2F, E] (per expert, rows
     * [0, F) gate and [F, 2F) up), or the per-expert 2-D tensors {@code ffn_{gate,up,down}.E.weight} of old Mixtral
     * conversions.
     */
    static MoeFfn load(ModelTensors t, String prefix, int d, int f, ExpertRouter routing) {
        int e = routing.experts();
        Weight gate;
        Weight up;
        Weight down;
        if (t.has(prefix + "ffn_gate_up_exps.weight")) {
            Weight fused = t.stack(prefix + "ffn_gate_up_exps.weight", d, 2L * f, e);
            gate = fused.rows(0, f);
            up = fused.rows(f, f);
            down = t.stack(prefix + "ffn_down_exps.weight", f, d, e);
        } else if (!t.has(prefix + "ffn_down_exps.weight") && t.has(prefix + "ffn_down.0.weight")) {
            gate = t.list(i -> prefix + "ffn_gate." + i + ".weight", d, f, e);
            up = t.list(i -> prefix + "ffn_up." + i + ".weight", d, f, e);
            down = t.list(i -> prefix + "ffn_down." + i + ".weight", f, d, e);
        } else {
            gate = t.stack(prefix + "ffn_gate_exps.weight", d, f, e);
            up = t.stack(prefix + "ffn_up_exps.weight", d, f, e);
            down = t.stack(prefix + "ffn_down_exps.weight", f, d, e);
        }
        return new MoeFfn(t.matrix(prefix + "ffn_gate_inp.weight", d, e), routing, gate, up, down);
    }

    int hidden() {
        return router.cols;
    }

    int width() {
        return gateExps.rows;
    }

    /** Per-state buffers for batches of up to {@code maxBatch} tokens. */
    static final class Scratch {
        final MemorySegment logits;  // [B][E]
        final MemorySegment gathered; // [B][D]  inputs of one expert's tokens
        final MemorySegment gate;    // [B][F]
        final MemorySegment up;      // [B][F]
        final MemorySegment down;    // [B][D]
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
        final MemorySegment[] fusedGate; // [k] the chosen experts' matrices, for the fused one-token call
        final MemorySegment[] fusedUp;
        final MemorySegment[] fusedDown;
        final float[] fusedWeights;      // [k]

        Scratch(MoeFfn m, int maxBatch, Arena arena) {
            int e = m.routing.experts();
            int k = m.routing.used();
            int d = m.hidden();
            int f = m.width();
            logits = arena.allocate((long) maxBatch * e * Float.BYTES, 64);
            gathered = arena.allocate((long) maxBatch * d * Float.BYTES, 64);
            gate = arena.allocate((long) maxBatch * f * Float.BYTES, 64);
            up = arena.allocate((long) maxBatch * f * Float.BYTES, 64);
            down = arena.allocate((long) maxBatch * d * Float.BYTES, 64);
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

    /**
     * {@code out[t] = Σ_j w_tj · Expert_{e_tj}(x[t])} for {@code n} contiguous rows of {@code x}; {@code out} is
     * overwritten and must not alias {@code x}.
     */
    void forward(ModelKernels k, MemorySegment x, int n, Scratch s, MemorySegment out, Trace trace, int layer,
                 int pos0) {
        int e = routing.experts();
        int used = routing.used();
        int d = hidden();
        int f = width();

        router.apply(k, x, n, s.logits);
        MemorySegment.copy(s.logits, JAVA_FLOAT, 0, s.logitsHeap, 0, n * e);
        for (int t = 0; t < n; t++) {
            routing.route(s.logitsHeap, t * e, s.chosen, s.weights, t * used, s.work);
            if (listener != null) {
                listener.onRouted(layer, pos0 + t, s.chosen, t * used, used);
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

        if (n == 1 && store == null && forwardFused(k, x, s, out)) {
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
                if (prefetchFor != null && n <= PREFETCH_MAX_TOKENS) {
                    prefetchNext(k, x, n, s, cursor);
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
                    k.swiglu(s.gate, s.up, (long) m * f, s.gate);
                    downExps.apply(k, ex, s.gate, f, m, s.down, d);
                } else {
                    MemorySegment[] slot = cursor.take(ex); // waits only for a miss
                    gateExps.apply(k, slot[0], in, d, m, s.gate, f);
                    upExps.apply(k, slot[1], in, d, m, s.up, f);
                    k.swiglu(s.gate, s.up, (long) m * f, s.gate);
                    downExps.apply(k, slot[2], s.gate, f, m, s.down, d);
                    cursor.done(ex);
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
    private void prefetchNext(ModelKernels k, MemorySegment x, int n, Scratch s, ExpertStore.Cursor cursor) {
        MoeFfn next = prefetchFor;
        int e = next.routing.experts();
        int used = next.routing.used();
        next.router.apply(k, x, n, s.logits);
        MemorySegment.copy(s.logits, JAVA_FLOAT, 0, s.logitsHeap, 0, n * e);
        for (int t = 0; t < n; t++) {
            next.routing.route(s.logitsHeap, t * e, s.predicted, s.predictedWeight, t * used, s.work);
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
