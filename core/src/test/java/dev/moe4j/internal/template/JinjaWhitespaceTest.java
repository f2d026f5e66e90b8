package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Whitespace control as chat templates rely on it (transformers' trim_blocks + lstrip_blocks). Expected strings were
 * checked against Python Jinja2 3.1; the snippet conformance test covers many more combinations.
 */
class JinjaWhitespaceTest {

    private static String render(String source, Map<String, Object> vars) {
        return ChatTemplate.compile(source).render(vars);
    }

    private static String render(String source) {
        return render(source, Map.of());
    }

    @Test
    void blockLinesLeaveNoTrace() {
        assertEquals("x\ny", render("{% if true %}\nx\n{% endif %}\ny\n"));
        assertEquals("    x\ny", render("{% if true %}\n    x\n{% endif %}\ny\n"));
        assertEquals("  x\n", render("  {% if true %}\n  x\n  {% endif %}\n"));
    }

    @Test
    void variableTagsKeepTheirIndentation() {
        assertEquals("a\n    1", render("a\n    {{ 1 }}"));
    }

    @Test
    void minusOnBothSides() {
        assertEquals("ab", render("a \n {%- if true -%} \n b {%- endif -%} \n"));
        assertEquals("<1><2>", render("{% for i in [1, 2] -%}\n  <{{ i }}>\n{%- endfor %}"));
    }

    @Test
    void plusKeepsWhatTrimAndLstripWouldRemove() {
        assertEquals("  \nx\n", render("  {%+ if true +%}\nx\n{% endif %}"));
    }

    @Test
    void onlyOneTrailingNewlineOfTheTemplateIsDropped() {
        assertEquals("end\n", render("end\n\n"));
        assertEquals("end", render("end\n"));
    }

    @Test
    void windowsLineEndingsBecomeNewlines() {
        assertEquals("a\nb\n", render("a\r\n{% if true %}\r\nb\r\n{% endif %}\r\n"));
    }

    @Test
    void chatTemplateShape() {
        String template = """
                {%- for message in messages %}
                    {{- '<|' + message.role + '|>\\n' + message.content + '\\n' }}
                {%- endfor %}
                {%- if add_generation_prompt %}
                    {{- '<|assistant|>\\n' }}
                {%- endif %}
                """;
        assertEquals("<|user|>\nHi\n<|assistant|>\n", ChatTemplate.compile(template).render(
                java.util.List.of(Map.of("role", "user", "content", "Hi")), true, null));
    }
}
