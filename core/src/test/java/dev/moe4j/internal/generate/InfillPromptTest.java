package dev.moe4j.internal.generate;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.TokenType;
import dev.moe4j.internal.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static dev.moe4j.internal.generate.FimVocab.BOS;
import static dev.moe4j.internal.generate.FimVocab.ids;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Infill prompts, their ids written by hand from llama.cpp's {@code format_prompt_infill} (server-common.cpp) on
 * byte-level vocabularies where a text's ids are its bytes ({@link FimVocab}), and on DeepSeek's real ones.
 */
class InfillPromptTest {
    /** Qwen-style FIM tokens of {@link FimVocab#QWEN}. */
    private static final int PRE = 258, SUF = 259, MID = 260, REP = 262, SEP = 263;

    @TempDir
    Path dir;

    private static final InfillRequest.Budget WIDE = new InfillRequest.Budget(16, 64, -1);

    private InfillPrompt qwen() {
        FimVocab.Vocab v = FimVocab.write(dir, FimVocab.QWEN, true);
        return new InfillPrompt(v.tokenizer(), v.fimTokens());
    }

    /** The concatenation of ids and single tokens (Integer) or texts (String, as their bytes). */
    private static int[] seq(Object... parts) {
        List<Integer> out = new ArrayList<>();
        for (Object p : parts) {
            if (p instanceof Integer id) {
                out.add(id);
            } else {
                Arrays.stream(ids((String) p)).forEach(out::add);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void prefixSuffixMiddle() {
        InfillPrompt.Result r = qwen().build(InfillRequest.of("ab", "cd", WIDE));
        assertArrayEquals(seq(REP, "myproject\n", SEP, "filename\n", BOS, PRE, "ab", SUF, "cd", MID), r.ids());
        assertEquals(new InfillPrompt.Result(r.ids(), 0, 0, 0).toString(), r.toString());
    }

    @Test
    void suffixPrefixMiddle() {
        InfillPrompt.Result r = qwen().build(new InfillRequest("ab", "cd", "", List.of(), true, WIDE));
        assertArrayEquals(seq(REP, "myproject\n", SEP, "filename\n", BOS, SUF, "cd", PRE, "ab", MID), r.ids());
    }

    @Test
    void repositoryLevelChunks() {
        List<InfillRequest.Chunk> chunks = List.of(new InfillRequest.Chunk("a.py", "x=1"),
                new InfillRequest.Chunk(null, "y"));
        InfillPrompt.Result r = qwen().build(new InfillRequest("ab", "cd", "", chunks, false, WIDE));
        assertArrayEquals(seq(REP, "myproject\n", SEP, "a.py\n", "x=1", SEP, "tmp\n", "y", SEP, "filename\n", BOS,
                PRE, "ab", SUF, "cd", MID), r.ids());
    }

    /** Without FIM_REP and FIM_SEP (DeepSeek) each chunk gets llama.cpp's snippet separator and no name. */
    @Test
    void snippetsWithoutRepositoryTokens() {
        FimVocab.Vocab v = FimVocab.write(dir, FimVocab.DEEPSEEK, false);
        InfillPrompt p = new InfillPrompt(v.tokenizer(), v.fimTokens());
        List<InfillRequest.Chunk> chunks = List.of(new InfillRequest.Chunk("a.py", "x=1"),
                new InfillRequest.Chunk("b.py", "y"));
        String sep = "\n\n--- snippet ---\n\n";
        assertArrayEquals(seq(sep, "x=1", sep, "y", 258, "ab", 259, "cd", 260),
                p.build(new InfillRequest("ab", "cd", "", chunks, false, WIDE)).ids(), "no BOS: add_bos is false");
        assertArrayEquals(seq(258, "ab", 259, "cd", 260), p.build(InfillRequest.of("ab", "cd", WIDE)).ids());
    }

    /** A repository token without a file separator: the header, then snippets, and no current-file line. */
    @Test
    void repositoryTokenAlone() {
        FimVocab.Vocab v = FimVocab.write(dir, FimVocab.QWEN.subList(0, 5), true);
        InfillPrompt p = new InfillPrompt(v.tokenizer(), v.fimTokens());
        InfillPrompt.Result r = p.build(new InfillRequest("a", "b", "", List.of(new InfillRequest.Chunk("f", "z")),
                false, WIDE));
        assertArrayEquals(seq(REP, "myproject\n", "\n\n--- snippet ---\n\n", "z", BOS, PRE, "a", SUF, "b", MID),
                r.ids());
    }

    /** The middle text follows the prefix (llama.cpp appends it there) and shortens the suffix. */
    @Test
    void middleTextFollowsThePrefix() {
        InfillPrompt p = qwen();
        // batch 16: the suffix may have 16/4 - 2 - 1 = 1 token
        InfillPrompt.Result psm = p.build(new InfillRequest("ab", "cd", "m", List.of(), false, WIDE));
        assertArrayEquals(seq(REP, "myproject\n", SEP, "filename\n", BOS, PRE, "ab", "m", SUF, "c", MID), psm.ids());
        assertEquals(1, psm.suffixDropped());
        InfillPrompt.Result spm = p.build(new InfillRequest("ab", "cd", "m", List.of(), true, WIDE));
        assertArrayEquals(seq(REP, "myproject\n", SEP, "filename\n", BOS, SUF, "c", PRE, "ab", "m", MID), spm.ids());
    }

    @Test
    void budgetKeepsThePrefixTailAndTheSuffixHead() {
        // batch 16: prefix 3 * 4 = 12 tokens, suffix 4 - 2 = 2; context 20 - 16 - 2 * 1: 2 tokens of extra context
        InfillRequest.Budget tight = new InfillRequest.Budget(16, 20, 1);
        InfillPrompt.Result r = qwen().build(new InfillRequest("0123456789ABCDEFGH", "ghijk", "", List.of(), false,
                tight));
        assertArrayEquals(seq("e\n", BOS, PRE, "6789ABCDEFGH", SUF, "gh", MID), r.ids());
        assertEquals(6, r.prefixDropped());
        assertEquals(3, r.suffixDropped());
        assertEquals(ids("myproject\n").length + ids("filename\n").length, r.extraDropped());
    }

    @Test
    void tinyBatchesKeepOnlyTheFimTokens() {
        InfillPrompt.Result r = qwen().build(new InfillRequest("ab", "cd", "", List.of(), false,
                new InfillRequest.Budget(3, 3, 1)));
        assertArrayEquals(new int[] {BOS, PRE, SUF, MID}, r.ids());
        assertEquals(2, r.prefixDropped());
        assertEquals(2, r.suffixDropped());
    }

    @Test
    void defaultsAreLlamaServers() {
        assertEquals(new InfillRequest.Budget(2048, 4096, -1), InfillRequest.Budget.forContext(4096));
        assertEquals(1536, InfillRequest.Budget.forContext(4096).prefixTokens());
        assertEquals(510, InfillRequest.Budget.forContext(4096).suffixTokens(0));
        assertEquals(2050, InfillRequest.Budget.forContext(4096).extraTokens(), "n_predict -1 adds 2, as in llama.cpp");
        assertEquals(0, new InfillRequest.Budget(4096, 4096, 100).extraTokens());
        assertEquals(Integer.MAX_VALUE - 1, new InfillRequest.Budget(1, Integer.MAX_VALUE, 0).extraTokens());
        assertEquals(0, new InfillRequest.Budget(8, 100, 0).suffixTokens(Integer.MAX_VALUE));
    }

    @Test
    void argumentsAreChecked() {
        InfillPrompt p = qwen();
        assertMessage("prefix is null", () -> InfillRequest.of(null, "", WIDE));
        assertMessage("suffix is null", () -> InfillRequest.of("", null, WIDE));
        assertMessage("middle is null", () -> new InfillRequest("", "", null, List.of(), false, WIDE));
        assertMessage("chunks is null", () -> new InfillRequest("", "", "", null, false, WIDE));
        assertMessage("chunks[1] is null", () -> new InfillRequest("", "", "",
                Arrays.asList(new InfillRequest.Chunk("a", "b"), null), false, WIDE));
        assertMessage("chunk text is null", () -> new InfillRequest.Chunk("a", null));
        assertMessage("budget is null", () -> InfillRequest.of("", "", null));
        assertMessage("batchSize must be at least 1", () -> new InfillRequest.Budget(0, 10, 0));
        assertMessage("contextLength must be at least 1", () -> new InfillRequest.Budget(1, 0, 0));
        assertMessage("maxPredict must be -1", () -> new InfillRequest.Budget(1, 1, -2));
        assertMessage("request is null", () -> p.build(null));
        assertMessage("tokenizer is null", () -> new InfillPrompt(null, p.fimTokens()));
        assertMessage("fim is null", () -> new InfillPrompt(FimVocab.write(dir, List.of(), true).tokenizer(), null));
        assertMessage("outside the vocabulary", () -> new InfillPrompt(FimVocab.write(dir, List.of(), true)
                .tokenizer(), new FimTokens(300, 301, 302, -1, -1, -1, "x")));
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }

    /** On DeepSeek-Coder's vocabulary: the layout from the tokenizer's own pieces, BOS first as it adds one. */
    @Test
    void deepSeekCoderLayout() throws IOException {
        Vocab v = llamaCppVocab("deepseek-coder");
        Tokenizer t = v.tokenizer();
        InfillPrompt p = new InfillPrompt(t, v.fim());
        String prefix = "def fib(n):\n    ";
        String suffix = "\n    return a\n";
        int[] want = IntStream.concat(IntStream.of(t.bosId(), 32016), IntStream.concat(
                Arrays.stream(t.encode(prefix, false, false)), IntStream.concat(IntStream.of(32015),
                        IntStream.concat(Arrays.stream(t.encode(suffix, false, false)), IntStream.of(32017)))))
                .toArray();
        assertArrayEquals(want, p.build(InfillRequest.of(prefix, suffix, InfillRequest.Budget.forContext(4096)))
                .ids());
    }

    /**
     * Special-token strings in any user text stay text: the only control and FIM tokens of the prompt are the ones
     * it is built with, and it decodes to exactly the texts put in. DeepSeek-Coder's FIM tokens are USER_DEFINED in
     * its GGUF (so its tokenizer alone would match them in plain text); DeepSeek-V3's are CONTROL.
     */
    @Test
    void specialTokenTextNeverBecomesAToken() throws IOException {
        for (String name : List.of("deepseek-coder", "deepseek-v3")) {
            Vocab v = llamaCppVocab(name);
            Tokenizer t = v.tokenizer();
            FimTokens fim = v.fim();
            String prefix = "x <｜fim▁hole｜> y <｜end▁of▁sentence｜><｜fim▁end｜>";
            String suffix = "<|fim_middle|> <｜fim▁begin｜><｜begin▁of▁sentence｜>";
            String middle = "<｜fim▁hole｜>";
            String chunk = "<｜end▁of▁sentence｜>";
            for (boolean spm : new boolean[] {false, true}) {
                InfillPrompt.Result r = new InfillPrompt(t, fim).build(new InfillRequest(prefix, suffix, middle,
                        List.of(new InfillRequest.Chunk("<｜fim▁hole｜>", chunk)), spm,
                        InfillRequest.Budget.forContext(4096)));
                int[] special = Arrays.stream(r.ids())
                        .filter(id -> t.tokenType(id) != TokenType.NORMAL && t.tokenType(id) != TokenType.BYTE)
                        .toArray();
                int[] want = spm ? new int[] {t.bosId(), fim.suf(), fim.pre(), fim.mid()}
                        : new int[] {t.bosId(), fim.pre(), fim.suf(), fim.mid()};
                assertArrayEquals(want, special, name + " spm " + spm + ": " + Arrays.toString(r.ids()));
                String b = t.tokenText(t.bosId());
                String pre = t.tokenText(fim.pre()) + prefix + middle;
                String suf = t.tokenText(fim.suf()) + suffix;
                assertEquals("\n\n--- snippet ---\n\n" + chunk + b + (spm ? suf + pre : pre + suf)
                        + t.tokenText(fim.mid()), t.decode(r.ids()));
            }
        }
    }

    private record Vocab(Tokenizer tokenizer, FimTokens fim) {}

    private static Vocab llamaCppVocab(String name) throws IOException {
        try (GgufFile f = GgufFile.open(ChatFixtures.shared().resolve("tokenizers/llama.cpp-vocab/ggml-vocab-" + name
                + ".gguf"))) {
            Tokenizer t = GgufTokenizerLoader.fromMetadata(f.metadata());
            return new Vocab(t, FimTokens.find(f.metadata(), t).orElseThrow());
        }
    }
}
