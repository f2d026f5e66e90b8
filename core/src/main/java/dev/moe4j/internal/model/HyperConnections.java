package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * DeepSeek-V4's hyper-connections at one site (before attention or before the FFN of a block): the residual stream is
 * {@code hc} parallel streams {@code X[hc][D]} instead of one vector, and each sublayer reads a learned mix of them
 * and writes back into all of them through a doubly stochastic mixing matrix (Sinkhorn-normalised, so no stream's
 * magnitude runs away over the layers):
 * <pre>
 * m         = W_fn · RMSNorm(flatten X)                      [(2 + hc)·hc], no norm weight
 * pre[h]    = sigmoid(m[h]·s0 + base[h]) + ε                 what the sublayer reads: Σ_h pre[h]·X[h]
 * post[h]   = 2·sigmoid(m[hc + h]·s1 + base[hc + h])         how much of the sublayer's output stream h takes
 * comb[s][d] = Sinkhorn(exp(m[2hc + d + hc·s]·s2 + base[..]))  how much of stream s flows into stream d
 * X'[d]     = post[d]·f + Σ_s comb[s][d]·X[s]                f = the sublayer's output
 * </pre>
 * Sinkhorn: a softmax over d for each s, plus ε; each column divided by its sum over s plus ε; then
 * {@code iterations − 1} times rows (over d) and columns (over s) in turn, each sum plus ε. The head collapses the streams
 * with {@link #pre} weights alone ({@code output_hc_*}, no post or comb). Shapes: GGUF {@code ne}, innermost first.
 * The mixing runs in double on the heap: it is {@code (2 + hc)·hc} numbers per token.
 */
public final class HyperConnections {
    final int hc;
    final int dim;
    final Weight fn;          // hc_{attn,ffn}_fn / output_hc_fn [hc·D, mix]
    final float[] scale;      // [3] (the head: [1])
    final float[] base;       // [mix]
    final float eps;          // the model's RMSNorm epsilon
    final float hcEps;
    final int iterations;     // 0 for the head (no comb)

    HyperConnections(int hc, int dim, Weight fn, float[] scale, float[] base, float eps, float hcEps, int iterations) {
        this.hc = hc;
        this.dim = dim;
        this.fn = fn;
        this.scale = scale;
        this.base = base;
        this.eps = eps;
        this.hcEps = hcEps;
        this.iterations = iterations;
    }

    /** The mixer of a block site: {@code blk.N.hc_<site>_{fn,scale,base}}. */
    public static HyperConnections load(ModelTensors t, String prefix, int hc, int dim, float eps, float hcEps, int iters) {
        int mix = (2 + hc) * hc;
        return new HyperConnections(hc, dim, t.matrix(prefix + "_fn.weight", (long) hc * dim, mix),
                t.floats(prefix + "_scale.weight", 3), t.floats(prefix + "_base.weight", mix), eps, hcEps, iters);
    }

    /** The head's collapse: {@code output_hc_{fn,scale,base}}, pre weights only. */
    public static HyperConnections loadHead(ModelTensors t, int hc, int dim, float eps, float hcEps) {
        return new HyperConnections(hc, dim, t.matrix("output_hc_fn.weight", (long) hc * dim, hc),
                t.floats("output_hc_scale.weight", 1), t.floats("output_hc_base.weight", hc), eps, hcEps, 0);
    }

    int mixWidth() {
        return iterations == 0 ? hc : (2 + hc) * hc;
    }

    /** Per-step buffers of one site kind. */
    static final class Scratch {
        final MemorySegment normed; // [B][hc·D] RMSNorm(flatten X)
        final MemorySegment mixes;  // [B][mix]
        final float[] pre;          // [B][hc]
        final float[] post;         // [B][hc]
        final double[] comb;        // [B][hc][hc], [s][d]
        final float[] row;          // [hc·D]
        final float[] out;          // [hc·D] (expand), [D] (collapse)
        final float[] f;            // [D]

        Scratch(int hc, int dim, int mix, int b, StateMemory mem) {
            normed = mem.floats((long) b * hc * dim);
            mixes = mem.floats((long) b * mix);
            pre = new float[b * hc];
            post = new float[b * hc];
            comb = new double[b * hc * hc];
            row = new float[hc * dim];
            out = new float[hc * dim];
            f = new float[dim];
        }
    }

    Scratch newScratch(int maxBatch, StateMemory mem) {
        return new Scratch(hc, dim, mixWidth(), maxBatch, mem);
    }

    /**
     * Mixes of {@code n} tokens' streams {@code x} ({@code n × hc × D}) and the sublayer input
     * {@code in[t] = Σ_h pre[t][h]·X[t][h]} ({@code n × D}, before the sublayer's own RMSNorm).
     */
    void collapse(ModelKernels k, MemorySegment x, int n, Scratch s, MemorySegment in) {
        int flat = hc * dim;
        int mix = mixWidth();
        // the flattened streams, RMS-normalised without a weight
        for (int t = 0; t < n; t++) {
            MemorySegment.copy(x, JAVA_FLOAT, (long) t * flat * Float.BYTES, s.row, 0, flat);
            double sq = 0;
            for (float v : s.row) {
                sq += (double) v * v;
            }
            float inv = (float) (1.0 / Math.sqrt((float) (sq / flat) + eps));
            for (int i = 0; i < flat; i++) {
                s.row[i] *= inv;
            }
            MemorySegment.copy(s.row, 0, s.normed, JAVA_FLOAT, (long) t * flat * Float.BYTES, flat);
        }
        fn.apply(k, s.normed, n, s.mixes);
        for (int t = 0; t < n; t++) {
            long m0 = (long) t * mix;
            for (int h = 0; h < hc; h++) {
                float v = s.mixes.getAtIndex(JAVA_FLOAT, m0 + h) * scale[0] + base[h];
                s.pre[t * hc + h] = sigmoid(v) + hcEps;
            }
            if (iterations > 0) {
                for (int h = 0; h < hc; h++) {
                    float v = s.mixes.getAtIndex(JAVA_FLOAT, m0 + hc + h) * scale[1] + base[hc + h];
                    s.post[t * hc + h] = 2f * sigmoid(v);
                }
                sinkhorn(s.mixes, m0 + 2L * hc, s.comb, t * hc * hc);
            }
            MemorySegment.copy(x, JAVA_FLOAT, (long) t * flat * Float.BYTES, s.row, 0, flat);
            for (int c = 0; c < dim; c++) {
                float acc = 0f;
                for (int h = 0; h < hc; h++) {
                    acc += s.pre[t * hc + h] * s.row[h * dim + c];
                }
                s.out[c] = acc;
            }
            MemorySegment.copy(s.out, 0, in, JAVA_FLOAT, (long) t * dim * Float.BYTES, dim);
        }
    }

    /** {@code comb[s][d]} from the mixes at {@code off} ({@code [2hc + d + hc·s]}). */
    private void sinkhorn(MemorySegment mixes, long off, double[] comb, int at) {
        for (int src = 0; src < hc; src++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int dst = 0; dst < hc; dst++) {
                double v = (double) mixes.getAtIndex(JAVA_FLOAT, off + dst + (long) hc * src) * scale[2]
                        + base[2 * hc + dst + hc * src];
                comb[at + src * hc + dst] = v;
                max = Math.max(max, v);
            }
            double sum = 0;
            for (int dst = 0; dst < hc; dst++) {
                double e = Math.exp(comb[at + src * hc + dst] - max);
                comb[at + src * hc + dst] = e;
                sum += e;
            }
            for (int dst = 0; dst < hc; dst++) {
                comb[at + src * hc + dst] = comb[at + src * hc + dst] / sum + hcEps;
            }
        }
        normaliseColumns(comb, at);
        for (int i = 1; i < iterations; i++) {
            for (int src = 0; src < hc; src++) {
                double sum = 0;
                for (int dst = 0; dst < hc; dst++) {
                    sum += comb[at + src * hc + dst];
                }
                for (int dst = 0; dst < hc; dst++) {
                    comb[at + src * hc + dst] /= sum + hcEps;
                }
            }
            normaliseColumns(comb, at);
        }
    }

    private void normaliseColumns(double[] comb, int at) {
        for (int dst = 0; dst < hc; dst++) {
            double sum = 0;
            for (int src = 0; src < hc; src++) {
                sum += comb[at + src * hc + dst];
            }
            for (int src = 0; src < hc; src++) {
                comb[at + src * hc + dst] /= sum + hcEps;
            }
        }
    }

    /** {@code X'[t][d] = post[t][d]·f[t] + Σ_s comb[t][s][d]·X[t][s]}, in place, for {@code n} tokens. */
    void expand(MemorySegment x, MemorySegment f, int n, Scratch s) {
        int flat = hc * dim;
        float[] old = s.row;
        for (int t = 0; t < n; t++) {
            MemorySegment.copy(x, JAVA_FLOAT, (long) t * flat * Float.BYTES, old, 0, flat);
            MemorySegment.copy(f, JAVA_FLOAT, (long) t * dim * Float.BYTES, s.f, 0, dim);
            for (int dst = 0; dst < hc; dst++) {
                float post = s.post[t * hc + dst];
                for (int c = 0; c < dim; c++) {
                    double acc = (double) post * s.f[c];
                    for (int src = 0; src < hc; src++) {
                        acc += s.comb[(t * hc + src) * hc + dst] * old[src * dim + c];
                    }
                    s.out[dst * dim + c] = (float) acc;
                }
            }
            MemorySegment.copy(s.out, 0, x, JAVA_FLOAT, (long) t * flat * Float.BYTES, flat);
        }
    }

    private static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }
}
