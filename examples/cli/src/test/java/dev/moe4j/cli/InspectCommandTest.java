package dev.moe4j.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code moe4j inspect} on every golden model of shared/golden and shared/golden-iq (JSON equal to
 * expected_inspect.json, tensors by type as the folder's gguf_dump.txt lists them), as text, and on bad files.
 */
class InspectCommandTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    /** Runs the CLI in-process with stdout and stderr captured. */
    private static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.run(args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static Path shared() {
        String p = System.getProperty("moe4j.shared");
        assertTrue(p != null && Files.isDirectory(Path.of(p, "golden")), "moe4j.shared must point at ../shared: " + p);
        return Path.of(p);
    }

    /** A golden folder's model: model.gguf, or the file fixture.json's "model" names (relative to the folder). */
    private static Path model(Path goldenDir, ObjectMapper json) throws IOException {
        Path local = goldenDir.resolve("model.gguf");
        if (Files.exists(local)) {
            return local;
        }
        return goldenDir.resolve(json.readTree(goldenDir.resolve("fixture.json").toFile()).get("model").asText())
                .normalize();
    }

    @TestFactory
    Stream<DynamicTest> jsonMatchesExpectedInspect() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Path> dirs = new ArrayList<>();
        for (String root : List.of("golden", "golden-iq")) {
            try (Stream<Path> s = Files.list(shared().resolve(root))) {
                s.filter(Files::isDirectory).sorted().forEach(dirs::add);
            }
        }
        assertTrue(dirs.size() >= 19, "golden and golden-iq folders: " + dirs);
        return dirs.stream().map(d -> DynamicTest.dynamicTest(d.getFileName().toString(), () -> {
            Path model = model(d, json);
            Result r = run("inspect", model.toString(), "--json");
            assertEquals(0, r.exit(), r.err());
            assertEquals("", r.err());
            JsonNode ours = json.readTree(r.out());
            JsonNode expected = json.readTree(d.resolve("expected_inspect.json").toFile());
            assertTrue(expected.size() >= 6, "expected fields: " + expected);
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                assertEquals(e.getValue(), ours.get(e.getKey()), e.getKey());
            }
            assertEquals(Files.size(model), ours.get("file_size").asLong());
            assertEquals(r.out().strip(), r.out().strip().lines().findFirst().orElseThrow(), "one line of JSON");
            Path dump = d.resolve("gguf_dump.txt");
            if (Files.exists(dump)) {
                assertEquals(typeCounts(dump), json.convertValue(ours.get("tensor_count_by_type"),
                        new TypeReference<Map<String, Integer>>() {}), "by type");
            }
        }));
    }

    /** Tensors per type name from a gguf_dump.txt's tensor lines ({@code name TYPE [dims] offset N bytes M}). */
    private static Map<String, Integer> typeCounts(Path dump) throws IOException {
        Pattern line = Pattern.compile("^\\S+ (\\w+) \\[[0-9, ]+\\] offset \\d+ bytes \\d+$");
        Map<String, Integer> counts = new TreeMap<>();
        for (String l : Files.readAllLines(dump)) {
            Matcher m = line.matcher(l);
            if (m.matches()) {
                counts.merge(m.group(1), 1, Integer::sum);
            }
        }
        assertFalse(counts.isEmpty(), dump + " lists no tensors");
        return counts;
    }

    @Test
    void textOutput() {
        Path model = shared().resolve("models/demo-wordnet-q8_0.gguf");
        Result r = run("inspect", model.toString());
        assertEquals(0, r.exit(), r.err());
        String out = r.out();
        assertTrue(out.contains("architecture  deepseek2"), out);
        assertTrue(out.contains("name          DeepSeek-V3-arch WordNet demo (16.6M)"), out);
        assertTrue(out.contains("16.57 M total, 7.73 M active per token (46.6 %)"), out);
        assertTrue(out.contains("16 routed, 4 used per token"), out);
        assertTrue(out.contains("17.0 MiB (17817728 bytes), GGUF v3"), out);
        assertTrue(out.contains("tensors       106 ("), out);
        assertTrue(out.contains("  expert_count "), out);
        assertTrue(out.contains("with a chat template"), out);
    }

    @Test
    void denseModelText() {
        Result r = run("inspect", shared().resolve("golden/qwen3-dense-tiny-f32/model.gguf").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("none (dense)"), r.out());
        assertTrue(r.out().contains("all active (dense)"), r.out());
    }

    @Test
    void malformedFileExitsWithTwoAndAMessage() throws IOException {
        byte[] good = Files.readAllBytes(shared().resolve("golden/ds2-tiny-f32/model.gguf"));
        Path truncated = Files.write(dir.resolve("truncated.gguf"), java.util.Arrays.copyOf(good, 5000));
        Result r = run("inspect", truncated.toString(), "--json");
        assertEquals(2, r.exit());
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("moe4j inspect: " + truncated), r.err());
        assertTrue(r.err().contains("(at offset "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        Path notGguf = Files.writeString(dir.resolve("text.gguf"), "hello, this is not a model");
        r = run("inspect", notGguf.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("not a GGUF file"), r.err());
    }

    @Test
    void missingFileExitsWithOne() {
        Result r = run("inspect", dir.resolve("absent.gguf").toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("absent.gguf: no such file"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void vocabularyOnlyFile() {
        Result r = run("inspect", shared().resolve("tokenizers/llama.cpp-vocab/ggml-vocab-deepseek-v3.gguf").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("none (no tensors: a vocabulary-only file)"), r.out());
        assertTrue(r.out().contains("129280 tokens, with a chat template"), r.out());
    }

    @Test
    void usageErrors() {
        Result r = run("inspect");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("<model.gguf>"), r.err());
    }

    @Test
    void units() {
        assertEquals("999", Units.count(999));
        assertEquals("1.00 K", Units.count(1000));
        assertEquals("16.57 M", Units.count(16_572_880));
        assertEquals("671.03 B", Units.count(671_026_419_200L));
        assertEquals("1023 B", Units.bytes(1023));
        assertEquals("1.0 KiB", Units.bytes(1024));
        assertEquals("17.0 MiB", Units.bytes(17_817_728));
        assertEquals("2.0 GiB", Units.bytes(2L << 30));
    }
}
