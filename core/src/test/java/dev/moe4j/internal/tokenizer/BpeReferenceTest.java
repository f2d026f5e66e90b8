package dev.moe4j.internal.tokenizer;

import dev.moe4j.internal.json.JsonParser;
import dev.moe4j.internal.json.JsonValues;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link BpeModel} (heap + linked list) against a plain reference written the obvious way: a list of symbol strings;
 * repeatedly scan all adjacent pairs, merge the one with the lowest rank (leftmost on a tie), until none has a rule.
 * Runs with DeepSeek-V3's real merges on fresh random byte strings (whole texts as one piece, so pieces are long and
 * varied), and with small synthetic rule sets that force ties and re-merges.
 */
class BpeReferenceTest {
    private static Map<String, Integer> ranks;
    private static Map<String, Integer> vocab;
    private static Tokenizer wholeText;

    @BeforeAll
    static void load() {
        String src = "tokenizer.json";
        Map<String, Object> root = JsonValues.object(JsonParser.parse(TokenizerFixtures.deepseekV3Json()), "$", src);
        Map<String, Object> model = JsonValues.object(root.get("model"), "$.model", src);
        ranks = new HashMap<>();
        List<Object> merges = JsonValues.array(model.get("merges"), "$.model.merges", src);
        List<Vocabulary.MergeRule> rules = new ArrayList<>();
        for (int i = 0; i < merges.size(); i++) {
            String m = (String) merges.get(i);
            ranks.putIfAbsent(m, i);
            rules.add(Vocabulary.MergeRule.parse(m));
        }
        vocab = new HashMap<>();
        Map<String, Object> v = JsonValues.object(model.get("vocab"), "$.model.vocab", src);
        String[] tokens = new String[v.size()];
        v.forEach((k, id) -> {
            vocab.put(k, ((Long) id).intValue());
            tokens[((Long) id).intValue()] = k;
        });
        // The same vocabulary and merges, no pre-tokenizer and no special tokens: encode() is BPE on the whole text.
        wholeText = Tokenizer.create(new Vocabulary("v3-no-pre", Arrays.asList(tokens),
                Collections.nCopies(tokens.length, TokenType.NORMAL), rules,
                PreTokenizer.ofRegexes("none", List.of()), -1, -1, false, false, false));
    }

    /** The reference: quadratic, string-based, obviously following the rule. */
    static List<String> referenceBpe(String alphabetText, Map<String, Integer> rankOf) {
        List<String> symbols = new ArrayList<>();
        alphabetText.codePoints().forEach(cp -> symbols.add(Character.toString(cp)));
        while (true) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = rankOf.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) {
                return symbols;
            }
            symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
        }
    }

    @Test
    void matchesReferenceOnRandomTextsWithRealMerges() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int i = 0; i < 400; i++) {
            String text = switch (i % 4) {
                case 0 -> TokenizerCorpus.randomUnicode(rnd, 1 + rnd.nextInt(60));
                case 1 -> "ab".repeat(rnd.nextInt(40)) + " ".repeat(rnd.nextInt(30)) + "a".repeat(rnd.nextInt(50));
                case 2 -> {
                    String s = TokenizerCorpus.HAND.get(rnd.nextInt(TokenizerCorpus.HAND.size()));
                    yield s.length() > 300 ? s.substring(0, 300) : s;
                }
                default -> TokenizerCorpus.digits(rnd, 1 + rnd.nextInt(30)) + "  \n\n\t" + "的".repeat(rnd.nextInt(9));
            };
            List<String> symbols = referenceBpe(ByteLevel.encode(text), ranks);
            int[] expected = symbols.stream().mapToInt(vocab::get).toArray();
            assertArrayEquals(expected, wholeText.encode(text, false, false),
                    () -> "seed " + seed + ", text " + LlamaCppVocabTest.escape(text));
        }
    }

    /** A synthetic alphabet where ranks force ties and merges of merged symbols. */
    @Test
    void tiesGoLeftmostAndRanksDecide() {
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
        }
        tokens.addAll(List.of("aa", "ab", "aaa", "ba", "bab", "aab"));
        List<Vocabulary.MergeRule> rules = List.of(
                new Vocabulary.MergeRule("a", "a"),     // 0
                new Vocabulary.MergeRule("b", "a"),     // 1
                new Vocabulary.MergeRule("a", "b"),     // 2
                new Vocabulary.MergeRule("aa", "a"),    // 3
                new Vocabulary.MergeRule("ba", "b"),    // 4
                new Vocabulary.MergeRule("aa", "b"));   // 5
        Tokenizer t = Tokenizer.create(new Vocabulary("synthetic", tokens,
                Collections.nCopies(tokens.size(), TokenType.NORMAL), rules, PreTokenizer.ofRegexes("none",
                List.of()), -1, -1, false, false, false));
        Map<String, Integer> rankOf = new HashMap<>();
        for (int i = 0; i < rules.size(); i++) {
            rankOf.put(rules.get(i).left() + " " + rules.get(i).right(), i);
        }
        Map<String, Integer> idOf = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            idOf.put(tokens.get(i), i);
        }
        // "aaa": the tie between the two "a a" pairs goes left: "aa" + "a", then "aa a" -> "aaa".
        assertArrayEquals(new int[] {idOf.get("aaa")}, t.encode("aaa", false, false));
        // "aaaa": "aa" "aa" (left tie first, then the remaining pair), no rule "aa aa".
        assertArrayEquals(new int[] {idOf.get("aa"), idOf.get("aa")}, t.encode("aaaa", false, false));
        // "bab": "b a" (rank 1) beats "a b" (rank 2), then "ba b" -> "bab".
        assertArrayEquals(new int[] {idOf.get("bab")}, t.encode("bab", false, false));
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = rnd.nextInt(40); k >= 0; k--) {
                sb.append("ab ".charAt(rnd.nextInt(3)));
            }
            String s = sb.toString();
            int[] expected = referenceBpe(ByteLevel.encode(s), rankOf).stream().mapToInt(idOf::get).toArray();
            assertArrayEquals(expected, t.encode(s, false, false), () -> "seed " + seed + ": \"" + s + "\"");
        }
    }

    @Test
    void longPiecesStayFastAndExact() {
        // 200k bytes in one piece: quadratic merging would take minutes; the heap takes milliseconds.
        String s = "ab".repeat(50_000) + "a".repeat(100_000);
        long t0 = System.nanoTime();
        int[] ids = wholeText.encode(s, false, false);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(s, wholeText.decode(ids));
        assertTrue(ms < 5_000, "took " + ms + " ms");
        // Exactness on the same shape, at a length the quadratic reference can still do.
        String small = "ab".repeat(500) + "a".repeat(1000);
        int[] expected = referenceBpe(ByteLevel.encode(small), ranks).stream().mapToInt(vocab::get).toArray();
        assertArrayEquals(expected, wholeText.encode(small, false, false));
    }
}
