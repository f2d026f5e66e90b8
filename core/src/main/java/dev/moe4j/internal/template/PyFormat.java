package dev.moe4j.internal.template;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * Python's printf-style formatting, {@code format % args}, as the {@code %} operator on strings and Jinja's
 * {@code format} filter use it: {@code %(key)} lookups, the flags {@code -+ #0}, width and precision (also {@code *}),
 * and the conversions {@code s r a d i u o x X e E f F g G c %}.
 */
final class PyFormat {
    /** The conversion characters CPython's {@code %} knows (besides {@code %%}). */
    private static final String CONVERSIONS = "sraiduoxXeEfFgGc";

    private PyFormat() {
    }

    /** Python {@code fmt % args}: a tuple supplies positional values; any other value is the single one. */
    static String format(String fmt, Object args) {
        return format(fmt, args, false);
    }

    /** @param escapeValues Markup's {@code %}: the text of {@code %s %r %a} values is HTML-escaped */
    static String format(String fmt, Object args, boolean escapeValues) {
        List<Object> positional = args instanceof PyTuple t ? t.items() : java.util.Collections.singletonList(args);
        boolean single = !(args instanceof PyTuple);
        // CPython treats anything with __getitem__ (but a tuple or str) as a mapping, which also waives the
        // "not all arguments converted" check.
        Object mapping = args instanceof Map || args instanceof List || args instanceof Undefined ? args : null;
        if (fmt == null) {
            throw new IllegalArgumentException("fmt");
        }
        StringBuilder out = new StringBuilder();
        int argIndex = 0;
        int i = 0;
        int n = fmt.length();
        while (i < n) {
            char c = fmt.charAt(i++);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i >= n) {
                throw PyError.value("incomplete format");
            }
            Object keyed = null;
            boolean hasKey = false;
            if (fmt.charAt(i) == '(') {
                int depth = 1;
                int start = ++i;
                while (i < n && depth > 0) {
                    char k = fmt.charAt(i++);
                    depth += k == '(' ? 1 : k == ')' ? -1 : 0;
                }
                if (depth > 0) {
                    throw PyError.value("incomplete format key");
                }
                if (mapping == null) {
                    throw PyError.type("format requires a mapping");
                }
                keyed = PyAccess.getitem(mapping, fmt.substring(start, i - 1));
                if (keyed instanceof Undefined && !(mapping instanceof Undefined)) {
                    throw new PyError("KeyError: " + PyRepr.repr(fmt.substring(start, i - 1)));
                }
                hasKey = true;
            }
            String flags = "";
            while (i < n && "-+ #0".indexOf(fmt.charAt(i)) >= 0) {
                flags += fmt.charAt(i++);
            }
            // long, not int: a width from '*' or from digits may be any 64-bit value and must not wrap around
            long width = -1;
            if (i < n && fmt.charAt(i) == '*') {
                i++;
                width = Args.integer("* wants int", nextArg(positional, argIndex++, single));
                if (width < 0) {
                    flags += "-";
                    width = width == Long.MIN_VALUE ? Long.MAX_VALUE : -width;
                }
            } else {
                int start = i;
                while (i < n && isAsciiDigit(fmt.charAt(i))) {
                    i++;
                }
                if (i > start) {
                    width = digits(fmt, start, i, "width");
                }
            }
            long precision = -1;
            if (i < n && fmt.charAt(i) == '.') {
                i++;
                if (i < n && fmt.charAt(i) == '*') {
                    i++;
                    precision = Math.max(0, Args.integer("* wants int", nextArg(positional, argIndex++, single)));
                } else {
                    int start = i;
                    while (i < n && isAsciiDigit(fmt.charAt(i))) {
                        i++;
                    }
                    precision = i > start ? digits(fmt, start, i, "precision") : 0;
                }
            }
            while (i < n && "hlL".indexOf(fmt.charAt(i)) >= 0) {
                i++;
            }
            if (i >= n) {
                throw PyError.value("incomplete format");
            }
            char type = fmt.charAt(i++);
            if (type == '%') {
                out.append('%');
                continue;
            }
            Object value = hasKey ? keyed : nextArg(positional, argIndex++, single);
            if (CONVERSIONS.indexOf(type) < 0) {
                // CPython names the character only when it is printable ASCII, and its index in code points
                int cp = fmt.codePointAt(i - 1);
                throw PyError.value("unsupported format character '" + (cp >= 31 && cp <= 126 ? (char) cp : '?')
                        + "' (0x" + Integer.toHexString(cp) + ") at index " + fmt.codePointCount(0, i - 1));
            }
            if (width > PyArithmetic.MAX_REPEAT || precision > 10_000) {
                throw new PyError("MemoryError: format width or precision too large");
            }
            String converted = convert(type, value, flags, (int) precision);
            if (escapeValues && "sra".indexOf(type) >= 0 && !(type == 's' && value instanceof Markup)) {
                converted = Markup.escapeText(converted);
            }
            out.append(pad(converted, flags, (int) width, "diuoxXeEfFgG".indexOf(type) >= 0));
        }
        if (!single && argIndex < positional.size() || single && argIndex == 0 && mapping == null) {
            throw PyError.type("not all arguments converted during string formatting");
        }
        return out.toString();
    }

    /** CPython reads width and precision from ASCII digits only (another digit is an unknown conversion). */
    private static boolean isAsciiDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The number in {@code fmt[start, end)}; past {@code 2^63 - 1} CPython says "width too big" (or precision). */
    private static long digits(String fmt, int start, int end, String what) {
        long v = 0;
        for (int k = start; k < end; k++) {
            int d = fmt.charAt(k) - '0';
            if (v > (Long.MAX_VALUE - d) / 10) {
                throw PyError.value(what + " too big");
            }
            v = v * 10 + d;
        }
        return v;
    }

    private static Object nextArg(List<Object> args, int index, boolean single) {
        if (index >= args.size() || (single && index > 0)) {
            throw PyError.type("not enough arguments for format string");
        }
        return args.get(index);
    }

    private static String convert(char type, Object v, String flags, int precision) {
        return switch (type) {
            case 's', 'r', 'a' -> {
                String s = type == 's' ? PyRepr.str(v) : PyRepr.repr(v);
                if (type == 'a') {
                    s = asciiOnly(s);
                }
                yield precision >= 0 && precision < s.codePointCount(0, s.length())
                        ? s.substring(0, s.offsetByCodePoints(0, precision)) : s;
            }
            case 'd', 'i', 'u' -> sign(Long.toString(Math.abs(integral(type, v, true))), integral(type, v, true) < 0,
                    flags, precision);
            case 'o', 'x', 'X' -> {
                long l = integral(type, v, false);
                String digits = type == 'o' ? Long.toOctalString(Math.abs(l)) : Long.toHexString(Math.abs(l));
                if (type == 'X') {
                    digits = digits.toUpperCase(java.util.Locale.ROOT);
                }
                String prefix = flags.indexOf('#') >= 0 ? (type == 'o' ? "0o" : type == 'x' ? "0x" : "0X") : "";
                yield sign(digits, l < 0, flags, precision).replaceFirst("^([-+ ]?)", "$1" + prefix);
            }
            case 'e', 'E', 'f', 'F', 'g', 'G' -> floating(type, real(type, v), flags, precision);
            case 'c' -> {
                if (v instanceof String s && s.codePointCount(0, s.length()) == 1) {
                    yield s;
                }
                if (v instanceof Long || v instanceof Boolean) {
                    long cp = Args.integer("%c", v);
                    if (cp < 0 || cp > Character.MAX_CODE_POINT) {
                        throw new PyError("OverflowError: %c arg not in range(0x110000)");
                    }
                    yield new String(Character.toChars((int) cp));
                }
                throw PyError.type("%c requires int or char");
            }
            default -> throw new IllegalStateException("conversion '" + type + "' passed the check in format()");
        };
    }

    private static String asciiOnly(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (cp < 0x80) {
                b.append((char) cp);
            } else if (cp <= 0xFF) {
                b.append(String.format("\\x%02x", cp));
            } else if (cp <= 0xFFFF) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.append(String.format("\\U%08x", cp));
            }
        });
        return b.toString();
    }

    private static long integral(char type, Object v, boolean acceptFloat) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (acceptFloat && v instanceof Double d) {
            return PyNumbers.truncate(d);
        }
        throw PyError.type("%" + type + " format: " + (acceptFloat ? "a real number" : "an integer")
                + " is required, not " + PyRepr.typeName(v));
    }

    private static double real(char type, Object v) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (v instanceof Double d) {
            return d;
        }
        if (v instanceof Long || v instanceof Boolean) {
            return Args.integer("%" + type, v);
        }
        throw PyError.type("must be real number, not " + PyRepr.typeName(v));
    }

    /** Sign, then precision as a minimum digit count (integers). */
    private static String sign(String digits, boolean negative, String flags, int precision) {
        if (precision > digits.length()) {
            digits = "0".repeat(precision - digits.length()) + digits;
        }
        return signPrefix(negative, flags) + digits;
    }

    private static String signPrefix(boolean negative, String flags) {
        return negative ? "-" : flags.indexOf('+') >= 0 ? "+" : flags.indexOf(' ') >= 0 ? " " : "";
    }

    private static String floating(char type, double d, String flags, int precision) {
        boolean upper = Character.isUpperCase(type);
        boolean negative = d < 0 || (d == 0 && 1 / d < 0);
        String body;
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            body = Double.isNaN(d) ? "nan" : "inf";
            negative = d < 0;
        } else {
            int p = precision < 0 ? 6 : precision;
            BigDecimal x = new BigDecimal(Math.abs(d));
            body = switch (Character.toLowerCase(type)) {
                case 'f' -> fixed(x, p, flags.indexOf('#') >= 0);
                case 'e' -> exponent(x, p, flags.indexOf('#') >= 0);
                default -> general(x, p == 0 ? 1 : p, flags.indexOf('#') >= 0);
            };
        }
        if (upper) {
            body = body.toUpperCase(java.util.Locale.ROOT);
        }
        return signPrefix(negative, flags) + body;
    }

    private static String fixed(BigDecimal x, int p, boolean alternate) {
        String s = x.setScale(p, RoundingMode.HALF_EVEN).toPlainString();
        return alternate && p == 0 ? s + "." : s;
    }

    private static String exponent(BigDecimal x, int p, boolean alternate) {
        if (x.signum() == 0) {
            return (p > 0 ? "0." + "0".repeat(p) : alternate ? "0." : "0") + "e+00";
        }
        BigDecimal r = x.round(new MathContext(p + 1, RoundingMode.HALF_EVEN));
        int exp = r.precision() - r.scale() - 1;
        String digits = r.unscaledValue().abs().toString();
        digits = (digits + "0".repeat(p + 1)).substring(0, p + 1);
        String mantissa = p > 0 ? digits.charAt(0) + "." + digits.substring(1) : digits + (alternate ? "." : "");
        return mantissa + (exp < 0 ? "e-" : "e+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    private static String general(BigDecimal x, int p, boolean alternate) {
        int exp;
        if (x.signum() == 0) {
            exp = 0;
        } else {
            BigDecimal r = x.round(new MathContext(p, RoundingMode.HALF_EVEN));
            exp = r.precision() - r.scale() - 1;
        }
        String s = exp >= -4 && exp < p ? fixed(x, p - 1 - exp, alternate) : exponent(x, p - 1, alternate);
        if (!alternate) {
            int e = s.indexOf('e');
            String mantissa = e >= 0 ? s.substring(0, e) : s;
            String tail = e >= 0 ? s.substring(e) : "";
            if (mantissa.indexOf('.') >= 0) {
                mantissa = mantissa.replaceFirst("0+$", "").replaceFirst("\\.$", "");
            }
            s = mantissa + tail;
        }
        return s;
    }

    private static String pad(String s, String flags, int width, boolean numeric) {
        int len = s.codePointCount(0, s.length());
        if (width <= len) {
            return s;
        }
        String fill;
        if (flags.indexOf('-') >= 0) {
            return s + " ".repeat(width - len);
        }
        if (numeric && flags.indexOf('0') >= 0) {
            int signEnd = !s.isEmpty() && "+- ".indexOf(s.charAt(0)) >= 0 ? 1 : 0;
            if (s.startsWith("0x", signEnd) || s.startsWith("0X", signEnd) || s.startsWith("0o", signEnd)) {
                signEnd += 2;
            }
            fill = "0".repeat(width - len);
            return s.substring(0, signEnd) + fill + s.substring(signEnd);
        }
        return " ".repeat(width - len) + s;
    }
}
