package dev.moe4j.internal.quant;

import java.util.Optional;

/**
 * ggml tensor data types as stored in GGUF tensor infos, with their block geometry (shared/spec/gguf-format.md §1.2).
 * A row of {@code n} elements of a block type occupies {@code n / blockElems * blockBytes} bytes.
 *
 * <p>{@link #kernels()} tells whether moe4j's kernels compute with the type; the others are known (so a file that uses
 * them is described precisely) but rejected when a model is loaded. {@link #referenceDequant()} tells whether the
 * plain-Java reference ({@link ReferenceQuant}) decodes the type: every kernel type (a type may have its reference
 * before its kernels, {@code Support.REFERENCE}; none has now).
 */
public enum GgmlType {
    F32(0, 1, 4, Support.KERNELS, Activation.F32),
    F16(1, 1, 2, Support.KERNELS, Activation.F16),
    Q4_0(2, 32, 18, Support.KERNELS, Activation.Q8_0),
    Q4_1(3, 32, 20, Support.KERNELS, Activation.Q8_0),
    Q5_0(6, 32, 22, Support.KERNELS, Activation.Q8_0),
    Q5_1(7, 32, 24, Support.KERNELS, Activation.Q8_0),
    Q8_0(8, 32, 34, Support.KERNELS, Activation.Q8_0),
    Q8_1(9, 32, 36, Support.NONE, Activation.NONE),
    Q2_K(10, 256, 84, Support.KERNELS, Activation.Q8_K),
    Q3_K(11, 256, 110, Support.KERNELS, Activation.Q8_K),
    Q4_K(12, 256, 144, Support.KERNELS, Activation.Q8_K),
    Q5_K(13, 256, 176, Support.KERNELS, Activation.Q8_K),
    Q6_K(14, 256, 210, Support.KERNELS, Activation.Q8_K),
    Q8_K(15, 256, 292, Support.NONE, Activation.NONE),
    IQ2_XXS(16, 256, 66, Support.KERNELS, Activation.Q8_K),
    IQ2_XS(17, 256, 74, Support.KERNELS, Activation.Q8_K),
    IQ3_XXS(18, 256, 98, Support.KERNELS, Activation.Q8_K),
    IQ1_S(19, 256, 50, Support.KERNELS, Activation.Q8_K),
    IQ4_NL(20, 32, 18, Support.KERNELS, Activation.Q8_0),
    IQ3_S(21, 256, 110, Support.KERNELS, Activation.Q8_K),
    IQ2_S(22, 256, 82, Support.KERNELS, Activation.Q8_K),
    IQ4_XS(23, 256, 136, Support.KERNELS, Activation.Q8_K),
    I8(24, 1, 1, Support.NONE, Activation.NONE),
    I16(25, 1, 2, Support.NONE, Activation.NONE),
    I32(26, 1, 4, Support.NONE, Activation.NONE),
    I64(27, 1, 8, Support.NONE, Activation.NONE),
    F64(28, 1, 8, Support.NONE, Activation.NONE),
    IQ1_M(29, 256, 56, Support.KERNELS, Activation.Q8_K),
    BF16(30, 1, 2, Support.KERNELS, Activation.BF16),
    TQ1_0(34, 256, 54, Support.KERNELS, Activation.Q8_K),
    TQ2_0(35, 256, 66, Support.KERNELS, Activation.Q8_K),
    MXFP4(39, 32, 17, Support.KERNELS, Activation.Q8_0);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    /** How far moe4j handles a type; each level includes the one before. */
    private enum Support {
        /** Known by id and geometry only. */
        NONE,
        /** Dequantized by the Java reference; the native kernels do not take it, so a model using it is refused. */
        REFERENCE,
        /** Computed by the native kernels (and the Java reference). */
        KERNELS
    }

    /**
     * The form activations take before a product with weights of a type, as ggml's CPU backend makes them (its
     * {@code vec_dot_type}), which moe4j's kernels reproduce so that logits match llama.cpp's.
     */
    public enum Activation {
        /** Not a weight type (integer or 64-bit types, and the activation formats themselves). */
        NONE,
        /** f32, unchanged. */
        F32,
        /** Rounded to f16. */
        F16,
        /** Rounded to bf16. */
        BF16,
        /** Blocks of 32 quantized to Q8_0 (Q8_1 for Q4_1/Q5_1: the same quants and scale plus their sum). */
        Q8_0,
        /** Super-blocks of 256 quantized to Q8_K. */
        Q8_K
    }

    private final int id;
    private final int blockElems;
    private final int blockBytes;
    private final Support support;
    private final Activation activation;

    GgmlType(int id, int blockElems, int blockBytes, Support support, Activation activation) {
        this.id = id;
        this.blockElems = blockElems;
        this.blockBytes = blockBytes;
        this.support = support;
        this.activation = activation;
    }

    /** How activations are rounded or quantized for a product with weights of this type. */
    public Activation activation() {
        return activation;
    }

    /** The ggml type id (the GGUF tensor-info {@code type} field). */
    public int id() {
        return id;
    }

    /** Elements per block (1 for scalar types). */
    public int blockElems() {
        return blockElems;
    }

    /** Bytes per block. */
    public int blockBytes() {
        return blockBytes;
    }

    /** Whether moe4j's kernels compute with this type (dequantize, matvec, matmul, get_rows). */
    public boolean kernels() {
        return support == Support.KERNELS;
    }

    /** Whether {@link ReferenceQuant} dequantizes this type (true for every {@link #kernels()} type). */
    public boolean referenceDequant() {
        return support != Support.NONE;
    }

    /**
     * Bytes taken by {@code n} elements; {@code n} must be a multiple of {@link #blockElems()}.
     *
     * @throws ArithmeticException on overflow
     * @throws IllegalArgumentException if {@code n} is negative or not a whole number of blocks
     */
    public long bytesFor(long n) {
        if (n < 0 || n % blockElems != 0) {
            throw new IllegalArgumentException(n + " elements is not a whole number of " + name() + " blocks ("
                    + blockElems + " each)");
        }
        return Math.multiplyExact(n / blockElems, (long) blockBytes);
    }

    public static Optional<GgmlType> byId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[id]) : Optional.empty();
    }
}
