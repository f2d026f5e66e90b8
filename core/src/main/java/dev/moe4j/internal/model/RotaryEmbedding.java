package dev.moe4j.internal.model;

import dev.moe4j.internal.nativeio.RopeParams;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The rotary position embedding of one model: ggml_rope_ext with the model's {@link RopeParams}, rotating the first
 * {@code nRot} dims of each head, optionally with per-pair frequency factors (Llama 3's {@code rope_freqs.weight}:
 * pair {@code i} turns at {@code theta_i / factor[i]}).
 *
 * <p>Without factors the kernels' {@link ModelKernels#rope} does the work. The kernels have no factor argument, so with
 * factors the rotation runs here in Java, following ggml's arithmetic: the angle of pair {@code i} is built by the same
 * float recurrence ({@code theta *= base^(-2/nRot)} from {@code theta = position}), divided by the factor, then YaRN-mixed;
 * cos/sin are evaluated in double and rounded to float. That is a few hundred multiply-adds per head and token, next to
 * matrix products of millions.
 *
 * <p>Immutable; the caller supplies the scratch ({@link #scratchSize()} floats) so that models stay shareable.
 */
public final class RotaryEmbedding {
    private final RopeParams params;
    private final int nRot;
    private final float[] factors; // [nRot/2] or null
    private final float thetaScale;
    private final float corrLow;
    private final float corrHigh;

    /**
     * @param factors frequency divisor per rotated pair ({@code nRot/2} values), or null for none
     * @throws IllegalArgumentException if {@code nRot} is not even and positive or the factors do not fit it
     */
    public RotaryEmbedding(RopeParams params, int nRot, float[] factors) {
        if (nRot < 2 || nRot % 2 != 0) {
            throw new IllegalArgumentException("rotary dims must be even and positive, got " + nRot);
        }
        if (factors != null && factors.length != nRot / 2) {
            throw new IllegalArgumentException(factors.length + " rope frequency factors for " + nRot / 2 + " pairs");
        }
        this.params = params;
        this.nRot = nRot;
        this.factors = factors == null ? null : factors.clone();
        this.thetaScale = (float) Math.pow(params.freqBase(), -2.0f / nRot);
        // ggml_rope_yarn_corr_dims: the pair range over which YaRN blends interpolated and original angles
        this.corrLow = (float) Math.max(0, Math.floor(corrDim(params.betaFast())));
        this.corrHigh = (float) Math.min(nRot - 1, Math.ceil(corrDim(params.betaSlow())));
    }

    /** Floats of scratch {@link #apply} needs. */
    int scratchSize() {
        return nRot;
    }

    /**
     * Rotates {@code nHeads} heads ({@code headStride} floats apart) of {@code nTokens} tokens ({@code tokenStride}
     * floats apart) in place; token {@code t} is at position {@code positions[t]} (i32).
     */
    void apply(ModelKernels k, MemorySegment x, int nTokens, long tokenStride, int nHeads, long headStride,
               MemorySegment positions, float[] scratch) {
        if (factors == null) {
            k.rope(x, nTokens, tokenStride, nHeads, headStride, nRot, positions, params);
            return;
        }
        int half = nRot / 2;
        boolean neox = params.mode() == RopeParams.MODE_NEOX;
        for (int t = 0; t < nTokens; t++) {
            angles(positions.getAtIndex(JAVA_INT, t), scratch);
            for (int h = 0; h < nHeads; h++) {
                long base = t * tokenStride + h * headStride;
                for (int i = 0; i < half; i++) {
                    long a = base + (neox ? i : 2L * i);
                    long b = base + (neox ? i + half : 2L * i + 1);
                    float cos = scratch[2 * i];
                    float sin = scratch[2 * i + 1];
                    float x0 = x.getAtIndex(JAVA_FLOAT, a);
                    float x1 = x.getAtIndex(JAVA_FLOAT, b);
                    x.setAtIndex(JAVA_FLOAT, a, x0 * cos - x1 * sin);
                    x.setAtIndex(JAVA_FLOAT, b, x0 * sin + x1 * cos);
                }
            }
        }
    }

    /** {@code out[2i], out[2i+1]} = cos, sin (magnitude included) of pair {@code i} at {@code pos}: rope_yarn. */
    void angles(int pos, float[] out) {
        float theta = pos;
        for (int i = 0; i < nRot / 2; i++) {
            float extrap = factors == null ? theta : theta / factors[i];
            float interp = params.freqScale() * extrap;
            float angle = interp;
            float mscale = params.attnFactor();
            if (params.extFactor() != 0f) {
                float y = (i - corrLow) / Math.max(0.001f, corrHigh - corrLow);
                float mix = (1f - Math.min(1f, Math.max(0f, y))) * params.extFactor();
                angle = interp * (1f - mix) + extrap * mix;
                mscale *= 1f + 0.1f * (float) Math.log(1f / params.freqScale());
            }
            out[2 * i] = (float) Math.cos(angle) * mscale;
            out[2 * i + 1] = (float) Math.sin(angle) * mscale;
            theta *= thetaScale;
        }
    }

    /** The dimension whose wavelength spans {@code rotations} turns over the original context (ggml's formula). */
    private double corrDim(float rotations) {
        return nRot * Math.log(params.nCtxOrig() / (rotations * 2 * Math.PI)) / (2 * Math.log(params.freqBase()));
    }
}
