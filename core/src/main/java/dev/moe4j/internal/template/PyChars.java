package dev.moe4j.internal.template;

/** Python's character classes, which differ from Java's (e.g. Python counts U+00A0 as whitespace). */
final class PyChars {
    private PyChars() {
    }

    /** Python {@code str.isspace()} for one code point, also what {@code \s} matches in Python's {@code re}. */
    static boolean isSpace(int c) {
        return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F
                || c == 0x3000;
    }

    /** Python {@code str.isprintable()} for one code point: all but controls, formats and separators (except ' '). */
    static boolean isPrintable(int c) {
        if (c == ' ') {
            return true;
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE,
                 Character.UNASSIGNED, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** A Python "cased" character (Lu, Ll, Lt), as {@code str.title()} and {@code str.istitle()} define it. */
    static boolean isCased(int c) {
        return Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
    }

    /** Python line boundaries for {@code str.splitlines()} ({@code \r\n} is handled by the caller). */
    static boolean isLineBreak(int c) {
        return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85
                || c == 0x2028 || c == 0x2029;
    }
}
