package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Jinja's compile-time constant folding, reproduced because it is observable: Jinja evaluates literal-only
 * expressions at compile time through {@code as_const}, where a slice goes through its lenient getitem (so
 * {@code {{ 5[1:] }}} prints nothing), while at run time a slice is a plain Python subscript (so {@code x[1:]} with
 * {@code x = 5} raises). Like Jinja's optimizer, every expression subtree whose constant evaluation succeeds with a
 * plainly representable value (None, bool, number, string, and lists, tuples and dicts of those) becomes a constant;
 * and like its code generator, a {@code {{ }}} whose whole expression evaluates as a constant (even to undefined)
 * becomes template text.
 */
final class ConstantFolder {
    private final Evaluator evaluator;
    private final Scope noScope = new Scope(null);

    private ConstantFolder(SourcePosition positions) {
        this.evaluator = Evaluator.forConstants(positions, TemplateLimits.DEFAULT.maxOutputChars());
    }

    static List<Stmt> fold(List<Stmt> body, SourcePosition positions) {
        return new ConstantFolder(positions).stmts(body);
    }

    private List<Stmt> stmts(List<Stmt> body) {
        List<Stmt> out = new ArrayList<>(body.size());
        for (Stmt s : body) {
            out.add(stmt(s));
        }
        return List.copyOf(out);
    }

    private Stmt stmt(Stmt s) {
        return switch (s) {
            case Stmt.Data d -> d;
            case Stmt.Print p -> {
                Expr e = expr(p.expr());
                Object[] value = constant(e);
                yield value != null ? new Stmt.Data(PyRepr.str(value[0]), p.pos()) : new Stmt.Print(e, p.pos());
            }
            case Stmt.If i -> {
                List<Stmt.Branch> branches = new ArrayList<>();
                for (Stmt.Branch b : i.branches()) {
                    branches.add(new Stmt.Branch(expr(b.test()), stmts(b.body())));
                }
                yield new Stmt.If(List.copyOf(branches), stmts(i.otherwise()), i.pos());
            }
            case Stmt.For f -> new Stmt.For(f.target(), expr(f.iter()), f.filter() == null ? null : expr(f.filter()),
                    stmts(f.body()), stmts(f.otherwise()), f.pos());
            case Stmt.Assign a -> new Stmt.Assign(a.target(), expr(a.value()), a.pos());
            case Stmt.AssignBlock a -> new Stmt.AssignBlock(a.target(),
                    a.filter() == null ? null : (Expr.Filter) expr(a.filter()), stmts(a.body()), a.pos());
            case Stmt.Macro m -> new Stmt.Macro(m.name(), m.params(), exprs(m.defaults()), stmts(m.body()),
                    m.usesVarargs(), m.usesKwargs(), m.usesCaller(), m.pos());
            case Stmt.CallBlock c -> new Stmt.CallBlock((Expr.Call) expr(c.call()), c.params(), exprs(c.defaults()),
                    stmts(c.body()), c.usesVarargs(), c.usesKwargs(), c.pos());
            case Stmt.FilterBlock f -> new Stmt.FilterBlock((Expr.Filter) expr(f.filter()), stmts(f.body()), f.pos());
            case Stmt.With w -> new Stmt.With(w.targets(), exprs(w.values()), stmts(w.body()), w.pos());
            case Stmt.Block b -> new Stmt.Block(stmts(b.body()), b.scoped(), b.pos());
            case Stmt.Break b -> b;
            case Stmt.Continue c -> c;
        };
    }

    private List<Expr> exprs(List<Expr> es) {
        List<Expr> out = new ArrayList<>(es.size());
        for (Expr e : es) {
            out.add(expr(e));
        }
        return List.copyOf(out);
    }

    /** Folds children first, then this node when its value is constant and plainly representable. */
    private Expr expr(Expr e) {
        Expr rebuilt = children(e);
        if (rebuilt instanceof Expr.Const || rebuilt instanceof Expr.Slice || rebuilt instanceof Expr.Filter f
                && f.value() == null) {
            return rebuilt;
        }
        Object[] value = constant(rebuilt);
        return value != null && plain(value[0]) ? new Expr.Const(freeze(value[0]), e.pos()) : rebuilt;
    }

    private Expr children(Expr e) {
        return switch (e) {
            case Expr.Const c -> c;
            case Expr.Name n -> n;
            case Expr.ListLit l -> new Expr.ListLit(exprs(l.items()), l.pos());
            case Expr.TupleLit t -> new Expr.TupleLit(exprs(t.items()), t.pos());
            case Expr.DictLit d -> new Expr.DictLit(exprs(d.keys()), exprs(d.values()), d.pos());
            case Expr.GetAttr g -> new Expr.GetAttr(expr(g.obj()), g.name(), g.pos());
            case Expr.GetItem g -> new Expr.GetItem(expr(g.obj()), expr(g.index()), g.pos());
            case Expr.Slice s -> new Expr.Slice(opt(s.start()), opt(s.stop()), opt(s.step()), s.pos());
            case Expr.Call c -> new Expr.Call(expr(c.callee()), args(c.args()), c.pos());
            case Expr.Filter f -> new Expr.Filter(opt(f.value()), f.name(), args(f.args()), f.pos());
            case Expr.Test t -> new Expr.Test(expr(t.value()), t.name(), args(t.args()), t.pos());
            case Expr.Unary u -> new Expr.Unary(u.op(), expr(u.operand()), u.pos());
            case Expr.Binary b -> new Expr.Binary(b.op(), expr(b.left()), expr(b.right()), b.pos());
            case Expr.Concat c -> new Expr.Concat(exprs(c.parts()), c.pos());
            case Expr.Compare c -> {
                List<Expr.Operand> rest = new ArrayList<>();
                for (Expr.Operand o : c.rest()) {
                    rest.add(new Expr.Operand(o.op(), expr(o.expr())));
                }
                yield new Expr.Compare(expr(c.first()), List.copyOf(rest), c.pos());
            }
            case Expr.And a -> new Expr.And(expr(a.left()), expr(a.right()), a.pos());
            case Expr.Or o -> new Expr.Or(expr(o.left()), expr(o.right()), o.pos());
            case Expr.Not n -> new Expr.Not(expr(n.operand()), n.pos());
            case Expr.CondExpr c -> new Expr.CondExpr(expr(c.test()), expr(c.then()), opt(c.otherwise()), c.pos());
        };
    }

    private Expr opt(Expr e) {
        return e == null ? null : expr(e);
    }

    private Expr.CallArgs args(Expr.CallArgs a) {
        List<Expr.Keyword> keywords = new ArrayList<>();
        for (Expr.Keyword k : a.keywords()) {
            keywords.add(new Expr.Keyword(k.name(), expr(k.value())));
        }
        return new Expr.CallArgs(exprs(a.positional()), List.copyOf(keywords), opt(a.starArgs()),
                opt(a.starKwargs()));
    }

    /** The constant value (in a one-element array, as it may be null), or null when Jinja could not fold it. */
    private Object[] constant(Expr e) {
        if (e instanceof Expr.Slice) {
            return null;
        }
        try {
            return new Object[] {evaluator.eval(e, noScope)};
        } catch (RuntimeException notConstant) {
            return null;
        }
    }

    /** Jinja's {@code has_safe_repr}: only such values are turned into constants by the optimizer. */
    private static boolean plain(Object v) {
        return switch (v) {
            case null -> true;
            case Boolean b -> true;
            case Long l -> true;
            case Double d -> true;
            case String s -> true;
            case Markup m -> true;
            case List<?> l -> l.stream().allMatch(ConstantFolder::plain);
            case PyTuple t -> t.items().stream().allMatch(ConstantFolder::plain);
            case Map<?, ?> m -> m.entrySet().stream().allMatch(x -> plain(x.getKey()) && plain(x.getValue()));
            default -> false;
        };
    }

    /** Folded values are shared by every render, so they must not be modifiable. */
    private static Object freeze(Object v) {
        return switch (v) {
            case PyRange r -> r;
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                l.forEach(x -> out.add(freeze(x)));
                yield Collections.unmodifiableList(out);
            }
            case PyTuple t -> {
                List<Object> out = new ArrayList<>(t.items().size());
                t.items().forEach(x -> out.add(freeze(x)));
                yield new PyTuple(out);
            }
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                m.forEach((k, x) -> out.put(k, freeze(x)));
                yield Collections.unmodifiableMap(out);
            }
            case null, default -> v;
        };
    }
}
