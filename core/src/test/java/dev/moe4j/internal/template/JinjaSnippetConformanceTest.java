package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential test against Python Jinja2: ~180 small templates, each exercising one feature (whitespace control,
 * literals and Python printing, operators, undefined, access, methods, filters, tests, loops, scoping, macros, errors),
 * rendered by the reference environment in {@code src/test/python/jinja_reference.py} into
 * {@code snippet-cases.json}. Each must render identically; where Jinja2 raised at render time we must raise a
 * TemplateException carrying Jinja2's message; where it failed to compile we must fail to compile.
 */
class JinjaSnippetConformanceTest {

    static Stream<Arguments> cases() throws IOException {
        JsonNode root = load("snippet-cases.json");
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : root) {
            out.add(Arguments.of(c.get("name").asText(), c));
        }
        assertFalse(out.isEmpty());
        return out.stream();
    }

    static JsonNode load(String resource) throws IOException {
        try (InputStream in = JinjaSnippetConformanceTest.class.getResourceAsStream(resource)) {
            assertTrue(in != null, "missing test resource " + resource);
            return SharedTemplateCasesTest.JSON.readTree(in);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesJinja2(String name, JsonNode c) {
        String source = c.get("template").asText();
        if (c.has("compile_error")) {
            assertThrows(TemplateException.class, () -> ChatTemplate.compile(source),
                    "Jinja2 refused to compile this: " + c.get("compile_error").asText());
            return;
        }
        ChatTemplate template = ChatTemplate.compile(source).withClock(SharedTemplateCasesTest.JULY_26_2024);
        Map<String, Object> variables = SharedTemplateCasesTest.JSON.convertValue(c.get("variables"),
                new TypeReference<>() { });
        if (c.has("error")) {
            TemplateException e = assertThrows(TemplateException.class, () -> template.render(variables));
            String expected = c.get("error").asText();
            assertTrue(e.getMessage().contains(expected),
                    "Jinja2 raised " + c.get("error_type").asText() + ": " + expected + "\nwe raised: " + e.getMessage());
            return;
        }
        assertEquals(c.get("expected").asText(), template.render(variables));
    }
}
