package dev.moe4j.internal.generate;

/** Turns generated token ids into text, one token at a time, never splitting a UTF-8 character. Not thread-safe. */
public interface PieceDecoder {

    /** Adds a token; returns the text it completed (empty while a multi-byte character is unfinished). */
    String push(int tokenId);

    /** Returns what is still pending at the end (an incomplete character as U+FFFD), and resets. */
    String flush();
}
