package dev.moe4j.internal.template;

/**
 * Decodes the body of a quoted template string literal exactly as Jinja2 does:
 * {@code body.encode("ascii", "backslashreplace").decode("unicode-escape")}. That is Python's escape syntax (newline,
 * tab, backslash, quote, hex, 4- and 8-digit Unicode, named and octal escapes; unknown escapes kept verbatim), applied
 * after every non-ASCII character has been spelled as its own backslash escape (which matters only for a backslash
 * directly before a non-ASCII character: a backslash then {@code é} decodes to the four characters {@code \xe9}).
 */
final class StringLiterals {
    private StringLiterals() {
    }

    /** @throws IllegalArgumentException with Python's reason (e.g. "truncated \xXX escape") on a malformed escape */
    static String decode(String body) {
        if (body.indexOf('\\') < 0) {
            return body;
        }
        String ascii = backslashReplace(body);
        StringBuilder out = new StringBuilder(ascii.length());
        int i = 0;
        int n = ascii.length();
        while (i < n) {
            char c = ascii.charAt(i);
            if (c != '\\') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 >= n) {
                throw new IllegalArgumentException("\\ at end of string");
            }
            char e = ascii.charAt(i + 1);
            i += 2;
            switch (e) {
                case '\n' -> { }
                case '\\' -> out.append('\\');
                case '\'' -> out.append('\'');
                case '"' -> out.append('"');
                case 'a' -> out.append('\u0007');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000B');
                case 'x' -> i = appendHex(ascii, i, 2, out, "truncated \\xXX escape");
                case 'u' -> i = appendHex(ascii, i, 4, out, "truncated \\uXXXX escape");
                case 'U' -> i = appendHex(ascii, i, 8, out, "truncated \\UXXXXXXXX escape");
                case 'N' -> i = appendNamed(ascii, i, out);
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        int digits = 1;
                        while (digits < 3 && i < n && ascii.charAt(i) >= '0' && ascii.charAt(i) <= '7') {
                            v = v * 8 + (ascii.charAt(i) - '0');
                            i++;
                            digits++;
                        }
                        out.appendCodePoint(v);
                    } else {
                        out.append('\\').append(e);
                    }
                }
            }
        }
        return out.toString();
    }

    private static int appendHex(String s, int i, int digits, StringBuilder out, String error) {
        if (i + digits > s.length()) {
            throw new IllegalArgumentException(error);
        }
        int v = 0;
        for (int k = 0; k < digits; k++) {
            int d = Character.digit(s.charAt(i + k), 16);
            if (d < 0) {
                throw new IllegalArgumentException(error);
            }
            v = v * 16 + d;
        }
        if (v < 0 || v > Character.MAX_CODE_POINT) {
            throw new IllegalArgumentException("illegal Unicode character");
        }
        out.appendCodePoint(v);
        return i + digits;
    }

    private static int appendNamed(String s, int i, StringBuilder out) {
        int close = s.indexOf('}', i);
        if (i >= s.length() || s.charAt(i) != '{' || close < 0) {
            throw new IllegalArgumentException("malformed \\N character escape");
        }
        String name = s.substring(i + 1, close);
        try {
            out.appendCodePoint(Character.codePointOf(name));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown Unicode character name");
        }
        return close + 1;
    }

    /** Python's {@code encode("ascii", "backslashreplace")}, kept as a string. */
    private static String backslashReplace(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp < 0x80) {
                b.append((char) cp);
            } else if (cp < 0x100) {
                b.append(String.format("\\x%02x", cp));
            } else if (cp < 0x10000) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.append(String.format("\\U%08x", cp));
            }
        }
        return b.toString();
    }
}
