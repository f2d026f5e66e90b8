package dev.moe4j.internal.gguf;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every golden model parses and matches its {@code gguf_dump.txt} (written by llama.cpp's gguf-py): the same keys in
 * the same order with the same types and values, the same tensors with the same types, shapes, absolute offsets and
 * sizes. Every vocab-only GGUF of shared/tokenizers parses with all its strings readable.
 */
class GgufGoldenTest {
    private static final Pattern KV_LINE = Pattern.compile(
            "^(\\S+) (UINT8|INT8|UINT16|INT16|UINT32|INT32|FLOAT32|BOOL|STRING|UINT64|INT64|FLOAT64"
                    + "|ARRAY\\[(\\w+)\\])(?: (.*))?$");
    private static final Pattern TENSOR_LINE = Pattern.compile(
            "^(\\S+) (\\w+) \\[([0-9, ]+)\\] offset (\\d+) bytes (\\d+)$");
    private static final Pattern ARRAY_VALUE = Pattern.compile("^n=(\\d+) first=\\[(.*)\\]$");

    @TestFactory
    Stream<DynamicTest> goldenModelsMatchTheirDump() {
        return GoldenModels.goldenDirs().stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(),
                () -> checkAgainstDump(GoldenModels.model(dir), dir.resolve("gguf_dump.txt"))));
    }

    @TestFactory
    Stream<DynamicTest> vocabFilesParse() {
        return GoldenModels.vocabFiles().stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
            try (GgufFile f = GgufFile.open(p)) {
                GgufMetadata md = f.metadata();
                assertFalse(md.getString("general.architecture").isEmpty());
                List<String> tokens = md.getStringArray("tokenizer.ggml.tokens");
                assertTrue(tokens.size() > 1000, "vocabulary of " + tokens.size());
                int chars = 0;
                for (String t : tokens) {
                    chars += t.length();
                }
                assertTrue(chars >= tokens.size() - 1, "tokens decode to text");
                assertEquals(tokens.size(), md.getIntArray("tokenizer.ggml.token_type").length);
                assertEquals(Files.size(p), f.fileSize());
            }
        }));
    }

    private static void checkAgainstDump(Path model, Path dump) throws IOException {
        List<String> lines = Files.readAllLines(dump);
        List<Matcher> kvs = new ArrayList<>();
        List<Matcher> tensors = new ArrayList<>();
        for (String line : lines) {
            Matcher t = TENSOR_LINE.matcher(line);
            Matcher k = KV_LINE.matcher(line);
            if (t.matches()) {
                tensors.add(t);
            } else if (tensors.isEmpty() && k.matches()) {
                kvs.add(k);
            }
        }
        try (GgufFile f = GgufFile.open(model)) {
            GgufMetadata md = f.metadata();
            assertEquals(kvs.size(), md.size(), "key count");
            List<String> keys = new ArrayList<>(md.keys());
            for (int i = 0; i < kvs.size(); i++) {
                checkKv(md, keys.get(i), kvs.get(i));
            }
            assertEquals(tensors.size(), f.tensors().size(), "tensor count");
            for (int i = 0; i < tensors.size(); i++) {
                Matcher m = tensors.get(i);
                GgufTensor t = f.tensors().get(i);
                assertEquals(m.group(1), t.name(), "tensor #" + i);
                assertEquals(m.group(2), t.type().name(), t.name());
                long[] dims = Arrays.stream(m.group(3).split(",")).map(String::trim).mapToLong(Long::parseLong)
                        .toArray();
                assertArrayEquals(dims, t.dims(), t.name());
                assertEquals(Long.parseLong(m.group(4)), t.fileOffset(), t.name() + " offset");
                assertEquals(Long.parseLong(m.group(5)), t.byteSize(), t.name() + " bytes");
                assertEquals(t.byteSize(), t.segment().byteSize());
            }
            assertEquals(Files.size(model), f.fileSize());
        }
    }

    private static void checkKv(GgufMetadata md, String key, Matcher m) {
        assertEquals(m.group(1), key, "key order");
        String value = m.group(4) == null ? "" : m.group(4);
        if (m.group(3) != null) {
            GgufArray a = md.getArray(key);
            assertEquals(m.group(3), a.elementType().name(), key);
            Matcher av = ARRAY_VALUE.matcher(value);
            assertTrue(av.matches(), key + ": " + value);
            assertEquals(Integer.parseInt(av.group(1)), a.size(), key + " size");
            List<String> first = PythonRepr.list(av.group(2));
            for (int i = 0; i < first.size(); i++) {
                String got = a.elementType() == GgufValueType.STRING ? a.getString(i) : String.valueOf(a.getLong(i));
                assertEquals(first.get(i), got, key + "[" + i + "]");
            }
            return;
        }
        GgufValueType type = GgufValueType.valueOf(m.group(2));
        assertEquals(type, md.type(key), key);
        switch (type) {
            case FLOAT32, FLOAT64 -> assertEquals(Double.parseDouble(value), md.getDouble(key), 0.0, key);
            case BOOL -> assertEquals(Boolean.parseBoolean(value.toLowerCase()), md.getBool(key), key);
            case STRING -> assertEquals(value, md.getString(key).split("\n", -1)[0], key);
            default -> assertEquals(Long.parseLong(value), md.getLong(key), key);
        }
    }

    /** Reads the Python repr of a list of numbers or simple strings, as gguf_dump.txt prints them. */
    static final class PythonRepr {
        static List<String> list(String s) {
            List<String> out = new ArrayList<>();
            int i = 0;
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == ',') {
                    i++;
                } else if (c == '\'' || c == '"') {
                    StringBuilder b = new StringBuilder();
                    i++;
                    while (s.charAt(i) != c) {
                        char d = s.charAt(i++);
                        if (d == '\\') {
                            char e = s.charAt(i++);
                            switch (e) {
                                case 'n' -> b.append('\n');
                                case 't' -> b.append('\t');
                                case 'r' -> b.append('\r');
                                case 'x' -> {
                                    b.append((char) Integer.parseInt(s.substring(i, i + 2), 16));
                                    i += 2;
                                }
                                case 'u' -> {
                                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                                    i += 4;
                                }
                                default -> b.append(e);
                            }
                        } else {
                            b.append(d);
                        }
                    }
                    i++;
                    out.add(b.toString());
                } else {
                    int end = s.indexOf(',', i);
                    end = end < 0 ? s.length() : end;
                    out.add(s.substring(i, end).trim());
                    i = end;
                }
            }
            return out;
        }
    }
}
