package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * MarkupSafe's {@code Markup}: a string already safe for HTML, which {@code |safe} and {@code |escape} return. It is a
 * string for every read-only purpose, but combining it with plain text escapes that text: {@code (x|safe) + '<'}
 * yields {@code '...&lt;'}, and so does {@code '<' + (x|safe)}. Jinja with autoescape off (as transformers runs it)
 * only meets it through those filters.
 */
record Markup(String text) {
    /** str methods that MarkupSafe wraps: string arguments are escaped, a string result is Markup again. */
    private static final Set<String> ESCAPING_METHODS = Set.of("capitalize", "title", "lower", "upper", "replace",
            "ljust", "rjust", "lstrip", "rstrip", "center", "strip", "swapcase", "zfill", "removeprefix",
            "removesuffix");

    /** MarkupSafe's {@code escape}: Markup passes unchanged; anything else is stringified and escaped. */
    static Markup escape(Object v) {
        if (v instanceof Markup m) {
            return m;
        }
        return new Markup(escapeText(PyRepr.str(v)));
    }

    static String escapeText(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&#34;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** The text of a str or Markup, else null. */
    static String text(Object v) {
        return v instanceof String s ? s : v instanceof Markup m ? m.text : null;
    }

    /** {@code a + b} where at least one side is Markup and the other a string: the plain side is escaped. */
    static Markup concat(Object a, Object b) {
        return new Markup(escape(a).text + escape(b).text);
    }

    /** The bound method {@code markup.name}, or null when str has no such method. */
    static Object method(Markup self, String name) {
        Object plain = Methods.lookup(self.text, name);
        if (!(plain instanceof PyCallable method)) {
            return plain;
        }
        String repr = "<bound method Markup." + name + ">";
        if (ESCAPING_METHODS.contains(name)) {
            return PyCallable.of(repr, (ev, args, kw) -> wrap(method.call(ev, escapeArgs(args), escapeArgs(kw))));
        }
        return switch (name) {
            case "join" -> PyCallable.of(repr, (ev, args, kw) -> {
                Args.count("join", args, 1, 1);
                List<Object> escaped = new ArrayList<>();
                for (Object item : PyOps.iterate(args.get(0))) {
                    if (Markup.text(item) == null) {
                        throw PyError.type("sequence item " + escaped.size() + ": expected str instance, "
                                + PyRepr.typeName(item) + " found");
                    }
                    escaped.add(escape(item).text);
                }
                return new Markup(String.join(self.text, escaped.stream().map(x -> (String) x).toList()));
            });
            case "split", "rsplit", "splitlines", "partition", "rpartition" ->
                    PyCallable.of(repr, (ev, args, kw) -> wrap(method.call(ev, args, kw)));
            default -> plain;
        };
    }

    private static List<Object> escapeArgs(List<Object> args) {
        List<Object> out = new ArrayList<>(args.size());
        for (Object a : args) {
            out.add(Markup.text(a) != null ? escape(a).text : a);
        }
        return out;
    }

    private static Map<String, Object> escapeArgs(Map<String, Object> kw) {
        Map<String, Object> out = new java.util.LinkedHashMap<>();
        kw.forEach((k, a) -> out.put(k, Markup.text(a) != null ? escape(a).text : a));
        return out;
    }

    /** Strings in a method result become Markup (also inside the list or tuple split and partition return). */
    private static Object wrap(Object result) {
        return switch (result) {
            case String s -> new Markup(s);
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                l.forEach(x -> out.add(wrap(x)));
                yield out;
            }
            case PyTuple t -> new PyTuple(new ArrayList<>((List<?>) wrap(t.items())));
            case null, default -> result;
        };
    }
}
