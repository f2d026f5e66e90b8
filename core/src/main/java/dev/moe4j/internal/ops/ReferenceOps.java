package dev.moe4j.internal.ops;

import dev.moe4j.internal.nativeio.RopeParams;

/**
 * Plain scalar Java versions of the row/element-wise ops of {@code moe4j.h} ({@code moe_op_*}): the reference the
 * native kernels are tested against, written for clarity, not speed.
 *
 * <p>Arithmetic follows ggml's CPU ops operation by operation in {@code float} (Java float arithmetic is IEEE and
 * strict), with these deliberate points: rmsnorm sums the float squares in {@code double}; softmax sums in
 * {@code double} and multiplies by the float of {@code 1/sum}; RoPE angles are a running float product (see
 * {@link #rope}). Transcendentals are {@link Math} in double rounded to float, i.e. correctly rounded float results in
 * all but rare cases, where libm's {@code expf/sinf/cosf} may differ by one unit in the last place.
 *
 * <p>Arrays are dense rows, index 0 first. Stateless and thread-safe. Arguments are assumed valid (the native entry
 * points are where bad arguments are rejected); out-of-range indices throw {@link ArrayIndexOutOfBoundsException}.
 */
public final class ReferenceOps {
    private ReferenceOps() {}

    /**
     * {@code out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight} for {@code rows} rows of {@code n}.
     *
     * @param weight {@code n} factors, or null for none
     * @param out    may be {@code x}
     */
    public static void rmsnorm(float[] x, float[] weight, int n, int rows, float eps, float[] out) {
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                float v = x[base + i];
                sum += v * v; // squared in float, summed in double
            }
            float mean = (float) (sum / n);
            float scale = 1.0f / (float) Math.sqrt(mean + eps);
            for (int i = 0; i < n; i++) {
                float v = x[base + i] * scale;
                out[base + i] = weight == null ? v : v * weight[i];
            }
        }
    }

    /**
     * The YaRN correction range {@code {low, high}} in pair indices: where the extrapolated angle starts fading out and
     * where the interpolated one has fully taken over (ggml_rope_yarn_corr_dims, float arithmetic).
     */
    public static float[] yarnCorrDims(int nRot, int nCtxOrig, float freqBase, float betaFast, float betaSlow) {
        float start = (float) Math.floor(yarnCorrDim(nRot, nCtxOrig, betaFast, freqBase));
        float end = (float) Math.ceil(yarnCorrDim(nRot, nCtxOrig, betaSlow, freqBase));
        return new float[] {Math.max(0f, start), Math.min(nRot - 1, end)};
    }

    /** The pair index whose wavelength makes {@code beta} rotations over {@code nCtxOrig} positions. */
    private static float yarnCorrDim(int nRot, int nCtxOrig, float beta, float freqBase) {
        float ratio = nCtxOrig / (beta * 2f * (float) Math.PI);
        return nRot * logf(ratio) / (2f * logf(freqBase));
    }

    /**
     * In-place rotary embedding with ggml_rope_ext semantics; x holds {@code nTokens} tokens ({@code tokenStride}
     * floats apart) of {@code nHeads} heads ({@code headStride} apart), of which the first {@code nRot} dims rotate.
     *
     * <p>Angles as ggml computes them: {@code theta_scale = powf(freq_base, -2/n_rot)}; the extrapolated angle of
     * pair 0 is the position as a float, that of pair j+1 is that of pair j times theta_scale (rounded each time);
     * {@code theta_interp = freq_scale * theta_extrap}; with {@code ext_factor != 0} the two are blended by
     * {@code mix = ramp(j) * ext_factor}, {@code ramp(j) = 1 - clamp((j - low) / max(0.001, high - low), 0, 1)}, and
     * cos/sin carry {@code mscale = attn_factor * (1 + 0.1 ln(1/freq_scale))}; otherwise the angle is theta_interp
     * and mscale is attn_factor. NORM rotates pairs (2j, 2j+1), NEOX pairs (j, j + nRot/2).
     */
    public static void rope(float[] x, int nTokens, int tokenStride, int nHeads, int headStride, int nRot,
                            int[] positions, RopeParams p) {
        int pairs = nRot / 2;
        float thetaScale = powf(p.freqBase(), -2.0f / nRot);
        boolean yarn = p.extFactor() != 0f;
        float mscale = yarn ? p.attnFactor() * (1.0f + 0.1f * logf(1.0f / p.freqScale())) : p.attnFactor();
        float[] corr = yarn ? yarnCorrDims(nRot, p.nCtxOrig(), p.freqBase(), p.betaFast(), p.betaSlow())
                : new float[2];
        float[] cos = new float[pairs];
        float[] sin = new float[pairs];
        for (int t = 0; t < nTokens; t++) {
            float thetaExtrap = positions[t];
            for (int j = 0; j < pairs; j++) {
                float thetaInterp = p.freqScale() * thetaExtrap;
                float theta = thetaInterp;
                if (yarn) {
                    float y = (j - corr[0]) / Math.max(0.001f, corr[1] - corr[0]);
                    float mix = (1f - Math.min(1f, Math.max(0f, y))) * p.extFactor();
                    theta = thetaInterp * (1f - mix) + thetaExtrap * mix;
                }
                cos[j] = (float) Math.cos(theta) * mscale;
                sin[j] = (float) Math.sin(theta) * mscale;
                thetaExtrap *= thetaScale;
            }
            for (int h = 0; h < nHeads; h++) {
                int head = t * tokenStride + h * headStride;
                for (int j = 0; j < pairs; j++) {
                    int a = p.mode() == RopeParams.MODE_NEOX ? head + j : head + 2 * j;
                    int b = p.mode() == RopeParams.MODE_NEOX ? head + j + pairs : head + 2 * j + 1;
                    float x0 = x[a];
                    float x1 = x[b];
                    x[a] = x0 * cos[j] - x1 * sin[j];
                    x[b] = x0 * sin[j] + x1 * cos[j];
                }
            }
        }
    }

    /**
     * In-place softmax of {@code rows} rows of {@code n} after multiplying by {@code scale} (> 0). -inf entries give 0;
     * a row of only -inf gives zeros (NaN entries stay NaN); a NaN or +inf in a row with a finite entry makes the row
     * NaN.
     */
    public static void softmax(float[] x, int n, int rows, float scale) {
        for (int r = 0; r < rows; r++) {
            int base = r * n;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                x[base + i] *= scale;
                if (x[base + i] > max) {
                    max = x[base + i];
                }
            }
            if (max == Float.NEGATIVE_INFINITY) {
                for (int i = 0; i < n; i++) {
                    x[base + i] = Float.isNaN(x[base + i]) ? Float.NaN : 0f;
                }
                continue;
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                x[base + i] = expf(x[base + i] - max);
                sum += x[base + i];
            }
            float inv = (float) (1.0 / sum);
            for (int i = 0; i < n; i++) {
                x[base + i] *= inv;
            }
        }
    }

    /** {@code out[i] = gate[i] / (1 + exp(-gate[i])) * up[i]} for i in [0, n); out may be gate or up. */
    public static void swiglu(float[] gate, float[] up, int n, float[] out) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            out[i] = g / (1.0f + expf(-g)) * up[i];
        }
    }

    /**
     * Indices of the k largest of {@code x[0..n)}, best first: larger value first, NaN after every number, equal
     * values (and NaNs) by lower index. A full stable sort, deliberately unlike the native heap selection.
     */
    public static int[] topk(float[] x, int n, int k) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> {
            float va = x[a];
            float vb = x[b];
            boolean na = Float.isNaN(va);
            boolean nb = Float.isNaN(vb);
            if (na != nb) {
                return na ? 1 : -1;
            }
            if (!na && va != vb) {
                return va > vb ? -1 : 1;
            }
            return Integer.compare(a, b);
        });
        int[] idx = new int[k];
        for (int i = 0; i < k; i++) {
            idx[i] = order[i];
        }
        return idx;
    }

    /** {@code out[i] = a[i] + b[i]}. */
    public static void add(float[] a, float[] b, int n, float[] out) {
        for (int i = 0; i < n; i++) {
            out[i] = a[i] + b[i];
        }
    }

    /** {@code out[i] = x[i] * s}. */
    public static void scale(float[] x, int n, float s, float[] out) {
        for (int i = 0; i < n; i++) {
            out[i] = x[i] * s;
        }
    }

    /** {@code y[i] += a * x[i]}, the product rounded before the sum. */
    public static void axpy(float a, float[] x, int n, float[] y) {
        for (int i = 0; i < n; i++) {
            y[i] += a * x[i];
        }
    }

    static float expf(float v) {
        return (float) Math.exp(v);
    }

    static float logf(float v) {
        return (float) Math.log(v);
    }

    static float powf(float base, float exponent) {
        return (float) Math.pow(base, exponent);
    }
}
