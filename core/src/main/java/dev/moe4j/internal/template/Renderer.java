package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Executes statements, writing template output. One instance per render (not thread-safe); it owns the output buffers,
 * the {@link Evaluator}, and the counters that enforce {@link TemplateLimits}.
 */
final class Renderer {
    /** How a statement list finished: normally, or via {@code {% break %}} / {@code {% continue %}}. */
    private enum Signal { NORMAL, BREAK, CONTINUE }

    private final SourcePosition positions;
    private final TemplateLimits limits;
    private final Evaluator evaluator;
    private StringBuilder out = new StringBuilder();
    private long written;
    private long steps;
    private int callDepth;

    Renderer(SourcePosition positions, TemplateLimits limits) {
        this.positions = positions;
        this.limits = limits;
        this.evaluator = new Evaluator(this, positions, limits.maxOutputChars());
    }

    String render(List<Stmt> body, Scope scope) {
        exec(body, scope);
        return out.toString();
    }

    private Signal exec(List<Stmt> body, Scope scope) {
        for (Stmt stmt : body) {
            Signal signal;
            try {
                signal = execOne(stmt, scope);
            } catch (PyError err) {
                throw positions.error(err.getMessage(), stmt.pos());
            }
            if (signal != Signal.NORMAL) {
                return signal;
            }
        }
        return Signal.NORMAL;
    }

    private Signal execOne(Stmt stmt, Scope scope) {
        switch (stmt) {
            case Stmt.Data d -> write(d.text(), d.pos());
            case Stmt.Print p -> write(PyRepr.str(evaluator.eval(p.expr(), scope)), p.pos());
            case Stmt.If i -> {
                for (Stmt.Branch branch : i.branches()) {
                    if (PyOps.truthy(evaluator.eval(branch.test(), scope))) {
                        return exec(branch.body(), scope);
                    }
                }
                return exec(i.otherwise(), scope);
            }
            case Stmt.For f -> {
                return execFor(f, scope);
            }
            case Stmt.Assign a -> assign(a.target(), evaluator.eval(a.value(), scope), scope);
            case Stmt.AssignBlock a -> {
                Scope inner = new Scope(scope);
                Captured body = capture(a.body(), inner);
                if (body.signal != Signal.NORMAL) {
                    return body.signal; // a break/continue inside jumps past the assignment, as in Jinja
                }
                Object value = a.filter() == null ? body.text : evaluator.evalFilter(a.filter(), inner, body.text);
                assign(a.target(), value, scope);
            }
            case Stmt.Macro m -> scope.set(m.name(), new Macro(m.name(), m.params(), m.defaults(), m.body(),
                    m.usesVarargs(), m.usesKwargs(), m.usesCaller(), scope));
            case Stmt.CallBlock c -> {
                Macro caller = new Macro("caller", c.params(), c.defaults(), c.body(), c.usesVarargs(),
                        c.usesKwargs(), false, scope);
                write(PyRepr.str(evaluator.evalCall(c.call(), scope, caller)), c.pos());
            }
            case Stmt.FilterBlock f -> {
                Scope inner = new Scope(scope);
                Captured body = capture(f.body(), inner);
                if (body.signal != Signal.NORMAL) {
                    return body.signal; // a break/continue inside discards the block's output, as in Jinja
                }
                write(PyRepr.str(evaluator.evalFilter(f.filter(), inner, body.text)), f.pos());
            }
            case Stmt.With w -> {
                List<Object> values = new ArrayList<>();
                for (Expr e : w.values()) {
                    values.add(evaluator.eval(e, scope));
                }
                Scope inner = new Scope(scope);
                for (int k = 0; k < values.size(); k++) {
                    assign(w.targets().get(k), values.get(k), inner);
                }
                return exec(w.body(), inner);
            }
            case Stmt.Block b -> {
                return exec(b.body(), b.scoped() ? new Scope(scope) : scope);
            }
            case Stmt.Break b -> {
                return Signal.BREAK;
            }
            case Stmt.Continue c -> {
                return Signal.CONTINUE;
            }
        }
        return Signal.NORMAL;
    }

    /** Returns the signal of the else block: a break or continue there belongs to the enclosing loop. */
    private Signal execFor(Stmt.For f, Scope scope) {
        List<Object> items = iterate(evaluator.eval(f.iter(), scope), f.iter().pos());
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                step(f.pos());
                Scope probe = new Scope(scope);
                assign(f.target(), item, probe);
                if (PyOps.truthy(evaluator.eval(f.filter(), probe))) {
                    kept.add(item);
                }
            }
            items = kept;
        }
        LoopContext loop = new LoopContext(items);
        // Jinja runs the else block unless some iteration reached the end of the body: a loop whose every iteration
        // ended in break or continue runs it too.
        boolean completedAnIteration = false;
        for (int i = 0; i < items.size(); i++) {
            step(f.pos());
            Scope iteration = new Scope(scope);
            loop.advance(i);
            iteration.set("loop", loop);
            assign(f.target(), items.get(i), iteration);
            Signal signal = exec(f.body(), iteration);
            if (signal == Signal.BREAK) {
                break;
            }
            completedAnIteration |= signal == Signal.NORMAL;
        }
        if (!completedAnIteration) {
            return exec(f.otherwise(), new Scope(scope));
        }
        return Signal.NORMAL;
    }

    private List<Object> iterate(Object value, int pos) {
        try {
            return PyOps.iterate(value);
        } catch (PyError err) {
            throw positions.error(err.getMessage(), pos);
        }
    }

    private void assign(Stmt.Target target, Object value, Scope scope) {
        switch (target) {
            case Stmt.NameTarget n -> scope.set(n.name(), value);
            case Stmt.TupleTarget t -> {
                List<Object> values = iterate(value, t.pos());
                int expected = t.items().size();
                if (values.size() != expected) {
                    throw positions.error(values.size() > expected
                            ? "ValueError: too many values to unpack (expected " + expected + ")"
                            : "ValueError: not enough values to unpack (expected " + expected + ", got "
                            + values.size() + ")", t.pos());
                }
                for (int i = 0; i < expected; i++) {
                    assign(t.items().get(i), values.get(i), scope);
                }
            }
            case Stmt.NamespaceTarget ns -> {
                if (!(scope.lookup(ns.name()) instanceof Namespace namespace)) {
                    throw positions.error("cannot assign attribute on non-namespace object", ns.pos());
                }
                namespace.attributes.put(ns.attr(), value);
            }
        }
    }

    /** Calls a macro: binds arguments the way Jinja's {@code Macro.__call__} does, then renders the body. */
    Object invoke(Macro m, List<Object> args, Map<String, Object> kwargs) {
        if (callDepth >= limits.maxCallDepth()) {
            throw new PyError("macro calls nested deeper than " + limits.maxCallDepth() + " (runaway recursion?)");
        }
        step(-1);
        Map<String, Object> rest = new LinkedHashMap<>(kwargs);
        Scope scope = new Scope(m.closure);
        int n = m.params.size();
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String param = m.params.get(i);
            if (i < args.size()) {
                scope.set(param, args.get(i));
            } else if (rest.containsKey(param)) {
                scope.set(param, rest.remove(param));
            } else {
                missing.add(i);
            }
        }
        if (m.usesCaller) {
            Object caller = rest.remove("caller");
            scope.set("caller", caller != null ? caller : Undefined.withHint("No caller defined"));
        }
        if (m.usesKwargs) {
            scope.set("kwargs", new LinkedHashMap<Object, Object>(rest));
        } else if (!rest.isEmpty()) {
            if (rest.containsKey("caller")) {
                throw PyError.type("macro " + PyRepr.repr(m.name) + " was invoked with two values for the special"
                        + " caller argument. This is most likely a bug.");
            }
            throw PyError.type("macro " + PyRepr.repr(m.name) + " takes no keyword argument "
                    + PyRepr.repr(rest.keySet().iterator().next()));
        }
        if (m.usesVarargs) {
            scope.set("varargs", new PyTuple(args.size() > n ? new ArrayList<>(args.subList(n, args.size()))
                    : List.of()));
        } else if (args.size() > n) {
            throw PyError.type("macro " + PyRepr.repr(m.name) + " takes not more than " + n + " argument(s)");
        }
        int firstDefault = n - m.defaults.size();
        callDepth++;
        try {
            for (int i : missing) {
                scope.set(m.params.get(i), i >= firstDefault
                        ? evaluator.eval(m.defaults.get(i - firstDefault), scope)
                        : Undefined.withHint("parameter " + PyRepr.repr(m.params.get(i)) + " was not provided"));
            }
            return capture(m.body, scope).text;
        } finally {
            callDepth--;
        }
    }

    private record Captured(String text, Signal signal) { }

    private Captured capture(List<Stmt> body, Scope scope) {
        StringBuilder saved = out;
        out = new StringBuilder();
        try {
            Signal signal = exec(body, scope);
            return new Captured(out.toString(), signal);
        } finally {
            out = saved;
        }
    }

    private void write(String text, int pos) {
        written += text.length();
        if (out.length() + text.length() > limits.maxOutputChars() || written > 4 * limits.maxOutputChars()) {
            throw positions.error("template output exceeds the limit of " + limits.maxOutputChars()
                    + " chars (runaway template?)", pos);
        }
        out.append(text);
    }

    private void step(int pos) {
        if (++steps > limits.maxSteps()) {
            String detail = "template exceeded " + limits.maxSteps() + " loop iterations and macro calls"
                    + " (runaway template?)";
            if (pos < 0) {
                throw new PyError(detail);
            }
            throw positions.error(detail, pos);
        }
    }
}
