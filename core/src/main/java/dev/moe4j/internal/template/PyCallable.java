package dev.moe4j.internal.template;

import java.util.List;
import java.util.Map;

/** Anything a template can call: global functions, bound methods, macros, {@code loop.cycle}. */
abstract class PyCallable {
    /** Python's repr of this object, e.g. {@code <built-in method upper of str object>}. */
    abstract String repr();

    abstract Object call(Evaluator evaluator, List<Object> args, Map<String, Object> kwargs);

    /** A named built-in function or bound method. */
    static PyCallable of(String repr, Body body) {
        return new PyCallable() {
            @Override
            String repr() {
                return repr;
            }

            @Override
            Object call(Evaluator evaluator, List<Object> args, Map<String, Object> kwargs) {
                return body.call(evaluator, args, kwargs);
            }
        };
    }

    @FunctionalInterface
    interface Body {
        Object call(Evaluator evaluator, List<Object> args, Map<String, Object> kwargs);
    }
}
