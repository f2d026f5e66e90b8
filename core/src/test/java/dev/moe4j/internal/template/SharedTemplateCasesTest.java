package dev.moe4j.internal.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every conversation of every real chat template in {@code ../shared/templates} must render byte for byte as Python
 * Jinja2 rendered it (transformers' environment), and a case whose template raised must raise here too. One test per
 * case, named template#index.
 */
class SharedTemplateCasesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The fixed date the reference renderings used for strftime_now. */
    static final Clock JULY_26_2024 = Clock.fixed(LocalDateTime.of(2024, 7, 26, 0, 0).toInstant(ZoneOffset.UTC),
            ZoneOffset.UTC);

    static Path templatesDir() {
        String shared = System.getProperty("moe4j.shared");
        assertTrue(shared != null, "system property moe4j.shared is not set (surefire sets it to ../shared)");
        Path dir = Path.of(shared, "templates");
        assertTrue(Files.isDirectory(dir), "missing " + dir);
        return dir;
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(templatesDir())) {
            for (Path json : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode root = JSON.readTree(json.toFile());
                String name = json.getFileName().toString().replaceFirst("\\.json$", "");
                JsonNode cases = root.get("cases");
                for (int i = 0; i < cases.size(); i++) {
                    out.add(Arguments.of(name + "#" + i, json, i));
                }
            }
        }
        assertFalse(out.isEmpty(), "no template cases found in " + templatesDir());
        return out.stream();
    }

    /** The variables transformers passes besides messages: the family's special tokens when it has them. */
    static Map<String, Object> specialTokens(JsonNode root) {
        Map<String, Object> extra = new LinkedHashMap<>();
        for (String token : List.of("bos_token", "eos_token")) {
            JsonNode v = root.get(token);
            if (v != null && !v.isNull()) {
                extra.put(token, v.asText());
            }
        }
        return extra;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersLikeJinja2(String name, Path json, int index) throws IOException {
        JsonNode root = JSON.readTree(json.toFile());
        String source = Files.readString(json.resolveSibling(root.get("template").asText()), StandardCharsets.UTF_8);
        JsonNode c = root.get("cases").get(index);
        List<Map<String, Object>> messages = JSON.convertValue(c.get("messages"), new TypeReference<>() { });
        boolean addGenerationPrompt = c.get("add_generation_prompt").asBoolean();
        ChatTemplate template = ChatTemplate.compile(source).withClock(JULY_26_2024);
        JsonNode expected = c.get("expected");
        if (expected.isObject()) {
            TemplateException e = assertThrows(TemplateException.class,
                    () -> template.render(messages, addGenerationPrompt, specialTokens(root)));
            String error = expected.get("error").asText();
            assertTrue(e.getMessage().contains(error), "expected the error '" + error + "', got: " + e.getMessage());
        } else {
            assertEquals(expected.asText(), template.render(messages, addGenerationPrompt, specialTokens(root)));
        }
    }
}
