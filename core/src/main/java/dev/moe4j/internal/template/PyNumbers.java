package dev.moe4j.internal.template;

import java.util.regex.Pattern;

/** Python's {@code int(str, base)}, {@code float(str)} and {@code int(float)} conversions. */
final class PyNumbers {
    private static final String DIGITS = "\\d(?:_?\\d)*";
    private static final String EXPONENT = "[eE][+-]?" + DIGITS;
    private static final Pattern FLOAT = Pattern.compile("[+-]?(?:" + DIGITS + "\\.(?:" + DIGITS + ")?(?:" + EXPONENT
            + ")?|\\." + DIGITS + "(?:" + EXPONENT + ")?|" + DIGITS + "(?:" + EXPONENT + ")?|(?i:inf|infinity|nan))");

    private PyNumbers() {
    }

    /** Python {@code int(s, base)}, or null where Python raises ValueError. */
    static Long parseInt(String s, long base) {
        if (base != 0 && (base < 2 || base > 36)) {
            throw PyError.value("int() base must be >= 2 and <= 36, or 0");
        }
        String t = PyStrings.strip(s, null);
        boolean negative = false;
        if (!t.isEmpty() && (t.charAt(0) == '+' || t.charAt(0) == '-')) {
            negative = t.charAt(0) == '-';
            t = t.substring(1);
        }
        int radix = (int) base;
        if (t.length() > 1 && t.charAt(0) == '0' && Character.isLetter(t.charAt(1))) {
            int prefixed = switch (Character.toLowerCase(t.charAt(1))) {
                case 'x' -> 16;
                case 'o' -> 8;
                case 'b' -> 2;
                default -> -1;
            };
            if (prefixed > 0 && (base == 0 || base == prefixed)) {
                radix = prefixed;
                t = t.substring(2);
                if (t.startsWith("_")) {
                    t = t.substring(1);
                }
            }
        }
        if (radix == 0) {
            radix = 10;
            if (t.length() > 1 && t.charAt(0) == '0' && !t.replace("_", "").matches("0+")) {
                return null; // Python forbids leading zeros with base 0
            }
        }
        if (t.isEmpty() || t.startsWith("_") || t.endsWith("_") || t.contains("__")) {
            return null;
        }
        String digits = t.replace("_", "");
        int finalRadix = radix;
        try {
            long v = Long.parseLong(digits, radix);
            return negative ? -v : v;
        } catch (NumberFormatException e) {
            if (digits.chars().allMatch(c -> Character.digit(c, finalRadix) >= 0)) {
                throw new PyError("OverflowError: integer does not fit in 64 bits (not supported here)");
            }
            return null;
        }
    }

    /** Python {@code float(s)}, or null where Python raises ValueError. */
    static Double parseFloat(String s) {
        String t = PyStrings.strip(s, null);
        if (!FLOAT.matcher(t).matches()) {
            return null;
        }
        String lower = t.toLowerCase(java.util.Locale.ROOT);
        boolean negative = lower.startsWith("-");
        String body = lower.replaceFirst("^[+-]", "");
        if (body.startsWith("inf")) {
            return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }
        if (body.equals("nan")) {
            return Double.NaN;
        }
        return Double.parseDouble(t.replace("_", ""));
    }

    /** Python {@code int(x)} for a float: truncation toward zero. */
    static long truncate(double d) {
        if (Double.isInfinite(d)) {
            throw new PyError("OverflowError: cannot convert float infinity to integer");
        }
        if (Math.abs(d) >= 0x1p63) {
            throw new PyError("OverflowError: integer does not fit in 64 bits (not supported here)");
        }
        return (long) d;
    }
}
