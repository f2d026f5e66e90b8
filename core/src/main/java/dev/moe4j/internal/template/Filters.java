package dev.moe4j.internal.template;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jinja2's built-in filters as chat templates use them, with Jinja's own semantics (including its quirks: {@code map},
 * {@code select}, {@code items} ... return one-shot generators; {@code title} splits words its own way), plus
 * transformers' {@code tojson}. Known Jinja filters not implemented here are rejected at compile time with a clear
 * message rather than silently misbehaving.
 */
final class Filters {
    private static final Set<String> NAMES = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d",
            "default", "dictsort", "e", "escape", "first", "float", "format", "forceescape", "indent", "int", "items",
            "join",
            "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse",
            "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "unique",
            "upper", "wordcount");
    private static final Set<String> UNSUPPORTED = Set.of("filesizeformat", "groupby", "pprint", "random",
            "slice", "striptags", "truncate", "urlencode", "urlize", "wordwrap", "xmlattr");
    private static final Pattern WORD_BEGINNING_SPLIT = Pattern.compile("[-\\s({\\[<]+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Object R = Args.REQUIRED;
    /** Filters Jinja passes the render context to; its optimizer never folds them to constants. */
    static final Set<String> NEEDS_CONTEXT = Set.of("map", "select", "reject", "selectattr", "rejectattr");

    private Filters() {
    }

    /** Null when a filter of that name exists, else the error message. */
    static String checkName(String name) {
        if (NAMES.contains(name)) {
            return null;
        }
        if (UNSUPPORTED.contains(name)) {
            return "filter '" + name + "' is not supported by this template engine";
        }
        return "unknown filter '" + name + "'";
    }

    /** A Jinja filter this engine does not implement (rejected at compile time wherever it appears). */
    static boolean isUnsupported(String name) {
        return UNSUPPORTED.contains(name);
    }

    static Object apply(Evaluator ev, String name, Object v, List<Object> args, Map<String, Object> kw) {
        String problem = checkName(name);
        if (problem != null) {
            throw PyError.unsupported(problem);
        }
        return switch (name) {
            case "abs" -> {
                bind(name, args, kw);
                yield abs(v);
            }
            case "attr" -> attr(v, PyRepr.str(bind(name, args, kw, "name", R)[0]));
            case "batch" -> {
                Object[] p = bind(name, args, kw, "linecount", R, "fill_with", null);
                yield PyIterator.generator("do_batch", () -> SequenceFilters.batch(v, p));
            }
            case "capitalize" -> keepMarkup(v, PyStrings.capitalize(soft(v, name, args, kw)));
            case "center" -> {
                Object[] p = bind(name, args, kw, "width", 80L);
                long width = Args.integer("center", p[0]);
                if (width > PyArithmetic.MAX_REPEAT) {
                    throw new PyError("MemoryError: padding too large");
                }
                yield keepMarkup(v, PyStrings.center(PyRepr.str(v), width, " "));
            }
            case "count", "length" -> {
                bind(name, args, kw);
                yield PyOps.len(v);
            }
            case "d", "default" -> {
                Object[] p = bind(name, args, kw, "default_value", "", "boolean", false);
                yield v instanceof Undefined || (PyOps.truthy(p[1]) && !PyOps.truthy(v)) ? p[0] : v;
            }
            case "dictsort" -> SequenceFilters.dictsort(v, bind(name, args, kw, "case_sensitive", false, "by", "key",
                    "reverse", false));
            case "e", "escape" -> {
                bind(name, args, kw);
                yield Markup.escape(v);
            }
            case "forceescape" -> {
                bind(name, args, kw);
                yield Markup.escape(PyRepr.str(v));
            }
            case "first" -> {
                bind(name, args, kw);
                yield SequenceFilters.first(v);
            }
            case "last" -> {
                bind(name, args, kw);
                yield SequenceFilters.last(v);
            }
            case "float" -> toFloat(v, bind(name, args, kw, "default", 0.0)[0]);
            case "format" -> {
                if (!args.isEmpty() && !kw.isEmpty()) {
                    throw new PyError("FilterArgumentError: can't handle positional and keyword arguments at the same"
                            + " time");
                }
                Object values = kw.isEmpty() ? new PyTuple(args) : new LinkedHashMap<Object, Object>(kw);
                yield v instanceof Markup m ? new Markup(PyFormat.format(m.text(), values, true))
                        : PyFormat.format(PyRepr.str(v), values);
            }
            case "indent" -> indent(v, bind(name, args, kw, "width", 4L, "first", false, "blank", false));
            case "int" -> toInt(v, bind(name, args, kw, "default", 0L, "base", 10L));
            case "items" -> {
                bind(name, args, kw);
                yield PyIterator.generator("do_items", () -> SequenceFilters.items(v));
            }
            case "join" -> SequenceFilters.join(ev, v, bind(name, args, kw, "d", "", "attribute", null));
            case "list" -> {
                bind(name, args, kw);
                yield new ArrayList<>(PyOps.iterate(v));
            }
            case "lower" -> keepMarkup(v, PyStrings.lower(soft(v, name, args, kw)));
            case "upper" -> keepMarkup(v, PyStrings.upper(soft(v, name, args, kw)));
            case "title" -> title(soft(v, name, args, kw));
            case "map" -> PyIterator.generator("sync_do_map", () -> SequenceFilters.map(ev, v, args, kw));
            case "max", "min" -> SequenceFilters.minMax(v, name.equals("max"),
                    bind(name, args, kw, "case_sensitive", false, "attribute", null));
            case "select", "reject" -> PyIterator.generator("select_or_reject",
                    () -> SequenceFilters.selectOrReject(ev, v, args, kw, name.equals("select"), false));
            case "selectattr", "rejectattr" -> PyIterator.generator("select_or_reject",
                    () -> SequenceFilters.selectOrReject(ev, v, args, kw, name.equals("selectattr"), true));
            case "replace" -> {
                Object[] p = bind(name, args, kw, "old", R, "new", R, "count", null);
                long count = p[2] == null ? -1 : Args.integer("replace", p[2]);
                yield PyStrings.replace(PyRepr.str(v), PyRepr.str(p[0]), PyRepr.str(p[1]), count);
            }
            case "reverse" -> {
                bind(name, args, kw);
                yield SequenceFilters.reverse(v);
            }
            case "round" -> round(v, bind(name, args, kw, "precision", 0L, "method", "common"));
            case "safe" -> {
                bind(name, args, kw);
                yield v instanceof Markup ? v : new Markup(PyRepr.str(v));
            }
            case "string" -> keepMarkup(v, soft(v, name, args, kw));
            case "sort" -> SequenceFilters.sort(v, bind(name, args, kw, "reverse", false, "case_sensitive", false,
                    "attribute", null));
            case "sum" -> SequenceFilters.sum(v, bind(name, args, kw, "attribute", null, "start", 0L));
            case "tojson" -> {
                Object[] p = bind(name, args, kw, "ensure_ascii", false, "indent", null, "separators", null,
                        "sort_keys", false);
                yield Json.dumps(v, PyOps.truthy(p[0]), p[1], p[2], PyOps.truthy(p[3]));
            }
            case "trim" -> {
                Object[] p = bind(name, args, kw, "chars", null);
                String chars = p[0] == null ? null : Markup.text(p[0]);
                if (p[0] != null && chars == null) {
                    throw PyError.type("strip arg must be None or str");
                }
                if (v instanceof Markup && chars != null) {
                    chars = Markup.escape(p[0]).text();
                }
                yield keepMarkup(v, PyStrings.strip(PyRepr.str(v), chars));
            }
            case "unique" -> {
                Object[] p = bind(name, args, kw, "case_sensitive", false, "attribute", null);
                yield PyIterator.generator("sync_do_unique", () -> SequenceFilters.unique(v, p));
            }
            case "wordcount" -> {
                Matcher m = WORD.matcher(soft(v, name, args, kw));
                long n = 0;
                while (m.find()) {
                    n++;
                }
                yield n;
            }
            default -> throw new IllegalStateException(name);
        };
    }

    /** Binds the filter's arguments after the value: pairs of (parameter name, default or {@link Args#REQUIRED}). */
    private static Object[] bind(String filter, List<Object> args, Map<String, Object> kw, Object... spec) {
        String[] names = new String[spec.length / 2];
        Object[] defaults = new Object[spec.length / 2];
        for (int i = 0; i < names.length; i++) {
            names[i] = (String) spec[2 * i];
            defaults[i] = spec[2 * i + 1];
        }
        return Args.bind(filter, args, kw, names, defaults);
    }

    /** MarkupSafe wraps str methods so that they return Markup for Markup input. */
    private static Object keepMarkup(Object input, String result) {
        return input instanceof Markup ? new Markup(result) : result;
    }

    /** Jinja's {@code soft_str} of the value, for filters that take no arguments. */
    private static String soft(Object v, String name, List<Object> args, Map<String, Object> kw) {
        bind(name, args, kw);
        return PyRepr.str(v);
    }

    private static Object abs(Object v) {
        return switch (v) {
            case null -> throw PyError.type("bad operand type for abs(): 'NoneType'");
            case Double d -> Math.abs(d);
            case Boolean b -> b ? 1L : 0L;
            case Long l when l == Long.MIN_VALUE ->
                    throw new PyError("OverflowError: integer result does not fit in 64 bits");
            case Long l -> Math.abs(l);
            case Undefined u -> throw u.error();
            default -> throw PyError.type("bad operand type for abs(): " + PyRepr.repr(PyRepr.typeName(v)));
        };
    }

    // ---- attribute lookup shared by map/sort/selectattr/... (Jinja's make_attrgetter) ----




    // ---- individual filters ----

    private static Object attr(Object obj, String name) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        if (name.startsWith("__") && name.endsWith("__")) {
            return Undefined.unsafe(obj, name);
        }
        Object method = Methods.lookup(obj, name);
        if (method != null) {
            return method;
        }
        if (obj instanceof Namespace ns && ns.attributes.containsKey(name)) {
            return ns.attributes.get(name);
        }
        if (obj instanceof LoopContext loop) {
            return loop.attribute(name);
        }
        return Undefined.missing(obj, name);
    }





    private static Object toFloat(Object v, Object defaultValue) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (v instanceof Double) {
            return v;
        }
        if (v instanceof Long l) {
            return l.doubleValue();
        }
        if (v instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        if (Markup.text(v) != null) {
            Double d = PyNumbers.parseFloat(Markup.text(v));
            return d == null ? defaultValue : d;
        }
        return defaultValue;
    }

    private static Object toInt(Object v, Object[] p) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (Markup.text(v) != null) {
            String s = Markup.text(v);
            Long l = PyNumbers.parseInt(s, Args.integer("int", p[1]));
            if (l != null) {
                return l;
            }
            Double d = PyNumbers.parseFloat(s);
            return d == null || d.isNaN() ? p[0] : PyNumbers.truncate(d);
        }
        if (v instanceof Long) {
            return v;
        }
        if (v instanceof Boolean b) {
            return b ? 1L : 0L;
        }
        if (v instanceof Double d) {
            return d.isNaN() ? p[0] : PyNumbers.truncate(d);
        }
        return p[0];
    }

    private static Object indent(Object v, Object[] p) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        String s = Markup.text(v);
        if (s == null) {
            throw PyError.type("unsupported operand type(s) for +=: " + PyRepr.repr(PyRepr.typeName(v)) + " and 'str'");
        }
        String indention = p[0] instanceof String w ? w : " ".repeat((int) Math.max(0,
                Math.min(Args.integer("indent", p[0]), PyArithmetic.MAX_REPEAT)));
        List<Object> lines = PyStrings.splitlines(s + "\n", false);
        StringBuilder b = new StringBuilder();
        if (PyOps.truthy(p[2])) {
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) {
                    b.append('\n').append(indention);
                }
                b.append((String) lines.get(i));
            }
        } else {
            b.append((String) lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                b.append('\n');
                if (!line.isEmpty()) {
                    b.append(indention);
                }
                b.append(line);
            }
        }
        String result = PyOps.truthy(p[1]) ? indention + b : b.toString();
        return keepMarkup(v, result);
    }



    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        Matcher m = WORD_BEGINNING_SPLIT.matcher(s);
        int last = 0;
        while (m.find()) {
            titleWord(b, s.substring(last, m.start()));
            titleWord(b, m.group());
            last = m.end();
        }
        titleWord(b, s.substring(last));
        return b.toString();
    }

    private static void titleWord(StringBuilder b, String item) {
        if (item.isEmpty()) {
            return;
        }
        int first = item.codePointAt(0);
        b.append(PyStrings.upper(new String(Character.toChars(first))));
        b.append(PyStrings.lower(item.substring(Character.charCount(first))));
    }






    private static Object round(Object v, Object[] p) {
        String method = PyRepr.str(p[1]);
        if (!method.equals("common") && !method.equals("ceil") && !method.equals("floor")) {
            throw new PyError("FilterArgumentError: method must be common, ceil or floor");
        }
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (!PyOps.isNumber(v)) {
            throw PyError.type("type " + PyRepr.typeName(v) + " doesn't define __round__ method");
        }
        long precision = Args.integer("round", p[0]);
        if (method.equals("common")) {
            if (!(v instanceof Double d)) {
                return v instanceof Boolean b ? (b ? 1L : 0L) : v; // round(int, n) stays an int
            }
            if (d.isNaN() || d.isInfinite()) {
                return d;
            }
            return new BigDecimal(d).setScale((int) precision, RoundingMode.HALF_EVEN).doubleValue();
        }
        double scale = Math.pow(10, precision);
        double x = (v instanceof Double d ? d : ((Number) PyArithmetic.plus(v)).doubleValue()) * scale;
        return (method.equals("ceil") ? Math.ceil(x) : Math.floor(x)) / scale;
    }



}
