package dev.moe4j.internal.model;

import dev.moe4j.internal.nativeio.RopeParams;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuant;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@link ModelKernels} in plain single-threaded Java: the scalar yardstick a whole forward pass can be run on, so model
 * logic is testable apart from the SIMD kernels. Dequantization and products come from {@link ReferenceQuant} (sums in
 * double); the row ops follow ggml's formulas, computed in double. Slow by design; never used by products.
 */
final class ReferenceModelKernels implements ModelKernels {

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public void matmul(GgmlType type, MemorySegment w, long rowBytes, int rows, int cols, MemorySegment x, long xStride,
                       int nTokens, MemorySegment y, long yStride) {
        float[] xs = new float[cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            ReferenceQuant.dequantizeRow(type, w, r * rowBytes, row, cols);
            for (int t = 0; t < nTokens; t++) {
                MemorySegment.copy(x, JAVA_FLOAT, t * xStride * Float.BYTES, xs, 0, cols);
                double sum = 0;
                for (int c = 0; c < cols; c++) {
                    sum += (double) row[c] * xs[c];
                }
                y.setAtIndex(JAVA_FLOAT, t * yStride + r, (float) sum);
            }
        }
    }

    @Override
    public void getRows(GgmlType type, MemorySegment table, long rowBytes, long nRows, int cols, MemorySegment ids,
                        int nIds, MemorySegment out) {
        float[] row = new float[cols];
        for (int i = 0; i < nIds; i++) {
            int id = ids.getAtIndex(JAVA_INT, i);
            if (id < 0 || id >= nRows) {
                throw new IllegalArgumentException("get_rows: id " + id + " at " + i + " is outside [0, " + nRows + ")");
            }
            ReferenceQuant.dequantizeRow(type, table, id * rowBytes, row, cols);
            MemorySegment.copy(row, 0, out, JAVA_FLOAT, (long) i * cols * Float.BYTES, cols);
        }
    }

    @Override
    public void dequantize(GgmlType type, MemorySegment src, long n, MemorySegment dst) {
        int chunk = type.blockElems() * 64;
        float[] buf = new float[chunk];
        for (long done = 0; done < n; done += chunk) {
            int len = (int) Math.min(chunk, n - done);
            ReferenceQuant.dequantizeRow(type, src, type.bytesFor(done), buf, len);
            MemorySegment.copy(buf, 0, dst, JAVA_FLOAT, done * Float.BYTES, len);
        }
    }

    @Override
    public void rmsnorm(MemorySegment x, MemorySegment weight, int n, int rows, float eps, MemorySegment out) {
        boolean scaled = !weight.equals(MemorySegment.NULL);
        for (int r = 0; r < rows; r++) {
            long base = (long) r * n;
            double ss = 0;
            for (int i = 0; i < n; i++) {
                double v = x.getAtIndex(JAVA_FLOAT, base + i);
                ss += v * v;
            }
            double inv = 1.0 / Math.sqrt(ss / n + eps);
            for (int i = 0; i < n; i++) {
                double v = x.getAtIndex(JAVA_FLOAT, base + i) * inv;
                if (scaled) {
                    v *= weight.getAtIndex(JAVA_FLOAT, i);
                }
                out.setAtIndex(JAVA_FLOAT, base + i, (float) v);
            }
        }
    }

    @Override
    public void rope(MemorySegment x, int nTokens, long tokenStride, int nHeads, long headStride, int nRot,
                     MemorySegment positions, RopeParams p) {
        // ggml's YaRN: the ramp decides, per pair, how much of the extrapolated (original) angle survives.
        double low = 0;
        double high = 0;
        if (p.extFactor() != 0) {
            low = Math.max(0, Math.floor(corrDim(nRot, p.nCtxOrig(), p.betaFast(), p.freqBase())));
            high = Math.min(nRot - 1, Math.ceil(corrDim(nRot, p.nCtxOrig(), p.betaSlow(), p.freqBase())));
        }
        int half = nRot / 2;
        for (int t = 0; t < nTokens; t++) {
            int pos = positions.getAtIndex(JAVA_INT, t);
            for (int i = 0; i < half; i++) {
                double extrap = pos * Math.pow(p.freqBase(), -2.0 * i / nRot);
                double interp = p.freqScale() * extrap;
                double theta = interp;
                double mscale = p.attnFactor();
                if (p.extFactor() != 0) {
                    double y = (i - low) / Math.max(0.001, high - low);
                    double mix = (1 - Math.min(1, Math.max(0, y))) * p.extFactor();
                    theta = interp * (1 - mix) + extrap * mix;
                    mscale *= 1 + 0.1 * Math.log(1.0 / p.freqScale());
                }
                double cos = Math.cos(theta) * mscale;
                double sin = Math.sin(theta) * mscale;
                int a = p.mode() == RopeParams.MODE_NEOX ? i : 2 * i;
                int b = p.mode() == RopeParams.MODE_NEOX ? i + half : 2 * i + 1;
                for (int h = 0; h < nHeads; h++) {
                    long base = t * tokenStride + h * headStride;
                    double x0 = x.getAtIndex(JAVA_FLOAT, base + a);
                    double x1 = x.getAtIndex(JAVA_FLOAT, base + b);
                    x.setAtIndex(JAVA_FLOAT, base + a, (float) (x0 * cos - x1 * sin));
                    x.setAtIndex(JAVA_FLOAT, base + b, (float) (x0 * sin + x1 * cos));
                }
            }
        }
    }

    /** The dimension at which a wavelength spans {@code nRotations} turns over the original context (ggml's formula). */
    private static double corrDim(int nDims, int nCtxOrig, float nRotations, float base) {
        return nDims * Math.log(nCtxOrig / (nRotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    @Override
    public void softmax(MemorySegment x, int n, int rows, float scale) {
        for (int r = 0; r < rows; r++) {
            long base = (long) r * n;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, (double) scale * x.getAtIndex(JAVA_FLOAT, base + i));
            }
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += Math.exp(scale * x.getAtIndex(JAVA_FLOAT, base + i) - max);
            }
            for (int i = 0; i < n; i++) {
                x.setAtIndex(JAVA_FLOAT, base + i, (float) (Math.exp(scale * x.getAtIndex(JAVA_FLOAT, base + i) - max) / sum));
            }
        }
    }

    @Override
    public void softmaxSinks(MemorySegment x, int n, int rows, float scale, MemorySegment sinks) {
        softmaxSinksJava(x, n, rows, scale, sinks);
    }

    /** The plain-Java softmax with sinks, in double: the yardstick of the native {@code moe_op_softmax_sinks}. */
    private static void softmaxSinksJava(MemorySegment x, int n, int rows, float scale, MemorySegment sinks) {
        for (int r = 0; r < rows; r++) {
            long base = (long) r * n;
            double sink = sinks.getAtIndex(JAVA_FLOAT, r);
            double max = sink;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, (double) scale * x.getAtIndex(JAVA_FLOAT, base + i));
            }
            double sum = Math.exp(sink - max);
            for (int i = 0; i < n; i++) {
                sum += Math.exp(scale * x.getAtIndex(JAVA_FLOAT, base + i) - max);
            }
            for (int i = 0; i < n; i++) {
                x.setAtIndex(JAVA_FLOAT, base + i, (float) (Math.exp(scale * x.getAtIndex(JAVA_FLOAT, base + i) - max) / sum));
            }
        }
    }

    @Override
    public void swigluOai(MemorySegment gate, MemorySegment up, long n, float alpha, float limit, MemorySegment out) {
        swigluOaiJava(gate, up, n, alpha, limit, out);
    }

    /** The plain-Java clamped SwiGLU, in double: the yardstick of the native {@code moe_op_swiglu_oai}. */
    private static void swigluOaiJava(MemorySegment gate, MemorySegment up, long n, float alpha, float limit,
                              MemorySegment out) {
        for (long i = 0; i < n; i++) {
            double g = Math.min(gate.getAtIndex(JAVA_FLOAT, i), limit);
            double u = Math.max(-limit, Math.min(limit, up.getAtIndex(JAVA_FLOAT, i)));
            out.setAtIndex(JAVA_FLOAT, i, (float) (g / (1 + Math.exp(-alpha * g)) * (u + 1)));
        }
    }

    @Override
    public void swiglu(MemorySegment gate, MemorySegment up, long n, MemorySegment out) {
        for (long i = 0; i < n; i++) {
            double g = gate.getAtIndex(JAVA_FLOAT, i);
            out.setAtIndex(JAVA_FLOAT, i, (float) (g / (1 + Math.exp(-g)) * up.getAtIndex(JAVA_FLOAT, i)));
        }
    }

    @Override
    public void axpy(float a, MemorySegment x, int n, MemorySegment y) {
        for (int i = 0; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, i, y.getAtIndex(JAVA_FLOAT, i) + a * x.getAtIndex(JAVA_FLOAT, i));
        }
    }

    @Override
    public void add(MemorySegment a, MemorySegment b, long n, MemorySegment out) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT, i, a.getAtIndex(JAVA_FLOAT, i) + b.getAtIndex(JAVA_FLOAT, i));
        }
    }

    @Override
    public void close() {
        // nothing to release
    }
}
