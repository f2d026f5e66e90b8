package dev.moe4j.internal.quant;

import java.util.Optional;

/**
 * ggml tensor data types as stored in GGUF tensor infos, with their block geometry (shared/spec/gguf-format.md §1.2).
 * A row of {@code n} elements of a block type occupies {@code n / blockElems * blockBytes} bytes.
 *
 * <p>{@link #kernels()} tells whether moe4j's kernels compute with the type; the others are known (so a file that uses
 * them is described precisely) but rejected when a model is loaded.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, true),
    Q3_K(11, 256, 110, true),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, true),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, true),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, false);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockElems;
    private final int blockBytes;
    private final boolean kernels;

    GgmlType(int id, int blockElems, int blockBytes, boolean kernels) {
        this.id = id;
        this.blockElems = blockElems;
        this.blockBytes = blockBytes;
        this.kernels = kernels;
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
        return kernels;
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
