package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods templates call on values: {@code str} ({@code startswith}, {@code split}, {@code strip}, ...),
 * {@code dict} ({@code items}, {@code get}, {@code keys}, {@code values}) and {@code list}/{@code tuple}
 * ({@code count}, {@code index}). A real Python method this interpreter lacks is still an attribute (so
 * {@code is defined} holds, as in Python) but calling it fails with a TemplateException naming it; mutating methods are
 * refused like Jinja's immutable sandbox does.
 */
final class Methods {
    private static final Set<String> STR_UNSUPPORTED = Set.of("casefold", "encode", "expandtabs", "format",
            "format_map", "isidentifier", "isprintable", "istitle", "maketrans", "translate");
    private static final Set<String> DICT_MUTATING = Set.of("clear", "pop", "popitem", "setdefault", "update");
    private static final Set<String> LIST_MUTATING = Set.of("append", "clear", "extend", "insert", "pop", "remove",
            "reverse", "sort");

    private Methods() {
    }

    /** The bound method {@code obj.name}, an unsafe undefined for refused ones, or null when there is none. */
    static Object lookup(Object obj, String name) {
        return switch (obj) {
            case null -> null;
            case String s -> stringMethod(s, name);
            case Markup m -> Markup.method(m, name);
            case Map<?, ?> m -> dictMethod(m, name);
            case PyRange r -> name.equals("count") || name.equals("index") ? listMethod(obj, r, name) : null;
            case List<?> l -> listMethod(obj, l, name);
            case PyTuple t -> name.equals("count") || name.equals("index") ? listMethod(obj, t.items(), name) : null;
            case Long l -> numberAttribute(l, name);
            case Boolean b -> numberAttribute(b ? 1L : 0L, name);
            case Double d -> numberAttribute(d, name);
            default -> null;
        };
    }

    private static PyCallable bound(Object self, String name, PyCallable.Body body) {
        return PyCallable.of("<built-in method " + name + " of " + PyRepr.typeName(self) + " object>", body);
    }

    // ---- int / float ----

    private static final Set<String> INT_METHODS = Set.of("as_integer_ratio", "bit_count", "bit_length", "conjugate",
            "from_bytes", "is_integer", "to_bytes");
    private static final Set<String> FLOAT_METHODS = Set.of("as_integer_ratio", "conjugate", "fromhex", "hex",
            "is_integer");

    /** Python number attributes: real/imag (and numerator/denominator for ints) are values, methods unsupported. */
    private static Object numberAttribute(Object n, String name) {
        boolean isInt = n instanceof Long;
        switch (name) {
            case "real" -> {
                return n;
            }
            case "imag" -> {
                return isInt ? (Object) 0L : (Object) 0.0;
            }
            case "numerator", "denominator" -> {
                return isInt ? (name.equals("numerator") ? n : (Object) 1L) : null;
            }
            default -> {
                if ((isInt ? INT_METHODS : FLOAT_METHODS).contains(name)) {
                    String type = isInt ? "int" : "float";
                    return bound(n, name, (ev, a, k) -> {
                        throw PyError.unsupported(type + "." + name + "() is not supported by this template engine");
                    });
                }
                return null;
            }
        }
    }

    // ---- str ----

    private static Object stringMethod(String s, String name) {
        if (STR_UNSUPPORTED.contains(name)) {
            return bound(s, name, (ev, args, kw) -> {
                throw PyError.unsupported("str." + name + "() is not supported by this template engine");
            });
        }
        StringMethod m = STRING_METHODS.get(name);
        return m == null ? null : bound(s, name, (ev, args, kw) -> m.call(s, args, kw));
    }

    @FunctionalInterface
    private interface StringMethod {
        Object call(String s, List<Object> args, Map<String, Object> kw);
    }

    private static final Map<String, StringMethod> STRING_METHODS = new LinkedHashMap<>();

    private static void str(String name, StringMethod m) {
        STRING_METHODS.put(name, m);
    }

    private static Object[] bind(String name, List<Object> args, Map<String, Object> kw, String[] names,
                                 Object... defaults) {
        return Args.bind(name, args, kw, names, defaults);
    }

    private static String optChars(String what, Object v) {
        return v == null ? null : Args.string(what + " arg", v);
    }

    static {
        str("upper", (s, a, k) -> { Args.count("upper", a, 0, 0); return PyStrings.upper(s); });
        str("lower", (s, a, k) -> { Args.count("lower", a, 0, 0); return PyStrings.lower(s); });
        str("title", (s, a, k) -> { Args.count("title", a, 0, 0); return PyStrings.title(s); });
        str("capitalize", (s, a, k) -> { Args.count("capitalize", a, 0, 0); return PyStrings.capitalize(s); });
        str("swapcase", (s, a, k) -> { Args.count("swapcase", a, 0, 0); return PyStrings.swapcase(s); });
        str("strip", (s, a, k) -> { Args.count("strip", a, 0, 1);
            return PyStrings.strip(s, a.isEmpty() ? null : optChars("strip", a.get(0))); });
        str("lstrip", (s, a, k) -> { Args.count("lstrip", a, 0, 1);
            return PyStrings.lstrip(s, a.isEmpty() ? null : optChars("lstrip", a.get(0))); });
        str("rstrip", (s, a, k) -> { Args.count("rstrip", a, 0, 1);
            return PyStrings.rstrip(s, a.isEmpty() ? null : optChars("rstrip", a.get(0))); });
        str("split", (s, a, k) -> {
            Object[] p = bind("split", a, k, new String[] {"sep", "maxsplit"}, null, -1L);
            return PyStrings.split(s, optChars("split", p[0]), Args.integer("split", p[1]));
        });
        str("rsplit", (s, a, k) -> {
            Object[] p = bind("rsplit", a, k, new String[] {"sep", "maxsplit"}, null, -1L);
            return PyStrings.rsplit(s, optChars("rsplit", p[0]), Args.integer("rsplit", p[1]));
        });
        str("splitlines", (s, a, k) -> {
            Object[] p = bind("splitlines", a, k, new String[] {"keepends"}, false);
            return PyStrings.splitlines(s, PyOps.truthy(p[0]));
        });
        str("startswith", (s, a, k) -> affix("startswith", s, a, k, true));
        str("endswith", (s, a, k) -> affix("endswith", s, a, k, false));
        str("replace", (s, a, k) -> {
            Args.count("replace", a, 2, 3);
            Args.noKeywords("replace", k);
            return PyStrings.replace(s, Args.string("replace() argument 1", a.get(0)),
                    Args.string("replace() argument 2", a.get(1)),
                    a.size() > 2 ? Args.integer("replace", a.get(2)) : -1);
        });
        str("join", (s, a, k) -> {
            Args.count("join", a, 1, 1);
            List<Object> items = PyOps.iterate(a.get(0));
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < items.size(); i++) {
                if (!(items.get(i) instanceof String item)) {
                    throw PyError.type("sequence item " + i + ": expected str instance, "
                            + PyRepr.typeName(items.get(i)) + " found");
                }
                if (i > 0) {
                    b.append(s);
                }
                b.append(item);
            }
            return b.toString();
        });
        str("find", (s, a, k) -> { Args.count("find", a, 1, 1);
            return PyStrings.find(s, Args.string("find() argument", a.get(0)), false); });
        str("rfind", (s, a, k) -> { Args.count("rfind", a, 1, 1);
            return PyStrings.find(s, Args.string("rfind() argument", a.get(0)), true); });
        str("index", (s, a, k) -> { Args.count("index", a, 1, 1);
            return found(PyStrings.find(s, Args.string("index() argument", a.get(0)), false)); });
        str("rindex", (s, a, k) -> { Args.count("rindex", a, 1, 1);
            return found(PyStrings.find(s, Args.string("rindex() argument", a.get(0)), true)); });
        str("count", (s, a, k) -> { Args.count("count", a, 1, 1);
            return PyStrings.count(s, Args.string("count() argument", a.get(0))); });
        str("partition", (s, a, k) -> partition(s, a, false));
        str("rpartition", (s, a, k) -> partition(s, a, true));
        str("removeprefix", (s, a, k) -> { Args.count("removeprefix", a, 1, 1);
            String p = Args.string("removeprefix() argument", a.get(0));
            return s.startsWith(p) ? s.substring(p.length()) : s; });
        str("removesuffix", (s, a, k) -> { Args.count("removesuffix", a, 1, 1);
            String p = Args.string("removesuffix() argument", a.get(0));
            return !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s; });
        str("center", (s, a, k) -> pad(s, a, "center"));
        str("ljust", (s, a, k) -> pad(s, a, "ljust"));
        str("rjust", (s, a, k) -> pad(s, a, "rjust"));
        str("zfill", (s, a, k) -> { Args.count("zfill", a, 1, 1);
            long width = Args.integer("zfill", a.get(0));
            long len = s.codePointCount(0, s.length());
            if (width <= len) {
                return s;
            }
            String zeros = "0".repeat((int) (width - len));
            boolean sign = !s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-');
            return sign ? s.charAt(0) + zeros + s.substring(1) : zeros + s; });
        str("isalpha", (s, a, k) -> all(s, Character::isLetter));
        str("isalnum", (s, a, k) -> all(s, Character::isLetterOrDigit));
        str("isdigit", (s, a, k) -> all(s, Character::isDigit));
        str("isdecimal", (s, a, k) -> all(s, cp -> Character.getType(cp) == Character.DECIMAL_DIGIT_NUMBER));
        str("isnumeric", (s, a, k) -> all(s, cp -> Character.isDigit(cp)
                || Character.getType(cp) == Character.LETTER_NUMBER
                || Character.getType(cp) == Character.OTHER_NUMBER));
        str("isspace", (s, a, k) -> all(s, PyChars::isSpace));
        str("isascii", (s, a, k) -> s.chars().allMatch(c -> c < 0x80));
        str("islower", (s, a, k) -> PyStrings.isLower(s));
        str("isupper", (s, a, k) -> PyStrings.isUpper(s));
    }

    private static Object found(long index) {
        if (index < 0) {
            throw PyError.value("substring not found");
        }
        return index;
    }

    private static boolean all(String s, java.util.function.IntPredicate p) {
        return !s.isEmpty() && s.codePoints().allMatch(p);
    }

    private static Object affix(String name, String s, List<Object> a, Map<String, Object> k, boolean prefix) {
        Args.count(name, a, 1, 3);
        Args.noKeywords(name, k);
        int[] cps = PyStrings.codePoints(s);
        Object start = a.size() > 1 ? a.get(1) : null;
        Object end = a.size() > 2 ? a.get(2) : null;
        int[] range = PyAccess.sliceIndices(new PySlice(start, end, null), cps.length);
        String target;
        if (range.length == 0) {
            long from = start == null ? 0 : Args.integer(name, start);
            if (from < 0) {
                from = Math.max(0, from + cps.length);
            }
            if (from > cps.length) {
                return false; // Python: start beyond the end never matches, not even ""
            }
            target = "";
        } else {
            target = PyStrings.fromCodePoints(cps, range[0], range[range.length - 1] + 1);
        }
        List<Object> candidates = a.get(0) instanceof PyTuple t ? t.items() : List.of(a.get(0));
        for (Object c : candidates) {
            if (!(c instanceof String text)) {
                throw PyError.type(name + " first arg must be str or a tuple of str, not " + PyRepr.typeName(c));
            }
            if (prefix ? target.startsWith(text) : target.endsWith(text)) {
                return true;
            }
        }
        return false;
    }

    private static Object partition(String s, List<Object> a, boolean fromRight) {
        Args.count(fromRight ? "rpartition" : "partition", a, 1, 1);
        String sep = Args.string("partition() argument", a.get(0));
        if (sep.isEmpty()) {
            throw PyError.value("empty separator");
        }
        int at = fromRight ? s.lastIndexOf(sep) : s.indexOf(sep);
        if (at < 0) {
            return fromRight ? PyTuple.of("", "", s) : PyTuple.of(s, "", "");
        }
        return PyTuple.of(s.substring(0, at), sep, s.substring(at + sep.length()));
    }

    private static Object pad(String s, List<Object> a, String how) {
        Args.count(how, a, 1, 2);
        long width = Args.integer(how, a.get(0));
        String fill = a.size() > 1 ? Args.string(how + "() argument 2", a.get(1)) : " ";
        if (fill.codePointCount(0, fill.length()) != 1) {
            throw PyError.type("The fill character must be exactly one character long");
        }
        if (width > PyArithmetic.MAX_REPEAT) {
            throw new PyError("MemoryError: padding too large");
        }
        long len = s.codePointCount(0, s.length());
        if (width <= len) {
            return s;
        }
        return switch (how) {
            case "center" -> PyStrings.center(s, width, fill);
            case "ljust" -> s + fill.repeat((int) (width - len));
            default -> fill.repeat((int) (width - len)) + s;
        };
    }

    // ---- dict ----

    @SuppressWarnings("unchecked")
    private static Object dictMethod(Map<?, ?> m, String name) {
        Map<Object, Object> map = (Map<Object, Object>) m;
        if (DICT_MUTATING.contains(name)) {
            return Undefined.unsafe(m, name);
        }
        return switch (name) {
            case "items" -> bound(m, name, (ev, a, k) -> noArgs(name, a, k, new DictView(DictView.Kind.ITEMS, map)));
            case "keys" -> bound(m, name, (ev, a, k) -> noArgs(name, a, k, new DictView(DictView.Kind.KEYS, map)));
            case "values" -> bound(m, name, (ev, a, k) -> noArgs(name, a, k, new DictView(DictView.Kind.VALUES, map)));
            case "copy" -> bound(m, name, (ev, a, k) -> noArgs(name, a, k, new LinkedHashMap<>(map)));
            case "get" -> bound(m, name, (ev, a, k) -> {
                Args.count("get", a, 1, 2);
                Args.noKeywords("get", k);
                PyOps.checkHashable(a.get(0));
                Object key = PyOps.findKey(map, a.get(0));
                return key != PyOps.NO_KEY ? map.get(key) : (a.size() > 1 ? a.get(1) : null);
            });
            case "fromkeys" -> bound(m, name, (ev, a, k) -> {
                throw PyError.unsupported("dict.fromkeys() is not supported by this template engine");
            });
            default -> null;
        };
    }

    private static Object noArgs(String name, List<Object> a, Map<String, Object> k, Object result) {
        Args.count(name, a, 0, 0);
        Args.noKeywords(name, k);
        return result;
    }

    // ---- list / tuple ----

    private static Object listMethod(Object self, List<?> list, String name) {
        if (self instanceof List && LIST_MUTATING.contains(name)) {
            return Undefined.unsafe(self, name);
        }
        return switch (name) {
            case "count" -> bound(self, name, (ev, a, k) -> {
                Args.count("count", a, 1, 1);
                return list.stream().filter(x -> PyOps.equals(x, a.get(0))).count();
            });
            case "index" -> bound(self, name, (ev, a, k) -> {
                Args.count("index", a, 1, 1);
                for (int i = 0; i < list.size(); i++) {
                    if (PyOps.equals(list.get(i), a.get(0))) {
                        return (long) i;
                    }
                }
                throw PyError.value(PyRepr.repr(a.get(0)) + " is not in " + PyRepr.typeName(self));
            });
            case "copy" -> self instanceof List
                    ? bound(self, name, (ev, a, k) -> noArgs(name, a, k, new ArrayList<Object>(list))) : null;
            default -> null;
        };
    }
}
