package dev.moe4j.internal.template;

import java.util.List;

/** Statement nodes of the template AST. {@code pos} is the source offset used in error messages. */
sealed interface Stmt {
    int pos();

    /** Literal template text. */
    record Data(String text, int pos) implements Stmt { }

    /** {@code {{ expr }}} and {@code {% print expr %}}. */
    record Print(Expr expr, int pos) implements Stmt { }

    record If(List<Branch> branches, List<Stmt> otherwise, int pos) implements Stmt { }

    record Branch(Expr test, List<Stmt> body) { }

    /** {@code {% for target in iter if filter %} body {% else %} otherwise {% endfor %}}. */
    record For(Target target, Expr iter, Expr filter, List<Stmt> body, List<Stmt> otherwise, int pos)
            implements Stmt { }

    record Assign(Target target, Expr value, int pos) implements Stmt { }

    /** {@code {% set target | filters %} body {% endset %}}; filter is null when there is none. */
    record AssignBlock(Target target, Expr.Filter filter, List<Stmt> body, int pos) implements Stmt { }

    /** {@code {% macro name(params) %}}: {@code defaults} align with the last parameters. */
    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, boolean usesVarargs,
                 boolean usesKwargs, boolean usesCaller, int pos) implements Stmt { }

    /** {@code {% call(params) macro(args) %} body {% endcall %}}: the body becomes the callee's {@code caller()}. */
    record CallBlock(Expr.Call call, List<String> params, List<Expr> defaults, List<Stmt> body, boolean usesVarargs,
                     boolean usesKwargs, int pos) implements Stmt { }

    record FilterBlock(Expr.Filter filter, List<Stmt> body, int pos) implements Stmt { }

    record With(List<Target> targets, List<Expr> values, List<Stmt> body, int pos) implements Stmt { }

    /**
     * A body rendered in place: the statements of {@code {% print %}} (no scope of their own), or transformers'
     * {@code {% generation %}} body (scoped, as it renders through a call block).
     */
    record Block(List<Stmt> body, boolean scoped, int pos) implements Stmt { }

    record Break(int pos) implements Stmt { }

    record Continue(int pos) implements Stmt { }

    /** Left-hand side of an assignment or loop variable. */
    sealed interface Target { }

    record NameTarget(String name, int pos) implements Target { }

    record TupleTarget(List<Target> items, int pos) implements Target { }

    /** {@code ns.attr}: assignment into a {@code namespace()} object. */
    record NamespaceTarget(String name, String attr, int pos) implements Target { }
}
