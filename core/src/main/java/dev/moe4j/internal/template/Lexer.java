package dev.moe4j.internal.template;

import dev.moe4j.internal.template.Token.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Splits a template into tokens the way Jinja2's lexer does with {@code trim_blocks} and {@code lstrip_blocks}
 * configurable: template data, {@code {{ }}} and {@code {% %}} tags with their expression tokens; comments vanish and
 * {@code {% raw %}} bodies become data. Whitespace control is applied here, as Jinja does: {@code -} strips all
 * whitespace on that side of the tag, {@code +} disables {@code lstrip_blocks}/{@code trim_blocks} for that tag,
 * {@code trim_blocks} drops the first newline after a block or comment tag, {@code lstrip_blocks} drops spaces and tabs
 * between the start of a line and a block or comment tag.
 *
 * <p>The input must already be newline-normalised (see {@link #normalizeNewlines}); offsets refer to that text.
 */
final class Lexer {
    private static final String[] OPERATORS = {
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"
    };

    private final String src;
    private final boolean trimBlocks;
    private final boolean lstripBlocks;
    private final SourcePosition positions;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    /** Whether the text consumed last ended with a newline (Jinja's {@code line_starting}, for lstrip_blocks). */
    private boolean lineStarting = true;

    private Lexer(String src, boolean trimBlocks, boolean lstripBlocks, SourcePosition positions) {
        this.src = src;
        this.trimBlocks = trimBlocks;
        this.lstripBlocks = lstripBlocks;
        this.positions = positions;
    }

    /**
     * Jinja's preprocessing: {@code \r\n} and {@code \r} become {@code \n}, and one trailing newline is dropped
     * ({@code keep_trailing_newline=False}).
     */
    static String normalizeNewlines(String source) {
        String s = source.indexOf('\r') >= 0 ? source.replace("\r\n", "\n").replace('\r', '\n') : source;
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    static List<Token> tokenize(String normalizedSource, boolean trimBlocks, boolean lstripBlocks,
                                SourcePosition positions) {
        Lexer lexer = new Lexer(normalizedSource, trimBlocks, lstripBlocks, positions);
        lexer.run();
        return lexer.tokens;
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            int tag = findTagStart(pos);
            if (tag < 0) {
                emit(Kind.DATA, src.substring(pos), pos);
                pos = n;
                break;
            }
            char type = src.charAt(tag + 1);
            int afterDelimiter = tag + 2;
            char sign = afterDelimiter < n && (src.charAt(afterDelimiter) == '-' || src.charAt(afterDelimiter) == '+')
                    ? src.charAt(afterDelimiter) : 0;
            int rawEnd = type == '%' ? matchRawBegin(tag) : -1;
            String text = src.substring(pos, tag);
            text = applyLeftStrip(text, sign, type == '{');
            if (!text.isEmpty()) {
                emit(Kind.DATA, text, pos);
            }
            int bodyStart = afterDelimiter + (sign != 0 ? 1 : 0);
            if (rawEnd >= 0) {
                lineStarting = src.charAt(rawEnd - 1) == '\n';
                pos = rawEnd;
                lexRawBody(tag);
            } else if (type == '#') {
                lexComment(tag, bodyStart);
            } else {
                emit(type == '{' ? Kind.VARIABLE_BEGIN : Kind.BLOCK_BEGIN, src.substring(tag, bodyStart), tag);
                pos = bodyStart;
                lexTag(type == '{', tag);
            }
        }
        tokens.add(new Token(Kind.EOF, "", null, n));
    }

    /** The first <code>{{</code>, <code>{%</code> or <code>{#</code> at or after {@code from}, or -1. */
    private int findTagStart(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    /** Jinja's OptionalLStrip: '-' strips all trailing whitespace, else lstrip_blocks may strip the line's indent. */
    private String applyLeftStrip(String text, char sign, boolean isVariable) {
        if (sign == '-') {
            return PyStrings.rstrip(text, null);
        }
        if (sign != '+' && lstripBlocks && !isVariable) {
            int lineStart = text.lastIndexOf('\n') + 1;
            if ((lineStart > 0 || lineStarting) && lineStart < text.length()
                    && allSpace(text, lineStart, text.length())) {
                return text.substring(0, lineStart);
            }
        }
        return text;
    }

    private static boolean allSpace(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!PyChars.isSpace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** If {@code {% raw %}} starts at {@code tag}, the offset just after its end (incl. '-' whitespace), else -1. */
    private int matchRawBegin(int tag) {
        int i = tag + 2;
        if (i < src.length() && (src.charAt(i) == '-' || src.charAt(i) == '+')) {
            i++;
        }
        i = skipSpace(i);
        if (!src.startsWith("raw", i)) {
            return -1;
        }
        i = skipSpace(i + 3);
        if (src.startsWith("-%}", i)) {
            return skipSpace(i + 3);
        }
        return src.startsWith("%}", i) ? i + 2 : -1;
    }

    private void lexRawBody(int rawTag) {
        int i = pos;
        while (true) {
            int tag = src.indexOf("{%", i);
            if (tag < 0) {
                throw positions.error("missing end of raw directive ({% endraw %})", rawTag);
            }
            int j = tag + 2;
            char sign = j < src.length() && (src.charAt(j) == '-' || src.charAt(j) == '+') ? src.charAt(j) : 0;
            if (sign != 0) {
                j++;
            }
            j = skipSpace(j);
            if (src.startsWith("endraw", j)) {
                int k = skipSpace(j + 6);
                int end = matchBlockEnd(k);
                if (end >= 0) {
                    String text = applyLeftStrip(src.substring(pos, tag), sign, false);
                    if (!text.isEmpty()) {
                        emit(Kind.DATA, text, pos);
                    }
                    lineStarting = src.charAt(end - 1) == '\n';
                    pos = end;
                    return;
                }
            }
            i = tag + 2;
        }
    }

    /** A comment ends at the first '#}' (with the sign just before it, if any); its text is dropped. */
    private void lexComment(int tag, int bodyStart) {
        int close = src.indexOf("#}", bodyStart);
        if (close < 0) {
            throw positions.error("missing end of comment tag", tag);
        }
        char endSign = close - 1 >= bodyStart ? src.charAt(close - 1) : 0;
        int end = close + 2;
        if (endSign == '-') {
            end = skipSpace(end);
        } else if (endSign != '+' && trimBlocks && end < src.length() && src.charAt(end) == '\n') {
            end++;
        }
        lineStarting = src.charAt(end - 1) == '\n';
        pos = end;
    }

    /** At {@code i}: '+%}', '-%}' + whitespace, or '%}' + (trim_blocks) one newline. Returns the end, or -1. */
    private int matchBlockEnd(int i) {
        if (src.startsWith("+%}", i)) {
            return i + 3;
        }
        if (src.startsWith("-%}", i)) {
            return skipSpace(i + 3);
        }
        if (src.startsWith("%}", i)) {
            int end = i + 2;
            return trimBlocks && end < src.length() && src.charAt(end) == '\n' ? end + 1 : end;
        }
        return -1;
    }

    private int matchVariableEnd(int i) {
        if (src.startsWith("-}}", i)) {
            return skipSpace(i + 3);
        }
        return src.startsWith("}}", i) ? i + 2 : -1;
    }

    private int skipSpace(int i) {
        while (i < src.length() && PyChars.isSpace(src.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Expression tokens up to the closing delimiter; the delimiter only counts outside brackets, as in Jinja. */
    private void lexTag(boolean variable, int tagStart) {
        Deque<Character> balancing = new ArrayDeque<>();
        int n = src.length();
        while (true) {
            if (pos >= n) {
                return; // the parser reports the unexpected end of template
            }
            if (balancing.isEmpty()) {
                int end = variable ? matchVariableEnd(pos) : matchBlockEnd(pos);
                if (end >= 0) {
                    int delimiter = src.charAt(pos) == '-' || src.charAt(pos) == '+' ? 3 : 2;
                    emit(variable ? Kind.VARIABLE_END : Kind.BLOCK_END, src.substring(pos, pos + delimiter), pos);
                    lineStarting = src.charAt(end - 1) == '\n';
                    pos = end;
                    return;
                }
            }
            char c = src.charAt(pos);
            if (PyChars.isSpace(c)) {
                pos = skipSpace(pos);
                continue;
            }
            if (lexNumber() || lexName() || lexString()) {
                continue;
            }
            lexOperator(balancing);
        }
    }

    private boolean lexNumber() {
        char c = src.charAt(pos);
        if (c < '0' || c > '9') {
            return false;
        }
        int floatEnd = (pos > 0 && src.charAt(pos - 1) == '.') ? -1 : matchFloat(pos);
        if (floatEnd > 0) {
            String text = src.substring(pos, floatEnd);
            emit(Kind.FLOAT, text, Double.parseDouble(text.replace("_", "")), pos);
            pos = floatEnd;
            return true;
        }
        int end = matchInteger(pos);
        String text = src.substring(pos, end);
        String digits = text.replace("_", "");
        int radix = 10;
        if (digits.length() > 1 && digits.charAt(0) == '0' && Character.isLetter(digits.charAt(1))) {
            radix = switch (Character.toLowerCase(digits.charAt(1))) {
                case 'b' -> 2;
                case 'o' -> 8;
                default -> 16;
            };
            digits = digits.substring(2);
        }
        long value;
        try {
            value = Long.parseLong(digits, radix);
        } catch (NumberFormatException e) {
            throw positions.error("integer literal " + text + " does not fit in 64 bits", pos);
        }
        emit(Kind.INTEGER, text, value, pos);
        pos = end;
        return true;
    }

    /** Jinja's float_re at {@code i}: digits (with '_'), then '.digits' and/or an exponent. Returns end or -1. */
    private int matchFloat(int i) {
        int j = matchDigits(i);
        int afterFraction = -1;
        if (j < src.length() && src.charAt(j) == '.') {
            afterFraction = matchDigits(j + 1);
            if (afterFraction == j + 1) {
                afterFraction = -1;
            }
        }
        int base = afterFraction > 0 ? afterFraction : j;
        if (base < src.length() && (src.charAt(base) == 'e' || src.charAt(base) == 'E')) {
            int k = base + 1;
            if (k < src.length() && (src.charAt(k) == '+' || src.charAt(k) == '-')) {
                k++;
            }
            int expEnd = matchDigits(k);
            if (expEnd > k) {
                return expEnd;
            }
        }
        return afterFraction;
    }

    /** {@code (\d+_)*\d+} at i: returns the end, or i when there is no digit. */
    private int matchDigits(int i) {
        int j = i;
        int lastGood = i;
        while (j < src.length()) {
            char c = src.charAt(j);
            if (c >= '0' && c <= '9') {
                j++;
                lastGood = j;
            } else if (c == '_' && j > i && j + 1 < src.length() && src.charAt(j + 1) >= '0'
                    && src.charAt(j + 1) <= '9') {
                j++;
            } else {
                break;
            }
        }
        return lastGood;
    }

    private int matchInteger(int i) {
        int n = src.length();
        if (src.charAt(i) == '0' && i + 1 < n) {
            char p = Character.toLowerCase(src.charAt(i + 1));
            int radix = p == 'b' ? 2 : p == 'o' ? 8 : p == 'x' ? 16 : 0;
            if (radix > 0) {
                int j = i + 2;
                int end = -1;
                while (true) {
                    int k = j < n && src.charAt(j) == '_' ? j + 1 : j;
                    if (k < n && Character.digit(src.charAt(k), radix) >= 0) {
                        j = k + 1;
                        end = j;
                    } else {
                        break;
                    }
                }
                if (end > 0) {
                    return end;
                }
            }
        }
        boolean zero = src.charAt(i) == '0';
        int j = i + 1;
        while (true) {
            int k = j < n && src.charAt(j) == '_' ? j + 1 : j;
            if (k < n && (zero ? src.charAt(k) == '0' : (src.charAt(k) >= '0' && src.charAt(k) <= '9'))) {
                j = k + 1;
            } else {
                return j;
            }
        }
    }

    private boolean lexName() {
        int cp = src.codePointAt(pos);
        if (cp != '_' && !Character.isUnicodeIdentifierStart(cp)) {
            return false;
        }
        int j = pos + Character.charCount(cp);
        while (j < src.length()) {
            int c = src.codePointAt(j);
            if (c != '_' && (!Character.isUnicodeIdentifierPart(c) || Character.isIdentifierIgnorable(c))) {
                break;
            }
            j += Character.charCount(c);
        }
        emit(Kind.NAME, src.substring(pos, j), null, pos);
        pos = j;
        return true;
    }

    private boolean lexString() {
        char quote = src.charAt(pos);
        if (quote != '\'' && quote != '"') {
            return false;
        }
        int j = pos + 1;
        while (j < src.length() && src.charAt(j) != quote) {
            j += src.charAt(j) == '\\' ? 2 : 1;
        }
        if (j >= src.length()) {
            throw positions.error("unexpected char " + PyRepr.repr(String.valueOf(quote))
                    + " (unterminated string literal)", pos);
        }
        String body = src.substring(pos + 1, j);
        String value;
        try {
            value = StringLiterals.decode(body);
        } catch (IllegalArgumentException e) {
            throw positions.error("bad string literal: " + e.getMessage(), pos);
        }
        emit(Kind.STRING, src.substring(pos, j + 1), value, pos);
        pos = j + 1;
        return true;
    }

    private void lexOperator(Deque<Character> balancing) {
        for (String op : OPERATORS) {
            if (src.startsWith(op, pos)) {
                char c = op.charAt(0);
                if (op.length() == 1 && (c == '(' || c == '[' || c == '{')) {
                    balancing.push(c == '(' ? ')' : c == '[' ? ']' : '}');
                } else if (op.length() == 1 && (c == ')' || c == ']' || c == '}')) {
                    if (balancing.isEmpty()) {
                        throw positions.error("unexpected '" + op + "'", pos);
                    }
                    char expected = balancing.pop();
                    if (expected != c) {
                        throw positions.error("unexpected '" + op + "', expected '" + expected + "'", pos);
                    }
                }
                emit(Kind.OPERATOR, op, null, pos);
                pos += op.length();
                return;
            }
        }
        throw positions.error("unexpected char " + PyRepr.repr(new String(Character.toChars(src.codePointAt(pos))))
                + " in tag", pos);
    }

    private void emit(Kind kind, String text, Object value, int at) {
        tokens.add(new Token(kind, text, value, at));
    }

    private void emit(Kind kind, String text, int at) {
        emit(kind, text, null, at);
    }
}
