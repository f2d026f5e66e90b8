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
    /** 32-bit IEEE float. */
    F32,
    /** 16-bit IEEE float (half precision). */
    F16,
    /** 4-bit quantization, blocks of 32 with a scale (4.5 bits per weight). */
    Q4_0,
    /** 4-bit quantization, blocks of 32 with a scale and a minimum (5 bits per weight). */
    Q4_1,
    /** 5-bit quantization, blocks of 32 with a scale (5.5 bits per weight). */
    Q5_0,
    /** 5-bit quantization, blocks of 32 with a scale and a minimum (6 bits per weight). */
    Q5_1,
    /** 8-bit quantization, blocks of 32 with a scale (8.5 bits per weight). */
    Q8_0,
    /** 8-bit quantization, blocks of 32 with a scale and a sum (9 bits per weight); not {@link #computable()}. */
    Q8_1,
    /** 2-bit k-quant, super-blocks of 256 (2.625 bits per weight). */
    Q2_K,
    /** 3-bit k-quant, super-blocks of 256 (3.4375 bits per weight). */
    Q3_K,
    /** 4-bit k-quant, super-blocks of 256 (4.5 bits per weight). */
    Q4_K,
    /** 5-bit k-quant, super-blocks of 256 (5.5 bits per weight). */
    Q5_K,
    /** 6-bit k-quant, super-blocks of 256 (6.5625 bits per weight). */
    Q6_K,
    /** 8-bit k-quant, blocks of 256 (9.125 bits per weight), ggml's activation type; not {@link #computable()}. */
    Q8_K,
    /** 2-bit i-quant, super-blocks of 256 (2.0625 bits per weight). */
    IQ2_XXS,
    /** 2-bit i-quant, super-blocks of 256 (2.3125 bits per weight). */
    IQ2_XS,
    /** 3-bit i-quant, super-blocks of 256 (3.0625 bits per weight). */
    IQ3_XXS,
    /** 1-bit i-quant, super-blocks of 256 (1.5625 bits per weight). */
    IQ1_S,
    /** 4-bit non-linear quantization, blocks of 32 (4.5 bits per weight). */
    IQ4_NL,
    /** 3-bit i-quant, super-blocks of 256 (3.4375 bits per weight). */
    IQ3_S,
    /** 2-bit i-quant, super-blocks of 256 (2.5625 bits per weight). */
    IQ2_S,
    /** 4-bit non-linear i-quant, super-blocks of 256 (4.25 bits per weight). */
    IQ4_XS,
    /** 8-bit signed integer; not {@link #computable()}. */
    I8,
    /** 16-bit signed integer; not {@link #computable()}. */
    I16,
    /** 32-bit signed integer; not {@link #computable()}. */
    I32,
    /** 64-bit signed integer; not {@link #computable()}. */
    I64,
    /** 64-bit IEEE float; not {@link #computable()}. */
    F64,
    /** 1-bit i-quant, super-blocks of 256 (1.75 bits per weight). */
    IQ1_M,
    /** bfloat16: the upper 16 bits of a 32-bit float. */
    BF16,
    /** Ternary quantization, super-blocks of 256 (1.6875 bits per weight). */
    TQ1_0,
    /** Ternary quantization, super-blocks of 256 (2.0625 bits per weight). */
    TQ2_0,
    /** Microscaling 4-bit float (E2M1), blocks of 32 with a shared power-of-two scale (4.25 bits per weight). */
    MXFP4;

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

    /**
     * The ggml type id (the GGUF tensor-info {@code type} field).
     *
     * @return the id, e.g. 12 for {@code Q4_K}
     */
    public int id() {
        return internal().id();
    }

    /**
     * Elements per block (1 for scalar types).
     *
     * @return the block's element count
     */
    public int blockElements() {
        return internal().blockElems();
    }

    /**
     * Bytes per block.
     *
     * @return the block's size in bytes
     */
    public int blockBytes() {
        return internal().blockBytes();
    }

    /**
     * Bytes taken by {@code elements} elements.
     *
     * @param elements the element count, a multiple of {@link #blockElements()}
     * @return the size in bytes
     * @throws IllegalArgumentException if {@code elements} is negative or not a whole number of blocks
     * @throws ArithmeticException      on overflow
     */
    public long bytesFor(long elements) {
        return internal().bytesFor(elements);
    }

    /**
     * Whether moe4j's kernels compute with this type (a model whose weights use another type is refused).
     *
     * @return true if moe4j computes with this type
     */
    public boolean computable() {
        return internal().kernels();
    }

    /**
     * Decodes {@code count} elements (whole blocks) starting at byte {@code offset} of {@code data} into
     * {@code out[0, count)} with the plain-Java reference decoder, as the kernels would see them.
     *
     * @param data   the encoded tensor data, e.g. a mapped tensor's segment
     * @param offset the byte offset in {@code data} of the first block to decode
     * @param out    receives the decoded values
     * @param count  the number of elements to decode
     * @throws IllegalArgumentException  if this type has no reference decoder (not {@link #computable()}) or
     *                                   {@code count} is negative or not a whole number of blocks
     * @throws IndexOutOfBoundsException if the blocks do not lie within {@code data} or {@code count} exceeds
     *                                   {@code out.length}
     */
    public void dequantizeRow(MemorySegment data, long offset, float[] out, int count) {
        ReferenceQuant.dequantizeRow(internal(), data, offset, out, count);
    }
}
