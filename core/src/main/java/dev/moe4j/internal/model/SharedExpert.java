package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Always-active SwiGLU experts next to the routed ones (DeepSeek, GLM-4.5, Qwen2-MoE), optionally scaled per token by
 * a learned sigmoid gate (Qwen2-MoE's {@code ffn_gate_inp_shexp}, one weight row over the hidden state):
 * {@code out += sigmoid(g·x) · FFN_shexp(x)}, or {@code out += FFN_shexp(x)} without a gate.
 */
public final class SharedExpert {
    final DenseFfn ffn;
    final Weight gate; // ffn_gate_inp_shexp: ne {D} = one row of D, or null

    SharedExpert(DenseFfn ffn, Weight gate) {
        this.ffn = ffn;
        this.gate = gate;
    }

    /** {@code <prefix>ffn_{gate,up,down}_shexp} of width {@code f}, with the gate {@code ffn_gate_inp_shexp} if present. */
    public static SharedExpert load(ModelTensors t, String prefix, int d, int f) {
        DenseFfn ffn = DenseFfn.load(t, prefix, "_shexp", d, f);
        Weight gate = t.optMatrix(prefix + "ffn_gate_inp_shexp.weight", d, 1).orElse(null);
        return new SharedExpert(ffn, gate);
    }

    int width() {
        return ffn.width();
    }

    /** These shared experts with DeepSeek-V4's clamped SwiGLU of limit {@code limit}. */
    public SharedExpert clamped(float limit) {
        return new SharedExpert(ffn.clamped(limit), gate);
    }

    /**
     * Adds the shared experts' output for {@code n} contiguous rows of {@code x} to {@code out}. {@code gateBuf},
     * {@code upBuf} hold {@code n · width()} floats, {@code tmp} {@code n · D}, {@code gateLogits} {@code n}.
     */
    void addTo(ModelKernels k, MemorySegment x, int n, MemorySegment gateBuf, MemorySegment upBuf, MemorySegment tmp,
               MemorySegment gateLogits, MemorySegment out, Trace trace, int layer, int pos0) {
        int d = ffn.down.rows;
        ffn.forward(k, x, n, gateBuf, upBuf, tmp);
        if (trace != null) {
            trace.rows("ffn_shexp", layer, pos0, n, tmp, d);
        }
        if (gate == null) {
            k.add(out, tmp, (long) n * d, out);
            return;
        }
        gate.apply(k, x, n, gateLogits);
        long rowBytes = (long) d * Float.BYTES;
        for (int t = 0; t < n; t++) {
            float g = sigmoid(gateLogits.getAtIndex(JAVA_FLOAT, t));
            k.axpy(g, t == 0 ? tmp : tmp.asSlice(t * rowBytes, rowBytes), d,
                    t == 0 ? out : out.asSlice(t * rowBytes, rowBytes));
        }
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }
}
