package dev.moe4j.internal.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class JsonParserTest {

    @Test
    void parsesAllValueKinds() {
        Object v = JsonParser.parse("""
                {"s": "a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", "i": -42, "z": 0, "big": 123456789012345678901,
                 "f": 1.5e-3, "e": 2E+2, "t": true, "n": null, "a": [1, [], {}, "x"], "o": {"k": false}}
                """, "test");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals("a\"b\\c/d\b\f\n\r\t\u00e9\uD83D\uDE00", m.get("s"));
        assertEquals(-42L, m.get("i"));
        assertEquals(0L, m.get("z"));
        assertEquals(1.2345678901234568E20, m.get("big"));
        assertEquals(1.5e-3, m.get("f"));
        assertEquals(200.0, m.get("e"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertTrue(m.containsKey("n"));
        assertNull(m.get("n"));
        assertEquals(List.of(1L, List.of(), Map.of(), "x"), m.get("a"));
        assertEquals(Map.of("k", false), m.get("o"));
        assertEquals(List.of("s", "i", "z", "big", "f", "e", "t", "n", "a", "o"), List.copyOf(m.keySet()),
                "member order is kept");
    }

    @Test
    void scalarsAndWhitespaceAtTopLevel() {
        assertEquals("x", JsonParser.parse(" \t\r\n\"x\" \n", "t"));
        assertEquals(Long.MIN_VALUE, JsonParser.parse("-9223372036854775808", "t"));
        assertEquals(9.223372036854775808E18, JsonParser.parse("9223372036854775808", "t"));
        assertEquals(-0.0, JsonParser.parse("-0.0", "t"));
        assertEquals("bom", JsonParser.parse("\uFEFF\"bom\"", "t"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "``                          | t:1:1: unexpected end of input, expected a value",
            "`[1,]`                      | t:1:4: unexpected character ']', expected a value",
            "`{\"a\":1,}`                | t:1:8: unexpected character '}', expected a string key",
            "`[01]`                      | t:1:3: leading zero in a number",
            "`[1.]`                      | t:1:4: unexpected character ']', expected a digit after '.'",
            "`[1e]`                      | t:1:4: unexpected character ']', expected a digit in the exponent",
            "`-`                         | t:1:2: unexpected end of input, expected a digit",
            "`[NaN]`                     | t:1:2: unexpected character 'N', expected a value",
            "`['a']`                     | t:1:2: unexpected character ''', expected a value",
            "`\"abc`                     | t:1:5: unterminated string",
            "`\"a\\x\"`                  | t:1:3: invalid escape sequence '\\x'",
            "`\"\\u12G4\"`               | t:1:6: invalid hex digit character 'G' in \\u escape",
            "`\"\\u12\"`                 | t:1:4: truncated \\u escape, expected 4 hex digits",
            "`\"\\u12\" `                | t:1:6: invalid hex digit character '\"' in \\u escape",
            "`{\"a\":1,\"a\":2}`         | t:1:8: duplicate key \"a\"",
            "`{\"a\" 1}`                 | t:1:6: unexpected character '1', expected ':'",
            "`[1 2]`                     | t:1:4: unexpected character '2', expected ',' or ']'",
            "`{\"a\":1 \"b\":2}`         | t:1:8: unexpected character '\"', expected ',' or '}'",
            "`tru`                       | t:1:1: unexpected character 't', expected a value",
            "`[1]x`                      | t:1:4: unexpected character 'x' after the JSON value",
            "`// c\n1`                   | t:1:1: unexpected character '/', expected a value",
    })
    void rejectsInvalidInputWithPosition(String input, String message) {
        JsonParseException e = assertThrows(JsonParseException.class, () -> JsonParser.parse(input, "t"));
        assertTrue(e.getMessage().startsWith(message), () -> "message was: " + e.getMessage());
    }

    @Test
    void reportsLineAndColumnAfterNewlines() {
        JsonParseException e = assertThrows(JsonParseException.class,
                () -> JsonParser.parse("{\n  \"a\": [1,\n    2,,\n  ]\n}", "f.json"));
        assertTrue(e.getMessage().startsWith("f.json:3:7: unexpected character ','"), e.getMessage());
        assertEquals(19, e.offset());
    }

    @Test
    void rejectsRawControlCharacters() {
        JsonParseException e = assertThrows(JsonParseException.class, () -> JsonParser.parse("\"a\tb\"", "t"));
        assertTrue(e.getMessage().contains("raw control character U+0009"), e.getMessage());
        e = assertThrows(JsonParseException.class, () -> JsonParser.parse("\"a\\n\nb\"", "t"));
        assertTrue(e.getMessage().contains("raw control character U+000A"), e.getMessage());
    }

    @Test
    void limitsNesting() {
        String ok = "[".repeat(JsonParser.MAX_DEPTH) + "]".repeat(JsonParser.MAX_DEPTH);
        JsonParser.parse(ok, "t");
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        JsonParseException e = assertThrows(JsonParseException.class, () -> JsonParser.parse(deep, "t"));
        assertTrue(e.getMessage().contains("nesting deeper than " + JsonParser.MAX_DEPTH), e.getMessage());
    }

    @Test
    void readsFilesAsStrictUtf8(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.json");
        Files.writeString(good, "{\"k\": \"中文 😀\"}");
        assertEquals(Map.of("k", "中文 😀"), JsonParser.parse(good));
        Path bad = dir.resolve("bad.json");
        Files.write(bad, new byte[] {'{', '"', 'k', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
        JsonParseException e = assertThrows(JsonParseException.class, () -> JsonParser.parse(bad));
        assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
        assertEquals(6, e.offset());
    }

    @Test
    void typedAccessNamesThePath() {
        Object v = JsonParser.parse("{\"a\": [1, \"x\"]}", "doc.json");
        Map<String, Object> o = JsonValues.object(v, "$", "doc.json");
        List<Object> a = JsonValues.array(o.get("a"), "$.a", "doc.json");
        assertEquals(1, JsonValues.integer(a.get(0), 0, 10, "$.a[0]", "doc.json"));
        JsonParseException e = assertThrows(JsonParseException.class,
                () -> JsonValues.integer(a.get(1), 0, 10, "$.a[1]", "doc.json"));
        assertEquals("doc.json: $.a[1]: expected an integer, found a string", e.getMessage());
        e = assertThrows(JsonParseException.class, () -> JsonValues.integer(a.get(0), 2, 10, "$.a[0]", "doc.json"));
        assertEquals("doc.json: $.a[0]: 1 is outside [2, 10]", e.getMessage());
        e = assertThrows(JsonParseException.class, () -> JsonValues.member(o, "b", "$", "doc.json"));
        assertEquals("doc.json: $: missing member \"b\"", e.getMessage());
    }

    /** Random documents (fresh seed each run) written by Jackson must parse to the same tree as Jackson reads. */
    @Test
    void agreesWithJacksonOnRandomDocuments() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        ObjectMapper jackson = new ObjectMapper();
        for (int i = 0; i < 300; i++) {
            Object doc = randomValue(rnd, 0);
            String text = jackson.writeValueAsString(doc);
            Object ours = JsonParser.parse(text, "random");
            assertEquals(normalize(jackson.readTree(text)), ours, () -> "seed " + seed + ": " + text);
        }
    }

    private static Object randomValue(Random rnd, int depth) {
        int kind = rnd.nextInt(depth > 4 ? 5 : 7);
        return switch (kind) {
            case 0 -> randomString(rnd);
            case 1 -> rnd.nextLong() >> rnd.nextInt(64);
            case 2 -> rnd.nextDouble() * Math.pow(10, rnd.nextInt(40) - 20);
            case 3 -> rnd.nextBoolean();
            case 4 -> null;
            case 5 -> {
                List<Object> l = new ArrayList<>();
                for (int k = rnd.nextInt(5); k > 0; k--) {
                    l.add(randomValue(rnd, depth + 1));
                }
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int k = rnd.nextInt(5); k > 0; k--) {
                    m.put(randomString(rnd), randomValue(rnd, depth + 1));
                }
                yield m;
            }
        };
    }

    private static String randomString(Random rnd) {
        StringBuilder sb = new StringBuilder();
        for (int k = rnd.nextInt(12); k > 0; k--) {
            int cp = switch (rnd.nextInt(4)) {
                case 0 -> rnd.nextInt(0x20);          // control characters: must be escaped
                case 1 -> 0x20 + rnd.nextInt(0x60);   // ASCII incl. quote and backslash
                case 2 -> 0xA0 + rnd.nextInt(0xD000); // BMP below the surrogates
                default -> 0x10000 + rnd.nextInt(0x100000);
            };
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    /** Jackson's tree in our representation. */
    private static Object normalize(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                m.put(e.getKey(), normalize(e.getValue()));
            }
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(c -> l.add(normalize(c)));
            return l;
        }
        if (n.isTextual()) {
            return n.textValue();
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isNull()) {
            return null;
        }
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return n.longValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        fail("unexpected node " + n);
        return null;
    }
}
