package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates expressions with Python/Jinja2 semantics. A Python-level error raised by an operation becomes a
 * {@link TemplateException} positioned at the innermost expression node that raised it. One instance per render.
 */
final class Evaluator {
    private final Renderer renderer;
    private final SourcePosition positions;
    private final long maxLength;
    /** Jinja's compile-time {@code as_const} evaluation (see {@link ConstantFolder}) rather than rendering. */
    private final boolean constantMode;

    Evaluator(Renderer renderer, SourcePosition positions, long maxLength) {
        this(renderer, positions, maxLength, false);
    }

    private Evaluator(Renderer renderer, SourcePosition positions, long maxLength, boolean constantMode) {
        this.renderer = renderer;
        this.positions = positions;
        this.maxLength = maxLength;
        this.constantMode = constantMode;
    }

    /**
     * An evaluator for Jinja's {@code as_const}: variables, calls and context filters are not constant (they throw
     * {@link #NOT_CONSTANT}), an inline if without else whose test fails is not constant either, and slices go through
     * the lenient getitem.
     */
    static Evaluator forConstants(SourcePosition positions, long maxLength) {
        return new Evaluator(null, positions, maxLength, true);
    }

    static final PyError NOT_CONSTANT = new PyError("not a compile-time constant");

    Renderer renderer() {
        return renderer;
    }

    Object eval(Expr e, Scope scope) {
        try {
            return evalNode(e, scope);
        } catch (PyError err) {
            throw positions.error(err.getMessage(), e.pos());
        }
    }

    private Object evalNode(Expr e, Scope scope) {
        return switch (e) {
            case Expr.Const c -> c.value();
            case Expr.Name n -> {
                if (constantMode) {
                    throw NOT_CONSTANT;
                }
                yield scope.lookup(n.name());
            }
            case Expr.ListLit l -> evalAll(l.items(), scope);
            case Expr.TupleLit t -> new PyTuple(evalAll(t.items(), scope));
            case Expr.DictLit d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Object key = eval(d.keys().get(i), scope);
                    Object value = eval(d.values().get(i), scope);
                    PyOps.checkHashable(key);
                    Object existing = PyOps.findKey(map, key);
                    map.put(existing == PyOps.NO_KEY ? key : existing, value);
                }
                yield map;
            }
            case Expr.GetAttr g -> PyAccess.getattr(eval(g.obj(), scope), g.name());
            case Expr.GetItem g -> {
                Object obj = eval(g.obj(), scope);
                if (g.index() instanceof Expr.Slice s) {
                    PySlice slice = new PySlice(evalOptional(s.start(), scope), evalOptional(s.stop(), scope),
                            evalOptional(s.step(), scope));
                    // Jinja compiles slicing to a plain Python subscript, bypassing its lenient getitem, but folds
                    // constants through the lenient getitem
                    yield constantMode ? PyAccess.getitem(obj, slice) : PyAccess.slice(obj, slice);
                }
                yield PyAccess.getitem(obj, eval(g.index(), scope));
            }
            case Expr.Slice s -> throw new PyError("SyntaxError: a slice is only valid inside brackets");
            case Expr.Call c -> evalCall(c, scope, null);
            case Expr.Filter f -> evalFilter(f, scope, null);
            case Expr.Test t -> {
                Object value = eval(t.value(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kwargs = new LinkedHashMap<>();
                evalArgs(t.args(), scope, args, kwargs);
                if (JinjaTests.checkName(t.name()) != null) {
                    throw missing("test", t.name());
                }
                yield JinjaTests.apply(t.name(), value, args, kwargs);
            }
            case Expr.Unary u -> {
                Object v = eval(u.operand(), scope);
                yield u.op().equals("-") ? PyArithmetic.negate(v) : PyArithmetic.plus(v);
            }
            case Expr.Binary b -> checked(PyArithmetic.binary(b.op(), eval(b.left(), scope), eval(b.right(), scope)));
            case Expr.Concat c -> {
                StringBuilder sb = new StringBuilder();
                for (Expr part : c.parts()) {
                    sb.append(PyRepr.str(eval(part, scope)));
                    checkLength(sb);
                }
                yield sb.toString();
            }
            case Expr.Compare c -> evalCompare(c, scope);
            case Expr.And a -> {
                Object left = eval(a.left(), scope);
                yield PyOps.truthy(left) ? eval(a.right(), scope) : left;
            }
            case Expr.Or o -> {
                Object left = eval(o.left(), scope);
                yield PyOps.truthy(left) ? left : eval(o.right(), scope);
            }
            case Expr.Not n -> !PyOps.truthy(eval(n.operand(), scope));
            case Expr.CondExpr c -> {
                if (PyOps.truthy(eval(c.test(), scope))) {
                    yield eval(c.then(), scope);
                }
                if (constantMode && c.otherwise() == null) {
                    throw NOT_CONSTANT;
                }
                yield c.otherwise() != null ? eval(c.otherwise(), scope)
                        : Undefined.withHint("the inline if-expression on line " + positions.line(c.pos())
                        + " evaluated to false and no else section was defined.");
            }
        };
    }

    private Object evalOptional(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private List<Object> evalAll(List<Expr> items, Scope scope) {
        List<Object> out = new ArrayList<>(items.size());
        for (Expr item : items) {
            out.add(eval(item, scope));
        }
        return out;
    }

    private Object evalCompare(Expr.Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (Expr.Operand operand : c.rest()) {
            Object right = eval(operand.expr(), scope);
            boolean ok = switch (operand.op()) {
                case "==" -> PyOps.equals(left, right);
                case "!=" -> !PyOps.equals(left, right);
                case "in" -> PyOps.contains(right, left);
                case "notin" -> !PyOps.contains(right, left);
                default -> PyOps.order(operand.op(), left, right);
            };
            if (!ok) {
                return false;
            }
            left = right;
        }
        return true;
    }

    /** Evaluates a call; {@code caller} (from a {@code {% call %}} block) is passed as keyword 'caller' when set. */
    Object evalCall(Expr.Call c, Scope scope, Macro caller) {
        if (constantMode) {
            throw NOT_CONSTANT;
        }
        Object callee = eval(c.callee(), scope);
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(c.args(), scope, args, kwargs);
        if (caller != null) {
            kwargs.put("caller", caller);
        }
        try {
            return checked(call(callee, args, kwargs));
        } catch (PyError err) {
            throw positions.error(err.getMessage(), c.pos());
        }
    }

    Object call(Object callee, List<Object> args, Map<String, Object> kwargs) {
        if (callee instanceof PyCallable f) {
            return f.call(this, args, kwargs);
        }
        if (callee instanceof Undefined u) {
            throw u.error();
        }
        throw PyError.type(PyRepr.repr(PyRepr.typeName(callee)) + " object is not callable");
    }

    /**
     * An unknown filter or test reached at run time: only in an if-block or conditional expression (elsewhere the
     * parser rejects it), where Jinja2 raises this once its value and arguments are evaluated.
     */
    private static PyError missing(String kind, String name) {
        return new PyError("TemplateRuntimeError: No " + kind + " named '" + name + "' found.");
    }

    /** Applies a filter chain; the innermost filter without a value receives {@code input} (filter/set blocks). */
    Object evalFilter(Expr.Filter f, Scope scope, Object input) {
        if (constantMode && (f.value() == null || Filters.NEEDS_CONTEXT.contains(f.name()))) {
            throw NOT_CONSTANT;
        }
        Object value = f.value() == null ? input
                : f.value() instanceof Expr.Filter inner && input != null ? evalFilter(inner, scope, input)
                : eval(f.value(), scope);
        List<Object> args = new ArrayList<>();
        Map<String, Object> kwargs = new LinkedHashMap<>();
        evalArgs(f.args(), scope, args, kwargs);
        try {
            if (Filters.checkName(f.name()) != null) {
                throw missing("filter", f.name());
            }
            return checked(Filters.apply(this, f.name(), value, args, kwargs));
        } catch (PyError err) {
            throw positions.error(err.getMessage(), f.pos());
        }
    }

    private void evalArgs(Expr.CallArgs spec, Scope scope, List<Object> args, Map<String, Object> kwargs) {
        for (Expr e : spec.positional()) {
            args.add(eval(e, scope));
        }
        for (Expr.Keyword k : spec.keywords()) {
            kwargs.put(k.name(), eval(k.value(), scope));
        }
        if (spec.starArgs() != null) {
            args.addAll(PyOps.iterate(eval(spec.starArgs(), scope)));
        }
        if (spec.starKwargs() != null) {
            Object extra = eval(spec.starKwargs(), scope);
            if (!(extra instanceof Map<?, ?> m)) {
                throw positions.error("TypeError: argument after ** must be a mapping, not "
                        + PyRepr.typeName(extra), spec.starKwargs().pos());
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw positions.error("TypeError: keywords must be strings", spec.starKwargs().pos());
                }
                kwargs.put(key, e.getValue());
            }
        }
    }

    private Object checked(Object value) {
        if (value instanceof String s) {
            checkLength(s);
        }
        return value;
    }

    /** Fails when a string being built exceeds the output limit (the guard against exponential string growth). */
    void checkLength(CharSequence s) {
        if (s.length() > maxLength) {
            throw new PyError("string value longer than the limit of " + maxLength + " chars (runaway template?)");
        }
    }
}
