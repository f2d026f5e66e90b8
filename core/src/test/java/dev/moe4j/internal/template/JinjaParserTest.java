package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parser: operator precedence as Jinja2 defines it, statement structure, and syntax errors with positions. */
class JinjaParserTest {

    private static List<Stmt> parse(String source) {
        String normalized = Lexer.normalizeNewlines(source);
        SourcePosition positions = new SourcePosition(normalized);
        return Parser.parse(Lexer.tokenize(normalized, true, true, positions), positions);
    }

    private static Expr expr(String expression) {
        return ((Stmt.Print) parse("{{ " + expression + " }}").get(0)).expr();
    }

    /** A compact prefix rendering of an expression tree. */
    private static String tree(Expr e) {
        return switch (e) {
            case Expr.Const c -> String.valueOf(c.value());
            case Expr.Name n -> n.name();
            case Expr.Binary b -> "(" + b.op() + " " + tree(b.left()) + " " + tree(b.right()) + ")";
            case Expr.Unary u -> "(" + u.op() + " " + tree(u.operand()) + ")";
            case Expr.Filter f -> "(|" + f.name() + " " + tree(f.value()) + ")";
            case Expr.Test t -> "(is " + t.name() + " " + tree(t.value()) + ")";
            case Expr.Not n -> "(not " + tree(n.operand()) + ")";
            case Expr.And a -> "(and " + tree(a.left()) + " " + tree(a.right()) + ")";
            case Expr.Or o -> "(or " + tree(o.left()) + " " + tree(o.right()) + ")";
            case Expr.Concat c -> "(~ " + String.join(" ", c.parts().stream().map(JinjaParserTest::tree).toList()) + ")";
            case Expr.Compare c -> "(" + tree(c.first()) + String.join("", c.rest().stream()
                    .map(o -> " " + o.op() + " " + tree(o.expr())).toList()) + ")";
            case Expr.CondExpr c -> "(if " + tree(c.test()) + " " + tree(c.then()) + " "
                    + (c.otherwise() == null ? "-" : tree(c.otherwise())) + ")";
            case Expr.GetAttr g -> tree(g.obj()) + "." + g.name();
            case Expr.GetItem g -> tree(g.obj()) + "[" + tree(g.index()) + "]";
            case Expr.Slice s -> (s.start() == null ? "" : tree(s.start())) + ":" + (s.stop() == null ? "" : tree(s.stop()))
                    + ":" + (s.step() == null ? "" : tree(s.step()));
            case Expr.Call c -> tree(c.callee()) + "(" + c.args().positional().size() + ")";
            default -> e.getClass().getSimpleName();
        };
    }

    @Test
    void filtersBindTighterThanArithmetic() {
        assertEquals("(+ a (|tojson b))", tree(expr("a + b | tojson")));
        assertEquals("(- (|length messages) 1)", tree(expr("messages|length - 1")));
        assertEquals("(|abs (- x))", tree(expr("-x|abs")));
    }

    @Test
    void notAppliesToTheWholeTest() {
        assertEquals("(not (is defined x))", tree(expr("not x is defined")));
        assertEquals("(not (is none x))", tree(expr("x is not none")));
    }

    @Test
    void precedenceLadder() {
        assertEquals("(or a (and b (not c)))", tree(expr("a or b and not c")));
        assertEquals("(+ 1 (* 2 3))", tree(expr("1 + 2 * 3")));
        assertEquals("(+ (~ a b) c)", tree(expr("a ~ b + c")));
        assertEquals("(~ a (* b c))", tree(expr("a ~ b * c")));
        assertEquals("(** (** 2 3) 2)", tree(expr("2 ** 3 ** 2")));
        assertEquals("(a < b <= c)", tree(expr("a < b <= c")));
        assertEquals("(x notin y)", tree(expr("x not in y")));
        assertEquals("(if c a (if d b e))", tree(expr("a if c else b if d else e")));
    }

    @Test
    void postfixAccess() {
        assertEquals("m.content.split(1)[(- 1)]", tree(expr("m.content.split('x')[-1]")));
        assertEquals("l[::(- 1)]", tree(expr("l[::-1]")));
        assertEquals("l[1::]", tree(expr("l[1:]")));
        assertEquals("x[0]", tree(expr("x.0")));
    }

    @Test
    void statementsNest() {
        List<Stmt> body = parse("{% for k, v in d.items() if v %}{% if loop.first %}a{% elif x %}b{% else %}c"
                + "{% endif %}{% else %}none{% endfor %}");
        Stmt.For f = assertInstanceOf(Stmt.For.class, body.get(0));
        assertInstanceOf(Stmt.TupleTarget.class, f.target());
        assertEquals(1, f.otherwise().size());
        Stmt.If i = assertInstanceOf(Stmt.If.class, f.body().get(0));
        assertEquals(2, i.branches().size());
        assertEquals(1, i.otherwise().size());
    }

    @Test
    void setForms() {
        assertInstanceOf(Stmt.NamespaceTarget.class, ((Stmt.Assign) parse("{% set ns.x = 1 %}").get(0)).target());
        assertInstanceOf(Stmt.TupleTarget.class, ((Stmt.Assign) parse("{% set a, b = 1, 2 %}").get(0)).target());
        Stmt.AssignBlock block = assertInstanceOf(Stmt.AssignBlock.class, parse("{% set x | upper %}y{% endset %}").get(0));
        assertEquals("upper", block.filter().name());
    }

    @Test
    void macroRecordsWhichSpecialNamesItUses() {
        Stmt.Macro m = assertInstanceOf(Stmt.Macro.class,
                parse("{% macro m(a, b=1) %}{{ varargs }}{{ caller() }}{% endmacro %}").get(0));
        assertEquals(List.of("a", "b"), m.params());
        assertEquals(1, m.defaults().size());
        assertEquals(true, m.usesVarargs());
        assertEquals(false, m.usesKwargs());
        assertEquals(true, m.usesCaller());
    }

    private static TemplateException syntaxError(String source) {
        return assertThrows(TemplateException.class, () -> parse(source));
    }

    @Test
    void unknownConstructsAreNamedWithTheirPosition() {
        assertEquals("unknown filter 'frobnicate' (line 2, column 8)",
                syntaxError("ok\n{{ x | frobnicate }}").getMessage());
        assertEquals("unknown test 'shiny' (line 1, column 9)", syntaxError("{{ x is shiny }}").getMessage());
        assertEquals("unknown tag 'frob' (line 3, column 4)", syntaxError("\n\n{% frob %}").getMessage());
        assertEquals("tag 'include' is not supported in chat templates (line 1, column 4)",
                syntaxError("{% include 'x' %}").getMessage());
        assertEquals("filter 'groupby' is not supported by this template engine (line 1, column 8)",
                syntaxError("{{ x | groupby('a') }}").getMessage());
    }

    /**
     * As in Jinja2: an unknown filter or test inside an if-block or a conditional expression fails only if evaluated
     * (DeepSeek-V3.2's and V4's templates use a {@code from_json} filter no environment has, for string arguments);
     * a block with a frame of its own inside the if-block, or a syntax error anywhere, still fails the compile.
     */
    @Test
    void unknownNamesInIfBlocksFailOnlyWhenReached() {
        ChatTemplate t = ChatTemplate.compile("{% for a in args %}{% if a is string %}{% set a = a | from_json %}"
                + "{% endif %}{{ a['k'] if a is mapping else a | from_json2 }}{% endfor %}");
        assertEquals("1", t.render(Map.of("args", List.of(Map.of("k", 1L)))));
        TemplateException e = assertThrows(TemplateException.class, () -> t.render(Map.of("args", List.of("{}"))));
        assertEquals("TemplateRuntimeError: No filter named 'from_json' found. (line 1, column 55)", e.getMessage());
        assertEquals("TemplateRuntimeError: No test named 'shiny' found. (line 1, column 9)",
                assertThrows(TemplateException.class, () -> ChatTemplate.compile("{% if x is shiny %}{% endif %}")
                        .render(Map.of("x", 1L))).getMessage());
        assertEquals("unknown filter 'nof' (line 1, column 34)",
                syntaxError("{% if x %}{% for a in b %}{{ a | nof }}{% endfor %}{% endif %}").getMessage());
        assertEquals("unknown filter 'nof' (line 1, column 25)",
                syntaxError("{{ (y if x else 'ok') | nof }}").getMessage());
        assertEquals(false, syntaxError("{{ 1 | nof }}{{ 1 + }}").getMessage().contains("nof"),
                "the syntax error comes first, as Jinja2 parses before it checks names");
        assertEquals("filter 'groupby' is not supported by this template engine (line 1, column 18)",
                syntaxError("{% if x %}{{ x | groupby('a') }}{% endif %}").getMessage());
    }

    @Test
    void structuralErrors() {
        assertEquals("unexpected end of template: the 'if' block opened here is never closed (expected 'elif', 'else'"
                + " or 'endif') (line 1, column 4)", syntaxError("{% if x %}abc").getMessage());
        assertEquals("unexpected 'endfor': there is no open block it could close (line 1, column 4)",
                syntaxError("{% endfor %}").getMessage());
        assertEquals("'break' outside of a loop (line 1, column 4)", syntaxError("{% break %}").getMessage());
        assertEquals("expected an expression, got end of print statement (line 1, column 4)",
                syntaxError("{{ }}").getMessage());
        assertEquals("can't assign to 'true' (line 1, column 8)", syntaxError("{% set true = 1 %}").getMessage());
        assertEquals("non-default argument follows default argument (line 1, column 17)",
                syntaxError("{% macro m(a=1, b) %}{% endmacro %}").getMessage());
        assertEquals("recursive for loops are not supported (line 1, column 16)",
                syntaxError("{% for x in xs recursive %}{% endfor %}").getMessage());
    }

    @Test
    void deeplyNestedExpressionsAreRefusedBeforeTheStackRunsOut() {
        TemplateException e = syntaxError("{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}");
        assertEquals("template nesting too deep (more than 100 levels)", e.detail());
        e = syntaxError("{% if x %}".repeat(500));
        assertEquals("template nesting too deep (more than 100 levels)", e.detail());
    }

    /** Found by ChatTemplateFuzzTest: long left-leaning chains used to end compile with a StackOverflowError. */
    @Test
    void overlongOperatorChainsFailAsTemplateErrors() {
        for (String link : List.of(".a", "['a']", ".get('a')", "|string", " + 1", " or x", " * 2")) {
            TemplateException e = assertThrows(TemplateException.class,
                    () -> ChatTemplate.compile("{{ x" + link.repeat(200_000) + " }}"), link);
            assertEquals("template nesting too deep for the thread's stack", e.detail(), link);
        }
    }
}
