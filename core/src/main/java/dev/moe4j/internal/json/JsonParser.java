package dev.moe4j.internal.json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict RFC 8259 JSON parser (core must not depend on a JSON library). Values map to plain Java objects:
 * object → unmodifiable {@code Map<String, Object>} (insertion order kept), array → unmodifiable {@code List<Object>},
 * string → {@link String}, number → {@link Long} when it is an integer literal that fits, otherwise {@link Double},
 * {@code true}/{@code false} → {@link Boolean}, {@code null} → {@code null}.
 *
 * <p>Strict means: no comments, no trailing commas, no single quotes, no leading zeros, no NaN/Infinity, no raw control
 * characters in strings, no duplicate keys, nothing but whitespace after the value, nesting at most
 * {@value #MAX_DEPTH} deep. Every error is a {@link JsonParseException} naming the source, line and column.
 * Lone surrogates written as {@code \}{@code uD800} escapes are accepted as they are (JSON allows them).
 *
 * <p>Stateless entry points; each call uses its own parser instance, so they are safe to call from any thread.
 */
public final class JsonParser {
    /** Deepest nesting of arrays and objects accepted; deeper input is rejected rather than risking a stack overflow. */
    public static final int MAX_DEPTH = 512;

    private final String text;
    private final String source;
    private int pos;
    private int depth;

    private JsonParser(String text, String source) {
        this.text = text;
        this.source = source;
    }

    /**
     * Parses one JSON value from {@code text}.
     *
     * @param source a name for error messages, e.g. the file name
     * @throws JsonParseException if the text is not exactly one valid JSON value
     */
    public static Object parse(String text, String source) {
        JsonParser p = new JsonParser(text, source);
        // A byte order mark is not JSON, but editors write it; skipping it is harmless.
        if (p.text.startsWith("\uFEFF")) {
            p.pos = 1;
        }
        p.skipWhitespace();
        Object value = p.readValue();
        p.skipWhitespace();
        if (p.pos < p.text.length()) {
            throw p.error("unexpected " + p.describe(p.pos) + " after the JSON value");
        }
        return value;
    }

    /**
     * Reads a file as strict UTF-8 and parses it.
     *
     * @throws JsonParseException if the bytes are not UTF-8 or the text is not valid JSON
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Object parse(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return parse(decodeUtf8(bytes, file.toString()), file.toString());
    }

    private static String decodeUtf8(byte[] bytes, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            CharBuffer out = decoder.decode(in);
            return out.toString();
        } catch (CharacterCodingException e) {
            // decode() leaves the buffer at the start of the bad sequence.
            throw new JsonParseException(source + ": not valid UTF-8", in.position());
        }
    }

    private Object readValue() {
        if (pos >= text.length()) {
            throw error("unexpected end of input, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> readObject();
            case '[' -> readArray();
            case '"' -> readString();
            case 't' -> readLiteral("true", Boolean.TRUE);
            case 'f' -> readLiteral("false", Boolean.FALSE);
            case 'n' -> readLiteral("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield readNumber();
                }
                throw error("unexpected " + describe(pos) + ", expected a value");
            }
        };
    }

    private Map<String, Object> readObject() {
        enter();
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            depth--;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("unexpected " + describe(pos) + ", expected a string key");
            }
            int keyPos = pos;
            String key = readString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = readValue();
            if (map.containsKey(key)) {
                pos = keyPos;
                throw error("duplicate key \"" + key + "\"");
            }
            map.put(key, value);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                depth--;
                return Collections.unmodifiableMap(map);
            } else {
                throw error("unexpected " + describe(pos) + ", expected ',' or '}'");
            }
        }
    }

    private List<Object> readArray() {
        enter();
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            depth--;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            skipWhitespace();
            list.add(readValue());
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                depth--;
                return Collections.unmodifiableList(list);
            } else {
                throw error("unexpected " + describe(pos) + ", expected ',' or ']'");
            }
        }
    }

    private String readString() {
        int start = ++pos; // after '"'
        // Fast path: no escapes, just find the closing quote.
        int i = start;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '"') {
                pos = i + 1;
                return text.substring(start, i);
            }
            if (c == '\\') {
                break;
            }
            if (c < 0x20) {
                pos = i;
                throw error("raw control character U+%04X in a string (must be escaped)".formatted((int) c));
            }
            i++;
        }
        StringBuilder sb = new StringBuilder(i - start + 16);
        sb.append(text, start, i);
        pos = i;
        while (true) {
            if (pos >= n) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return sb.toString();
            }
            if (c < 0x20) {
                throw error("raw control character U+%04X in a string (must be escaped)".formatted((int) c));
            }
            if (c != '\\') {
                sb.append(c);
                pos++;
                continue;
            }
            if (pos + 1 >= n) {
                throw error("unterminated escape sequence");
            }
            char e = text.charAt(pos + 1);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    sb.append((char) readHex4(pos + 2));
                    pos += 4;
                }
                default -> throw error("invalid escape sequence '\\" + printable(e) + "'");
            }
            pos += 2;
        }
    }

    private int readHex4(int at) {
        if (at + 4 > text.length()) {
            pos = at;
            throw error("truncated \\u escape, expected 4 hex digits");
        }
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = Character.digit(text.charAt(at + k), 16);
            if (d < 0 || text.charAt(at + k) > 'f') { // Character.digit also accepts non-ASCII digits
                pos = at + k;
                throw error("invalid hex digit " + describe(at + k) + " in \\u escape");
            }
            v = v * 16 + d;
        }
        return v;
    }

    private Object readNumber() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error("leading zero in a number");
            }
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error("unexpected " + describe(pos) + ", expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error("unexpected " + describe(pos) + ", expected a digit after '.'");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("unexpected " + describe(pos) + ", expected a digit in the exponent");
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String literal = text.substring(start, pos);
        if (integral && literal.length() <= 20) { // 19 digits and a sign at most
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException tooBig) {
                // falls through to double
            }
        }
        return Double.parseDouble(literal);
    }

    private Object readLiteral(String word, Object value) {
        if (!text.startsWith(word, pos)) {
            throw error("unexpected " + describe(pos) + ", expected a value");
        }
        pos += word.length();
        return value;
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("unexpected " + describe(pos) + ", expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipWhitespace() {
        int n = text.length();
        while (pos < n) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private String describe(int at) {
        if (at >= text.length()) {
            return "end of input";
        }
        return "character '" + printable(text.charAt(at)) + "'";
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7F ? String.valueOf(c) : "U+%04X".formatted((int) c);
    }

    private JsonParseException error(String what) {
        int line = 1;
        int lineStart = 0;
        int end = Math.min(pos, text.length());
        for (int i = 0; i < end; i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        int column = end - lineStart + 1;
        return new JsonParseException(source + ":" + line + ":" + column + ": " + what, pos);
    }
}
