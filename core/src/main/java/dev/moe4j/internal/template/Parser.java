package dev.moe4j.internal.template;

import dev.moe4j.internal.template.Stmt.Target;
import dev.moe4j.internal.template.Token.Kind;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns tokens into statements, following Jinja2's parser (statement grammar here, expressions in
 * {@link ExpressionParser}). Supported tags: {@code if/elif/else}, {@code for} (with {@code else} and an inline
 * {@code if} filter), {@code set} (plain, tuple, {@code ns.attr}, block), {@code macro}, {@code call}, {@code filter},
 * {@code with}, {@code print}, {@code raw}, {@code break}/{@code continue} (transformers enables loopcontrols) and
 * transformers' {@code generation}. Anything else is rejected here with its position.
 */
final class Parser {
    static final int MAX_NESTING = 100;

    private final List<Token> tokens;
    private final SourcePosition positions;
    private final ExpressionParser expressions;
    private int index;
    private int nesting;
    /** Loop nesting per function body: break/continue are legal only inside a loop of the same macro. */
    private final Deque<int[]> loopDepth = new ArrayDeque<>();
    /** Names referenced inside the macro bodies being parsed (to know if it takes varargs/kwargs/caller). */
    private final Deque<Set<String>> macroNames = new ArrayDeque<>();
    /**
     * Inside an if-block (its tests and bodies) or a conditional expression, Jinja's "soft frame": there an unknown
     * filter or test fails only if it is reached, elsewhere at compile time. Blocks with a frame of their own (for,
     * macro, call, filter, set and with bodies) are not soft even inside an if-block.
     */
    private boolean soft;
    /** Unknown filters and tests outside soft frames: reported once the whole template is parsed, as Jinja2 does. */
    private final List<TemplateException> unknownNames = new ArrayList<>();

    private Parser(List<Token> tokens, SourcePosition positions) {
        this.tokens = tokens;
        this.positions = positions;
        this.expressions = new ExpressionParser(this);
        loopDepth.push(new int[1]);
    }

    static List<Stmt> parse(List<Token> tokens, SourcePosition positions) {
        Parser p = new Parser(tokens, positions);
        List<Stmt> body = p.subparse(Set.of());
        if (p.current().kind() != Kind.EOF) {
            Token t = p.current();
            throw p.error("unexpected '" + t.text() + "': there is no open block it could close", t);
        }
        if (!p.unknownNames.isEmpty()) {
            throw p.unknownNames.get(0);
        }
        return body;
    }

    // ---- token stream ----

    Token current() {
        return tokens.get(index);
    }

    Token look() {
        return tokens.get(Math.min(index + 1, tokens.size() - 1));
    }

    Token next() {
        Token t = tokens.get(index);
        if (index < tokens.size() - 1) {
            index++;
        }
        return t;
    }

    boolean skipOperator(String op) {
        if (current().isOperator(op)) {
            next();
            return true;
        }
        return false;
    }

    boolean skipName(String name) {
        if (current().isName(name)) {
            next();
            return true;
        }
        return false;
    }

    Token expectOperator(String op) {
        if (!current().isOperator(op)) {
            throw unexpected("'" + op + "'");
        }
        return next();
    }

    Token expectName() {
        if (current().kind() != Kind.NAME) {
            throw unexpected("a name");
        }
        return next();
    }

    Token expect(Kind kind, String what) {
        if (current().kind() != kind) {
            throw unexpected(what);
        }
        return next();
    }

    TemplateException unexpected(String expected) {
        Token t = current();
        if (t.kind() == Kind.EOF) {
            return error("unexpected end of template, expected " + expected, t);
        }
        return error("expected " + expected + ", got " + t.describe(), t);
    }

    TemplateException error(String detail, Token at) {
        return positions.error(detail, at.pos());
    }

    TemplateException error(String detail, int pos) {
        return positions.error(detail, pos);
    }

    void enter(Token at) {
        if (++nesting > MAX_NESTING) {
            throw error("template nesting too deep (more than " + MAX_NESTING + " levels)", at);
        }
    }

    void leave() {
        nesting--;
    }

    /** An unknown filter or test name: an error at compile time unless in a soft frame (see {@link #soft}). */
    void unknownName(String problem, Token at) {
        if (!soft) {
            unknownNames.add(error(problem, at));
        }
    }

    /** How many unknown names are recorded, to {@link #softSince} them. */
    int unknownNamesMark() {
        return unknownNames.size();
    }

    /** What was parsed since {@code mark} turned out to be soft (the value of a conditional expression). */
    void softSince(int mark) {
        unknownNames.subList(mark, unknownNames.size()).clear();
    }

    /** Sets whether the frame is soft; returns the previous setting. */
    boolean soft(boolean value) {
        boolean old = soft;
        soft = value;
        return old;
    }

    void noteName(String name) {
        if (!macroNames.isEmpty()) {
            macroNames.peek().add(name);
        }
    }

    // ---- statements ----

    /** Parses until a block tag whose name is in {@code endTokens} (left current) or the end of the template. */
    private List<Stmt> subparse(Set<String> endTokens) {
        List<Stmt> body = new ArrayList<>();
        while (true) {
            Token t = current();
            switch (t.kind()) {
                case EOF -> {
                    return body;
                }
                case DATA -> {
                    body.add(new Stmt.Data(t.text(), t.pos()));
                    next();
                }
                case VARIABLE_BEGIN -> {
                    next();
                    Expr e = expressions.parseTuple(false, true, Set.of(), false);
                    expect(Kind.VARIABLE_END, "end of print statement '}}'");
                    body.add(new Stmt.Print(e, t.pos()));
                }
                case BLOCK_BEGIN -> {
                    next();
                    Token tag = current();
                    if (tag.kind() == Kind.NAME && endTokens.contains(tag.text())) {
                        return body;
                    }
                    body.add(parseStatement());
                    expect(Kind.BLOCK_END, "end of statement block '%}'");
                }
                default -> throw error("internal parser error at " + t.describe(), t);
            }
        }
    }

    /** Jinja's parse_statements: an optional ':' and the block end, then the body up to one of the end tags. */
    private List<Stmt> parseBody(Token opener, String... endTokens) {
        skipOperator(":");
        expect(Kind.BLOCK_END, "end of statement block '%}'");
        enter(opener);
        List<Stmt> body = subparse(Set.of(endTokens));
        leave();
        if (current().kind() == Kind.EOF) {
            throw error("unexpected end of template: the '" + opener.text() + "' block opened here is never closed"
                    + " (expected " + describeEnds(endTokens) + ")", opener);
        }
        return body;
    }

    private static String describeEnds(String... ends) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ends.length; i++) {
            b.append(i == 0 ? "" : i == ends.length - 1 ? " or " : ", ").append("'").append(ends[i]).append("'");
        }
        return b.toString();
    }

    private Stmt parseStatement() {
        Token tag = current();
        if (tag.kind() != Kind.NAME) {
            throw error("tag name expected, got " + tag.describe(), tag);
        }
        return switch (tag.text()) {
            case "if" -> parseIf();
            case "for" -> parseFor();
            case "set" -> parseSet();
            case "macro" -> parseMacro();
            case "call" -> parseCallBlock();
            case "filter" -> parseFilterBlock();
            case "with" -> parseWith();
            case "print" -> parsePrint();
            case "generation" -> parseGeneration();
            case "break", "continue" -> parseLoopControl();
            case "block", "extends", "include", "import", "from", "autoescape", "do", "trans", "debug" ->
                    throw error("tag '" + tag.text() + "' is not supported in chat templates", tag);
            default -> {
                if (tag.text().startsWith("end") || tag.text().equals("elif") || tag.text().equals("else")) {
                    throw error("unexpected '" + tag.text() + "': there is no open block it could close", tag);
                }
                throw error("unknown tag '" + tag.text() + "'", tag);
            }
        };
    }

    private Stmt parseIf() {
        Token opener = next();
        boolean outer = soft(true);
        List<Stmt.Branch> branches = new ArrayList<>();
        List<Stmt> otherwise = List.of();
        while (true) {
            Expr test = expressions.parseTuple(false, false, Set.of(), false);
            List<Stmt> body = parseBody(opener, "elif", "else", "endif");
            branches.add(new Stmt.Branch(test, body));
            Token t = next();
            if (t.isName("elif")) {
                continue;
            }
            if (t.isName("else")) {
                otherwise = parseBody(opener, "endif");
                next();
            }
            break;
        }
        soft(outer);
        return new Stmt.If(List.copyOf(branches), otherwise, opener.pos());
    }

    private Stmt parseFor() {
        Token opener = next();
        Target target = parseAssignTarget(false, Set.of("in"));
        if (assignsLoop(target)) {
            throw error("can't assign to the special loop variable 'loop' in a for-loop target", opener);
        }
        if (!skipName("in")) {
            throw unexpected("'in'");
        }
        Expr iter = expressions.parseTuple(false, false, Set.of("recursive"), false);
        Expr filter = null;
        boolean outer = soft(false);
        if (skipName("if")) {
            filter = expressions.parseExpression(true);
        }
        if (current().isName("recursive")) {
            throw error("recursive for loops are not supported", current());
        }
        loopDepth.peek()[0]++;
        List<Stmt> body = parseBody(opener, "endfor", "else");
        loopDepth.peek()[0]--;
        List<Stmt> otherwise = List.of();
        if (next().isName("else")) {
            otherwise = parseBody(opener, "endfor");
            next();
        }
        soft(outer);
        return new Stmt.For(target, iter, filter, body, otherwise, opener.pos());
    }

    private static boolean assignsLoop(Target target) {
        return switch (target) {
            case Stmt.NameTarget n -> n.name().equals("loop");
            case Stmt.TupleTarget t -> t.items().stream().anyMatch(Parser::assignsLoop);
            case Stmt.NamespaceTarget ns -> false;
        };
    }

    private Stmt parseSet() {
        Token opener = next();
        Target target = parseAssignTarget(true, Set.of());
        if (skipOperator("=")) {
            Expr value = expressions.parseTuple(false, true, Set.of(), false);
            return new Stmt.Assign(target, value, opener.pos());
        }
        boolean outer = soft(false);
        Expr.Filter filter = current().isOperator("|") ? expressions.parseFilterChain(null, false) : null;
        List<Stmt> body = parseBody(opener, "endset");
        next();
        soft(outer);
        return new Stmt.AssignBlock(target, filter, body, opener.pos());
    }

    private Stmt parseMacro() {
        Token opener = next();
        String name = parseName();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        boolean outer = soft(false);
        parseSignature(params, defaults);
        macroNames.push(new HashSet<>());
        loopDepth.push(new int[1]);
        List<Stmt> body = parseBody(opener, "endmacro");
        loopDepth.pop();
        Set<String> used = macroNames.pop();
        noteNames(used);
        next();
        soft(outer);
        return new Stmt.Macro(name, List.copyOf(params), List.copyOf(defaults), body, used.contains("varargs"),
                used.contains("kwargs"), used.contains("caller"), opener.pos());
    }

    private void noteNames(Set<String> names) {
        if (!macroNames.isEmpty()) {
            macroNames.peek().addAll(names);
        }
    }

    private Stmt parseCallBlock() {
        Token opener = next();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (current().isOperator("(")) {
            boolean outer = soft(false);
            parseSignature(params, defaults);
            soft(outer);
        }
        Expr call = expressions.parseExpression(true);
        if (!(call instanceof Expr.Call c)) {
            throw error("expected a macro call after 'call'", opener);
        }
        macroNames.push(new HashSet<>());
        loopDepth.push(new int[1]);
        boolean outer = soft(false);
        List<Stmt> body = parseBody(opener, "endcall");
        soft(outer);
        loopDepth.pop();
        Set<String> used = macroNames.pop();
        noteNames(used);
        next();
        return new Stmt.CallBlock(c, List.copyOf(params), List.copyOf(defaults), body, used.contains("varargs"),
                used.contains("kwargs"), opener.pos());
    }

    private Stmt parseFilterBlock() {
        Token opener = next();
        boolean outer = soft(false);
        Expr.Filter filter = expressions.parseFilterChain(null, true);
        List<Stmt> body = parseBody(opener, "endfilter");
        next();
        soft(outer);
        return new Stmt.FilterBlock(filter, body, opener.pos());
    }

    private Stmt parseWith() {
        Token opener = next();
        List<Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (current().kind() != Kind.BLOCK_END) {
            if (!targets.isEmpty()) {
                expectOperator(",");
            }
            targets.add(parseAssignTarget(false, Set.of()));
            expectOperator("=");
            values.add(expressions.parseExpression(true));
        }
        boolean outer = soft(false);
        List<Stmt> body = parseBody(opener, "endwith");
        next();
        soft(outer);
        return new Stmt.With(List.copyOf(targets), List.copyOf(values), body, opener.pos());
    }

    private Stmt parsePrint() {
        Token opener = next();
        List<Expr> items = new ArrayList<>();
        while (current().kind() != Kind.BLOCK_END) {
            if (!items.isEmpty()) {
                expectOperator(",");
            }
            items.add(expressions.parseExpression(true));
        }
        List<Stmt> prints = new ArrayList<>();
        for (Expr e : items) {
            prints.add(new Stmt.Print(e, e.pos()));
        }
        return new Stmt.Block(List.copyOf(prints), false, opener.pos());
    }

    private Stmt parseGeneration() {
        Token opener = next();
        boolean outer = soft(false); // transformers makes it a call block
        List<Stmt> body = parseBody(opener, "endgeneration");
        next();
        soft(outer);
        return new Stmt.Block(body, true, opener.pos());
    }

    private Stmt parseLoopControl() {
        Token t = next();
        if (loopDepth.peek()[0] == 0) {
            throw error("'" + t.text() + "' outside of a loop", t);
        }
        return t.text().equals("break") ? new Stmt.Break(t.pos()) : new Stmt.Continue(t.pos());
    }

    private void parseSignature(List<String> params, List<Expr> defaults) {
        expectOperator("(");
        while (!current().isOperator(")")) {
            if (!params.isEmpty()) {
                expectOperator(",");
            }
            Token at = current();
            String param = parseName();
            if (skipOperator("=")) {
                defaults.add(expressions.parseExpression(true));
            } else if (!defaults.isEmpty()) {
                throw error("non-default argument follows default argument", at);
            }
            params.add(param);
        }
        expectOperator(")");
    }

    private String parseName() {
        Token t = expectName();
        checkAssignable(t);
        return t.text();
    }

    private void checkAssignable(Token t) {
        switch (t.text()) {
            case "true", "false", "none", "True", "False", "None" ->
                    throw error("can't assign to '" + t.text() + "'", t);
            default -> { }
        }
    }

    /**
     * Jinja's parse_assign_target: {@code name.attr} (when {@code withNamespace}), or a name or tuple of names
     * (parenthesised tuples allowed), stopping at {@code extraEnd}.
     */
    private Target parseAssignTarget(boolean withNamespace, Set<String> extraEnd) {
        if (withNamespace && look().isOperator(".")) {
            Token name = expectName();
            next();
            Token attr = expectName();
            return new Stmt.NamespaceTarget(name.text(), attr.text(), name.pos());
        }
        Token start = current();
        List<Target> items = new ArrayList<>();
        boolean tuple = false;
        while (true) {
            if (!items.isEmpty()) {
                expectOperator(",");
            }
            if (isTupleEnd(extraEnd)) {
                break;
            }
            items.add(parseTargetPrimary());
            if (current().isOperator(",")) {
                tuple = true;
            } else {
                break;
            }
        }
        if (!tuple) {
            if (items.isEmpty()) {
                throw unexpected("an assignment target");
            }
            return items.get(0);
        }
        return new Stmt.TupleTarget(List.copyOf(items), start.pos());
    }

    private Target parseTargetPrimary() {
        Token t = current();
        if (t.kind() == Kind.NAME) {
            next();
            checkAssignable(t);
            return new Stmt.NameTarget(t.text(), t.pos());
        }
        if (t.isOperator("(")) {
            next();
            Target inner = parseAssignTarget(false, Set.of());
            expectOperator(")");
            return inner;
        }
        throw error("can't assign to " + t.describe(), t);
    }

    boolean isTupleEnd(Set<String> extraEnd) {
        Token t = current();
        return t.kind() == Kind.VARIABLE_END || t.kind() == Kind.BLOCK_END || t.isOperator(")")
                || (t.kind() == Kind.NAME && extraEnd.contains(t.text()));
    }
}
