package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Attribute and item access with the semantics of Jinja2's sandboxed environment. {@code obj.name} tries the Python
 * attribute (a method) first and then the item; {@code obj[key]} tries the item first and then, for string keys, the
 * attribute. A missing attribute or item of a defined value is {@link Undefined}; only access <em>on</em> an undefined
 * value raises. Dunder attributes and mutating methods ({@code list.append}, {@code dict.update}, ...) are refused as
 * the immutable sandbox refuses them.
 */
final class PyAccess {
    private PyAccess() {
    }

    /** {@code obj.name} (Jinja's {@code environment.getattr}). */
    static Object getattr(Object obj, String name) {
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
        return switch (obj) {
            case null -> Undefined.missing(null, name);
            case Map<?, ?> map -> {
                Object key = PyOps.findKey(map, name);
                yield key == PyOps.NO_KEY ? Undefined.missing(obj, name) : map.get(key);
            }
            case Namespace ns -> ns.attributes.containsKey(name) ? ns.attributes.get(name)
                    : Undefined.missing(obj, name);
            case LoopContext loop -> loop.attribute(name);
            default -> Undefined.missing(obj, name);
        };
    }

    /** {@code obj[key]} (Jinja's {@code environment.getitem}); {@code key} may be a {@link PySlice}. */
    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) {
            throw u.error();
        }
        Object item = item(obj, key);
        if (item != NOT_FOUND) {
            return item;
        }
        if (key instanceof String name) {
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
        }
        return Undefined.missing(obj, key);
    }

    /** {@code obj[start:stop:step]}: Python's own subscript, so slicing a non-sequence is a TypeError. */
    static Object slice(Object obj, PySlice slice) {
        switch (obj) {
            case Undefined u -> throw u.error();
            case String s -> {
                return item(s, slice);
            }
            case Markup m -> {
                return new Markup((String) item(m.text(), slice));
            }
            case PyRange r -> {
                return r.slice(slice);
            }
            case List<?> l -> {
                return item(l, slice);
            }
            case PyTuple t -> {
                return item(t, slice);
            }
            case Map<?, ?> m -> throw PyError.type("unhashable type: 'slice'");
            case null, default ->
                    throw PyError.type(PyRepr.repr(PyRepr.typeName(obj)) + " object is not subscriptable");
        }
    }

    private static final Object NOT_FOUND = new Object();

    /** Python {@code obj[key]} proper, or NOT_FOUND where Python raises a TypeError or LookupError. */
    private static Object item(Object obj, Object key) {
        switch (obj) {
            case null -> {
                return NOT_FOUND;
            }
            case Map<?, ?> map -> {
                if (key instanceof PySlice || key instanceof List || key instanceof Map) {
                    return NOT_FOUND;
                }
                Object k = PyOps.findKey(map, key);
                return k == PyOps.NO_KEY ? NOT_FOUND : map.get(k);
            }
            case PyRange r when key instanceof PySlice slice -> {
                return r.slice(slice);
            }
            case List<?> list -> {
                return sequenceItem(list, key, false);
            }
            case PyTuple t -> {
                Object r = sequenceItem(t.items(), key, false);
                return r instanceof List<?> l && key instanceof PySlice ? new PyTuple(new ArrayList<>(l)) : r;
            }
            case Markup m -> {
                Object r = item(m.text(), key);
                return r instanceof String s ? new Markup(s) : r;
            }
            case String s -> {
                if (key instanceof PySlice slice) {
                    int[] cps = PyStrings.codePoints(s);
                    StringBuilder b = new StringBuilder();
                    for (int i : sliceIndices(slice, cps.length)) {
                        b.appendCodePoint(cps[i]);
                    }
                    return b.toString();
                }
                if (key instanceof Long || key instanceof Boolean) {
                    int[] cps = PyStrings.codePoints(s);
                    int i = index(key, cps.length);
                    return i < 0 ? NOT_FOUND : new String(Character.toChars(cps[i]));
                }
                return NOT_FOUND;
            }
            default -> {
                return NOT_FOUND;
            }
        }
    }

    private static Object sequenceItem(List<?> list, Object key, boolean unused) {
        if (key instanceof PySlice slice) {
            List<Object> out = new ArrayList<>();
            for (int i : sliceIndices(slice, list.size())) {
                out.add(list.get(i));
            }
            return out;
        }
        if (key instanceof Long || key instanceof Boolean) {
            int i = index(key, list.size());
            return i < 0 ? NOT_FOUND : list.get(i);
        }
        return NOT_FOUND;
    }

    /** A Python index (negative counts from the end) into a sequence of {@code length}, or -1 when out of range. */
    private static int index(Object key, int length) {
        long i = key instanceof Boolean b ? (b ? 1 : 0) : (Long) key;
        if (i < 0) {
            i += length;
        }
        return i < 0 || i >= length ? -1 : (int) i;
    }

    /** The indices a Python slice selects from a sequence of {@code length} ({@code slice.indices} semantics). */
    static int[] sliceIndices(PySlice slice, int length) {
        long[] bounds = sliceBounds(slice, length);
        long start = bounds[0];
        long stop = bounds[1];
        long step = bounds[2];
        long count = step > 0 ? (stop > start ? (stop - start + step - 1) / step : 0)
                : (stop < start ? (start - stop - step - 1) / -step : 0);
        int[] out = new int[(int) count];
        for (int k = 0; k < count; k++) {
            out[k] = (int) (start + k * step);
        }
        return out;
    }

    /** Python's {@code slice.indices(length)}: {start, stop, step} clamped to the sequence. */
    static long[] sliceBounds(PySlice slice, int length) {
        long step = slice.step() == null ? 1 : sliceIndex(slice.step());
        if (step == 0) {
            throw PyError.value("slice step cannot be zero");
        }
        long lower = step > 0 ? 0 : -1;
        long upper = step > 0 ? length : length - 1;
        long start = slice.start() == null ? (step > 0 ? lower : upper) : clamp(sliceIndex(slice.start()), length,
                lower, upper);
        long stop = slice.stop() == null ? (step > 0 ? upper : lower) : clamp(sliceIndex(slice.stop()), length,
                lower, upper);
        return new long[] {start, stop, step};
    }

    private static long clamp(long i, int length, long lower, long upper) {
        if (i < 0) {
            i += length;
            return Math.max(i, lower);
        }
        return Math.min(i, upper);
    }

    private static long sliceIndex(Object v) {
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw PyError.type("slice indices must be integers or None or have an __index__ method");
    }
}
