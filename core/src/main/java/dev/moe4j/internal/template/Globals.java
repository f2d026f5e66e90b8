package dev.moe4j.internal.template;

import java.time.Clock;
import java.time.LocalDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The global functions a template sees: Jinja's {@code range}, {@code dict} and {@code namespace}, and the two that
 * transformers adds, {@code raise_exception(message)} and {@code strftime_now(format)}. Jinja's {@code lipsum},
 * {@code cycler} and {@code joiner} exist but fail when called, naming themselves.
 */
final class Globals {
    /** Jinja's sandbox refuses ranges longer than this. */
    static final long MAX_RANGE = 100_000;

    private Globals() {
    }

    static Map<String, Object> create(Clock clock) {
        Map<String, Object> g = new LinkedHashMap<>();
        g.put("range", PyCallable.of("<class 'range'>", (ev, args, kwargs) -> range(args, kwargs)));
        g.put("dict", PyCallable.of("<class 'dict'>", (ev, args, kwargs) -> dict("dict", args, kwargs)));
        g.put("namespace", PyCallable.of("<class 'jinja2.utils.Namespace'>", (ev, args, kwargs) -> {
            Namespace ns = new Namespace();
            for (Map.Entry<Object, Object> e : dict("namespace", args, kwargs).entrySet()) {
                ns.attributes.put(PyRepr.str(e.getKey()), e.getValue());
            }
            return ns;
        }));
        g.put("raise_exception", PyCallable.of("<function raise_exception>", (ev, args, kwargs) -> {
            Args.count("raise_exception", args, 1, 1);
            throw new PyError(PyRepr.str(args.get(0)));
        }));
        g.put("strftime_now", PyCallable.of("<function strftime_now>", (ev, args, kwargs) -> {
            Args.count("strftime_now", args, 1, 1);
            return Strftime.format(LocalDateTime.now(clock), Args.string("strftime_now() argument", args.get(0)));
        }));
        for (String name : List.of("lipsum", "cycler", "joiner")) {
            g.put(name, PyCallable.of("<function " + name + ">", (ev, args, kwargs) -> {
                throw PyError.unsupported("global function '" + name + "' is not supported by this template engine");
            }));
        }
        return g;
    }

    private static Object range(List<Object> args, Map<String, Object> kwargs) {
        Args.noKeywords("range", kwargs);
        Args.count("range", args, 1, 3);
        long start = 0;
        long stop;
        long step = 1;
        if (args.size() == 1) {
            stop = Args.integer("range", args.get(0));
        } else {
            start = Args.integer("range", args.get(0));
            stop = Args.integer("range", args.get(1));
            if (args.size() == 3) {
                step = Args.integer("range", args.get(2));
            }
        }
        if (step == 0) {
            throw PyError.value("range() arg 3 must not be zero");
        }
        double count = step > 0 ? Math.ceil(((double) stop - start) / step)
                : Math.ceil(((double) start - stop) / -step);
        if (count > MAX_RANGE) {
            throw new PyError("OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE ("
                    + MAX_RANGE + ").");
        }
        return new PyRange(start, stop, step);
    }

    /** Python {@code dict(mapping_or_pairs, **kwargs)}. */
    private static Map<Object, Object> dict(String what, List<Object> args, Map<String, Object> kwargs) {
        Args.count(what, args, 0, 1);
        Map<Object, Object> out = new LinkedHashMap<>();
        if (!args.isEmpty()) {
            Object source = args.get(0);
            if (source instanceof Map<?, ?> m) {
                out.putAll(m);
            } else {
                for (Object pair : PyOps.iterate(source)) {
                    List<Object> kv = PyOps.iterate(pair);
                    if (kv.size() != 2) {
                        throw PyError.value("dictionary update sequence element has length " + kv.size()
                                + "; 2 is required");
                    }
                    PyOps.checkHashable(kv.get(0));
                    out.put(kv.get(0), kv.get(1));
                }
            }
        }
        out.putAll(kwargs);
        return out;
    }
}
