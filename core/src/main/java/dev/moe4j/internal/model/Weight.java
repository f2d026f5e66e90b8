package dev.moe4j.internal.model;

import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix as the kernels take it ({@code rows} rows of {@code cols} elements of {@code type}, rows
 * {@code rowBytes} apart, {@code y[r] = dot(row r, x)}), or a list of such matrices of one shape: the experts of a 3-D
 * {@code *_exps} tensor, the heads of {@code attn_k_b}. The matrices are views (of the mapped file or of memory the model
 * owns), sliced once at load so the forward pass allocates nothing.
 */
public final class Weight {
    final String name;
    final GgmlType type;
    final int rows;
    final int cols;
    final long rowBytes;
    private final MemorySegment[] matrices;

    Weight(String name, GgmlType type, int rows, int cols, long rowBytes, MemorySegment[] matrices) {
        this.name = name;
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = rowBytes;
        this.matrices = matrices.clone();
    }

    /** {@code count} matrices stored back to back in {@code data}, each {@code rows · rowBytes} bytes. */
    static Weight stacked(String name, GgmlType type, int rows, int cols, long rowBytes, int count, MemorySegment data) {
        long bytes = rows * rowBytes;
        MemorySegment[] m = new MemorySegment[count];
        for (int i = 0; i < count; i++) {
            m[i] = data.asSlice(i * bytes, bytes);
        }
        return new Weight(name, type, rows, cols, rowBytes, m);
    }

    /** Rows {@code [first, first + n)} of every matrix, as a weight of {@code n} rows (e.g. one half of a fused pair). */
    Weight rows(int first, int n) {
        if (first < 0 || n < 1 || first + n > rows) {
            throw new IllegalArgumentException(name + ": rows [" + first + ", " + (first + n) + ") of " + rows);
        }
        MemorySegment[] m = new MemorySegment[matrices.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = matrices[i].asSlice(first * rowBytes, n * rowBytes);
        }
        return new Weight(name + "[" + first + ":" + (first + n) + "]", type, n, cols, rowBytes, m);
    }

    int count() {
        return matrices.length;
    }

    MemorySegment matrix(int i) {
        return matrices[i];
    }

    /** {@code Y[t] = M_i · X[t]} for {@code n} tokens (strides in floats). */
    void apply(ModelKernels k, int i, MemorySegment x, long xStride, int n, MemorySegment y, long yStride) {
        k.matmul(type, matrices[i], rowBytes, rows, cols, x, xStride, n, y, yStride);
    }

    /** {@code Y[t] = m · X[t]} with {@code m} a copy of one of this weight's matrices (an expert slot). */
    void apply(ModelKernels k, MemorySegment m, MemorySegment x, long xStride, int n, MemorySegment y, long yStride) {
        k.matmul(type, m, rowBytes, rows, cols, x, xStride, n, y, yStride);
    }

    /**
     * One token through every matrix: {@code Y_i = M_i · X_i} with {@code X_i} at {@code x + i·xStride} and
     * {@code Y_i} at {@code y + i·yStride} (floats); one batched call where the kernels have it, else one call each.
     * {@code xs[i]}/{@code ys[i]} are the same rows as slices (for the separate calls).
     */
    void applyEach(ModelKernels k, MemorySegment x, long xStride, MemorySegment[] xs, MemorySegment y, long yStride,
                   MemorySegment[] ys) {
        if (k.matvecBatch(type, matrices, rowBytes, rows, cols, matrices.length, x, xStride, y, yStride)) {
            return;
        }
        for (int i = 0; i < matrices.length; i++) {
            apply(k, i, xs[i], cols, 1, ys[i], rows);
        }
    }

    /** {@code Y[t] = M · X[t]} for a single matrix on contiguous rows. */
    void apply(ModelKernels k, MemorySegment x, int n, MemorySegment y) {
        k.matmul(type, matrices[0], rowBytes, rows, cols, x, cols, n, y, rows);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + count() + " × [" + rows + " × " + cols + "]";
    }
}
