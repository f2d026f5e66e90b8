package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Errors raised while rendering: what they say, where they point, and the guards against runaway templates. */
class JinjaRuntimeErrorTest {

    private static TemplateException fails(String source, Map<String, Object> vars) {
        ChatTemplate t = ChatTemplate.compile(source);
        return assertThrows(TemplateException.class, () -> t.render(vars));
    }

    private static TemplateException fails(ChatTemplate t) {
        return assertThrows(TemplateException.class, () -> t.render(Map.of()));
    }

    @Test
    void raiseExceptionCarriesTheTemplatesMessage() {
        TemplateException e = fails("ok\n  {{ raise_exception('Conversation roles must alternate!') }}", Map.of());
        assertEquals("Conversation roles must alternate!", e.detail());
        assertEquals(2, e.line());
        assertEquals(21, e.column());
    }

    @Test
    void pythonErrorsPointAtTheOperation() {
        assertEquals("TypeError: can only concatenate str (not \"NoneType\") to str (line 1, column 16)",
                fails("{{ '<think>\\n' + m.content }}", Map.of("m", new java.util.HashMap<>(
                        java.util.Collections.singletonMap("content", null)))).getMessage());
        assertEquals("UndefinedError: 'dict object' has no attribute 'nope' (line 1, column 10)",
                fails("{{ m.nope.x }}", Map.of("m", Map.of())).getMessage());
        assertEquals("UndefinedError: 'x' is undefined (line 1, column 6)", fails("{{ x + 1 }}", Map.of()).getMessage());
        assertEquals("str.format() is not supported by this template engine (line 1, column 15)",
                fails("{{ '{}'.format(1) }}", Map.of()).getMessage());
        assertEquals("unknown filter 'nosuch' (line 1, column 24)",
                fails("{{ ['a']|map('nosuch')|list }}", Map.of()).getMessage());
    }

    @Test
    void outputLimit() {
        ChatTemplate t = ChatTemplate.compile("{% for i in range(100) %}{{ 'x' * 100 }}{% endfor %}")
                .withLimits(new TemplateLimits(5_000, 1_000_000, 64));
        assertEquals("template output exceeds the limit of 5000 chars (runaway template?)", fails(t).detail());
    }

    @Test
    void exponentialStringGrowthIsStopped() {
        ChatTemplate t = ChatTemplate.compile("{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
                + "{% set ns.s = ns.s + ns.s %}{% endfor %}").withLimits(new TemplateLimits(1 << 20, 1_000_000, 64));
        assertEquals("string value longer than the limit of 1048576 chars (runaway template?)", fails(t).detail());
    }

    @Test
    void stepLimit() {
        ChatTemplate t = ChatTemplate.compile("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}"
                + "{% endfor %}").withLimits(new TemplateLimits(1 << 20, 10_000, 64));
        assertEquals("template exceeded 10000 loop iterations and macro calls (runaway template?)", fails(t).detail());
    }

    @Test
    void recursionLimit() {
        ChatTemplate t = ChatTemplate.compile("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
                .withLimits(new TemplateLimits(1 << 20, 1_000_000, 32));
        assertEquals("macro calls nested deeper than 32 (runaway recursion?)", fails(t).detail());
    }

    @Test
    void sandboxRangeLimitAndRefusedMutation() {
        assertEquals("OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).",
                fails("{{ range(10**6)|length }}", Map.of()).detail());
        assertEquals("SecurityError: access to attribute 'append' of 'list' object is unsafe.",
                fails("{% set l = [] %}{{ l.append(1) }}", Map.of()).detail());
    }

    /**
     * A printf width beyond what an int holds is refused like any other oversized width, whether it comes from the
     * format or from a {@code *} argument (which once wrapped around to a small width); Python would try to allocate it.
     */
    @Test
    void hugeFormatWidthsAreRefusedNotWrapped() {
        for (String source : List.of("{{ '%*d' % (w, 1) }}", "{{ '%*d' % (-w, 1) }}", "{{ ('%' ~ w ~ 'd') % 1 }}")) {
            assertEquals("MemoryError: format width or precision too large",
                    fails(source, Map.of("w", 4_294_967_297L)).detail(), source);
        }
        assertEquals("MemoryError: format width or precision too large",
                fails("{{ '%*d' % (w, 1) }}", Map.of("w", Long.MIN_VALUE)).detail());
    }
}
