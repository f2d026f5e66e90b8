package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The GLM-4.5/4.6/4.7, gpt-oss (harmony), DeepSeek-V3.2 and DeepSeek-V4 (DSML) chat templates on tool definitions,
 * tool calls and results, reasoning, {@code enable_thinking}/{@code thinking}, {@code reasoning_effort}, developer
 * messages and the templates' own errors: every conversation of {@code families/<family>/conversations.json} must
 * render byte for byte as Python Jinja2 rendered it ({@code expected.json}, made by
 * {@code tools/templates/render_fixtures.py}), or raise where Jinja2 raised. One test per template and conversation,
 * named family/template#conversation.
 */
class FamilyTemplateCasesTest {
    static final List<String> FAMILIES = List.of("glm", "gpt-oss", "deepseek-v3.2", "deepseek-v4");

    static JsonNode load(String family, String file) throws IOException {
        return SharedTemplateCasesTest.JSON.readTree(text(family, file));
    }

    static String text(String family, String file) throws IOException {
        String resource = "families/" + family + "/" + file;
        try (InputStream in = FamilyTemplateCasesTest.class.getResourceAsStream(resource)) {
            assertTrue(in != null, "missing test resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (String family : FAMILIES) {
            JsonNode spec = load(family, "conversations.json");
            Iterator<Map.Entry<String, JsonNode>> templates = load(family, "expected.json").fields();
            while (templates.hasNext()) {
                Map.Entry<String, JsonNode> t = templates.next();
                for (JsonNode c : spec.get("conversations")) {
                    String name = c.get("name").asText();
                    JsonNode expected = t.getValue().get(name);
                    assertTrue(expected != null, t.getKey() + " has no rendering of " + name
                            + ": rerun tools/templates/render_fixtures.py");
                    out.add(Arguments.of(family + "/" + t.getKey() + "#" + name, family, t.getKey(), spec, c,
                            expected));
                }
            }
        }
        assertFalse(out.isEmpty());
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersLikeJinja2(String name, String family, String templateFile, JsonNode spec, JsonNode c,
                           JsonNode expected) throws IOException {
        // strftime_now must see the date the reference renderings were made with, never the wall clock.
        Clock now = Clock.fixed(LocalDateTime.parse(spec.get("now").asText()).toInstant(ZoneOffset.UTC),
                ZoneOffset.UTC);
        ChatTemplate template = ChatTemplate.compile(text(family, templateFile)).withClock(now);
        List<Map<String, Object>> messages = SharedTemplateCasesTest.JSON.convertValue(c.get("messages"),
                new TypeReference<>() { });
        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("bos_token", spec.get("bos_token").asText());
        variables.put("eos_token", spec.get("eos_token").asText());
        if (c.has("variables")) {
            variables.putAll(SharedTemplateCasesTest.JSON.convertValue(c.get("variables"),
                    new TypeReference<Map<String, Object>>() { }));
        }
        boolean addGenerationPrompt = c.get("add_generation_prompt").asBoolean();
        if (expected.has("error")) {
            TemplateException e = assertThrows(TemplateException.class,
                    () -> template.render(messages, addGenerationPrompt, variables));
            String error = expected.get("error").asText();
            assertTrue(e.getMessage().contains(error), "Jinja2 raised: " + error + "\nwe raised: " + e.getMessage());
            return;
        }
        assertEquals(expected.get("expected").asText(), template.render(messages, addGenerationPrompt, variables));
    }
}
