package dev.moe4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code generate}, {@code logits}, {@code tokenize} and {@code chat} run in-process through {@link Main#run} with
 * stdout/stderr captured, against llama.cpp's outputs in shared/golden and shared/tokenizers.
 */
class GenerationCommandsTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private static synchronized Result run(String stdin, String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            int exit = Main.run(args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        }
    }

    private static Path shared() {
        String p = System.getProperty("moe4j.shared");
        assertTrue(p != null && Files.isDirectory(Path.of(p, "golden")), "moe4j.shared must point at ../shared: " + p);
        return Path.of(p);
    }

    private static Path golden(String name) {
        return shared().resolve("golden").resolve(name);
    }

    private static int[] ids(Path file) throws IOException {
        return Files.readAllLines(file).stream().map(String::trim).filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static String prompt(String goldenName) throws IOException {
        return new ObjectMapper().readTree(golden(goldenName).resolve("fixture.json").toFile()).get("prompt").asText();
    }

    @Test
    void generateJsonReproducesTheGoldenGreedyTokens() throws IOException {
        Path model = golden("ds2-tiny-f32").resolve("model.gguf");
        Result r = run("", "generate", "-m", model.toString(), "-p", prompt("ds2-tiny-f32"), "-n", "32",
                "--temp", "0", "--ignore-eos", "-t", "2", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertArrayEquals(ids(golden("ds2-tiny-f32").resolve("prompt_tokens.txt")), ints(json.get("prompt_tokens")));
        assertArrayEquals(ids(golden("ds2-tiny-f32").resolve("generated_tokens.txt")), ints(json.get("tokens")));
        assertEquals("length", json.get("finish_reason").asText());
        assertEquals("", json.get("reasoning").asText());
        assertEquals(32, json.get("stats").get("generated_tokens").asInt());
        assertTrue(json.get("stats").get("decode_tokens_per_second").asDouble() > 0);
        assertEquals(1, r.out().strip().lines().count(), "one JSON object, nothing else on stdout");
    }

    @Test
    void generateStreamsTextWithReasoningBetweenThinkTagsWhenNotATerminal() throws IOException {
        Path model = shared().resolve("models/demo-wordnet-q8_0.gguf");
        Result r = run("", "generate", "-m", model.toString(), "-p", prompt("demo-wordnet-q8-chat"),
                "--parse-special", "-n", "32", "--temp", "0", "-t", "2");
        assertEquals(0, r.exit(), r.err());
        assertEquals("<think>\n\"baran\" is a noun. Synonyms: pin, pin, pin. Related: lin.\n</think>\n\nA large pin\n",
                r.out());
        assertTrue(r.err().contains("generated 32 tokens"), r.err());
        assertTrue(r.err().contains("finish: length"), r.err());
    }

    @Test
    void withoutParseSpecialSpecialTokenStringsArePlainText() throws IOException {
        Path model = shared().resolve("models/demo-wordnet-q8_0.gguf");
        String prompt = prompt("demo-wordnet-q8-chat");
        JsonNode plain = new ObjectMapper().readTree(run("", "generate", "-m", model.toString(), "-p", prompt,
                "-n", "1", "--temp", "0", "--json").out());
        JsonNode special = new ObjectMapper().readTree(run("", "generate", "-m", model.toString(), "-p", prompt,
                "-n", "1", "--temp", "0", "--json", "--parse-special").out());
        assertArrayEquals(ids(golden("demo-wordnet-q8-chat").resolve("prompt_tokens.txt")),
                ints(special.get("prompt_tokens")));
        assertTrue(plain.get("prompt_tokens").size() > special.get("prompt_tokens").size());
        assertEquals(0, plain.get("prompt_tokens").get(0).asInt(), "BOS added as the model asks");
    }

    @Test
    void logitsWritesTheGoldenLastPositionAsNpy() throws IOException {
        Path out = dir.resolve("logits.npy");
        Result r = run("", "logits", "-m", golden("ds2-tiny-f32").resolve("model.gguf").toString(),
                "-p", prompt("ds2-tiny-f32"), "-t", "1", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        float[] actual = readNpyFloat32(out);
        float[] expected = readNpyFloat32(golden("ds2-tiny-f32").resolve("logits_last_prompt.npy"));
        assertEquals(expected.length, actual.length);
        double dot = 0, na = 0, nb = 0, maxAbs = 0;
        for (int i = 0; i < actual.length; i++) {
            dot += (double) actual[i] * expected[i];
            na += (double) actual[i] * actual[i];
            nb += (double) expected[i] * expected[i];
            maxAbs = Math.max(maxAbs, Math.abs(actual[i] - expected[i]));
        }
        assertTrue(dot / Math.sqrt(na * nb) >= 0.99999, "cosine");
        assertTrue(maxAbs <= 1e-3, "max |diff| " + maxAbs);
        assertEquals("", r.out());
    }

    /** A minimal .npy reader for a 1-D little-endian float32 array, strict about the header. */
    private static float[] readNpyFloat32(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        assertEquals((byte) 0x93, b[0]);
        assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
        int headerLen = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        int dataStart = 10 + headerLen;
        assertEquals(0, dataStart % 16, "npy data must be aligned");
        String header = new String(b, 10, headerLen, StandardCharsets.US_ASCII);
        assertTrue(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"), header);
        assertTrue(header.endsWith("\n"), "header ends with a newline");
        int n = Integer.parseInt(header.replaceAll("(?s).*'shape': \\((\\d+),\\).*", "$1").trim());
        assertEquals(n * 4, b.length - dataStart);
        float[] out = new float[n];
        ByteBuffer.wrap(b, dataStart, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"deepseek-v3", "deepseek-llm", "deepseek-coder", "gpt-2", "qwen2", "llama-bpe",
            "llama-spm", "phi-3"})
    void tokenizeFileMatchesLlamaCppOutExactly(String vocab) throws IOException {
        Path base = shared().resolve("tokenizers/llama.cpp-vocab/ggml-vocab-" + vocab + ".gguf");
        Result r = run("", "tokenize", "-m", base.toString(), "-f", base + ".inp");
        assertEquals(0, r.exit(), r.err());
        List<String> expected = Files.readAllLines(Path.of(base + ".out"), StandardCharsets.UTF_8);
        List<String> actual = r.out().lines().toList();
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), vocab + " input " + i);
        }
    }

    @Test
    void tokenizeTextFromAModelOrATokenizerJson() throws IOException {
        Result fromGguf = run("", "tokenize", "-m", shared().resolve(
                "tokenizers/llama.cpp-vocab/ggml-vocab-deepseek-v3.gguf").toString(), "-p", "Hello world", "--json");
        assertEquals(0, fromGguf.exit(), fromGguf.err());
        int[] withBos = ints(new ObjectMapper().readTree(fromGguf.out()));
        Result fromJson = run("", "tokenize", "-m", shared().resolve("tokenizers/deepseek-v3/tokenizer.json")
                .toString(), "-p", "Hello world");
        assertEquals(0, fromJson.exit(), fromJson.err());
        int[] plain = Arrays.stream(fromJson.out().strip().split(" ")).mapToInt(Integer::parseInt).toArray();
        // llama.cpp's .out for "Hello world" is " 19923 2058"; the GGUF asks for BOS (0)
        assertArrayEquals(new int[] {0, 19923, 2058}, withBos);
        assertArrayEquals(new int[] {19923, 2058}, Arrays.copyOfRange(plain, plain.length - 2, plain.length));
    }

    @Test
    void tokenizeSplitsTestInputsLikeLlamaCpp() {
        assertEquals(List.of("a", "", " ", "b\nc"), TokenizeCommand.splitTestInputs(
                "a\n__ggml_vocab_test__\n\n__ggml_vocab_test__\n \n__ggml_vocab_test__\nb\nc\n__ggml_vocab_test__\n"));
        assertEquals(" 1 22 333", TokenizeCommand.joined(new int[] {1, 22, 333}));
        assertEquals("", TokenizeCommand.joined(new int[0]));
    }

    @Test
    void chatReadsLinesUntilExit() {
        Path model = shared().resolve("models/demo-wordnet-q8_0.gguf");
        Result r = run("What does \"lantern\" mean?\n/reset\n\n/exit\nnever read\n", "chat", "-m", model.toString(),
                "--temp", "0", "-n", "30", "-t", "2");
        assertEquals(0, r.exit(), r.err());
        assertEquals("<think>\n\"baran\" is a noun. Synonyms: pin, pin, pin. Related: lin.\n</think>\n\nA large pin\n",
                r.out());
        assertTrue(r.err().contains("(conversation reset)"), r.err());
    }

    @Test
    void chatSaysSoWhenTheContextIsFullAndGoesOn() {
        Path model = shared().resolve("models/demo-wordnet-q8_0.gguf");
        String input = "What does \"lantern\" mean?\n/reset\nWhat is the meaning of the word \"lantern\"?\n";
        Result r = run(input, "chat", "-m", model.toString(), "--temp", "0", "-n", "8", "-c", "10", "-t", "1",
                "--quiet-stats");
        assertEquals(0, r.exit(), r.err());
        assertEquals(2, r.err().split("no longer fits in the context of 10 tokens", -1).length - 1, r.err());
        assertEquals("", r.out());
    }

    private static Path demoModel() {
        String repo = System.getProperty("moe4j.repo");
        assertTrue(repo != null, "moe4j.repo must point at the checkout");
        return Path.of(repo, "models", "demo-countries-q8_0.gguf");
    }

    @Test
    void chatAnswersEachPromptAsOneJsonLine() throws IOException {
        Result r = run("stdin is not read\n", "chat", "-m", demoModel().toString(), "--temp", "0", "-t", "2",
                "--json", "-p", "What is the capital of Japan?", "-p", "what currency does brazil use");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(2, lines.size(), r.out());
        ObjectMapper mapper = new ObjectMapper();
        JsonNode first = mapper.readTree(lines.get(0));
        List<String> fields = new java.util.ArrayList<>();
        first.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("question", "reasoning", "answer", "finish_reason", "stats"), fields);
        assertEquals("What is the capital of Japan?", first.get("question").asText());
        assertEquals("The user asks for the capital of Japan. The capital of Japan is Tokyo.",
                first.get("reasoning").asText());
        assertEquals("The capital of Japan is Tokyo.", first.get("answer").asText());
        assertEquals("stop", first.get("finish_reason").asText());
        assertTrue(first.get("stats").get("generated_tokens").asInt() > 0);
        assertTrue(first.get("stats").get("decode_tokens_per_second").asDouble() > 0);
        JsonNode second = mapper.readTree(lines.get(1));
        assertEquals("The currency of Brazil is the Brazilian Real (BRL).", second.get("answer").asText());
    }

    @Test
    void chatWithAPromptStreamsReasoningThenAnswerAndExits() {
        Result r = run("stdin is not read\n", "chat", "-m", demoModel().toString(), "--temp", "0", "-t", "2",
                "-p", "What is the capital of Japan?");
        assertEquals(0, r.exit(), r.err());
        assertEquals("<think>\nThe user asks for the capital of Japan. The capital of Japan is Tokyo.\n</think>\n\n"
                + "The capital of Japan is Tokyo.\n", r.out());
        assertTrue(r.err().contains("tok/s"), r.err());
    }

    @Test
    void chatJsonWithoutAPromptIsAUsageError() {
        Result r = run("", "chat", "-m", demoModel().toString(), "--json");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--json needs -p"), r.err());
    }

    @Test
    void badInputIsOneLineOnStderrAndAnExitCode() {
        Result missing = run("", "generate", "-m", dir.resolve("nope.gguf").toString(), "-p", "x");
        assertEquals(1, missing.exit());
        assertTrue(missing.err().startsWith("moe4j generate: "), missing.err());
        Result badValue = run("", "generate", "-m", golden("ds2-tiny-f32").resolve("model.gguf").toString(),
                "-p", "x", "--top-p", "2");
        assertEquals(2, badValue.exit());
        assertTrue(badValue.err().contains("topP"), badValue.err());
        Result notGguf = run("", "logits", "-m", golden("ds2-tiny-f32").resolve("fixture.json").toString(),
                "-p", "x", "--out", dir.resolve("x.npy").toString());
        assertEquals(2, notGguf.exit(), notGguf.err());
        Result usage = run("", "generate", "-p", "x");
        assertEquals(2, usage.exit());
        assertTrue(usage.err().contains("-m"), usage.err());
    }
}
