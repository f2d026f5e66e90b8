package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.moe4j.internal.template.Token.Kind;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The lexer on its own: token kinds and values, literal decoding, whitespace control, and its error messages. */
class JinjaLexerTest {

    private static List<Token> lex(String source) {
        String normalized = Lexer.normalizeNewlines(source);
        return Lexer.tokenize(normalized, true, true, new SourcePosition(normalized));
    }

    /** Kind:text pairs, data shown in brackets so whitespace is visible. */
    private static String describe(String source) {
        return lex(source).stream()
                .map(t -> t.kind() == Kind.DATA ? "[" + t.text() + "]" : t.kind() == Kind.EOF ? "EOF"
                        : t.kind().name().charAt(0) + ":" + t.text())
                .collect(Collectors.joining(" "));
    }

    @Test
    void splitsDataTagsAndExpressionTokens() {
        assertEquals("[a ] V:{{ N:x O:| N:upper V:}} [ b] B:{% N:if N:x O:== I:1 B:%} [c] B:{% N:endif B:%} EOF",
                describe("a {{ x|upper }} b{% if x == 1 %}c{% endif %}"));
    }

    @Test
    void decodesLiterals() {
        List<Token> tokens = lex("{{ 'a\\n\\u00e9\\x41' \"q\\\"\" 42 0x1F 1_000 2.5 1e3 0b11 }}");
        assertEquals("a\néA", tokens.get(1).value());
        assertEquals("q\"", tokens.get(2).value());
        assertEquals(42L, tokens.get(3).value());
        assertEquals(31L, tokens.get(4).value());
        assertEquals(1000L, tokens.get(5).value());
        assertEquals(2.5, tokens.get(6).value());
        assertEquals(1000.0, tokens.get(7).value());
        assertEquals(3L, tokens.get(8).value());
    }

    @Test
    void aDotBeforeDigitsIsAttributeAccessNotAFloat() {
        assertEquals("V:{{ N:x O:. I:0 O:. I:1 V:}} EOF", describe("{{ x.0.1 }}"));
    }

    @Test
    void minusStripsAllWhitespaceOnItsSide() {
        assertEquals("[a] V:{{- I:1 V:-}} [b] EOF", describe("a \n\t {{- 1 -}} \n b"));
    }

    @Test
    void trimBlocksDropsOneNewlineAfterABlockTag() {
        assertEquals("B:{% N:if N:x B:%} [\n] B:{% N:endif B:%} EOF", describe("{% if x %}\n\n{% endif %}"));
    }

    @Test
    void lstripBlocksDropsIndentBeforeABlockTagButNotBeforeAVariable() {
        assertEquals("[a\n] B:{% N:if N:x B:%} [b\n    ] V:{{ N:y V:}} EOF", describe("a\n    {% if x %}b\n    {{ y }}"));
    }

    @Test
    void plusDisablesLstripAndTrim() {
        assertEquals("[  ] B:{%+ N:if N:x B:+%} [\nz] EOF", describe("  {%+ if x +%}\nz"));
    }

    @Test
    void commentsVanishAndHonourWhitespaceControl() {
        assertEquals("[a] [b] EOF", describe("a  {#- note {{ x }} -#}  b"));
        assertEquals("[a\n] [b] EOF", describe("a\n  {# note #}\nb"));
    }

    @Test
    void rawBodiesBecomeData() {
        assertEquals("[{{ x }}{% if %}] EOF", describe("{% raw %}{{ x }}{% if %}{% endraw %}"));
    }

    @Test
    void closingDelimiterInsideBracketsIsNotTheEndOfTheTag() {
        assertEquals("V:{{ O:{ S:'a' O:: O:{ S:'b' O:: I:1 O:} O:} V:}} EOF", describe("{{ {'a': {'b': 1}} }}"));
    }

    @Test
    void normalizesNewlinesAndDropsOneTrailingNewline() {
        assertEquals("a\nb\nc\n", Lexer.normalizeNewlines("a\r\nb\rc\n\n"));
        assertEquals("x", Lexer.normalizeNewlines("x\n"));
    }

    @Test
    void reportsLexicalErrorsWithLineAndColumn() {
        TemplateException e = assertThrows(TemplateException.class, () -> lex("line one\n  {{ 'open }}"));
        assertEquals(2, e.line());
        assertEquals(6, e.column());
        assertEquals("unexpected char \"'\" (unterminated string literal) (line 2, column 6)", e.getMessage());

        e = assertThrows(TemplateException.class, () -> lex("ok {# never closed"));
        assertEquals("missing end of comment tag (line 1, column 4)", e.getMessage());

        e = assertThrows(TemplateException.class, () -> lex("{{ (1 + 2 }}"));
        assertEquals("unexpected '}', expected ')' (line 1, column 11)", e.getMessage());

        e = assertThrows(TemplateException.class, () -> lex("{{ a ? b }}"));
        assertEquals("unexpected char '?' in tag (line 1, column 6)", e.getMessage());

        e = assertThrows(TemplateException.class, () -> lex("{{ '\\x4' }}"));
        assertEquals("bad string literal: truncated \\xXX escape (line 1, column 4)", e.getMessage());
    }

    @Test
    void columnsCountCodePoints() {
        TemplateException e = assertThrows(TemplateException.class, () -> lex("🦙🦙 {{ ? }}"));
        assertEquals(7, e.column());
    }
}
