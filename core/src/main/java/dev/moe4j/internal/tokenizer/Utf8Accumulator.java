package dev.moe4j.internal.tokenizer;

/**
 * Incremental, lossy UTF-8 decoding: bytes go in as they come (a token may end in the middle of a character), text
 * comes out as soon as a character is complete. A byte sequence that can no longer become a valid character is
 * replaced by one U+FFFD per maximal invalid subpart (the Unicode-recommended practice, also what Rust's
 * {@code String::from_utf8_lossy} does); an incomplete sequence at {@link #finish} becomes one U+FFFD.
 *
 * <p>Because whole-sequence decoding and streaming both run through this class, the concatenation of streamed pieces
 * always equals the one-shot result. Not thread-safe: one instance per stream.
 */
final class Utf8Accumulator {
    private static final char REPLACEMENT = '\uFFFD';

    /** Bytes of the character under construction (at most 3 are ever pending). */
    private final byte[] pending = new byte[4];
    private int pendingLength;

    /** Appends the text of {@code bytes[from, to)} to {@code out}, keeping an incomplete trailing character pending. */
    void append(byte[] bytes, int from, int to, StringBuilder out) {
        for (int i = from; i < to; i++) {
            push(bytes[i], out);
        }
    }

    /** Ends the stream: a pending incomplete character becomes U+FFFD. */
    void finish(StringBuilder out) {
        if (pendingLength > 0) {
            out.append(REPLACEMENT);
            pendingLength = 0;
        }
    }

    /** True when no incomplete character is pending. */
    boolean isIdle() {
        return pendingLength == 0;
    }

    private void push(byte value, StringBuilder out) {
        int b = value & 0xFF;
        if (pendingLength == 0) {
            if (b < 0x80) {
                out.append((char) b);
            } else if (sequenceLength(b) == 0) {
                out.append(REPLACEMENT); // stray continuation byte or a lead byte that UTF-8 never uses
            } else {
                pending[pendingLength++] = value;
            }
            return;
        }
        int lead = pending[0] & 0xFF;
        if (!validContinuation(lead, pendingLength, b)) {
            // The pending bytes are a maximal subpart of an ill-formed sequence; this byte starts afresh.
            out.append(REPLACEMENT);
            pendingLength = 0;
            push(value, out);
            return;
        }
        pending[pendingLength++] = value;
        if (pendingLength == sequenceLength(lead)) {
            int cp = lead & (0xFF >> (pendingLength + 1));
            for (int k = 1; k < pendingLength; k++) {
                cp = (cp << 6) | (pending[k] & 0x3F);
            }
            out.appendCodePoint(cp);
            pendingLength = 0;
        }
    }

    /** Length of the sequence a lead byte starts, or 0 when it cannot start one. */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 0;
    }

    /**
     * Whether {@code b} may follow as byte number {@code index} (1-based after the lead) of a sequence started by
     * {@code lead}. The second byte is restricted so that overlong forms, surrogates and code points above U+10FFFF
     * are rejected as early as possible (Unicode Table 3-7).
     */
    private static boolean validContinuation(int lead, int index, int b) {
        if (index == 1) {
            return switch (lead) {
                case 0xE0 -> b >= 0xA0 && b <= 0xBF;
                case 0xED -> b >= 0x80 && b <= 0x9F;
                case 0xF0 -> b >= 0x90 && b <= 0xBF;
                case 0xF4 -> b >= 0x80 && b <= 0x8F;
                default -> b >= 0x80 && b <= 0xBF;
            };
        }
        return b >= 0x80 && b <= 0xBF;
    }
}
