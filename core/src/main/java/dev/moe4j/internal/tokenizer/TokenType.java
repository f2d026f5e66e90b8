package dev.moe4j.internal.tokenizer;

/**
 * The kind of a vocabulary entry, read from the numeric ids GGUF stores in {@code tokenizer.ggml.token_type}
 * (llama.cpp's {@code llama_token_type}, 1..6 in declaration order: {@link #fromGguf}). It decides how the token is matched while encoding and rendered while
 * decoding:
 * <ul>
 *   <li>{@link #NORMAL} (and {@link #BYTE}): text in the byte-level alphabet, produced by BPE, decoded through the
 *       inverse byte table;</li>
 *   <li>{@link #CONTROL} and {@link #UNKNOWN}: literal text, matched in the input only when special-token parsing is
 *       on, skippable when decoding;</li>
 *   <li>{@link #USER_DEFINED}: literal text, always matched in the input before BPE, always rendered;</li>
 *   <li>{@link #UNUSED}: a placeholder id (e.g. {@code [PAD129000]}), never produced by encoding, rendered as nothing.</li>
 * </ul>
 */
public enum TokenType {
    NORMAL,
    UNKNOWN,
    CONTROL,
    USER_DEFINED,
    UNUSED,
    BYTE;

    /** True for types whose text is literal (not in the byte-level alphabet). */
    public boolean isLiteral() {
        return this == CONTROL || this == UNKNOWN || this == USER_DEFINED;
    }

    /**
     * The type for a GGUF id.
     *
     * @throws IllegalArgumentException for an id outside 1..6 (GGUF's 0, "undefined", included)
     */
    public static TokenType fromGguf(int id) {
        return switch (id) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> throw new IllegalArgumentException("unknown token type " + id + " (expected 1..6)");
        };
    }
}
