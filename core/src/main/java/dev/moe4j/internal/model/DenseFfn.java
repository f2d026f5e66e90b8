package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

/**
 * The SwiGLU feed-forward block shared by most architectures: {@code y = W_down · (silu(W_gate · x) ⊙ (W_up · x))}.
 * A block's FFN in dense models and in the leading dense blocks of MoE models, and the body of a {@link SharedExpert}
 * (whose width is n_shared · expert width).
 */
public final class DenseFfn implements FeedForward {
    final Weight gate; // ne {D, F}: F rows of D
    final Weight up;   // ne {D, F}
    final Weight down; // ne {F, D}: D rows of F

    /** The three matrices as one-expert lists and a weight of 1, for the fused one-token call. */
    private final MemorySegment[] gateOne;
    private final MemorySegment[] upOne;
    private final MemorySegment[] downOne;
    private static final float[] WEIGHT_ONE = {1f};
    /** DeepSeek-V4's SwiGLU clamp ({@link MoeFfn.Activation#clamped}), or 0 for plain SwiGLU. */
    final float clamp;

    DenseFfn(Weight gate, Weight up, Weight down) {
        this(gate, up, down, 0f);
    }

    private DenseFfn(Weight gate, Weight up, Weight down, float clamp) {
        this.clamp = clamp;
        this.gate = gate;
        this.up = up;
        this.down = down;
        this.gateOne = new MemorySegment[] {gate.matrix(0)};
        this.upOne = new MemorySegment[] {up.matrix(0)};
        this.downOne = new MemorySegment[] {down.matrix(0)};
    }

    /** Reads {@code <prefix>ffn_{gate,up,down}<suffix>.weight} of hidden size {@code d} and width {@code f}. */
    public static DenseFfn load(ModelTensors t, String prefix, String suffix, int d, int f) {
        return new DenseFfn(t.matrix(prefix + "ffn_gate" + suffix + ".weight", d, f),
                t.matrix(prefix + "ffn_up" + suffix + ".weight", d, f),
                t.matrix(prefix + "ffn_down" + suffix + ".weight", f, d));
    }

    /** The same FFN with DeepSeek-V4's clamped SwiGLU {@code silu(min(g, L))·clamp(u, −L, L)}. */
    DenseFfn clamped(float limit) {
        return new DenseFfn(gate, up, down, limit);
    }

    /** Hidden width F. */
    int width() {
        return gate.rows;
    }

    private record ScratchKey(int width) {}

    /** Buffers of the hidden activations. */
    record Scratch(MemorySegment gate, MemorySegment up) {}

    @Override
    public Object scratchKey() {
        return new ScratchKey(width());
    }

    @Override
    public Object newScratch(int maxBatch, StateMemory mem) {
        return new Scratch(mem.floats((long) maxBatch * width()), mem.floats((long) maxBatch * width()));
    }

    @Override
    public void forward(ModelKernels k, Batch b, Object scratch, MemorySegment xn, MemorySegment out, Trace trace,
                        int layer) {
        Scratch s = (Scratch) scratch;
        forward(k, xn, b.rows, s.gate(), s.up(), out);
    }

    /**
     * {@code out[t] = FFN(x[t])} for {@code n} contiguous rows; {@code gateBuf} and {@code upBuf} hold at least
     * {@code n · width()} floats. {@code out} must not alias {@code x}.
     */
    void forward(ModelKernels k, MemorySegment x, int n, MemorySegment gateBuf, MemorySegment upBuf, MemorySegment out) {
        // one token: the fused expert call with one expert of weight 1 (1 · y + 0 is y exactly): two pool runs, not three
        if (n == 1 && clamp == 0f && gate.type == up.type && gate.rowBytes == up.rowBytes && k.moeExperts(gate.type, down.type,
                gate.cols, width(), 1, gateOne, upOne, downOne, gate.rowBytes, down.rowBytes, WEIGHT_ONE, x, out)) {
            return;
        }
        gate.apply(k, x, n, gateBuf);
        up.apply(k, x, n, upBuf);
        if (clamp != 0f) {
            MoeFfn.Activation.clampInputs(gateBuf, upBuf, (long) n * width(), clamp);
        }
        k.swiglu(gateBuf, upBuf, (long) n * width(), gateBuf);
        down.apply(k, gateBuf, n, out);
    }
}
