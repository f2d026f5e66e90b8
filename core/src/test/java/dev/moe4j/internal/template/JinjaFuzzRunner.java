package dev.moe4j.internal.template;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Not a test: the Java side of {@code src/test/python/fuzz_jinja.py}, which generates random templates, renders them
 * with Python Jinja2 and with this runner, and reports every difference. Reads a JSON list of
 * {@code {template, variables}} and writes, per case, {@code {expected}}, {@code {error}}, {@code {compile_error}} or
 * {@code {crash}} (any exception other than TemplateException, always a bug).
 */
final class JinjaFuzzRunner {
    private JinjaFuzzRunner() {
    }

    public static void main(String[] args) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Map<String, Object>> cases = json.readValue(new File(args[0]), new TypeReference<>() { });
        List<Map<String, Object>> results = new ArrayList<>(cases.size());
        for (Map<String, Object> c : cases) {
            Map<String, Object> r = new LinkedHashMap<>();
            try {
                ChatTemplate t = ChatTemplate.compile((String) c.get("template"))
                        .withClock(SharedTemplateCasesTest.JULY_26_2024);
                try {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> variables = (Map<String, Object>) c.get("variables");
                    r.put("expected", t.render(variables));
                } catch (TemplateException e) {
                    r.put("error", e.getMessage());
                }
            } catch (TemplateException e) {
                r.put("compile_error", e.getMessage());
            } catch (RuntimeException | StackOverflowError e) {
                r.put("crash", e.toString());
            }
            results.add(r);
        }
        json.writeValue(new File(args[1]), results);
    }
}
