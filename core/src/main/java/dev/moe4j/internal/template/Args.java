package dev.moe4j.internal.template;

import java.util.List;
import java.util.Map;

/** Binds call arguments to a Python-style signature (positional-or-keyword parameters with defaults). */
final class Args {
    /** Marks a required parameter in {@code defaults}, and an unfilled slot in the result. */
    static final Object REQUIRED = new Object();

    private Args() {
    }

    /**
     * @param what     the function's name, for messages
     * @param names    parameter names in order
     * @param defaults default per parameter ({@link #REQUIRED} when there is none)
     * @return one value per parameter
     */
    static Object[] bind(String what, List<Object> args, Map<String, Object> kwargs, String[] names,
                         Object[] defaults) {
        if (args.size() > names.length) {
            throw PyError.type(what + "() takes at most " + names.length + " argument"
                    + (names.length == 1 ? "" : "s") + " (" + args.size() + " given)");
        }
        Object[] out = new Object[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = i < args.size() ? args.get(i) : REQUIRED;
        }
        for (Map.Entry<String, Object> e : kwargs.entrySet()) {
            int i = indexOf(names, e.getKey());
            if (i < 0) {
                throw PyError.type(what + "() got an unexpected keyword argument " + PyRepr.repr(e.getKey()));
            }
            if (i < args.size()) {
                throw PyError.type(what + "() got multiple values for argument " + PyRepr.repr(e.getKey()));
            }
            out[i] = e.getValue();
        }
        for (int i = 0; i < names.length; i++) {
            if (out[i] == REQUIRED) {
                if (defaults[i] == REQUIRED) {
                    throw PyError.type(what + "() missing required argument " + PyRepr.repr(names[i]));
                }
                out[i] = defaults[i];
            }
        }
        return out;
    }

    private static int indexOf(String[] names, String name) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(name)) {
                return i;
            }
        }
        return -1;
    }

    static void noKeywords(String what, Map<String, Object> kwargs) {
        if (!kwargs.isEmpty()) {
            throw PyError.type(what + "() takes no keyword arguments");
        }
    }

    static void count(String what, List<Object> args, int min, int max) {
        if (args.size() < min || args.size() > max) {
            String expected = min == max ? "exactly " + min : args.size() < min ? "at least " + min : "at most " + max;
            throw PyError.type(what + "() takes " + expected + " argument" + (min == max && min == 1 ? "" : "s")
                    + " (" + args.size() + " given)");
        }
    }

    /** A Python integer argument (bool counts, as in Python). */
    static long integer(String what, Object v) {
        if (v instanceof Long l) {
            return l;
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw PyError.type(what + ": " + PyRepr.repr(PyRepr.typeName(v))
                + " object cannot be interpreted as an integer");
    }

    static String string(String what, Object v) {
        if (v instanceof String s) {
            return s;
        }
        throw PyError.type(what + " must be str, not " + PyRepr.typeName(v));
    }
}
