package dev.moe4j.internal.template;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Python's {@code str()}, {@code repr()} and type names for template values, as Jinja prints them. */
final class PyRepr {
    private PyRepr() {
    }

    /** Python {@code str(value)}; an undefined value prints as the empty string. */
    static String str(Object value) {
        if (value instanceof String s) {
            return s;
        }
        if (value instanceof Undefined) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        appendRepr(b, value, false);
        return b.toString();
    }

    /** Python {@code repr(value)}. */
    static String repr(Object value) {
        StringBuilder b = new StringBuilder();
        appendRepr(b, value, true);
        return b.toString();
    }

    private static void appendRepr(StringBuilder b, Object v, boolean quoteStrings) {
        switch (v) {
            case null -> b.append("None");
            case String s -> {
                if (quoteStrings) {
                    appendStringRepr(b, s);
                } else {
                    b.append(s);
                }
            }
            case Markup m -> {
                if (quoteStrings) {
                    b.append("Markup(");
                    appendStringRepr(b, m.text());
                    b.append(')');
                } else {
                    b.append(m.text());
                }
            }
            case Boolean bool -> b.append(bool ? "True" : "False");
            case Long l -> b.append(l.longValue());
            case Double d -> b.append(formatFloat(d));
            case Undefined u -> b.append(quoteStrings ? "Undefined" : "");
            case PyRange r -> b.append(r.repr());
            case List<?> list -> appendItems(b, "[", list, "]");
            case PyTuple t -> appendItems(b, "(", t.items(), t.items().size() == 1 ? ",)" : ")");
            case Map<?, ?> map -> appendMap(b, map);
            case DictView view -> {
                b.append(view.kind().typeName).append('(');
                appendItems(b, "[", view.elements(), "]");
                b.append(')');
            }
            case Namespace ns -> {
                b.append("<Namespace ");
                appendMap(b, ns.attributes);
                b.append('>');
            }
            case PyIterator it -> b.append(it.repr());
            case PyCallable c -> b.append(c.repr());
            case LoopContext loop -> b.append("<LoopContext ").append(loop.index0() + 1).append('/')
                    .append(loop.length()).append('>');
            case PySlice s -> b.append("slice(").append(repr(s.start())).append(", ").append(repr(s.stop()))
                    .append(", ").append(repr(s.step())).append(')');
            default -> throw new IllegalStateException("not a template value: " + v.getClass());
        }
    }

    private static void appendItems(StringBuilder b, String open, List<?> items, String close) {
        b.append(open);
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) {
                b.append(", ");
            }
            appendRepr(b, items.get(i), true);
        }
        b.append(close);
    }

    private static void appendMap(StringBuilder b, Map<?, ?> map) {
        b.append('{');
        Iterator<? extends Map.Entry<?, ?>> it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<?, ?> e = it.next();
            appendRepr(b, e.getKey(), true);
            b.append(": ");
            appendRepr(b, e.getValue(), true);
            if (it.hasNext()) {
                b.append(", ");
            }
        }
        b.append('}');
    }

    /** Python's string repr: single quotes unless the text has a single quote and no double quote. */
    private static void appendStringRepr(StringBuilder b, String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        b.append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') {
                b.append('\\').append((char) cp);
            } else if (cp == '\t') {
                b.append("\\t");
            } else if (cp == '\n') {
                b.append("\\n");
            } else if (cp == '\r') {
                b.append("\\r");
            } else if (cp < 0x20 || cp == 0x7F) {
                b.append(String.format("\\x%02x", cp));
            } else if (cp < 0x7F || PyChars.isPrintable(cp)) {
                b.appendCodePoint(cp);
            } else if (cp <= 0xFF) {
                b.append(String.format("\\x%02x", cp));
            } else if (cp <= 0xFFFF) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.append(String.format("\\U%08x", cp));
            }
        }
        b.append(quote);
    }

    /**
     * Python's {@code repr(float)}: the shortest digits that round-trip (Java's {@code Double.toString} gives the
     * same digits since JDK 19), fixed notation for 1e-4 &lt;= |x| &lt; 1e16, otherwise {@code 1e+16} style.
     */
    static String formatFloat(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d) < 0 ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        if (bd.precision() == 2) {
            // Java prints at least two significant digits (4.9E-324) where one already round-trips (Python: 5e-324)
            BigDecimal one = new BigDecimal(Math.abs(d)).round(new java.math.MathContext(1,
                    java.math.RoundingMode.HALF_EVEN));
            if (Double.parseDouble(one.toString()) == Math.abs(d)) {
                bd = one.stripTrailingZeros();
            }
        }
        String digits = bd.unscaledValue().toString();
        int decimalPoint = digits.length() - bd.scale(); // value = 0.digits * 10^decimalPoint
        StringBuilder b = new StringBuilder();
        if (d < 0) {
            b.append('-');
        }
        if (decimalPoint > -4 && decimalPoint <= 16) {
            if (decimalPoint <= 0) {
                b.append("0.").append("0".repeat(-decimalPoint)).append(digits);
            } else if (decimalPoint >= digits.length()) {
                b.append(digits).append("0".repeat(decimalPoint - digits.length())).append(".0");
            } else {
                b.append(digits, 0, decimalPoint).append('.').append(digits, decimalPoint, digits.length());
            }
        } else {
            b.append(digits.charAt(0));
            if (digits.length() > 1) {
                b.append('.').append(digits, 1, digits.length());
            }
            int exponent = decimalPoint - 1;
            b.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                b.append('0');
            }
            b.append(abs);
        }
        return b.toString();
    }

    /** Python's {@code type(value).__name__}. */
    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case String s -> "str";
            case Markup m -> "Markup";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case Undefined u -> "Undefined";
            case PyRange r -> "range";
            case List<?> l -> "list";
            case PyTuple t -> "tuple";
            case Map<?, ?> m -> "dict";
            case DictView view -> view.kind().typeName;
            case Namespace ns -> "Namespace";
            case PyIterator it -> it.typeName();
            case Macro m -> "Macro";
            case PyCallable c -> "builtin_function_or_method";
            case LoopContext l -> "LoopContext";
            case PySlice s -> "slice";
            default -> v.getClass().getSimpleName();
        };
    }

    /** The type name Jinja's {@code object_type_repr} uses (module-qualified for Jinja's own classes). */
    static String qualifiedTypeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case Namespace ns -> "jinja2.utils.Namespace";
            case Markup m -> "markupsafe.Markup";
            case LoopContext l -> "jinja2.runtime.LoopContext";
            case Macro m -> "jinja2.runtime.Macro";
            default -> typeName(v);
        };
    }
}
