package dev.moe4j.internal.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The split rules themselves, on cases where the exact pieces are known by reading the regexes. */
class PreTokenizerTest {

    private static List<String> pieces(PreTokenizer p, String text) {
        IntList ends = new IntList(8);
        p.split(text, 0, text.length(), ends);
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int k = 0; k < ends.size(); k++) {
            out.add(text.substring(start, ends.get(k)));
            start = ends.get(k);
        }
        return out;
    }

    private static PreTokenizer v3() {
        return PreTokenizer.named("deepseek-v3").orElseThrow();
    }

    @Test
    void deepseekV3Pieces() {
        assertEquals(List.of("Hello", ",", " world", "!"), pieces(v3(), "Hello, world!"));
        assertEquals(List.of("123", "45", " ", "6"), pieces(v3(), "12345 6"));
        assertEquals(List.of("我想在", "apple", "工作", "131", "415", "1", "天", "～"),
                pieces(v3(), "我想在apple工作1314151天～"));
        assertEquals(List.of("'s", " it", "'S"), pieces(v3(), "'s it'S"), "punctuation + ASCII letters");
        assertEquals(List.of("  ", " Hello", "\n\n", "   ", " x"), pieces(v3(), "   Hello\n\n    x"),
                "the last space of a run goes with the word");
        assertEquals(List.of("a", "\r\n"), pieces(v3(), "a\r\n"));
        assertEquals(List.of("😀", " 👍🏽"), pieces(v3(), "😀 👍🏽"), "emoji are symbols: one code point each side");
    }

    /**
     * Each piece is matched as if it were a separate string: after "1" is split off, the spaces before it end their
     * piece, so {@code \s+(?!\S)} takes the whole run (it would leave one space if it could see the "1").
     */
    @Test
    void lookaheadDoesNotSeePastThePiece() {
        assertEquals(List.of("a", "  ", "1"), pieces(v3(), "a  1"));
    }

    @Test
    void emptyAndUnknown() {
        assertEquals(List.of(), pieces(v3(), ""));
        assertTrue(PreTokenizer.named("no-such").isEmpty());
        assertTrue(PreTokenizer.named("DeepSeek-V3").isPresent(), "names are case-insensitive");
        assertThrows(IllegalArgumentException.class, () -> PreTokenizer.ofRegexes("bad", List.of("[a-")));
        assertEquals(List.of("abc"), pieces(PreTokenizer.ofRegexes("none", List.of()), "abc"));
    }

    @Test
    void llamaCppDefaultRefinesGpt2() {
        PreTokenizer p = PreTokenizer.named("default").orElseThrow();
        assertEquals(List.of("Hello", ",", " world", "!", " ", "123", "45", " ", "$+", "a"),
                pieces(p, "Hello, world! 12345 $+a"));
    }

    @Test
    void gpt2Contractions() {
        PreTokenizer p = PreTokenizer.named("gpt-2").orElseThrow();
        assertEquals(List.of("I", "'ve", " been", " '", "told", " he", "'s", " there"),
                pieces(p, "I've been 'told he's there"));
    }

    @Test
    void deepseekLlmLettersAreCasedLettersOnly() {
        PreTokenizer p = PreTokenizer.named("deepseek-llm").orElseThrow();
        // U+1FD3 and U+212A are range ends in the letter class; a normalizing copy would have broken them.
        java.util.regex.Pattern letters = java.util.regex.Pattern.compile(PreTokenizer.DEEPSEEK_LLM.get(1),
                java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);
        assertTrue(letters.matcher(" \u1FD3\u212A\u1FD0\u2126").matches());
        assertFalse(letters.matcher("\u02B0").matches(), "a modifier letter (Lm) is not a cased letter");
        assertFalse(letters.matcher("\u1FD4").matches(), "just past the range U+1FD0-U+1FD3");
        assertEquals(List.of(" \u00E9\u0101"), pieces(p, " \u00E9\u0101"));
        // The third regex's ASCII range ":-~" covers the letters a-z too, and it runs after the letter regex, so
        // ASCII letters are cut away from non-ASCII ones.
        assertEquals(List.of("\u00E9", "k"), pieces(p, "\u00E9k"));
        assertEquals(List.of("ab", "  "), pieces(p, "ab  "), "\\s+ at the end of a piece");
    }
}
