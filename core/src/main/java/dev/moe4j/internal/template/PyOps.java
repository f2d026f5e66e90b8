package dev.moe4j.internal.template;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Python semantics of template values: truthiness, {@code ==}, ordering, {@code in},
 * {@code len()} and iteration. Values are null (None), Boolean, Long (int), Double (float), String, List, PyTuple,
 * Map (dict), DictView, PyIterator, Namespace, LoopContext, PyCallable and {@link Undefined}.
 */
final class PyOps {
    private PyOps() {
    }

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0.0;
            case String s -> !s.isEmpty();
            case Markup m -> !m.text().isEmpty();
            case Undefined u -> false;
            case List<?> l -> !l.isEmpty();
            case PyTuple t -> !t.items().isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            case DictView view -> !view.map().isEmpty();
            default -> true;
        };
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static long asLong(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : (Long) v;
    }

    static double asDouble(Object v) {
        return v instanceof Double d ? d : asLong(v);
    }

    // ---- equality and ordering ----

    /** Python {@code a == b}. */
    static boolean equals(Object a, Object b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null) {
            return false;
        }
        if (isNumber(a) && isNumber(b)) {
            return compareNumbers(a, b) == 0;
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (Markup.text(a) != null) {
            return Markup.text(a).equals(Markup.text(b));
        }
        if (a instanceof PyRange || b instanceof PyRange) {
            return a instanceof PyRange ra && b instanceof PyRange rb && ra.sameSequence(rb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            return sequenceEquals(la, lb);
        }
        if (a instanceof PyTuple ta && b instanceof PyTuple tb) {
            return sequenceEquals(ta.items(), tb.items());
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                Object key = findKey(mb, e.getKey());
                if (key == NO_KEY || !equals(e.getValue(), mb.get(key))) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private static boolean sequenceEquals(List<?> a, List<?> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Exact comparison of two Python numbers (int vs float compared by value, as Python does). */
    private static int compareNumbers(Object a, Object b) {
        if (isInt(a) && isInt(b)) {
            return Long.compare(asLong(a), asLong(b));
        }
        double x = asDouble(a);
        double y = asDouble(b);
        if (Double.isNaN(x) || Double.isNaN(y)) {
            return Integer.MIN_VALUE; // unordered: neither equal nor less nor greater
        }
        if (Double.isInfinite(x) || Double.isInfinite(y) || (a instanceof Double && b instanceof Double)) {
            return Double.compare(x, y) == 0 ? 0 : (x < y ? -1 : 1);
        }
        BigDecimal bx = a instanceof Double d ? new BigDecimal(d) : BigDecimal.valueOf(asLong(a));
        BigDecimal by = b instanceof Double d ? new BigDecimal(d) : BigDecimal.valueOf(asLong(b));
        return bx.compareTo(by);
    }

    /** Python {@code a < b} ({@code op} one of {@code < <= > >=}). */
    static boolean order(String op, Object a, Object b) {
        if (a instanceof Undefined u) {
            throw u.error();
        }
        if (b instanceof Undefined u) {
            throw u.error();
        }
        int c;
        if (isNumber(a) && isNumber(b)) {
            c = compareNumbers(a, b);
            if (c == Integer.MIN_VALUE) {
                return false;
            }
        } else if (Markup.text(a) != null && Markup.text(b) != null) {
            c = PyStrings.compare(Markup.text(a), Markup.text(b));
        } else if (a instanceof List<?> la && b instanceof List<?> lb && !(a instanceof PyRange)
                && !(b instanceof PyRange)) {
            return orderSequences(op, la, lb);
        } else if (a instanceof PyTuple ta && b instanceof PyTuple tb) {
            return orderSequences(op, ta.items(), tb.items());
        } else {
            throw PyError.type("'" + op + "' not supported between instances of " + PyRepr.repr(PyRepr.typeName(a))
                    + " and " + PyRepr.repr(PyRepr.typeName(b)));
        }
        return switch (op) {
            case "<" -> c < 0;
            case "<=" -> c <= 0;
            case ">" -> c > 0;
            default -> c >= 0;
        };
    }

    private static boolean orderSequences(String op, List<?> a, List<?> b) {
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            if (!equals(a.get(i), b.get(i))) {
                return order(op, a.get(i), b.get(i));
            }
        }
        int c = Integer.compare(a.size(), b.size());
        return switch (op) {
            case "<" -> c < 0;
            case "<=" -> c <= 0;
            case ">" -> c > 0;
            default -> c >= 0;
        };
    }

    /** A total order for sorting (Python's {@code sorted}); incomparable values raise a TypeError. */
    static int sortCompare(Object a, Object b) {
        if (order("<", a, b)) {
            return -1;
        }
        return order("<", b, a) ? 1 : 0;
    }

    // ---- dict keys ----

    static final Object NO_KEY = new Object();

    /** The key of {@code map} equal to {@code key} in Python's sense (1 == 1.0 == True), or {@link #NO_KEY}. */
    static Object findKey(Map<?, ?> map, Object key) {
        if (map.containsKey(key)) {
            return key;
        }
        if (isNumber(key)) {
            for (Object k : map.keySet()) {
                if (isNumber(k) && compareNumbers(k, key) == 0) {
                    return k;
                }
            }
        }
        return NO_KEY;
    }

    static void checkHashable(Object key) {
        if (key instanceof List && !(key instanceof PyRange) || key instanceof Map || key instanceof Namespace
                || key instanceof DictView) {
            throw PyError.type("unhashable type: " + PyRepr.repr(PyRepr.typeName(key)));
        }
        if (key instanceof PyTuple t) {
            t.items().forEach(PyOps::checkHashable);
        }
    }

    // ---- containers ----

    /** Python {@code len(v)}; undefined has length 0. */
    static long len(Object v) {
        return switch (v) {
            case null -> throw PyError.type("object of type 'NoneType' has no len()");
            case String s -> s.codePointCount(0, s.length());
            case Markup m -> m.text().codePointCount(0, m.text().length());
            case List<?> l -> l.size();
            case PyTuple t -> t.items().size();
            case Map<?, ?> m -> m.size();
            case DictView view -> view.map().size();
            case Undefined u -> 0;
            case LoopContext loop -> loop.length();
            default -> throw PyError.type("object of type " + PyRepr.repr(PyRepr.typeName(v)) + " has no len()");
        };
    }

    /** The elements Python's {@code iter(v)} yields (consuming a one-shot iterator). */
    static List<Object> iterate(Object v) {
        return switch (v) {
            case null -> throw PyError.type("'NoneType' object is not iterable");
            case List<?> l -> Collections.unmodifiableList(l);
            case PyTuple t -> t.items();
            case String s -> PyStrings.characters(s);
            case Markup m -> PyStrings.characters(m.text());
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case DictView view -> view.elements();
            case PyIterator it -> it.drain();
            case Undefined u -> List.of();
            default -> throw PyError.type(PyRepr.repr(PyRepr.typeName(v)) + " object is not iterable");
        };
    }

    static boolean isIterable(Object v) {
        return v instanceof List || v instanceof PyTuple || v instanceof String || v instanceof Markup
                || v instanceof Map
                || v instanceof DictView || v instanceof PyIterator || v instanceof Undefined
                || v instanceof LoopContext;
    }

    /** Python {@code needle in haystack}. */
    static boolean contains(Object haystack, Object needle) {
        switch (haystack) {
            case null -> throw PyError.type("argument of type 'NoneType' is not iterable");
            case String s -> {
                return containsText(s, needle);
            }
            case Markup m -> {
                return containsText(m.text(), needle);
            }
            case Map<?, ?> m -> {
                checkHashable(needle);
                return findKey(m, needle) != NO_KEY;
            }
            case DictView view when view.kind() == DictView.Kind.KEYS -> {
                return findKey(view.map(), needle) != NO_KEY;
            }
            case PyIterator it -> {
                while (it.hasNext()) {
                    if (equals(it.next(), needle)) {
                        return true;
                    }
                }
                return false;
            }
            default -> {
                if (!isIterable(haystack) || haystack instanceof LoopContext) {
                    throw PyError.type("argument of type " + PyRepr.repr(PyRepr.typeName(haystack))
                            + " is not iterable");
                }
                for (Object item : iterate(haystack)) {
                    if (equals(item, needle)) {
                        return true;
                    }
                }
                return false;
            }
        }
    }

    private static boolean containsText(String s, Object needle) {
        if (Markup.text(needle) == null) {
            throw PyError.type("'in <string>' requires string as left operand, not " + PyRepr.typeName(needle));
        }
        return s.contains(Markup.text(needle));
    }














}
