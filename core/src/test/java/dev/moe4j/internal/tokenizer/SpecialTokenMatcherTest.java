package dev.moe4j.internal.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The partition into literal tokens and text: llama.cpp's rule (longest candidate first, each splitting all unclaimed
 * fragments at its leftmost non-overlapping occurrences; CONTROL only with parseSpecial), checked on hand cases and
 * against a direct transcription of the rule that tries every candidate (the matcher only tries those it found).
 */
class SpecialTokenMatcherTest {

    private static SpecialTokenMatcher matcher(List<String> texts, List<TokenType> types) {
        return new SpecialTokenMatcher(texts, types.toArray(new TokenType[0]));
    }

    /** Renders a partition as e.g. {@code "a|[1]|cd"}. */
    private static String render(String text, List<SpecialTokenMatcher.Fragment> fragments) {
        List<String> parts = new ArrayList<>();
        for (SpecialTokenMatcher.Fragment f : fragments) {
            parts.add(f.isText() ? text.substring(f.start(), f.end()) : "[" + f.tokenId() + "]");
        }
        return String.join("|", parts);
    }

    @Test
    void longestCandidateWinsThenLeftmost() {
        SpecialTokenMatcher m = matcher(List.of("x", "ab", "bcd", "aa"),
                List.of(TokenType.NORMAL, TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL));
        assertEquals("a|[2]", render("abcd", m.partition("abcd", true)), "bcd is longer than ab, so it is cut first");
        assertEquals("[1]|[2]|e", render("abbcde", m.partition("abbcde", true)));
        assertEquals("[3]|a", render("aaa", m.partition("aaa", true)), "leftmost non-overlapping");
        assertEquals("[3]|[3]", render("aaaa", m.partition("aaaa", true)));
        assertEquals("abcd", render("abcd", m.partition("abcd", false)), "CONTROL needs parseSpecial");
        assertEquals("x", render("x", m.partition("x", true)), "NORMAL tokens are never candidates");
        assertEquals("", render("", m.partition("", true)));
    }

    @Test
    void userDefinedTokensMatchWithoutParseSpecial() {
        SpecialTokenMatcher m = matcher(List.of("<s>", "<u>", "ø"),
                List.of(TokenType.CONTROL, TokenType.USER_DEFINED, TokenType.USER_DEFINED));
        assertEquals("<s>|[1]|hi|[2]", render("<s><u>hiø", m.partition("<s><u>hiø", false)));
        assertEquals("[0]|[1]|hi|[2]", render("<s><u>hiø", m.partition("<s><u>hiø", true)));
    }

    @Test
    void longestMeansUtf8BytesAndTiesGoToTheLowerId() {
        SpecialTokenMatcher m = matcher(List.of("ééa", "abcd", "yz", "xy"),
                List.of(TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL));
        // "ééa" has 3 chars but 5 UTF-8 bytes, so it goes before the 4-byte "abcd" and claims the shared 'a'.
        assertEquals("[0]|bcd", render("ééabcd", m.partition("ééabcd", true)));
        // "yz" and "xy" are equally long; the lower id is tried first.
        assertEquals("x|[2]", render("xyz", m.partition("xyz", true)));
    }

    @Test
    void agreesWithTheRuleOnRandomInputs() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int round = 0; round < 300; round++) {
            int n = 1 + rnd.nextInt(8);
            List<String> texts = new ArrayList<>();
            List<TokenType> types = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                texts.add(randomWord(rnd, 1 + rnd.nextInt(4)));
                TokenType[] pool = {TokenType.NORMAL, TokenType.CONTROL, TokenType.USER_DEFINED, TokenType.UNKNOWN,
                        TokenType.UNUSED};
                types.add(pool[rnd.nextInt(pool.length)]);
            }
            SpecialTokenMatcher m = matcher(texts, types);
            for (int k = 0; k < 20; k++) {
                String text = randomWord(rnd, rnd.nextInt(30));
                boolean parseSpecial = rnd.nextBoolean();
                String got = render(text, m.partition(text, parseSpecial));
                String want = render(text, naive(texts, types, text, parseSpecial));
                assertEquals(want, got, "seed " + seed + ", tokens " + texts + " " + types + ", text " + text);
            }
        }
    }

    private static String randomWord(Random rnd, int len) {
        String[] alphabet = {"a", "b", "é", "😀"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            sb.append(alphabet[rnd.nextInt(alphabet.length)]);
        }
        return sb.toString();
    }

    /** llama.cpp's loop, transcribed: all candidates in order, no presence pre-check. */
    private static List<SpecialTokenMatcher.Fragment> naive(List<String> texts, List<TokenType> types, String text,
                                                           boolean parseSpecial) {
        List<Integer> ids = new ArrayList<>();
        for (int id = 0; id < texts.size(); id++) {
            TokenType t = types.get(id);
            boolean candidate = t == TokenType.USER_DEFINED
                    || (parseSpecial && (t == TokenType.CONTROL || t == TokenType.UNKNOWN));
            if (candidate) {
                ids.add(id);
            }
        }
        ids.sort(Comparator.<Integer>comparingInt(id -> -texts.get(id).getBytes(
                java.nio.charset.StandardCharsets.UTF_8).length).thenComparingInt(id -> id));
        List<SpecialTokenMatcher.Fragment> frags = new ArrayList<>(List.of(new SpecialTokenMatcher.Fragment(-1, 0,
                text.length())));
        for (int id : ids) {
            String tok = texts.get(id);
            List<SpecialTokenMatcher.Fragment> next = new ArrayList<>();
            for (SpecialTokenMatcher.Fragment f : frags) {
                if (!f.isText()) {
                    next.add(f);
                    continue;
                }
                String sub = text.substring(f.start(), f.end());
                int base = f.start();
                int pos = 0;
                int at;
                while ((at = sub.indexOf(tok, pos)) >= 0) {
                    if (at > pos) {
                        next.add(new SpecialTokenMatcher.Fragment(-1, base + pos, base + at));
                    }
                    next.add(new SpecialTokenMatcher.Fragment(id, base + at, base + at + tok.length()));
                    pos = at + tok.length();
                }
                if (pos < sub.length()) {
                    next.add(new SpecialTokenMatcher.Fragment(-1, base + pos, f.end()));
                }
            }
            frags = next;
        }
        return frags;
    }
}
