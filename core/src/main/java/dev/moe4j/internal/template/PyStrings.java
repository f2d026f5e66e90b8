package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Python {@code str} operations. Python indexes strings by code point, Java by UTF-16 unit; everything here counts code
 * points so that {@code len}, indices and slices agree with Python for text outside the BMP (emoji).
 */
final class PyStrings {
    private PyStrings() {
    }

    static int[] codePoints(String s) {
        return s.codePoints().toArray();
    }

    static String fromCodePoints(int[] cps, int from, int to) {
        return new String(cps, from, Math.max(0, to - from));
    }

    static List<Object> characters(String s) {
        List<Object> out = new ArrayList<>(s.length());
        s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
        return out;
    }

    /** Code point order, as Python compares strings. */
    static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    // ---- strip / split ----

    /** {@code chars == null} strips Python whitespace; otherwise any code point contained in chars. */
    static String strip(String s, String chars) {
        return rstrip(lstrip(s, chars), chars);
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            if (!stripped(cp, chars)) {
                break;
            }
            i += Character.charCount(cp);
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0) {
            int cp = s.codePointBefore(end);
            if (!stripped(cp, chars)) {
                break;
            }
            end -= Character.charCount(cp);
        }
        return s.substring(0, end);
    }

    private static boolean stripped(int cp, String chars) {
        return chars == null ? PyChars.isSpace(cp) : chars.indexOf(new String(Character.toChars(cp))) >= 0;
    }

    /** Python {@code str.split(sep, maxsplit)}. */
    static List<Object> split(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && PyChars.isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(s.substring(i)); // Python keeps the remainder's trailing whitespace
                    break;
                }
                int start = i;
                while (i < n && !PyChars.isSpace(s.charAt(i))) {
                    i++;
                }
                out.add(s.substring(start, i));
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw PyError.value("empty separator");
        }
        int start = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(sep, start);
            if (at < 0) {
                break;
            }
            out.add(s.substring(start, at));
            start = at + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    /** Python {@code str.rsplit(sep, maxsplit)}. */
    static List<Object> rsplit(String s, String sep, long maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = s.length();
            while (true) {
                while (i > 0 && PyChars.isSpace(s.charAt(i - 1))) {
                    i--;
                }
                if (i <= 0) {
                    break;
                }
                if (maxsplit >= 0 && out.size() >= maxsplit) {
                    out.add(s.substring(0, i)); // Python keeps the remainder's leading whitespace
                    break;
                }
                int end = i;
                while (i > 0 && !PyChars.isSpace(s.charAt(i - 1))) {
                    i--;
                }
                out.add(s.substring(i, end));
            }
        } else {
            if (sep.isEmpty()) {
                throw PyError.value("empty separator");
            }
            int end = s.length();
            while (maxsplit < 0 || out.size() < maxsplit) {
                int at = s.lastIndexOf(sep, end - sep.length());
                if (at < 0) {
                    break;
                }
                out.add(s.substring(at + sep.length(), end));
                end = at;
            }
            out.add(s.substring(0, end));
        }
        java.util.Collections.reverse(out);
        return out;
    }

    /** Python {@code str.splitlines(keepends)}. */
    static List<Object> splitlines(String s, boolean keepends) {
        List<Object> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (PyChars.isLineBreak(c)) {
                int eol = i;
                i++;
                if (c == '\r' && i < s.length() && s.charAt(i) == '\n') {
                    i++;
                }
                out.add(s.substring(start, keepends ? i : eol));
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    /** Python {@code str.replace(old, new, count)}; an empty {@code old} inserts between code points. */
    static String replace(String s, String old, String replacement, long count) {
        if (count < 0) {
            count = Long.MAX_VALUE;
        }
        StringBuilder b = new StringBuilder();
        if (old.isEmpty()) {
            int i = 0;
            long done = 0;
            while (i <= s.length()) {
                if (done < count) {
                    b.append(replacement);
                    done++;
                }
                if (i == s.length()) {
                    break;
                }
                int cp = s.codePointAt(i);
                b.appendCodePoint(cp);
                i += Character.charCount(cp);
            }
            return b.toString();
        }
        int start = 0;
        long done = 0;
        while (done < count) {
            int at = s.indexOf(old, start);
            if (at < 0) {
                break;
            }
            b.append(s, start, at).append(replacement);
            start = at + old.length();
            done++;
        }
        return b.append(s, start, s.length()).toString();
    }

    // ---- case ----

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** Python {@code str.title()}: a cased character after an uncased one starts a word. */
    static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (previousCased) {
                appendLower(b, cp);
            } else {
                appendTitle(b, cp);
            }
            previousCased = PyChars.isCased(cp);
        }
        return b.toString();
    }

    /** Python {@code str.capitalize()}: first character title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) {
            return s;
        }
        int cp = s.codePointAt(0);
        StringBuilder b = new StringBuilder(s.length());
        appendTitle(b, cp);
        b.append(lower(s.substring(Character.charCount(cp))));
        return b.toString();
    }

    static String swapcase(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (Character.isUpperCase(cp)) {
                appendLower(b, cp);
            } else if (Character.isLowerCase(cp)) {
                b.append(upper(new String(Character.toChars(cp))));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    private static void appendTitle(StringBuilder b, int cp) {
        int t = Character.toTitleCase(cp);
        if (t != cp || !Character.isLowerCase(cp)) {
            b.appendCodePoint(t);
        } else {
            b.append(upper(new String(Character.toChars(cp))));
        }
    }

    private static void appendLower(StringBuilder b, int cp) {
        b.append(lower(new String(Character.toChars(cp))));
    }

    /** Python {@code str.islower()}: at least one cased character and no upper/title-case ones. */
    static boolean isLower(String s) {
        boolean cased = false;
        for (int cp : codePoints(s)) {
            if (Character.isUpperCase(cp) || Character.isTitleCase(cp)) {
                return false;
            }
            cased |= Character.isLowerCase(cp);
        }
        return cased;
    }

    static boolean isUpper(String s) {
        boolean cased = false;
        for (int cp : codePoints(s)) {
            if (Character.isLowerCase(cp) || Character.isTitleCase(cp)) {
                return false;
            }
            cased |= Character.isUpperCase(cp);
        }
        return cased;
    }

    /** Python {@code str.center(width, fill)}: extra padding goes left when the total is odd and width odd. */
    static String center(String s, long width, String fill) {
        long len = s.codePointCount(0, s.length());
        if (width <= len) {
            return s;
        }
        long marg = width - len;
        long left = marg / 2 + (marg & width & 1);
        return fill.repeat((int) left) + s + fill.repeat((int) (marg - left));
    }

    /** Index (in code points) of {@code sub} in {@code s} from code point {@code start}, or -1. */
    static long find(String s, String sub, boolean fromRight) {
        int at = fromRight ? s.lastIndexOf(sub) : s.indexOf(sub);
        return at < 0 ? -1 : s.codePointCount(0, at);
    }

    static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1L;
        }
        long n = 0;
        int at = s.indexOf(sub);
        while (at >= 0) {
            n++;
            at = s.indexOf(sub, at + sub.length());
        }
        return n;
    }
}
