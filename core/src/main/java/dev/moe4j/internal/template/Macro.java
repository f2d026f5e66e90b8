package dev.moe4j.internal.template;

import java.util.List;
import java.util.Map;

/**
 * A callable macro: {@code {% macro name(params) %}} or the {@code caller} of a {@code {% call %}} block. Calling it
 * renders its body in a fresh scope whose parent is the scope it was defined in, and returns the text.
 */
final class Macro extends PyCallable {
    final String name;
    final List<String> params;
    final List<Expr> defaults;
    final List<Stmt> body;
    final boolean usesVarargs;
    final boolean usesKwargs;
    final boolean usesCaller;
    final Scope closure;

    Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, boolean usesVarargs,
          boolean usesKwargs, boolean usesCaller, Scope closure) {
        this.name = name;
        this.params = params;
        this.defaults = defaults;
        this.body = body;
        this.usesVarargs = usesVarargs;
        this.usesKwargs = usesKwargs;
        this.usesCaller = usesCaller;
        this.closure = closure;
    }

    @Override
    String repr() {
        return "<Macro " + PyRepr.repr(name) + ">";
    }

    @Override
    Object call(Evaluator evaluator, List<Object> args, Map<String, Object> kwargs) {
        return evaluator.renderer().invoke(this, args, kwargs);
    }
}
