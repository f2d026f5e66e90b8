package dev.moe4j.internal.tokenizer;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SentencePieceModel} (heap + linked list) against a plain reference written the obvious way: a list of symbol
 * strings, one per code point; repeatedly scan all adjacent pairs, merge the pair whose concatenation is the token
 * with the highest score (leftmost on a tie), until no pair forms a token; then each symbol is its token or the
 * {@code <0xXX>} tokens of its bytes. Runs with Llama 2's real vocabulary (llama.cpp's llama-spm file) on fresh random
 * texts, and with a small synthetic vocabulary whose scores force ties, equal scores of opposite zero signs and
 * re-merges.
 */
class SentencePieceReferenceTest {
    private static List<String> tokens;
    private static float[] scores;
    private static Map<String, Integer> idOf;

    @BeforeAll
    static void load() throws IOException {
        try (GgufFile f = GgufFile.open(TokenizerFixtures.llamaCppVocab("llama-spm"))) {
            GgufMetadata md = f.metadata();
            tokens = List.copyOf(md.getStringArray("tokenizer.ggml.tokens"));
            scores = md.getFloatArray("tokenizer.ggml.scores");
        }
        idOf = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            idOf.putIfAbsent(tokens.get(i), i);
        }
    }

    /** The reference: quadratic, string-based, obviously following the rule. */
    static int[] referenceSpm(String escaped, Map<String, Integer> idOf, float[] scores) {
        List<String> symbols = new ArrayList<>();
        escaped.codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
        while (true) {
            int best = -1;
            float bestScore = 0;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer id = idOf.get(symbols.get(i) + symbols.get(i + 1));
                if (id != null && (best < 0 || scores[id] > bestScore)) {
                    best = i;
                    bestScore = scores[id];
                }
            }
            if (best < 0) {
                break;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
        List<Integer> out = new ArrayList<>();
        for (String s : symbols) {
            Integer id = idOf.get(s);
            if (id != null) {
                out.add(id);
            } else {
                for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                    out.add(idOf.get(String.format("<0x%02X>", b & 0xFF)));
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String escape(String text) {
        return "\u2581" + text.replace(' ', '\u2581');
    }

    @Test
    void matchesReferenceOnRandomTextsWithLlama2Vocabulary() {
        Tokenizer t = TokenizerFixtures.gguf("llama-spm");
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int i = 0; i < 400; i++) {
            String text = switch (i % 4) {
                case 0 -> TokenizerCorpus.randomUnicode(rnd, 1 + rnd.nextInt(60));
                case 1 -> "ab".repeat(rnd.nextInt(40)) + " ".repeat(rnd.nextInt(30)) + "a".repeat(rnd.nextInt(50));
                case 2 -> {
                    String s = TokenizerCorpus.HAND.get(rnd.nextInt(TokenizerCorpus.HAND.size()));
                    yield s.length() > 300 ? TokenizerCorpus.safeSubstring(s, 0, 300) : s;
                }
                default -> TokenizerCorpus.digits(rnd, 1 + rnd.nextInt(30)) + "  \n\n\t" + "的".repeat(rnd.nextInt(9));
            };
            if (text.isEmpty()) {
                continue;
            }
            int[] expected = referenceSpm(escape(text), idOf, scores);
            int[] got = t.encode(text, false, false);
            assertArrayEquals(expected, got, () -> "seed " + seed + ", text " + LlamaCppVocabTest.escape(text));
            // A "▁" in the text is SentencePiece's space mark, so it decodes as a space (as in SentencePiece and HF).
            assertEquals(text.replace('\u2581', ' '), t.decode(got),
                    () -> "seed " + seed + ", decode of " + LlamaCppVocabTest.escape(text));
        }
    }

    /** A synthetic vocabulary: scores force ties (leftmost wins), -0.0 equal to 0.0, and merges of merged symbols. */
    @Test
    void tiesGoLeftmostAndScoresDecide() {
        List<String> vocab = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "a", "b", "\u2581", "aa", "ab", "ba",
                "aaa", "bab", "aab", "\u2581a"));
        //            <unk> <s> </s> a  b  ▁  aa   ab     ba    aaa    bab  aab    ▁a
        float[] sc = {0, 0, 0, 0, 0, 0, -1f, -0.0f, 0.0f, -0.5f, -2f, -1.5f, -3f};
        for (int b = 0; b < 256; b++) {
            vocab.add(String.format("<0x%02X>", b));
        }
        sc = Arrays.copyOf(sc, vocab.size());
        List<TokenType> types = new ArrayList<>();
        for (int i = 0; i < vocab.size(); i++) {
            types.add(i == 0 ? TokenType.UNKNOWN : i < 3 ? TokenType.CONTROL : i >= 13 ? TokenType.BYTE
                    : TokenType.NORMAL);
        }
        Tokenizer t = Tokenizer.create(new SentencePieceVocabulary("synthetic", vocab, types, sc, 1, 2, 0, false,
                false, false));
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            ids.put(vocab.get(i), i);
        }
        // "aba": "ab" (-0.0) and "ba" (0.0) are equal scores, so the left pair merges.
        assertArrayEquals(new int[] {ids.get("ab"), ids.get("a")}, t.encode("aba", false, false));
        // "bab": the same tie the other way round: "ba" first, then "ba b" -> "bab".
        assertArrayEquals(new int[] {ids.get("bab")}, t.encode("bab", false, false));
        // "aaa": both "a a" pairs score -1; the left one merges first, then "aa a" -> "aaa".
        assertArrayEquals(new int[] {ids.get("aaa")}, t.encode("aaa", false, false));
        // "aaaa": "aa" "a" "a", then "aa a" (-0.5) beats "a a" (-1): a merged symbol merges again.
        assertArrayEquals(new int[] {ids.get("aaa"), ids.get("a")}, t.encode("aaaa", false, false));
        // "c" is not in the vocabulary: its byte token.
        assertArrayEquals(new int[] {ids.get("<0x63>")}, t.encode("c", false, false));
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(40); k >= 0; k--) {
                sb.append("ab c".charAt(rnd.nextInt(4)));
            }
            String s = sb.toString();
            int[] expected = referenceSpm(s.replace(' ', '\u2581'), ids, sc);
            assertArrayEquals(expected, t.encode(s, false, false), () -> "seed " + seed + ": \"" + s + "\"");
            assertEquals(s, t.decode(t.encode(s, false, false)), "no space prefix: nothing is stripped");
        }
    }

    @Test
    void longFragmentsStayFastAndExact() {
        Tokenizer t = TokenizerFixtures.gguf("llama-spm");
        // 200k characters in one fragment: quadratic merging would take minutes; the heap takes milliseconds.
        String s = "ab ".repeat(40_000) + "a".repeat(80_000);
        long t0 = System.nanoTime();
        int[] ids = t.encode(s, false, false);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(s, t.decode(ids));
        assertTrue(ms < 5_000, "took " + ms + " ms");
        String small = "ab ".repeat(300) + "a".repeat(700);
        assertArrayEquals(referenceSpm(escape(small), idOf, scores), t.encode(small, false, false));
    }
}
