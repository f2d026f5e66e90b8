package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Jinja's filters over sequences and mappings ({@code map}, {@code select*}/{@code reject*}, {@code sort},
 * {@code dictsort}, {@code unique}, {@code min}/{@code max}, {@code sum}, {@code join}, {@code batch}, {@code items},
 * {@code first}/{@code last}, {@code reverse}) and the attribute lookup they share (Jinja's {@code make_attrgetter}:
 * dotted paths, integer parts as indices).
 */
final class SequenceFilters {
    private SequenceFilters() {
    }

    /** Jinja splits a dotted attribute and uses integer parts as indices. */
    static List<Object> attributeParts(Object attribute) {
        if (attribute == null) {
            return List.of();
        }
        if (attribute instanceof String s) {
            List<Object> parts = new ArrayList<>();
            for (Object part : PyStrings.split(s, ".", -1)) {
                String p = (String) part;
                parts.add(!p.isEmpty() && p.chars().allMatch(Character::isDigit) ? (Object) Long.parseLong(p) : p);
            }
            return parts;
        }
        return List.of(attribute);
    }

    static Object lookupParts(Object item, List<Object> parts, Object defaultValue) {
        for (Object part : parts) {
            item = PyAccess.getitem(item, part);
            if (defaultValue != null && item instanceof Undefined) {
                item = defaultValue;
            }
        }
        return item;
    }

    static Object ignoreCase(Object v) {
        return v instanceof String s ? PyStrings.lower(s) : v;
    }

    static List<Object> batch(Object v, Object[] p) {
        long size = Args.integer("batch", p[0]);
        List<Object> out = new ArrayList<>();
        List<Object> current = new ArrayList<>();
        for (Object item : PyOps.iterate(v)) {
            if (current.size() == size) {
                out.add(current);
                current = new ArrayList<>();
            }
            current.add(item);
        }
        if (!current.isEmpty()) {
            if (p[1] != null) {
                while (current.size() < size) {
                    current.add(p[1]);
                }
            }
            out.add(current);
        }
        return out;
    }

    static Object dictsort(Object v, Object[] p) {
        if (!(v instanceof Map<?, ?> map)) {
            throw PyError.type("dictsort expects a mapping, got " + PyRepr.typeName(v));
        }
        int pos = switch (PyRepr.str(p[1])) {
            case "key" -> 0;
            case "value" -> 1;
            default -> throw new PyError("FilterArgumentError: You can only sort by either \"key\" or \"value\"");
        };
        boolean caseSensitive = PyOps.truthy(p[0]);
        List<Object> items = new ArrayList<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            items.add(PyTuple.of(e.getKey(), e.getValue()));
        }
        Comparator<Object> cmp = Comparator.comparing(item -> {
            Object key = ((PyTuple) item).items().get(pos);
            return caseSensitive ? key : ignoreCase(key);
        }, PyOps::sortCompare);
        items.sort(PyOps.truthy(p[2]) ? cmp.reversed() : cmp);
        return items;
    }

    /** {@code next(iter(v))}: consumes only the first item of an iterator. */
    static Object first(Object v) {
        if (v instanceof PyIterator it) {
            return it.hasNext() ? it.next() : Undefined.withHint("No first item, sequence was empty.");
        }
        List<Object> items = PyOps.iterate(v);
        return items.isEmpty() ? Undefined.withHint("No first item, sequence was empty.") : items.get(0);
    }

    static Object last(Object v) {
        if (v instanceof PyIterator it) {
            throw PyError.type(PyRepr.repr(it.typeName()) + " object is not reversible");
        }
        if (v instanceof String || v instanceof List || v instanceof PyTuple || v instanceof Map
                || v instanceof DictView || v instanceof Undefined) {
            List<Object> items = PyOps.iterate(v);
            return items.isEmpty() ? Undefined.withHint("No last item, sequence was empty.")
                    : items.get(items.size() - 1);
        }
        throw PyError.type(PyRepr.repr(PyRepr.typeName(v)) + " object is not reversible");
    }

    static List<Object> items(Object v) {
        if (v instanceof Undefined) {
            return List.of();
        }
        if (!(v instanceof Map<?, ?> map)) {
            throw PyError.type("Can only get item pairs from a mapping.");
        }
        List<Object> out = new ArrayList<>(map.size());
        for (Map.Entry<?, ?> e : map.entrySet()) {
            out.add(PyTuple.of(e.getKey(), e.getValue()));
        }
        return out;
    }

    static Object join(Evaluator ev, Object v, Object[] p) {
        List<Object> parts = PyOps.iterate(v);
        List<Object> attr = attributeParts(p[1]);
        String sep = PyRepr.str(p[0]);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                b.append(sep);
            }
            b.append(PyRepr.str(p[1] == null ? parts.get(i) : lookupParts(parts.get(i), attr, null)));
            ev.checkLength(b);
        }
        return b.toString();
    }

    static List<Object> map(Evaluator ev, Object v, List<Object> args, Map<String, Object> kw) {
        List<Object> items = PyOps.truthy(v) ? PyOps.iterate(v) : List.of();
        List<Object> out = new ArrayList<>(items.size());
        if (args.isEmpty() && kw.containsKey("attribute")) {
            Map<String, Object> rest = new LinkedHashMap<>(kw);
            List<Object> parts = attributeParts(rest.remove("attribute"));
            Object defaultValue = rest.remove("default");
            if (!rest.isEmpty()) {
                throw new PyError("FilterArgumentError: Unexpected keyword argument "
                        + PyRepr.repr(rest.keySet().iterator().next()));
            }
            for (Object item : items) {
                out.add(lookupParts(item, parts, defaultValue));
            }
        } else {
            if (args.isEmpty()) {
                throw new PyError("FilterArgumentError: map requires a filter argument");
            }
            String filter = PyRepr.str(args.get(0));
            List<Object> rest = args.subList(1, args.size());
            for (Object item : items) {
                out.add(Filters.apply(ev, filter, item, rest, kw));
            }
        }
        return out;
    }

    static Object minMax(Object v, boolean max, Object[] p) {
        List<Object> items = PyOps.iterate(v);
        if (items.isEmpty()) {
            return Undefined.withHint("No aggregated item, sequence was empty.");
        }
        boolean caseSensitive = PyOps.truthy(p[0]);
        List<Object> parts = attributeParts(p[1]);
        Object best = items.get(0);
        Object bestKey = key(best, parts, caseSensitive);
        for (int i = 1; i < items.size(); i++) {
            Object key = key(items.get(i), parts, caseSensitive);
            if (max ? PyOps.order(">", key, bestKey) : PyOps.order("<", key, bestKey)) {
                best = items.get(i);
                bestKey = key;
            }
        }
        return best;
    }

    static Object key(Object item, List<Object> parts, boolean caseSensitive) {
        Object k = lookupParts(item, parts, null);
        return caseSensitive ? k : ignoreCase(k);
    }

    static List<Object> selectOrReject(Evaluator ev, Object v, List<Object> args, Map<String, Object> kw,
                                         boolean select, boolean byAttribute) {
        List<Object> items = PyOps.truthy(v) ? PyOps.iterate(v) : List.of();
        List<Object> parts = List.of();
        int offset = 0;
        if (byAttribute) {
            if (args.isEmpty()) {
                throw new PyError("FilterArgumentError: Missing parameter for attribute name");
            }
            parts = attributeParts(args.get(0));
            offset = 1;
        }
        String test = args.size() > offset ? PyRepr.str(args.get(offset)) : null;
        List<Object> testArgs = args.size() > offset + 1 ? args.subList(offset + 1, args.size()) : List.of();
        List<Object> out = new ArrayList<>();
        for (Object item : items) {
            Object probe = byAttribute ? lookupParts(item, parts, null) : item;
            boolean ok = test == null ? PyOps.truthy(probe) : JinjaTests.apply(test, probe, testArgs, kw);
            if (ok == select) {
                out.add(item);
            }
        }
        return out;
    }

    static Object reverse(Object v) {
        switch (v) {
            case null -> throw new PyError("FilterArgumentError: argument must be iterable");
            case String s -> {
                return new StringBuilder(s).reverse().toString();
            }
            case Markup m -> {
                return new Markup(new StringBuilder(m.text()).reverse().toString());
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l);
                java.util.Collections.reverse(out);
                return PyIterator.over(out, l instanceof PyRange ? "range_iterator" : "list_reverseiterator");
            }
            case PyTuple t -> {
                List<Object> out = new ArrayList<>(t.items());
                java.util.Collections.reverse(out);
                return PyIterator.over(out, "reversed");
            }
            case Map<?, ?> m -> {
                List<Object> out = new ArrayList<>(m.keySet());
                java.util.Collections.reverse(out);
                return PyIterator.over(out, "dict_reversekeyiterator");
            }
            case Undefined u -> {
                return PyIterator.over(List.of(), "reversed");
            }
            default -> {
                if (!PyOps.isIterable(v)) {
                    throw new PyError("FilterArgumentError: argument must be iterable");
                }
                List<Object> out = new ArrayList<>(PyOps.iterate(v));
                java.util.Collections.reverse(out);
                return out;
            }
        }
    }

    static Object sort(Object v, Object[] p) {
        boolean caseSensitive = PyOps.truthy(p[1]);
        List<List<Object>> keyParts = new ArrayList<>();
        if (p[2] instanceof String s) {
            for (Object part : PyStrings.split(s, ",", -1)) {
                keyParts.add(attributeParts(part));
            }
        } else {
            keyParts.add(attributeParts(p[2]));
        }
        List<Object> items = new ArrayList<>(PyOps.iterate(v));
        List<Object[]> keyed = new ArrayList<>(items.size());
        for (Object item : items) {
            List<Object> key = new ArrayList<>(keyParts.size());
            for (List<Object> parts : keyParts) {
                key.add(key(item, parts, caseSensitive));
            }
            keyed.add(new Object[] {key, item});
        }
        Comparator<Object[]> cmp = (a, b) -> PyOps.sortCompare(a[0], b[0]);
        keyed.sort(PyOps.truthy(p[0]) ? cmp.reversed() : cmp);
        List<Object> out = new ArrayList<>(keyed.size());
        for (Object[] k : keyed) {
            out.add(k[1]);
        }
        return out;
    }

    static Object sum(Object v, Object[] p) {
        List<Object> parts = attributeParts(p[0]);
        Object total = p[1];
        for (Object item : PyOps.iterate(v)) {
            total = PyArithmetic.binary("+", total, p[0] == null ? item : lookupParts(item, parts, null));
        }
        return total;
    }

    static List<Object> unique(Object v, Object[] p) {
        boolean caseSensitive = PyOps.truthy(p[0]);
        List<Object> parts = attributeParts(p[1]);
        List<Object> seen = new ArrayList<>();
        List<Object> out = new ArrayList<>();
        for (Object item : PyOps.iterate(v)) {
            Object key = key(item, parts, caseSensitive);
            PyOps.checkHashable(key);
            if (seen.stream().noneMatch(s -> PyOps.equals(s, key))) {
                seen.add(key);
                out.add(item);
            }
        }
        return out;
    }
}
