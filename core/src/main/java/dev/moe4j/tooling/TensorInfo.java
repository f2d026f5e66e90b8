package dev.moe4j.tooling;

import dev.moe4j.internal.model.ExpertTensorNames;

import java.util.List;
import java.util.Objects;

/**
 * A tensor of a GGUF file as its tensor info describes it (no data).
 *
 * @param name     the GGUF name, e.g. {@code blk.0.ffn_down_exps.weight}
 * @param type     the data type
 * @param dims     the dimensions, innermost (row length) first, as GGUF stores them; unmodifiable
 * @param byteSize bytes of data: rows times {@code rowBytes}
 * @param rowBytes bytes of one row of {@code dims.get(0)} elements
 */
public record TensorInfo(String name, TensorType type, List<Long> dims, long byteSize, long rowBytes) {
    /**
     * Checks and copies the components.
     *
     * @param name     the GGUF name
     * @param type     the data type
     * @param dims     the dimensions, innermost first (copied)
     * @param byteSize bytes of data
     * @param rowBytes bytes of one row
     * @throws NullPointerException if {@code name}, {@code type}, {@code dims} or one of the dims is null
     */
    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = List.copyOf(dims);
    }

    /**
     * Whether this tensor holds routed experts (stacked {@code blk.N.ffn_*_exps} weights and biases, or the per-expert
     * {@code blk.N.ffn_{gate,up,down}.E.weight} of old files), by the same definition the engine loads them with.
     *
     * @return true for a routed-expert tensor
     */
    public boolean routedExperts() {
        return ExpertTensorNames.isRouted(name);
    }

    /**
     * Dimension {@code i} (0 = the row length); 1 beyond the tensor's rank, as in ggml.
     *
     * @param i the dimension's index, from 0 (innermost)
     * @return the dimension's size
     */
    public long dim(int i) {
        return i < dims.size() ? dims.get(i) : 1;
    }
}
