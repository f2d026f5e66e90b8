package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

/**
 * The SwiGLU feed-forward block shared by most architectures: {@code y = W_down · (silu(W_gate · x) ⊙ (W_up · x))}.
 * DeepSeek uses it for the leading dense layers and for the shared experts (whose width is n_shared · expert width).
 */
final class DenseFfn {
    final Weight gate; // ne {D, F}: F rows of D
    final Weight up;   // ne {D, F}
    final Weight down; // ne {F, D}: D rows of F

    /** The three matrices as one-expert lists and a weight of 1, for the fused one-token call. */
    private final MemorySegment[] gateOne;
    private final MemorySegment[] upOne;
    private final MemorySegment[] downOne;
    private static final float[] WEIGHT_ONE = {1f};

    DenseFfn(Weight gate, Weight up, Weight down) {
        this.gate = gate;
        this.up = up;
        this.down = down;
        this.gateOne = new MemorySegment[] {gate.matrix(0)};
        this.upOne = new MemorySegment[] {up.matrix(0)};
        this.downOne = new MemorySegment[] {down.matrix(0)};
    }

    /** Reads {@code blk.N.ffn_{gate,up,down}<suffix>.weight} of hidden size {@code d} and width {@code f}. */
    static DenseFfn load(ModelTensors t, String prefix, String suffix, int d, int f) {
        return new DenseFfn(t.matrix(prefix + "ffn_gate" + suffix + ".weight", d, f),
                t.matrix(prefix + "ffn_up" + suffix + ".weight", d, f),
                t.matrix(prefix + "ffn_down" + suffix + ".weight", f, d));
    }

    /** Hidden width F. */
    int width() {
        return gate.rows;
    }

    /**
     * {@code out[t] = FFN(x[t])} for {@code n} contiguous rows; {@code gateBuf} and {@code upBuf} hold at least
     * {@code n · width()} floats. {@code out} must not alias {@code x}.
     */
    void forward(ModelKernels k, MemorySegment x, int n, MemorySegment gateBuf, MemorySegment upBuf, MemorySegment out) {
        // one token: the fused expert call with one expert of weight 1 (1 · y + 0 is y exactly): two pool runs, not three
        if (n == 1 && gate.type == up.type && gate.rowBytes == up.rowBytes && k.moeExperts(gate.type, down.type,
                gate.cols, width(), 1, gateOne, upOne, downOne, gate.rowBytes, down.rowBytes, WEIGHT_ONE, x, out)) {
            return;
        }
        gate.apply(k, x, n, gateBuf);
        up.apply(k, x, n, upBuf);
        k.swiglu(gateBuf, upBuf, (long) n * width(), gateBuf);
        down.apply(k, gateBuf, n, out);
    }
}
