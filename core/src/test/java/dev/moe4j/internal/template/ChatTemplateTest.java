package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The entry point the API layer uses: variables, value conversion, clock injection, thread safety. */
class ChatTemplateTest {
    private static final String BOS = "<｜begin▁of▁sentence｜>";

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new HashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    /** The demo model's template (identical to DeepSeek-R1-Distill-Llama-8B's) gives its documented prompt format. */
    @Test
    void demoModelPromptFormat() throws Exception {
        String source = Files.readString(SharedTemplateCasesTest.templatesDir()
                .resolve("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja"), StandardCharsets.UTF_8);
        String prompt = ChatTemplate.compile(source).render(List.of(message("user", "What does \"lantern\" mean?")),
                true, Map.of("bos_token", BOS, "eos_token", "<｜end▁of▁sentence｜>"));
        assertEquals(BOS + "<｜User｜>What does \"lantern\" mean?<｜Assistant｜><think>\n", prompt);
    }

    @Test
    void variablesOfRender() {
        ChatTemplate t = ChatTemplate.compile("{{ messages|length }}|{{ add_generation_prompt }}|{{ tools }}|"
                + "{{ documents }}|{{ bos_token is defined }}|{{ enable_thinking }}");
        assertEquals("1|True|None|None|False|", t.render(List.of(message("user", "x")), true, null));
        assertEquals("0|False|['t']|None|True|False", t.render(List.of(), false,
                Map.of("tools", List.of("t"), "bos_token", "<s>", "enable_thinking", false)));
    }

    @Test
    void nullContentIsNone() {
        ChatTemplate t = ChatTemplate.compile("{{ messages[0].content is none }}{{ messages[0].content }}");
        assertEquals("TrueNone", t.render(List.of(message("assistant", null)), false, Map.of()));
    }

    @Test
    void javaValuesBecomePythonValues() {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("i", 3);
        vars.put("f", 2.5f);
        vars.put("big", java.math.BigInteger.valueOf(7));
        vars.put("arr", new Object[] {1, "a"});
        vars.put("set", new java.util.TreeSet<>(List.of("b", "a")));
        vars.put("sb", new StringBuilder("text"));
        assertEquals("3 2.5 7 [1, 'a'] ['a', 'b'] text True",
                ChatTemplate.compile("{{ i }} {{ f }} {{ big }} {{ arr }} {{ set }} {{ sb }} {{ i is integer }}")
                        .render(vars));
    }

    @Test
    void rejectsUnusableValuesAndDuplicateVariables() {
        ChatTemplate t = ChatTemplate.compile("x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(Map.of("m", List.of(Map.of("k", new Object())))));
        assertTrue(e.getMessage().startsWith("m[0]['k']: values of type java.lang.Object cannot be passed"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.render(List.of(), true, Map.of("messages", List.of())));
    }

    @Test
    void rendersDoNotMutateTheCallersData() {
        List<Object> tools = new ArrayList<>(List.of("a"));
        Map<String, Object> vars = new HashMap<>(Map.of("tools", tools));
        ChatTemplate.compile("{% set tools = tools + ['b'] %}{{ tools }}").render(vars);
        assertEquals(List.of("a"), tools);
    }

    @Test
    void strftimeNowReadsTheInjectedClock() {
        Clock clock = Clock.fixed(LocalDateTime.of(2031, 2, 3, 14, 5, 9).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        ChatTemplate t = ChatTemplate.compile("{{ strftime_now('%d %b %Y %H:%M:%S %A %j %-d') }}").withClock(clock);
        assertEquals("03 Feb 2031 14:05:09 Monday 034 3", t.render(Map.of()));
        assertEquals("26 Jul 2024", ChatTemplate.compile("{{ strftime_now('%d %b %Y') }}")
                .withClock(SharedTemplateCasesTest.JULY_26_2024).render(Map.of()));
    }

    @Test
    void concurrentRendersOfOneTemplateAreIndependent() throws Exception {
        ChatTemplate t = ChatTemplate.compile("{% set ns = namespace(n=0) %}{% for m in messages %}"
                + "{% set ns.n = ns.n + m.content|length %}{% endfor %}{{ ns.n }}");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int n = i;
                results.add(pool.submit(() -> t.render(List.of(message("user", "x".repeat(n)),
                        message("user", "y".repeat(n))), false, null)));
            }
            for (int i = 0; i < 64; i++) {
                assertEquals(String.valueOf(2 * i), results.get(i).get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
