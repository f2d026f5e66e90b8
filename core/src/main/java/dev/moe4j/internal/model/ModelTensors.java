package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.IntFunction;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Looks up a model's tensors by name and checks each against the shape the architecture implies, so that a file which
 * does not match its own metadata fails at load with a message naming the tensor, never later inside a kernel.
 * Shapes are written ggml-style, {@code ne[0]} (the contiguous dimension) first.
 */
public final class ModelTensors {
    private final GgufFile file;
    private final Arena arena;
    private final ModelOptions options;

    /**
     * @param arena   owns what has to be converted at load (non-f32 norm vectors); lives as long as the model
     * @param options which backend computes: it decides the weight types accepted ({@link ModelOptions#computes})
     */
    ModelTensors(GgufFile file, Arena arena, ModelOptions options) {
        this.file = file;
        this.arena = arena;
        this.options = options;
    }

    public boolean has(String name) {
        return file.tensor(name).isPresent();
    }

    /** A required 2-D weight {@code ne = {cols, rows}}. */
    public Weight matrix(String name, long cols, long rows) {
        GgufTensor t = require(name, cols, rows);
        return Weight.stacked(name, computable(t), (int) rows, (int) cols, t.rowBytes(), 1, t.segment());
    }

    public Optional<Weight> optMatrix(String name, long cols, long rows) {
        return has(name) ? Optional.of(matrix(name, cols, rows)) : Optional.empty();
    }

    /** A required 3-D weight {@code ne = {cols, rows, count}}: {@code count} matrices back to back. */
    public Weight stack(String name, long cols, long rows, long count) {
        GgufTensor t = require(name, cols, rows, count);
        return Weight.stacked(name, computable(t), (int) rows, (int) cols, t.rowBytes(), (int) count, t.segment());
    }

    /**
     * {@code count} required 2-D tensors {@code name.apply(i)}, each {@code ne = {cols, rows}}, as one list of matrices:
     * the per-expert layout of old Mixtral files ({@code blk.N.ffn_gate.E.weight}), equivalent to one 3-D stack.
     */
    public Weight list(IntFunction<String> name, long cols, long rows, int count) {
        MemorySegment[] m = new MemorySegment[count];
        GgufTensor first = null;
        for (int i = 0; i < count; i++) {
            GgufTensor t = require(name.apply(i), cols, rows);
            if (first == null) {
                first = t;
                computable(t);
            } else if (t.type() != first.type() || t.rowBytes() != first.rowBytes()) {
                throw new ModelFormatException(file.path() + ": tensor '" + t.name() + "' is stored as " + t.type()
                        + " but '" + first.name() + "' as " + first.type() + "; the experts of one layer must share"
                        + " a type", t.fileOffset());
            }
            m[i] = t.segment();
        }
        return new Weight(name.apply(0) + " .. " + name.apply(count - 1), first.type(), (int) rows, (int) cols, first.rowBytes(), m);
    }

    /** A required vector of {@code n} values as f32 (converted once if the file stores another type). */
    public MemorySegment vector(String name, long n) {
        GgufTensor t = require(name, n);
        if (t.type() == GgmlType.F32) {
            return t.segment();
        }
        computable(t);
        float[] v = new float[(int) n];
        ReferenceQuant.dequantizeRow(t.type(), t.segment(), 0, v, (int) n);
        MemorySegment out = arena.allocate(n * Float.BYTES, 64);
        MemorySegment.copy(v, 0, out, JAVA_FLOAT, 0, v.length);
        return out;
    }

    public Optional<MemorySegment> optVector(String name, long n) {
        return has(name) ? Optional.of(vector(name, n)) : Optional.empty();
    }

    /**
     * A required 2-D tensor {@code ne = {n, count}} of small parameters as f32, row {@code i} at {@code i · n} floats
     * (per-expert bias vectors); converted once if the file stores another type.
     */
    public MemorySegment vectors(String name, long n, long count) {
        GgufTensor t = require(name, n, count);
        if (t.type() == GgmlType.F32) {
            return t.segment();
        }
        computable(t);
        float[] v = new float[(int) n];
        MemorySegment out = arena.allocate(n * count * Float.BYTES, 64);
        for (long i = 0; i < count; i++) {
            ReferenceQuant.dequantizeRow(t.type(), t.segment().asSlice(i * t.rowBytes(), t.rowBytes()), 0, v, (int) n);
            MemorySegment.copy(v, 0, out, JAVA_FLOAT, i * n * Float.BYTES, v.length);
        }
        return out;
    }

    /** The file's metadata (the keys a family reads beyond {@link HyperParams}). */
    public dev.moe4j.internal.gguf.GgufMetadata metadata() {
        return file.metadata();
    }

    /** Owns what a family derives at load; lives as long as the model. */
    public Arena arena() {
        return arena;
    }

    /**
     * A 2-D weight {@code ne = {cols, rows·count}} read as {@code count} matrices of {@code rows} rows, one after the
     * other: DeepSeek-V4's grouped output projection ({@code attn_output_a}), whose group g is rows
     * {@code [g·rows, (g+1)·rows)}.
     */
    public Weight groups(String name, long cols, long rows, long count) {
        GgufTensor t = require(name, cols, rows * count);
        return Weight.stacked(name, computable(t), (int) rows, (int) cols, t.rowBytes(), (int) count, t.segment());
    }

    /**
     * A required I32 table {@code ne = {cols, rows}} on the heap, every value checked to lie in {@code [0, bound)}:
     * DeepSeek-V4's token-to-experts table of hash routing ({@code ffn_gate_tid2eid}, a row per token id).
     */
    public int[] ints(String name, long cols, int bound) {
        long rows = file.tensor(name).map(x -> x.dim(1)).orElse(1L);
        if (rows * cols > Integer.MAX_VALUE / 2) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' has " + rows + " rows", -1);
        }
        GgufTensor t = require(name, cols, rows);
        if (t.type() != GgmlType.I32) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' is " + t.type() + ", expected I32",
                    t.fileOffset());
        }
        int[] v = t.segment().asSlice(0, cols * rows * Integer.BYTES).toArray(java.lang.foreign.ValueLayout.JAVA_INT);
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= bound) {
                throw new ModelFormatException(file.path() + ": tensor '" + name + "' holds " + v[i] + " at " + i
                        + ", outside [0, " + bound + ")", t.fileOffset());
            }
        }
        return v;
    }

    /** A vector copied to the heap (small per-layer parameters the Java side reads, e.g. the router bias). */
    public float[] floats(String name, long n) {
        MemorySegment s = vector(name, n);
        return s.toArray(JAVA_FLOAT);
    }

    /** The tensor with exactly the dims {@code expected} (missing trailing dims count as 1). */
    public GgufTensor require(String name, long... expected) {
        GgufTensor t = file.tensor(name).orElseThrow(() -> new ModelFormatException(
                file.path() + ": missing tensor '" + name + "' (expected shape " + Arrays.toString(expected) + ")", -1));
        boolean same = t.rank() <= Math.max(expected.length, 1);
        for (int i = 0; i < 4 && same; i++) {
            same = t.dim(i) == (i < expected.length ? expected[i] : 1);
        }
        if (!same) {
            throw new ModelFormatException(file.path() + ": tensor '" + name + "' has shape "
                    + Arrays.toString(t.dims()) + ", the model's metadata implies " + Arrays.toString(expected)
                    + " (ne[0] first)", t.fileOffset());
        }
        for (long d : expected) {
            if (d > Integer.MAX_VALUE) {
                throw new ModelFormatException(file.path() + ": tensor '" + name + "' dimension " + d
                        + " is too large", t.fileOffset());
            }
        }
        return t;
    }

    private GgmlType computable(GgufTensor t) {
        if (!options.computes(t.type())) {
            throw new ModelFormatException(file.path() + ": tensor '" + t.name() + "' is stored as " + t.type()
                    + ", which moe4j's kernels do not compute", t.fileOffset());
        }
        return t.type();
    }

    /** The file name, for messages. */
    public String source() {
        return String.valueOf(file.path());
    }
}
