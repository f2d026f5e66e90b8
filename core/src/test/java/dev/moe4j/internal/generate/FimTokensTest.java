package dev.moe4j.internal.generate;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static dev.moe4j.internal.generate.FimVocab.CONTROL;
import static dev.moe4j.internal.generate.FimVocab.DEEPSEEK;
import static dev.moe4j.internal.generate.FimVocab.QWEN;
import static dev.moe4j.internal.generate.FimVocab.USER_DEFINED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which FIM tokens a model has: GGUF keys first, then the token texts llama.cpp recognises. */
class FimTokensTest {
    @TempDir
    Path dir;

    /** FimTokens.find on one of llama.cpp's vocab-only files. */
    private static Optional<FimTokens> inLlamaCppVocab(String name) throws IOException {
        try (GgufFile f = GgufFile.open(ChatFixtures.shared().resolve("tokenizers/llama.cpp-vocab/ggml-vocab-" + name
                + ".gguf"))) {
            Tokenizer t = GgufTokenizerLoader.fromMetadata(f.metadata());
            return FimTokens.find(f.metadata(), t);
        }
    }

    @Test
    void deepSeekCoderByText() throws IOException {
        FimTokens fim = inLlamaCppVocab("deepseek-coder").orElseThrow();
        assertEquals(new FimTokens(32016, 32015, 32017, -1, -1, -1, fim.description()), fim);
        assertTrue(fim.description().contains("pre 32016 '<｜fim▁begin｜>'"), fim.description());
        assertFalse(fim.repositoryLevel());
        assertArrayEquals(new int[] {}, fim.endTokens());
        assertArrayEquals(new int[] {32016, 32015, 32017}, fim.ids());
    }

    @Test
    void deepSeekV3ByText() throws IOException {
        FimTokens fim = inLlamaCppVocab("deepseek-v3").orElseThrow();
        assertEquals(List.of(128801, 128800, 128802), List.of(fim.pre(), fim.suf(), fim.mid()));
    }

    /**
     * llama.cpp's Qwen2 test vocabulary is Qwen1.5/Qwen2's, whose added tokens are only {@code <|endoftext|>},
     * {@code <|im_start|>} and {@code <|im_end|>} (Qwen2.5-Coder's FIM tokens came later; see {@link #qwenCoderTexts}).
     */
    @Test
    void qwen2AndLlama3HaveNone() throws IOException {
        assertEquals(Optional.empty(), inLlamaCppVocab("qwen2"));
        assertEquals(Optional.empty(), inLlamaCppVocab("llama-bpe"));
    }

    @Test
    void qwenCoderTexts() {
        FimVocab.Vocab v = FimVocab.write(dir, QWEN, false);
        FimTokens fim = v.fimTokens();
        assertArrayEquals(new int[] {258, 259, 260, 261, 262, 263}, fim.ids());
        assertTrue(fim.repositoryLevel());
        assertArrayEquals(new int[] {261, 262, 263}, fim.endTokens(), "llama.cpp ends generation on pad, repo, sep");
        assertEquals("", v.missing());
    }

    @Test
    void allTextFamiliesOfLlamaCpp() {
        List<List<String>> sets = List.of(List.of("<fim-prefix>", "<fim-suffix>", "<fim-middle>"),
                List.of("<fim_prefix>", "<fim_suffix>", "<fim_middle>"), List.of("<PRE>", "<SUF>", "<MID>"),
                List.of("▁<PRE>", "▁<SUF>", "▁<MID>"),
                List.of("<|code_prefix|>", "<|code_suffix|>", "<|code_middle|>"),
                List.of("<|prefix|>", "<|suffix|>", "<|middle|>"));
        for (List<String> set : sets) {
            FimVocab.Vocab v = FimVocab.write(dir, set.stream().map(s -> new FimVocab.Special(s, CONTROL)).toList(),
                    false);
            assertArrayEquals(new int[] {258, 259, 260}, v.fimTokens().ids(), set.toString());
        }
    }

    @Test
    void firstTextOfLlamaCppsListWins() {
        FimVocab.Vocab v = FimVocab.write(dir, specials("▁<PRE>", "<PRE>", "<SUF>", "<MID>", "[PAD]", "<|fim_pad|>"),
                false);
        assertEquals(259, v.fimTokens().pre(), "<PRE> comes before ▁<PRE> in llama.cpp's list");
        assertEquals(263, v.fimTokens().pad(), "<|fim_pad|> comes before [PAD]");
    }

    @Test
    void absentWithoutAllOfPrefixSuffixMiddle() {
        FimVocab.Vocab v = FimVocab.write(dir, specials("<|fim_prefix|>", "<|fim_suffix|>", "<|fim_pad|>",
                "<|file_sep|>"), false);
        assertEquals(Optional.empty(), v.fim());
        assertTrue(v.missing().startsWith("no FIM middle token (tokenizer.ggml.fim_mid_token_id"), v.missing());
        assertFalse(v.missing().contains("prefix"), v.missing());
    }

    @Test
    void metadataKeysTakePrecedence() {
        List<FimVocab.Special> s = new ArrayList<>(DEEPSEEK);
        s.addAll(specials("<A>", "<B>", "<C>", "<D>", "<E>", "<F>")); // 262..267
        FimVocab.Vocab v = FimVocab.write(dir, s, true, w -> w.putUInt32("tokenizer.ggml.fim_pre_token_id", 262)
                .putUInt32("tokenizer.ggml.fim_suf_token_id", 263).putUInt32("tokenizer.ggml.fim_mid_token_id", 264)
                .putUInt32("tokenizer.ggml.fim_pad_token_id", 265).putUInt32("tokenizer.ggml.fim_rep_token_id", 266)
                .putUInt32("tokenizer.ggml.fim_sep_token_id", 267));
        assertArrayEquals(new int[] {262, 263, 264, 265, 266, 267}, v.fimTokens().ids());
        assertTrue(v.fimTokens().description().contains("pre 262 '<A>' (tokenizer.ggml.fim_pre_token_id)"),
                v.fimTokens().description());
    }

    @Test
    void keysAndTextsCombine() {
        List<FimVocab.Special> s = new ArrayList<>(DEEPSEEK);
        s.addAll(specials("<A>"));
        FimVocab.Vocab v = FimVocab.write(dir, s, true, w -> w.putUInt32("tokenizer.ggml.fim_suf_token_id", 262));
        assertArrayEquals(new int[] {258, 262, 260}, v.fimTokens().ids());
    }

    /** llama.cpp reads the deprecated keys after the current ones in the same loop, so they win. */
    @Test
    void deprecatedKeysAreReadAndWin() {
        FimVocab.Vocab v = FimVocab.write(dir, specials("<A>", "<B>", "<C>", "<D>"), false,
                w -> w.putUInt32("tokenizer.ggml.fim_pre_token_id", 258)
                        .putUInt32("tokenizer.ggml.prefix_token_id", 259)
                        .putUInt32("tokenizer.ggml.suffix_token_id", 260)
                        .putUInt32("tokenizer.ggml.middle_token_id", 261));
        assertArrayEquals(new int[] {259, 260, 261}, v.fimTokens().ids());
    }

    @Test
    void idsOutsideTheVocabularyAreIgnored() {
        FimVocab.Vocab v = FimVocab.write(dir, DEEPSEEK, true, w -> w.putUInt32("tokenizer.ggml.fim_pre_token_id", 262)
                .putUInt32("tokenizer.ggml.fim_suf_token_id", 4_000_000_000L)
                .putInt32("tokenizer.ggml.fim_mid_token_id", -1)
                .putUInt32("tokenizer.ggml.fim_pad_token_id", 100_000));
        assertArrayEquals(new int[] {258, 259, 260}, v.fimTokens().ids(), "the texts fill in");

        FimVocab.Vocab none = FimVocab.write(dir, specials("<A>"), true,
                w -> w.putUInt32("tokenizer.ggml.fim_pre_token_id", 300)
                        .putUInt32("tokenizer.ggml.fim_suf_token_id", 258)
                        .putUInt32("tokenizer.ggml.fim_mid_token_id", 258));
        assertEquals(Optional.empty(), none.fim());
        assertTrue(none.missing().startsWith("no FIM prefix token"), none.missing());
    }

    @Test
    void aKeyOfTheWrongTypeIsAFormatError() {
        assertThrows(ModelFormatException.class, () -> FimVocab.write(dir, DEEPSEEK, true,
                w -> w.put("tokenizer.ggml.fim_pre_token_id", GgufValueType.STRING, "258")));
    }

    @Test
    void recordChecksItsIds() {
        assertThrows(IllegalArgumentException.class, () -> new FimTokens(1, -1, 3, -1, -1, -1, "x"));
        assertThrows(IllegalArgumentException.class, () -> new FimTokens(1, 2, 3, -2, -1, -1, "x"));
    }

    private static List<FimVocab.Special> specials(String... texts) {
        return java.util.Arrays.stream(texts).map(t -> new FimVocab.Special(t, USER_DEFINED)).toList();
    }
}
