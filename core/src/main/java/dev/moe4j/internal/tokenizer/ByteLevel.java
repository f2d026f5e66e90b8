package dev.moe4j.internal.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-level alphabet: every byte 0..255 has one printable code point, so that BPE vocabularies can be stored
 * as text. Bytes 0x21–0x7E, 0xA1–0xAC and 0xAE–0xFF stand for themselves; the other 68 bytes, in increasing order, map
 * to U+0100, U+0101, … (space 0x20 → U+0120 'Ġ', '\n' → U+010A 'Ċ'). Immutable tables; thread-safe.
 */
final class ByteLevel {
    /** Code point for each byte value. */
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Byte value for each code point below {@link #CHAR_LIMIT}, or -1 when the code point is not in the alphabet. */
    private static final int CHAR_LIMIT = 0x144;
    private static final short[] CHAR_TO_BYTE = new short[CHAR_LIMIT];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevel() {
    }

    /** The alphabet character that stands for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** Maps bytes to their alphabet string (one char per byte). */
    static String encode(byte[] bytes, int from, int to) {
        char[] out = new char[to - from];
        for (int i = from; i < to; i++) {
            out[i - from] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** Maps a string's UTF-8 bytes to the alphabet. */
    static String encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return encode(b, 0, b.length);
    }

    /**
     * The bytes an alphabet string stands for. A character outside the alphabet (not expected in a byte-level
     * vocabulary) contributes its own UTF-8 bytes, so nothing is lost.
     */
    static byte[] decode(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); ) {
            int cp = token.codePointAt(i);
            int b = cp < CHAR_LIMIT ? CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            }
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
