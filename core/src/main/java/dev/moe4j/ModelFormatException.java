package dev.moe4j;

import org.jspecify.annotations.Nullable;

/**
 * A model file is malformed, truncated, hostile or of a kind moe4j does not support. The message names the file, the
 * field and, where known, the byte offset, e.g. {@code "model.gguf: tensor 'blk.0.attn_q.weight' data [4096, 8192)
 * extends past the end of the file (6000 bytes) at offset 1234"}. Thrown before any native code sees the file's data.
 */
public class ModelFormatException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    /** The byte offset in the file where the problem was found, or -1. */
    private final long offset;

    /**
     * An exception whose message is {@code message}, followed by {@code " (at offset N)"} when {@code offset} is not
     * negative.
     *
     * @param message what is wrong, naming the file and the field
     * @param offset  byte offset in the file where the problem was found, or -1 when it is not tied to one offset
     */
    public ModelFormatException(String message, long offset) {
        super(offset >= 0 ? message + " (at offset " + offset + ")" : message);
        this.offset = offset;
    }

    /**
     * As {@link #ModelFormatException(String, long)}, with the exception that caused it.
     *
     * @param message what is wrong, naming the file and the field
     * @param offset  byte offset in the file where the problem was found, or -1 when it is not tied to one offset
     * @param cause   the cause, or null if unknown
     */
    public ModelFormatException(String message, long offset, @Nullable Throwable cause) {
        super(offset >= 0 ? message + " (at offset " + offset + ")" : message, cause);
        this.offset = offset;
    }

    /**
     * The byte offset in the file where the problem was found.
     *
     * @return the offset in bytes, or -1 when the problem is not tied to one offset
     */
    public long offset() {
        return offset;
    }
}
