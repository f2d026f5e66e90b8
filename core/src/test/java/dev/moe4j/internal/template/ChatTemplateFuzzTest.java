package dev.moe4j.internal.template;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzz target for the template engine, which parses and runs templates taken from model files (untrusted input): any
 * bytes, read as a UTF-8 template, either fail to compile with {@link TemplateException}, or render two conversations
 * (with tools, tool calls, tool results, reasoning in both the GLM and the gpt-oss field names, and the families'
 * switches) to text or fail with {@link TemplateException}. Anything else thrown — a NullPointerException, a
 * ClassCastException, an IndexOutOfBoundsException, a StackOverflowError — is a bug Jazzer reports.
 *
 * <p>A normal test run replays the saved inputs ({@code ChatTemplateFuzzTestInputs}: the real GLM, gpt-oss, Qwen,
 * Llama, Mistral and DeepSeek templates and snippets of the constructs they use, so every filter, test, method and tag
 * those need is reached); {@code JAZZER_FUZZ=1 mvn -pl core test -Dtest=ChatTemplateFuzzTest} fuzzes, guided by
 * {@code jinja.dict} (the engine's keywords, operators, filters, tests, methods and the families' variables).
 */
class ChatTemplateFuzzTest {
    /**
     * Small enough that a looping template ends in milliseconds, so fuzzing stays fast; the checks that enforce them
     * are the same at any size.
     */
    private static final TemplateLimits LIMITS = new TemplateLimits(1 << 16, 20_000, 32);
    private static final Clock FIXED = Clock.fixed(LocalDateTime.of(2024, 7, 26, 0, 0).toInstant(ZoneOffset.UTC),
            ZoneOffset.UTC);

    @FuzzTest(maxDuration = "60s")
    @DictionaryFile(resourcePath = "jinja.dict")
    void compilesAndRendersOrRaisesTemplateException(byte[] input) {
        ChatTemplate template;
        try {
            template = ChatTemplate.compile(new String(input, StandardCharsets.UTF_8))
                    .withClock(FIXED).withLimits(LIMITS);
        } catch (TemplateException expected) {
            return;
        }
        render(template, toolConversation(), true, toolVariables());
        render(template, reasoningConversation(), false, map("enable_thinking", false, "clear_thinking", false,
                "reasoning_effort", "high", "builtin_tools", List.of("browser", "python")));
    }

    private static void render(ChatTemplate template, List<Map<String, Object>> messages, boolean addGenerationPrompt,
                               Map<String, Object> variables) {
        Map<String, Object> all = new LinkedHashMap<>(variables);
        all.put("bos_token", "<s>");
        all.put("eos_token", "</s>");
        try {
            template.render(messages, addGenerationPrompt, all);
        } catch (TemplateException expected) {
            // the template raised, as Jinja2 would have; not a finding
        }
    }

    /** System, user, an assistant turn calling two tools (dict and string arguments), both results. */
    private static List<Map<String, Object>> toolConversation() {
        Map<String, Object> call1 = map("type", "function", "function",
                map("name", "get_weather", "arguments", map("city", "Zürich", "days", 3)));
        Map<String, Object> call2 = map("id", "c2", "function",
                map("name", "search", "arguments", "{\"query\": \"news\"}"));
        Map<String, Object> assistant = map("role", "assistant", "content", null, "reasoning_content", "Two tools.",
                "tool_calls", List.of(call1, call2));
        return List.of(
                map("role", "system", "content", "Be brief."),
                map("role", "user", "content", "Weather and news? 🦙"),
                assistant,
                map("role", "tool", "tool_call_id", "c1", "content", "{\"t\": 21}"),
                map("role", "tool", "content", List.of(map("output", "headline"), "plain")));
    }

    /** A developer turn, reasoning as a field and inline, list content, ending with an assistant turn. */
    private static List<Map<String, Object>> reasoningConversation() {
        return List.of(
                map("role", "developer", "content", "Think first."),
                map("role", "user", "content", List.of(map("type", "text", "text", "Is 9 prime?"),
                        map("type", "image"))),
                map("role", "assistant", "content", "<think>\n9 = 3 * 3\n</think>\n\nNo.", "thinking",
                        "9 = 3 * 3"),
                map("role", "user", "content", "Sure? /nothink"),
                map("role", "assistant", "content", "Yes.", "reasoning_content", "Checked."));
    }

    private static Map<String, Object> toolVariables() {
        Map<String, Object> params = map("type", "object", "required", List.of("city"), "properties", map(
                "city", map("type", "string", "description", "A city"),
                "days", map("type", "integer", "default", 1),
                "units", map("type", "string", "enum", List.of("c", "f")),
                "tags", map("type", "array", "items", map("type", "string")),
                "either", map("oneOf", List.of(map("type", "string"), map("type", "number")))));
        Map<String, Object> tool = map("type", "function", "function",
                map("name", "get_weather", "description", "Weather.", "parameters", params));
        return map("tools", List.of(tool), "enable_thinking", true, "model_identity", "You are a test.");
    }

    /**
     * A dict in the given key order (Map.of's order changes from one JVM to the next, which would make a finding
     * depend on the run), allowing null values as JSON does.
     */
    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
