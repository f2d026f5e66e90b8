package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(value, ensure_ascii, indent, separators, sort_keys)}, byte for byte: transformers replaces
 * Jinja's {@code tojson} filter with exactly that call (no HTML escaping, {@code ensure_ascii=False} by default).
 */
final class Json {
    private final boolean ensureAscii;
    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final StringBuilder out = new StringBuilder();

    private Json(boolean ensureAscii, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        this.ensureAscii = ensureAscii;
        this.indent = indent;
        this.itemSeparator = itemSeparator;
        this.keySeparator = keySeparator;
        this.sortKeys = sortKeys;
    }

    /**
     * @param indent     null, a Long (that many spaces; negative means none) or a String used as-is
     * @param separators null or a pair (item separator, key separator)
     */
    static String dumps(Object value, boolean ensureAscii, Object indent, Object separators, boolean sortKeys) {
        String indentText = switch (indent) {
            case null -> null;
            case Long n -> " ".repeat((int) Math.max(0, Math.min(n, 1024)));
            case Boolean b -> b ? " " : "";
            case String s -> s;
            default -> throw PyError.type("indent must be an int or a string, not " + PyRepr.typeName(indent));
        };
        String item = indentText == null ? ", " : ",";
        String key = ": ";
        if (separators != null) {
            List<Object> pair = separators instanceof PyTuple t ? t.items()
                    : separators instanceof List<?> l ? new ArrayList<>(l) : null;
            if (pair == null || pair.size() != 2 || !(pair.get(0) instanceof String a)
                    || !(pair.get(1) instanceof String b)) {
                throw PyError.value("separators must be a pair of strings");
            }
            item = a;
            key = b;
        }
        Json json = new Json(ensureAscii, indentText, item, key, sortKeys);
        json.write(value, 0);
        return json.out.toString();
    }

    private void write(Object v, int level) {
        switch (v) {
            case null -> out.append("null");
            case Boolean b -> out.append(b ? "true" : "false");
            case Long l -> out.append(l.longValue());
            case Double d -> out.append(floatText(d));
            case String s -> writeString(s);
            case Markup m -> writeString(m.text());
            case PyRange r -> throw PyError.type("Object of type range is not JSON serializable");
            case List<?> list -> writeArray(list, level);
            case PyTuple t -> writeArray(t.items(), level);
            case Map<?, ?> map -> writeObject(map, level);
            default -> throw PyError.type("Object of type " + PyRepr.typeName(v) + " is not JSON serializable");
        }
    }

    private static String floatText(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return PyRepr.formatFloat(d);
    }

    private void newline(int level) {
        if (indent != null) {
            out.append('\n');
            out.append(indent.repeat(level));
        }
    }

    private void writeArray(List<?> list, int level) {
        if (list.isEmpty()) {
            out.append("[]");
            return;
        }
        out.append('[');
        newline(level + 1);
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                out.append(itemSeparator);
                newline(level + 1);
            }
            write(list.get(i), level + 1);
        }
        newline(level);
        out.append(']');
    }

    private void writeObject(Map<?, ?> map, int level) {
        if (map.isEmpty()) {
            out.append("{}");
            return;
        }
        List<Map.Entry<?, ?>> entries = new ArrayList<>(map.entrySet());
        if (sortKeys) {
            entries.sort((x, y) -> PyOps.sortCompare(x.getKey(), y.getKey()));
        }
        out.append('{');
        newline(level + 1);
        boolean first = true;
        for (Map.Entry<?, ?> e : entries) {
            if (!first) {
                out.append(itemSeparator);
                newline(level + 1);
            }
            first = false;
            writeString(keyText(e.getKey()));
            out.append(keySeparator);
            write(e.getValue(), level + 1);
        }
        newline(level);
        out.append('}');
    }

    private static String keyText(Object key) {
        return switch (key) {
            case String s -> s;
            case Markup m -> m.text();
            case null -> "null";
            case Boolean b -> b ? "true" : "false";
            case Long l -> l.toString();
            case Double d -> floatText(d);
            default -> throw PyError.type("keys must be str, int, float, bool or None, not " + PyRepr.typeName(key));
        };
    }

    private void writeString(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7E)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
