package dev.moe4j.internal.tokenizer;

/**
 * Decodes tokens as they are generated. A token may end in the middle of a UTF-8 character (an emoji is often split
 * over two or three tokens), so {@link #push} returns only the text whose characters are complete and keeps the rest
 * pending; {@link #flush} ends the stream. SentencePiece vocabularies spell a byte outside the vocabulary as
 * {@code <0xXX>} tokens, so one character may take up to four tokens; it comes out once the last one arrives.
 *
 * <p>The concatenation of everything returned equals {@link Tokenizer#decode(int[], boolean)} of the same ids, with
 * one exception: for a SentencePiece vocabulary with a space prefix, {@code decode} drops the space the first token
 * starts with and the stream keeps it, because a stream continues a prompt (the space before a generated first word
 * is real). A decoder made by {@link Tokenizer#newStreamDecoderShowing} also shows its few chosen control tokens.
 *
 * <p>Not thread-safe: one instance per generation stream.
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecial;
    /** Special tokens shown as text although {@code skipSpecial}; a handful, so a linear scan. */
    private final int[] shown;
    private final Utf8Accumulator utf8 = new Utf8Accumulator();
    private final StringBuilder out = new StringBuilder();

    StreamDecoder(Tokenizer tokenizer, boolean skipSpecial, int[] shown) {
        this.tokenizer = tokenizer;
        this.skipSpecial = skipSpecial;
        this.shown = shown.clone();
    }

    /**
     * Adds one token; returns the text completed by it (possibly empty, never null).
     *
     * @throws IllegalArgumentException for an id outside the vocabulary (the stream is unchanged)
     */
    public String push(int id) {
        byte[] b = tokenizer.bytesOf(id, skipSpecial && !isShown(id));
        out.setLength(0);
        utf8.append(b, 0, b.length, out);
        return out.toString();
    }

    private boolean isShown(int id) {
        for (int s : shown) {
            if (s == id) {
                return true;
            }
        }
        return false;
    }

    /** Whether bytes of an incomplete character are held back. */
    public boolean hasPending() {
        return !utf8.isIdle();
    }

    /**
     * Ends the stream: returns U+FFFD if an incomplete character was pending, otherwise "". The decoder can be
     * reused afterwards for a new stream.
     */
    public String flush() {
        out.setLength(0);
        utf8.finish(out);
        return out.toString();
    }
}
