package dev.moe4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code moe4j render}: a stored reference case byte for byte, the demo model's own template, and the error exits. */
class RenderCommandTest {
    @TempDir
    Path dir;

    private record Result(int exit, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    /** Runs the CLI in-process with stdout (raw bytes) and stderr captured. */
    private static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            // An ASCII stdout proves the command writes UTF-8 bytes itself rather than relying on the console charset.
            System.setOut(new PrintStream(out, true, StandardCharsets.US_ASCII));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.run(args);
            return new Result(exit, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static Path shared() {
        String p = System.getProperty("moe4j.shared");
        assertTrue(p != null && Files.isDirectory(Path.of(p, "templates")), "moe4j.shared must point at ../shared: " + p);
        return Path.of(p);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    /** Case 2 of the DeepSeek-R1 distill template (system + two turns + generation prompt), as Jinja2 rendered it. */
    @Test
    void rendersAStoredCaseByteForByte() throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path templates = shared().resolve("templates");
        JsonNode root = json.readTree(templates.resolve("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.json").toFile());
        JsonNode c = root.get("cases").get(2);
        Path messages = write("messages.json", json.writeValueAsString(c.get("messages")));
        Result r = run("render", "--template", templates.resolve(root.get("template").asText()).toString(),
                "--messages", messages.toString(), "--add-generation-prompt",
                "--bos-token", root.get("bos_token").asText(), "--eos-token", root.get("eos_token").asText());
        assertEquals(0, r.exit(), r.err());
        assertEquals("", r.err());
        assertTrue(c.get("add_generation_prompt").asBoolean());
        assertArrayEquals(c.get("expected").asText().getBytes(StandardCharsets.UTF_8), r.out());
    }

    /** The demo model's prompt format: BOS first, then the user turn, then the assistant header with "<think>\n". */
    @Test
    void usesTheModelsTemplateAndSpecialTokens() throws IOException {
        Path model = shared().resolve("models/demo-wordnet-q8_0.gguf");
        Path messages = write("m.json", "[{\"role\": \"user\", \"content\": \"What does \\\"lantern\\\" mean?\"}]");
        Result r = run("render", "-m", model.toString(), "--messages", messages.toString(), "--add-generation-prompt");
        assertEquals(0, r.exit(), r.err());
        assertEquals("<｜begin▁of▁sentence｜><｜User｜>What does \"lantern\" mean?<｜Assistant｜><think>\n", r.text());
    }

    @Test
    void objectFormCarriesMoreVariablesAndFlagsOverrideTokens() throws IOException {
        Path template = write("t.jinja", "{{ bos_token }}|{{ tools|tojson }}|{{ add_generation_prompt }}|"
                + "{% for m in messages %}{{ m.content }}{% endfor %}");
        Path messages = write("m.json", "{\"messages\": [{\"role\": \"user\", \"content\": \"héllo\"}], "
                + "\"tools\": [{\"name\": \"f\"}], \"add_generation_prompt\": true}");
        Result r = run("render", "--template", template.toString(), "--messages", messages.toString(),
                "--bos-token", "<s>");
        assertEquals(0, r.exit(), r.err());
        assertEquals("<s>|[{\"name\": \"f\"}]|True|héllo", r.text());
    }

    @Test
    void errorsHaveDistinctExitCodes() throws IOException {
        Path messages = write("m.json", "[{\"role\": \"user\", \"content\": \"x\"}]");
        Path raising = write("raise.jinja", "{{ raise_exception('roles must alternate') }}");
        Result r = run("render", "--template", raising.toString(), "--messages", messages.toString());
        assertEquals(RenderCommand.EXIT_TEMPLATE_RAISED, r.exit());
        assertEquals(0, r.out().length);
        assertTrue(r.err().contains("roles must alternate (line 1, column 19)"), r.err());

        Path broken = write("broken.jinja", "ok\n{{ x | nosuchfilter }}");
        r = run("render", "--template", broken.toString(), "--messages", messages.toString());
        assertEquals(RenderCommand.EXIT_INVALID, r.exit());
        assertTrue(r.err().contains("unknown filter 'nosuchfilter' (line 2, column 8)"), r.err());

        r = run("render", "--template", broken.toString(), "--messages", write("bad.json", "{\"messages\": 3}").toString());
        assertEquals(RenderCommand.EXIT_INVALID, r.exit());

        r = run("render", "--template", dir.resolve("missing.jinja").toString(), "--messages", messages.toString());
        assertEquals(RenderCommand.EXIT_UNREADABLE, r.exit());

        Path noTemplate = shared().resolve("golden/llama-dense-tiny-f32/model.gguf");
        r = run("render", "-m", noTemplate.toString(), "--messages", messages.toString());
        assertEquals(RenderCommand.EXIT_INVALID, r.exit());
        assertTrue(r.err().contains("has no tokenizer.chat_template"), r.err());

        r = run("render", "--messages", messages.toString());
        assertEquals(RenderCommand.EXIT_INVALID, r.exit());
    }
}
