package dev.moe4j.internal.tokenizer;

import dev.moe4j.ModelFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both loaders on small hand-made files: what they accept (both merge spellings, the added-token types, BOS/EOS from
 * tokenizer_config.json) and that every malformed or unsupported input is a {@link ModelFormatException} that says
 * where the problem is.
 */
class TokenizerLoaderTest {
    @TempDir
    Path dir;

    /** A tiny byte-level vocabulary: the 256 byte characters, then merged tokens, then literal tokens. */
    private static List<String> byteTokens() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
        }
        return tokens;
    }

    // ---------------------------------------------------------------- GGUF

    private TinyGguf validGguf(List<String> tokens, int[] types) {
        return new TinyGguf()
                .string("tokenizer.ggml.model", "gpt2")
                .string("tokenizer.ggml.pre", "deepseek-v3")
                .strings("tokenizer.ggml.tokens", tokens)
                .i32s("tokenizer.ggml.token_type", types)
                .strings("tokenizer.ggml.merges", List.of("h e", "l l", "he ll", "hell o"));
    }

    private static List<String> ggufTokens() {
        List<String> t = byteTokens();
        t.addAll(List.of("he", "ll", "hell", "hello", "<s>", "<user>"));
        return t;
    }

    private static int[] ggufTypes(int n) {
        int[] types = new int[n];
        java.util.Arrays.fill(types, 1);
        types[n - 2] = 3; // <s> CONTROL
        types[n - 1] = 4; // <user> USER_DEFINED
        return types;
    }

    @Test
    void ggufLoadsAndEncodes() throws IOException {
        List<String> tokens = ggufTokens();
        Path f = validGguf(tokens, ggufTypes(tokens.size()))
                .u32("tokenizer.ggml.bos_token_id", 260).bool("tokenizer.ggml.add_bos_token", true)
                .write(dir.resolve("ok.gguf"));
        Tokenizer t = GgufTokenizerLoader.load(f);
        assertEquals(262, t.vocabSize());
        assertEquals("deepseek-v3", t.preTokenizer().name());
        assertArrayEquals(new int[] {260, 259, 'x'}, t.encode("hellox", true, false),
                "BOS, merged 'hello', then byte token 'x' (byte tokens have their byte value as id here)");
        assertArrayEquals(new int[] {261, 259}, t.encode("<user>hello", false, false), "USER_DEFINED always");
        int[] plain = t.encode("<s>", false, false);
        assertTrue(plain.length > 1, "CONTROL text is plain text without parseSpecial");
        assertArrayEquals(new int[] {260}, t.encode("<s>", false, true));
        assertEquals(TokenType.CONTROL, t.tokenType(260));
        assertEquals("<s>hello", t.decode(new int[] {260, 259}));
        assertEquals("hello", t.decode(new int[] {260, 259}, true));
    }

    @Test
    void ggufRejectsUnsupportedModelAndPreTokenizer() throws IOException {
        List<String> tokens = ggufTokens();
        for (String model : List.of("bert", "t5", "rwkv", "no-such-model")) {
            Path f = new TinyGguf().string("tokenizer.ggml.model", model).strings("tokenizer.ggml.tokens", tokens)
                    .write(dir.resolve(model + ".gguf"));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(f));
            assertTrue(e.getMessage().contains("tokenizer.ggml.model = '" + model + "' ("), e.getMessage());
            assertTrue(e.getMessage().contains(") is not supported; supported: 'gpt2' (byte-level BPE), 'llama' "
                    + "(SentencePiece BPE)"), e.getMessage());
            assertTrue(e.offset() > 0, "offset of the value");
        }
        ModelFormatException bert = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(
                dir.resolve("bert.gguf")));
        assertTrue(bert.getMessage().contains("WordPiece"), "says what the model type is: " + bert.getMessage());

        Path g = new TinyGguf().string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "falcon")
                .strings("tokenizer.ggml.tokens", tokens).write(dir.resolve("pre.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(g));
        assertTrue(e.getMessage().contains("tokenizer.ggml.pre = 'falcon' is not a supported pre-tokenizer "
                + "(supported: deepseek-coder, deepseek-llm, deepseek-r1-qwen, deepseek-v3, default, gpt-2, "
                + "llama-bpe, llama-v3, llama3, qwen2, qwen35)"), e.getMessage());
        assertTrue(e.offset() > 0, "offset of the value");
    }

    @Test
    void ggufRejectsInconsistentTokenData() throws IOException {
        List<String> tokens = ggufTokens();
        Path shortTypes = validGguf(tokens, new int[] {1, 1, 1}).write(dir.resolve("types.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(shortTypes));
        assertTrue(e.getMessage().contains("token_type has 3 entries but tokenizer.ggml.tokens has 262"),
                e.getMessage());

        int[] bad = ggufTypes(tokens.size());
        bad[7] = 9;
        Path badType = validGguf(tokens, bad).write(dir.resolve("badtype.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(badType));
        assertTrue(e.getMessage().contains("token_type[7] = 9 is not a token type"), e.getMessage());

        Path badMerge = new TinyGguf().string("tokenizer.ggml.model", "gpt2")
                .strings("tokenizer.ggml.tokens", tokens).strings("tokenizer.ggml.merges", List.of("h e", "hell"))
                .write(dir.resolve("merge.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(badMerge));
        assertTrue(e.getMessage().contains("tokenizer.ggml.merges[1]: merge rule \"hell\" is not of the form"),
                e.getMessage());

        Path badBos = validGguf(tokens, ggufTypes(tokens.size())).u32("tokenizer.ggml.bos_token_id", 5000)
                .write(dir.resolve("bos.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(badBos));
        assertTrue(e.getMessage().contains("BOS token id 5000 is outside the vocabulary [0, 262)"), e.getMessage());

        Path noTokens = new TinyGguf().string("tokenizer.ggml.model", "gpt2").write(dir.resolve("none.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(noTokens));
        assertTrue(e.getMessage().contains("tokenizer.ggml.tokens"), e.getMessage());
    }

    @Test
    void ggufDefaultsWhenOptionalKeysAreAbsent() throws IOException {
        Path f = new TinyGguf().string("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", byteTokens())
                .write(dir.resolve("min.gguf"));
        Tokenizer t = GgufTokenizerLoader.load(f);
        assertEquals("default", t.preTokenizer().name());
        assertEquals(-1, t.bosId());
        assertFalse(t.addsBos());
        assertArrayEquals(new int[] {'h', 'i'}, t.encode("hi", true, true), "no merges, no BOS: one token per byte");
    }

    @Test
    void ggufLlama3PreTokenizerAddsBosByDefaultAsLlamaCpp() throws IOException {
        for (String pre : List.of("llama-bpe", "qwen2", "deepseek-r1-qwen", "qwen35")) {
            Path f = new TinyGguf().string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", pre)
                    .strings("tokenizer.ggml.tokens", ggufTokens()).u32("tokenizer.ggml.bos_token_id", 260)
                    .write(dir.resolve(pre + ".gguf"));
            Tokenizer t = GgufTokenizerLoader.load(f);
            assertEquals(pre.equals("llama-bpe"), t.addsBos(), pre);
            assertEquals(pre, t.preTokenizer().name());
        }
    }

    // ---------------------------------------------------------------- GGUF, SentencePiece ("llama")

    /** A tiny SentencePiece vocabulary: unk, BOS, EOS, the 256 byte tokens, then pieces with scores. */
    private static List<String> spmTokens() {
        List<String> t = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        for (int b = 0; b < 256; b++) {
            t.add(String.format("<0x%02X>", b));
        }
        t.addAll(List.of("\u2581", "h", "i", "\u2581h", "hi", "\u2581hi", "<user>"));
        return t;
    }

    private static int[] spmTypes(int n) {
        int[] types = new int[n];
        java.util.Arrays.fill(types, 1);
        types[0] = 2;
        types[1] = 3;
        types[2] = 3;
        java.util.Arrays.fill(types, 3, 259, 6);
        types[n - 1] = 4;
        return types;
    }

    private static float[] spmScores(int n) {
        float[] scores = new float[n];
        for (int i = 259; i < n; i++) {
            scores[i] = -(i - 259); // earlier pieces merge first
        }
        return scores;
    }

    private TinyGguf spmGguf() {
        List<String> tokens = spmTokens();
        return new TinyGguf().string("tokenizer.ggml.model", "llama").string("tokenizer.ggml.pre", "ignored")
                .strings("tokenizer.ggml.tokens", tokens).i32s("tokenizer.ggml.token_type", spmTypes(tokens.size()))
                .f32s("tokenizer.ggml.scores", spmScores(tokens.size()));
    }

    @Test
    void ggufSentencePieceDefaultsAreLlamaCpps() throws IOException {
        Tokenizer t = GgufTokenizerLoader.load(spmGguf().write(dir.resolve("spm.gguf")));
        int hi = 264; // "\u2581hi"
        assertEquals(Tokenizer.Kind.SENTENCEPIECE, t.kind());
        assertEquals(1, t.bosId(), "BOS 1 when absent");
        assertEquals(2, t.eosId(), "EOS 2 when absent");
        assertTrue(t.addsBos(), "add_bos_token true when absent");
        assertFalse(t.addsEos());
        assertTrue(t.addsSpacePrefix(), "add_space_prefix true when absent");
        assertEquals("none", t.preTokenizer().name(), "tokenizer.ggml.pre is ignored");
        assertArrayEquals(new int[] {1, hi}, t.encode("hi", true, false));
        assertArrayEquals(new int[] {hi, 265, hi}, t.encode("hi<user>hi", false, false),
                "USER_DEFINED always matched; the text after it gets a space prefix too");
        assertArrayEquals(new int[] {hi, 3 + 'x', 3 + 0xC3, 3 + 0xA9}, t.encode("hixé", false, false),
                "byte fallback: 'x' and the two UTF-8 bytes of 'é'");
        assertEquals("hixé", t.decode(t.encode("hixé", true, false), true));
        assertEquals("<s> hixé", t.decode(t.encode("hixé", true, false)));
        assertEquals("Tokenizer[" + dir.resolve("spm.gguf") + ", 266 tokens, sentencepiece, space prefix]",
                t.toString());

        Tokenizer noPrefix = GgufTokenizerLoader.load(spmGguf().bool("tokenizer.ggml.add_space_prefix", false)
                .bool("tokenizer.ggml.add_bos_token", false).u32("tokenizer.ggml.unknown_token_id", 0)
                .write(dir.resolve("noprefix.gguf")));
        assertFalse(noPrefix.addsSpacePrefix());
        assertArrayEquals(new int[] {263}, noPrefix.encode("hi", true, false), "\"hi\", no BOS, no prefix");
        assertArrayEquals(new int[] {hi}, noPrefix.encode(" hi", true, false));
        assertEquals(" hi", noPrefix.decode(noPrefix.encode(" hi", false, false)), "nothing stripped");
    }

    @Test
    void ggufSentencePieceAcceptsIntegerScores() throws IOException {
        List<String> tokens = spmTokens();
        float[] f = spmScores(tokens.size());
        int[] ints = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            ints[i] = (int) f[i];
        }
        Tokenizer t = GgufTokenizerLoader.load(new TinyGguf().string("tokenizer.ggml.model", "llama")
                .strings("tokenizer.ggml.tokens", tokens).i32s("tokenizer.ggml.token_type", spmTypes(tokens.size()))
                .i32s("tokenizer.ggml.scores", ints).write(dir.resolve("int.gguf")));
        Tokenizer ref = GgufTokenizerLoader.load(spmGguf().write(dir.resolve("float.gguf")));
        for (String s : List.of("hi", "hih ih", " i h  hi", "hé")) {
            assertArrayEquals(ref.encode(s, true, false), t.encode(s, true, false), s);
        }
    }

    @Test
    void ggufSentencePieceRejectsBadData() throws IOException {
        List<String> tokens = spmTokens();
        int n = tokens.size();
        Path shortScores = new TinyGguf().string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens",
                tokens).f32s("tokenizer.ggml.scores", new float[5]).write(dir.resolve("short.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(
                shortScores));
        assertTrue(e.getMessage().contains("tokenizer.ggml.scores has 5 entries but tokenizer.ggml.tokens has " + n),
                e.getMessage());

        Path textScores = new TinyGguf().string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens",
                tokens).strings("tokenizer.ggml.scores", tokens).write(dir.resolve("text.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(textScores));
        assertTrue(e.getMessage().contains("tokenizer.ggml.scores is an array of STRING, expected FLOAT32"),
                e.getMessage());

        float[] nan = spmScores(n);
        nan[260] = Float.NaN;
        Path nanScores = new TinyGguf().string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens",
                tokens).f32s("tokenizer.ggml.scores", nan).write(dir.resolve("nan.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(nanScores));
        assertTrue(e.getMessage().contains("tokenizer.ggml.scores[260] is NaN"), e.getMessage());

        int[] types = spmTypes(n);
        types[259] = 6; // "\u2581" typed BYTE
        Path badByte = new TinyGguf().string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens",
                tokens).i32s("tokenizer.ggml.token_type", types).write(dir.resolve("byte.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(badByte));
        assertTrue(e.getMessage().contains("token 259 \"\u2581\" has type BYTE but is not of the form <0xXX>"),
                e.getMessage());

        Path badUnk = spmGguf().u32("tokenizer.ggml.unknown_token_id", n).write(dir.resolve("unk.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufTokenizerLoader.load(badUnk));
        assertTrue(e.getMessage().contains("tokenizer.ggml.unknown_token_id = " + n + " is outside the vocabulary"),
                e.getMessage());
    }

    // ---------------------------------------------------------------- tokenizer.json

    private static String vocabJson(List<String> tokens) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < tokens.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(quote(tokens.get(i))).append(':').append(i);
        }
        return sb.append('}').toString();
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private Path json(String name, String merges, String extra) throws IOException {
        List<String> tokens = byteTokens();
        tokens.addAll(List.of("he", "ll", "hell", "hello"));
        String text = "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":260,\"content\":\"<s>\",\"special\":true},"
                + "{\"id\":261,\"content\":\"<user>\",\"special\":false}],"
                + "\"normalizer\":null,"
                + "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true},"
                + extra
                + "\"model\":{\"type\":\"BPE\",\"vocab\":" + vocabJson(tokens) + ",\"merges\":" + merges + "}}";
        Path sub = Files.createDirectories(dir.resolve(name));
        return Files.writeString(sub.resolve("tokenizer.json"), text);
    }

    @Test
    void jsonAcceptsBothMergeSpellings() throws IOException {
        Tokenizer a = HfTokenizerLoader.load(json("strings", "[\"h e\",\"l l\",\"he ll\",\"hell o\"]", ""));
        Tokenizer b = HfTokenizerLoader.load(json("arrays", "[[\"h\",\"e\"],[\"l\",\"l\"],[\"he\",\"ll\"],"
                + "[\"hell\",\"o\"]]", ""));
        for (Tokenizer t : List.of(a, b)) {
            assertEquals(262, t.vocabSize());
            assertEquals("gpt-2", t.preTokenizer().name());
            assertArrayEquals(new int[] {259, 261, 259}, t.encode("hello<user>hello", false, false));
            assertArrayEquals(new int[] {260}, t.encode("<s>", false, true));
            assertEquals(TokenType.USER_DEFINED, t.tokenType(261));
            assertEquals(-1, t.bosId(), "no tokenizer_config.json");
        }
    }

    @Test
    void jsonReadsBosAndEosFromTokenizerConfig() throws IOException {
        Path p = json("config", "[\"h e\"]", "");
        Files.writeString(p.resolveSibling("tokenizer_config.json"), "{\"add_bos_token\": true, \"add_eos_token\": "
                + "true, \"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"<user>\"}");
        Tokenizer t = HfTokenizerLoader.load(p);
        assertEquals(260, t.bosId());
        assertEquals(261, t.eosId());
        assertArrayEquals(new int[] {260, 256, 261}, t.encode("he", true, false));

        Files.writeString(p.resolveSibling("tokenizer_config.json"), "{\"bos_token\": \"<missing>\"}");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizerLoader.load(p));
        assertTrue(e.getMessage().contains("bos_token \"<missing>\" is not a token of the vocabulary"),
                e.getMessage());
    }

    @Test
    void jsonRejectsUnsupportedFeaturesWithTheirPath() throws IOException {
        record Bad(String extraOrModelPatch, String expected) {
        }
        List<Bad> cases = List.of(
                new Bad("\"normalizer\":{\"type\":\"NFC\"},", "$.normalizer: unsupported: normalizer NFC"),
                new Bad("\"pre_tokenizer\":{\"type\":\"Whitespace\"},",
                        "$.pre_tokenizer.type: unsupported: pre-tokenizer Whitespace"),
                new Bad("\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\","
                        + "\"pattern\":{\"Regex\":\"a\"},\"behavior\":\"Removed\",\"invert\":false}]},",
                        "$.pre_tokenizer.pretokenizers[0].behavior: unsupported: Split behavior Removed"),
                new Bad("\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\","
                        + "\"pattern\":{\"Regex\":\"(\"},\"behavior\":\"Isolated\",\"invert\":false},"
                        + "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":false}]},",
                        "$.pre_tokenizer: pre-tokenizer tokenizer.json: regex does not compile"),
                new Bad("\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true},",
                        "$.pre_tokenizer.add_prefix_space: unsupported: ByteLevel add_prefix_space"),
                new Bad("\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\","
                        + "\"pattern\":{\"String\":\" \"},\"behavior\":\"Isolated\",\"invert\":false}]},",
                        "$.pre_tokenizer: unsupported: no ByteLevel step"),
                new Bad("\"pre_tokenizer\":null,", "$.pre_tokenizer: unsupported: no pre-tokenizer"));
        int i = 0;
        for (Bad c : cases) {
            // Replace the member in place (a second member of the same name would be a duplicate-key error).
            Path p = json("bad" + i++, "[\"h e\"]", "");
            String text = Files.readString(p);
            String key = c.extraOrModelPatch().substring(0, c.extraOrModelPatch().indexOf(':'));
            int at = text.indexOf(key + ":");
            int end = key.equals("\"normalizer\"") ? text.indexOf("null,", at) + 5 : text.indexOf("},", at) + 2;
            Files.writeString(p, text.substring(0, at) + c.extraOrModelPatch() + text.substring(end));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizerLoader.load(p));
            assertTrue(e.getMessage().contains(c.expected()), () -> "expected \"" + c.expected() + "\" in: "
                    + e.getMessage());
        }

        Path p = json("fallback", "[\"h e\"]", "");
        Files.writeString(p, Files.readString(p).replace("\"type\":\"BPE\",", "\"type\":\"BPE\",\"byte_fallback\":"
                + "true,"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizerLoader.load(p));
        assertTrue(e.getMessage().contains("$.model.byte_fallback: unsupported"), e.getMessage());

        Path q = json("badmerge", "[\"h e\", 7]", "");
        e = assertThrows(ModelFormatException.class, () -> HfTokenizerLoader.load(q));
        assertTrue(e.getMessage().contains("$.model.merges[1]: expected a string or an array, found a number"),
                e.getMessage());

        Path r = json("lstrip", "[\"h e\"]", "");
        Files.writeString(r, Files.readString(r).replace("\"special\":false", "\"special\":false,\"lstrip\":true"));
        e = assertThrows(ModelFormatException.class, () -> HfTokenizerLoader.load(r));
        assertTrue(e.getMessage().contains("$.added_tokens[1].lstrip: unsupported"), e.getMessage());

        Path s = json("syntax", "[\"h e\",]", "");
        e = assertThrows(ModelFormatException.class, () -> HfTokenizerLoader.load(s));
        assertTrue(e.getMessage().contains("tokenizer.json:1:"), e.getMessage());
    }

    @Test
    void deepseekV3TokenizerJsonUsesTheBuiltInRegexList() {
        Tokenizer json = TokenizerFixtures.deepseekV3FromJson();
        assertEquals("deepseek-v3", json.preTokenizer().name());
        assertEquals(PreTokenizer.DEEPSEEK_V3, json.preTokenizer().regexes());
        assertEquals(128815, json.vocabSize());
        assertEquals(0, json.bosId());
        assertEquals(1, json.eosId());
        assertTrue(json.addsBos());
        assertFalse(json.addsEos());
        Tokenizer gguf = TokenizerFixtures.gguf("deepseek-v3");
        assertEquals(129280, gguf.vocabSize());
        assertEquals(TokenType.UNUSED, gguf.tokenType(129279));
        for (int id = 0; id < json.vocabSize(); id++) {
            assertEquals(json.tokenText(id), gguf.tokenText(id), "token " + id);
        }
    }
}
