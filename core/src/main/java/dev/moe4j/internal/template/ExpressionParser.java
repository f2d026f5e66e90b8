package dev.moe4j.internal.template;

import dev.moe4j.internal.template.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Jinja2's expression grammar, lowest precedence first: conditional ({@code a if c else b}), {@code or}, {@code and},
 * {@code not}, comparisons (chained; {@code in}, {@code not in}), {@code + -}, {@code ~}, {@code * / // %}, {@code **}
 * (left-associative, as in Jinja), unary {@code - +}, then a primary with postfix {@code .attr}, {@code [index]},
 * {@code (call)} and — binding tighter than every binary operator — filters {@code |f} and tests {@code is t}.
 * Filter and test names are checked here, so an unknown one fails at compile time with its position, except in an
 * if-block or conditional expression, where Jinja2 fails only if it is evaluated ({@link Parser#unknownName}).
 */
final class ExpressionParser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final Parser p;

    ExpressionParser(Parser parser) {
        this.p = parser;
    }

    /** Jinja's parse_tuple: one expression, or a tuple when commas follow. */
    Expr parseTuple(boolean simplified, boolean withCondexpr, Set<String> extraEnd, boolean explicitParens) {
        Token start = p.current();
        List<Expr> items = new ArrayList<>();
        boolean tuple = false;
        while (true) {
            if (!items.isEmpty()) {
                p.expectOperator(",");
            }
            if (p.isTupleEnd(extraEnd)) {
                break;
            }
            items.add(simplified ? parsePrimary() : parseExpression(withCondexpr));
            if (p.current().isOperator(",")) {
                tuple = true;
            } else {
                break;
            }
        }
        if (!tuple) {
            if (!items.isEmpty()) {
                return items.get(0);
            }
            if (!explicitParens) {
                throw p.error("expected an expression, got " + p.current().describe(), p.current());
            }
        }
        return new Expr.TupleLit(List.copyOf(items), start.pos());
    }

    Expr parseExpression(boolean withCondexpr) {
        return withCondexpr ? parseCondExpr() : parseOr();
    }

    private Expr parseCondExpr() {
        Token start = p.current();
        p.enter(start);
        int mark = p.unknownNamesMark();
        Expr expr = parseOr();
        while (p.skipName("if")) {
            p.softSince(mark);
            boolean outer = p.soft(true);
            Expr test = parseOr();
            Expr otherwise = p.skipName("else") ? parseCondExpr() : null;
            p.soft(outer);
            expr = new Expr.CondExpr(test, expr, otherwise, start.pos());
        }
        p.leave();
        return expr;
    }

    private Expr parseOr() {
        Expr left = parseAnd();
        while (p.current().isName("or")) {
            Token op = p.next();
            left = new Expr.Or(left, parseAnd(), op.pos());
        }
        return left;
    }

    private Expr parseAnd() {
        Expr left = parseNot();
        while (p.current().isName("and")) {
            Token op = p.next();
            left = new Expr.And(left, parseNot(), op.pos());
        }
        return left;
    }

    private Expr parseNot() {
        if (p.current().isName("not")) {
            Token op = p.next();
            p.enter(op);
            Expr operand = parseNot();
            p.leave();
            return new Expr.Not(operand, op.pos());
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        Token start = p.current();
        Expr first = parseMath1();
        List<Expr.Operand> rest = new ArrayList<>();
        while (true) {
            Token t = p.current();
            if (t.kind() == Kind.OPERATOR && COMPARE_OPS.contains(t.text())) {
                p.next();
                rest.add(new Expr.Operand(t.text(), parseMath1()));
            } else if (p.skipName("in")) {
                rest.add(new Expr.Operand("in", parseMath1()));
            } else if (t.isName("not") && p.look().isName("in")) {
                p.next();
                p.next();
                rest.add(new Expr.Operand("notin", parseMath1()));
            } else {
                break;
            }
        }
        return rest.isEmpty() ? first : new Expr.Compare(first, List.copyOf(rest), start.pos());
    }

    private Expr parseMath1() {
        Expr left = parseConcat();
        while (p.current().isOperator("+") || p.current().isOperator("-")) {
            Token op = p.next();
            left = new Expr.Binary(op.text(), left, parseConcat(), op.pos());
        }
        return left;
    }

    private Expr parseConcat() {
        Token start = p.current();
        List<Expr> parts = new ArrayList<>();
        parts.add(parseMath2());
        while (p.skipOperator("~")) {
            parts.add(parseMath2());
        }
        return parts.size() == 1 ? parts.get(0) : new Expr.Concat(List.copyOf(parts), start.pos());
    }

    private Expr parseMath2() {
        Expr left = parsePow();
        while (true) {
            Token t = p.current();
            if (t.isOperator("*") || t.isOperator("/") || t.isOperator("//") || t.isOperator("%")) {
                p.next();
                left = new Expr.Binary(t.text(), left, parsePow(), t.pos());
            } else {
                return left;
            }
        }
    }

    private Expr parsePow() {
        Expr left = parseUnary(true);
        while (p.current().isOperator("**")) {
            Token op = p.next();
            left = new Expr.Binary("**", left, parseUnary(true), op.pos());
        }
        return left;
    }

    private Expr parseUnary(boolean withFilter) {
        Token t = p.current();
        Expr node;
        if (t.isOperator("-") || t.isOperator("+")) {
            p.next();
            p.enter(t);
            node = new Expr.Unary(t.text(), parseUnary(false), t.pos());
            p.leave();
        } else {
            node = parsePrimary();
        }
        node = parsePostfix(node);
        if (withFilter) {
            node = parseFilterExpr(node);
        }
        return node;
    }

    private Expr parsePrimary() {
        Token t = p.current();
        switch (t.kind()) {
            case NAME -> {
                p.next();
                return switch (t.text()) {
                    case "true", "True" -> new Expr.Const(Boolean.TRUE, t.pos());
                    case "false", "False" -> new Expr.Const(Boolean.FALSE, t.pos());
                    case "none", "None" -> new Expr.Const(null, t.pos());
                    default -> {
                        p.noteName(t.text());
                        yield new Expr.Name(t.text(), t.pos());
                    }
                };
            }
            case STRING -> {
                StringBuilder b = new StringBuilder((String) p.next().value());
                while (p.current().kind() == Kind.STRING) {
                    b.append((String) p.next().value());
                }
                return new Expr.Const(b.toString(), t.pos());
            }
            case INTEGER, FLOAT -> {
                p.next();
                return new Expr.Const(t.value(), t.pos());
            }
            default -> { }
        }
        if (t.isOperator("(")) {
            p.next();
            p.enter(t);
            Expr inner = parseTuple(false, true, Set.of(), true);
            p.leave();
            p.expectOperator(")");
            return inner;
        }
        if (t.isOperator("[")) {
            return parseList();
        }
        if (t.isOperator("{")) {
            return parseDict();
        }
        if (t.kind() == Kind.EOF) {
            throw p.error("unexpected end of template, expected an expression", t);
        }
        throw p.error("unexpected " + t.describe(), t);
    }

    private Expr parseList() {
        Token open = p.next();
        p.enter(open);
        List<Expr> items = new ArrayList<>();
        while (!p.current().isOperator("]")) {
            if (!items.isEmpty()) {
                p.expectOperator(",");
            }
            if (p.current().isOperator("]")) {
                break;
            }
            items.add(parseExpression(true));
        }
        p.expectOperator("]");
        p.leave();
        return new Expr.ListLit(List.copyOf(items), open.pos());
    }

    private Expr parseDict() {
        Token open = p.next();
        p.enter(open);
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!p.current().isOperator("}")) {
            if (!keys.isEmpty()) {
                p.expectOperator(",");
            }
            if (p.current().isOperator("}")) {
                break;
            }
            keys.add(parseExpression(true));
            p.expectOperator(":");
            values.add(parseExpression(true));
        }
        p.expectOperator("}");
        p.leave();
        return new Expr.DictLit(List.copyOf(keys), List.copyOf(values), open.pos());
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = p.current();
            if (t.isOperator(".") || t.isOperator("[")) {
                node = parseSubscript(node);
            } else if (t.isOperator("(")) {
                node = new Expr.Call(node, parseCallArgs(), t.pos());
            } else {
                return node;
            }
        }
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = p.current();
            if (t.isOperator("|")) {
                node = parseFilterChain(node, false);
            } else if (t.isName("is")) {
                node = parseTest(node);
            } else if (t.isOperator("(")) {
                node = new Expr.Call(node, parseCallArgs(), t.pos());
            } else {
                return node;
            }
        }
    }

    private Expr parseSubscript(Expr node) {
        Token t = p.next();
        if (t.isOperator(".")) {
            Token attr = p.current();
            if (attr.kind() == Kind.NAME) {
                p.next();
                return new Expr.GetAttr(node, attr.text(), t.pos());
            }
            if (attr.kind() != Kind.INTEGER) {
                throw p.error("expected name or number after '.', got " + attr.describe(), attr);
            }
            p.next();
            return new Expr.GetItem(node, new Expr.Const(attr.value(), attr.pos()), t.pos());
        }
        p.enter(t);
        List<Expr> args = new ArrayList<>();
        while (!p.current().isOperator("]")) {
            if (!args.isEmpty()) {
                p.expectOperator(",");
            }
            args.add(parseSubscribed());
        }
        p.expectOperator("]");
        p.leave();
        Expr index = args.size() == 1 ? args.get(0) : new Expr.TupleLit(List.copyOf(args), t.pos());
        return new Expr.GetItem(node, index, t.pos());
    }

    private Expr parseSubscribed() {
        Token start = p.current();
        Expr first = null;
        if (!start.isOperator(":")) {
            first = parseExpression(true);
            if (!p.current().isOperator(":")) {
                return first;
            }
        }
        p.next(); // ':'
        Expr stop = null;
        if (!p.current().isOperator(":") && !p.current().isOperator("]") && !p.current().isOperator(",")) {
            stop = parseExpression(true);
        }
        Expr step = null;
        if (p.skipOperator(":")) {
            if (!p.current().isOperator("]") && !p.current().isOperator(",")) {
                step = parseExpression(true);
            }
        }
        return new Expr.Slice(first, stop, step, start.pos());
    }

    Expr.CallArgs parseCallArgs() {
        Token open = p.expectOperator("(");
        p.enter(open);
        List<Expr> args = new ArrayList<>();
        List<Expr.Keyword> kwargs = new ArrayList<>();
        Expr starArgs = null;
        Expr starKwargs = null;
        boolean requireComma = false;
        while (!p.current().isOperator(")")) {
            if (requireComma) {
                p.expectOperator(",");
                if (p.current().isOperator(")")) {
                    break;
                }
            }
            Token t = p.current();
            if (t.isOperator("*")) {
                ensure(starArgs == null && starKwargs == null, open);
                p.next();
                starArgs = parseExpression(true);
            } else if (t.isOperator("**")) {
                ensure(starKwargs == null, open);
                p.next();
                starKwargs = parseExpression(true);
            } else if (t.kind() == Kind.NAME && p.look().isOperator("=")) {
                ensure(starKwargs == null, open);
                p.next();
                p.next();
                kwargs.add(new Expr.Keyword(t.text(), parseExpression(true)));
            } else {
                ensure(starArgs == null && starKwargs == null && kwargs.isEmpty(), open);
                args.add(parseExpression(true));
            }
            requireComma = true;
        }
        p.expectOperator(")");
        p.leave();
        return new Expr.CallArgs(List.copyOf(args), List.copyOf(kwargs), starArgs, starKwargs);
    }

    private void ensure(boolean ok, Token open) {
        if (!ok) {
            throw p.error("invalid syntax for function call expression", open);
        }
    }

    /** One or more {@code | name(args)}; with {@code startInline} the first filter has no leading pipe. */
    Expr.Filter parseFilterChain(Expr node, boolean startInline) {
        Expr result = node;
        while (p.current().isOperator("|") || startInline) {
            if (!startInline) {
                p.next();
            }
            Token name = p.expectName();
            String fullName = dottedName(name.text());
            String problem = Filters.checkName(fullName);
            if (problem != null && Filters.isUnsupported(fullName)) {
                throw p.error(problem, name);
            }
            if (problem != null) {
                p.unknownName(problem, name);
            }
            Expr.CallArgs args = p.current().isOperator("(") ? parseCallArgs() : Expr.CallArgs.NONE;
            result = new Expr.Filter(result, fullName, args, name.pos());
            startInline = false;
        }
        return (Expr.Filter) result;
    }

    private Expr parseTest(Expr node) {
        Token is = p.next();
        boolean negated = p.skipName("not");
        Token name = p.expectName();
        String fullName = dottedName(name.text());
        String problem = JinjaTests.checkName(fullName);
        if (problem != null) {
            p.unknownName(problem, name);
        }
        Expr.CallArgs args = Expr.CallArgs.NONE;
        Token t = p.current();
        if (t.isOperator("(")) {
            args = parseCallArgs();
        } else if ((t.kind() == Kind.NAME || t.kind() == Kind.STRING || t.kind() == Kind.INTEGER
                || t.kind() == Kind.FLOAT || t.isOperator("(") || t.isOperator("[") || t.isOperator("{"))
                && !t.isName("else") && !t.isName("or") && !t.isName("and")) {
            if (t.isName("is")) {
                throw p.error("you cannot chain multiple tests with 'is'", t);
            }
            Expr arg = parsePostfix(parsePrimary());
            args = new Expr.CallArgs(List.of(arg), List.of(), null, null);
        }
        Expr test = new Expr.Test(node, fullName, args, is.pos());
        return negated ? new Expr.Not(test, is.pos()) : test;
    }

    private String dottedName(String first) {
        StringBuilder name = new StringBuilder(first);
        while (p.current().isOperator(".")) {
            p.next();
            name.append('.').append(p.expectName().text());
        }
        return name.toString();
    }
}
