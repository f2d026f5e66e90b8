package dev.moe4j.internal.template;

import java.util.List;

/** Expression nodes of the template AST. {@code pos} is the source offset used in error messages. */
sealed interface Expr {
    int pos();

    /** A literal: string, Long, Double, Boolean or null (None). */
    record Const(Object value, int pos) implements Expr { }

    record Name(String name, int pos) implements Expr { }

    record ListLit(List<Expr> items, int pos) implements Expr { }

    record TupleLit(List<Expr> items, int pos) implements Expr { }

    record DictLit(List<Expr> keys, List<Expr> values, int pos) implements Expr { }

    /** {@code obj.name}: Python attribute first, then item (Jinja's {@code getattr}). */
    record GetAttr(Expr obj, String name, int pos) implements Expr { }

    /** {@code obj[index]}: item first, then attribute (Jinja's {@code getitem}); index may be a {@link Slice}. */
    record GetItem(Expr obj, Expr index, int pos) implements Expr { }

    /** {@code start:stop:step} inside brackets; absent parts are null. */
    record Slice(Expr start, Expr stop, Expr step, int pos) implements Expr { }

    record Call(Expr callee, CallArgs args, int pos) implements Expr { }

    /** {@code value | name(args)}; {@code value} is null in {@code {% filter %}} and {@code {% set x | f %}} heads. */
    record Filter(Expr value, String name, CallArgs args, int pos) implements Expr { }

    /** {@code value is name(args)}. */
    record Test(Expr value, String name, CallArgs args, int pos) implements Expr { }

    /** Unary {@code -} or {@code +}. */
    record Unary(String op, Expr operand, int pos) implements Expr { }

    /** {@code + - * / // % **}. */
    record Binary(String op, Expr left, Expr right, int pos) implements Expr { }

    /** {@code a ~ b ~ c}: the Python {@code str()} of each, joined. */
    record Concat(List<Expr> parts, int pos) implements Expr { }

    /** A comparison chain {@code a < b <= c}: each operand compared to the previous, short-circuiting. */
    record Compare(Expr first, List<Operand> rest, int pos) implements Expr { }

    /** One link of a comparison chain; op is one of {@code == != < <= > >= in notin}. */
    record Operand(String op, Expr expr) { }

    record And(Expr left, Expr right, int pos) implements Expr { }

    record Or(Expr left, Expr right, int pos) implements Expr { }

    record Not(Expr operand, int pos) implements Expr { }

    /** {@code then if test else otherwise}; a missing else yields undefined. */
    record CondExpr(Expr test, Expr then, Expr otherwise, int pos) implements Expr { }

    /** Arguments of a call, filter or test: positional, keyword, {@code *args}, {@code **kwargs} (null if absent). */
    record CallArgs(List<Expr> positional, List<Keyword> keywords, Expr starArgs, Expr starKwargs) {
        static final CallArgs NONE = new CallArgs(List.of(), List.of(), null, null);
    }

    record Keyword(String name, Expr value) { }
}
