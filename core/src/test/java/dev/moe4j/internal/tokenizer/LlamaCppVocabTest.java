package dev.moe4j.internal.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * llama.cpp's own tokenizer test suite (tests/test-tokenizer-0): for each vocab-only GGUF, the {@code .inp} file holds
 * inputs, each followed by a line {@code __ggml_vocab_test__}, and the {@code .out} file one line of space-separated
 * expected ids per input (produced with HF tokenizers; no BOS). As in llama.cpp, the inputs are encoded with
 * addSpecial = false and parseSpecial = false. Every case must match exactly, and decode must give the input back.
 */
class LlamaCppVocabTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    record Case(String input, int[] expected) {
    }

    /** Splits the files as llama.cpp's read_tests does. */
    static List<Case> readCases(Path gguf) throws IOException {
        String raw = Files.readString(Path.of(gguf + ".inp"), StandardCharsets.UTF_8);
        List<String> inputs = new ArrayList<>();
        int pos = 0;
        while (pos < raw.length()) {
            int next = raw.indexOf(SEPARATOR, pos);
            if (next < 0) {
                inputs.add(raw.substring(pos));
                break;
            }
            inputs.add(raw.substring(pos, next));
            pos = next + SEPARATOR.length();
        }
        List<String> lines = Files.readAllLines(Path.of(gguf + ".out"), StandardCharsets.UTF_8);
        assertEquals(inputs.size(), lines.size(), "inputs vs expected lines in " + gguf);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String line = lines.get(i).strip();
            int[] ids = line.isEmpty() ? new int[0]
                    : Arrays.stream(line.split(" ")).mapToInt(Integer::parseInt).toArray();
            cases.add(new Case(inputs.get(i), ids));
        }
        return cases;
    }

    @ParameterizedTest
    @ValueSource(strings = {"deepseek-v3", "deepseek-llm", "deepseek-coder", "gpt-2", "qwen2", "llama-bpe",
            "llama-spm", "phi-3"})
    void everyCaseMatches(String vocab) throws IOException {
        Tokenizer tokenizer = TokenizerFixtures.gguf(vocab);
        List<Case> cases = readCases(TokenizerFixtures.llamaCppVocab(vocab));
        assertTrue(cases.size() >= 40, "expected the full llama.cpp test list, got " + cases.size());
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            int[] got = tokenizer.encode(c.input(), false, false);
            if (!Arrays.equals(c.expected(), got)) {
                failures.add(escape(c.input()) + "\n   expected " + Arrays.toString(c.expected()) + "\n   got      "
                        + Arrays.toString(got));
            } else {
                assertEquals(c.input(), tokenizer.decode(got), "decode(encode(s)) for " + escape(c.input()));
            }
        }
        if (!failures.isEmpty()) {
            fail(vocab + ": " + failures.size() + " of " + cases.size() + " cases differ:\n"
                    + String.join("\n", failures));
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7F) {
                sb.append((char) cp);
            } else if (cp == '\n') {
                sb.append("\\n");
            } else {
                sb.append("\\u{").append(Integer.toHexString(cp)).append('}');
            }
        });
        return sb.append('"').toString();
    }
}
