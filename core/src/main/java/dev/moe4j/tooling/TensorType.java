package dev.moe4j.tooling;

import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuant;

import java.lang.foreign.MemorySegment;

/**
 * The ggml tensor data types of GGUF files, in type-id order, with their block geometry: a row of {@code n} elements
 * takes {@code n / blockElements() * blockBytes()} bytes. The constant names are ggml's ({@code Q4_K},
 * {@code IQ2_XXS}, ...). Not every type is one moe4j computes with: {@link #computable()} says which.
 */
public enum TensorType {
    F32, F16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S,
    IQ4_NL, IQ3_S, IQ2_S, IQ4_XS, I8, I16, I32, I64, F64, IQ1_M, BF16, TQ1_0, TQ2_0, MXFP4;

    private static final TensorType[] BY_INTERNAL = new TensorType[GgmlType.values().length];

    static {
        for (TensorType t : values()) {
            BY_INTERNAL[GgmlType.valueOf(t.name()).ordinal()] = t;
        }
    }

    /** The engine's type of the same name. */
    GgmlType internal() {
        return GgmlType.valueOf(name());
    }

    /** The type of the same name as the engine's {@code type}. */
    static TensorType of(GgmlType type) {
        return BY_INTERNAL[type.ordinal()];
    }

    /** The ggml type id (the GGUF tensor-info {@code type} field). */
    public int id() {
        return internal().id();
    }

    /** Elements per block (1 for scalar types). */
    public int blockElements() {
        return internal().blockElems();
    }

    /** Bytes per block. */
    public int blockBytes() {
        return internal().blockBytes();
    }

    /**
     * Bytes taken by {@code elements} elements.
     *
     * @throws IllegalArgumentException if {@code elements} is negative or not a whole number of blocks
     * @throws ArithmeticException      on overflow
     */
    public long bytesFor(long elements) {
        return internal().bytesFor(elements);
    }

    /** Whether moe4j's kernels compute with this type (a model whose weights use another type is refused). */
    public boolean computable() {
        return internal().kernels();
    }

    /**
     * Decodes {@code count} elements (whole blocks) starting at byte {@code offset} of {@code data} into
     * {@code out[0, count)} with the plain-Java reference decoder, as the kernels would see them.
     *
     * @throws IllegalArgumentException if this type has no reference decoder (not {@link #computable()}) or
     *                                  {@code count} is not a whole number of blocks
     */
    public void dequantizeRow(MemorySegment data, long offset, float[] out, int count) {
        ReferenceQuant.dequantizeRow(internal(), data, offset, out, count);
    }
}
