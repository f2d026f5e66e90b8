package dev.moe4j.internal.gguf;

import java.util.Optional;

/**
 * GGUF metadata value types ({@code enum gguf_type}, shared/spec/gguf-format.md §1.1), stored as int32 before each
 * value. {@link #size()} is the encoded size of one scalar, or -1 for the variable-length {@link #STRING} and
 * {@link #ARRAY}.
 */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, -1),
    ARRAY(9, -1),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The id stored in the file. */
    public int id() {
        return id;
    }

    /** Bytes of one encoded scalar; -1 for {@link #STRING} and {@link #ARRAY}. */
    public int size() {
        return size;
    }

    /** Whether this is one of the eight integer types. */
    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** Whether this is FLOAT32 or FLOAT64. */
    public boolean isFloat() {
        return this == FLOAT32 || this == FLOAT64;
    }

    public static Optional<GgufValueType> byId(int id) {
        // ids are dense 0..12 and declared in order
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[id]) : Optional.empty();
    }
}
