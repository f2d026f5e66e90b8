package dev.moe4j.internal.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retyping USER_DEFINED tokens CONTROL, as llama.cpp does to DeepSeek-Coder's FIM tokens (USER_DEFINED in its GGUF).
 */
class TokenizerWithControlTokensTest {
    private static final int HOLE = 32015;
    private static final int BEGIN = 32016;

    @Test
    void retypedTokensNoLongerMatchPlainText() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-coder");
        assertEquals(TokenType.USER_DEFINED, t.tokenType(HOLE));
        String text = "a<｜fim▁hole｜>b";
        assertTrue(contains(t.encode(text, false, false), HOLE), "USER_DEFINED tokens match without parseSpecial");

        Tokenizer c = t.withControlTokens(HOLE, BEGIN);
        assertEquals(TokenType.CONTROL, c.tokenType(HOLE));
        assertEquals(TokenType.CONTROL, c.tokenType(BEGIN));
        int[] plain = c.encode(text, false, false);
        assertTrue(!contains(plain, HOLE), "a CONTROL token is plain text without parseSpecial");
        assertEquals(text, c.decode(plain));
        assertArrayEquals(t.encode(text, true, true), c.encode(text, true, true), "parseSpecial still finds it");
        assertEquals(TokenType.USER_DEFINED, t.tokenType(HOLE), "the original is unchanged");
        String other = "x<|User|>y"; // USER_DEFINED, not retyped
        assertArrayEquals(t.encode(other, false, false), c.encode(other, false, false));
    }

    /** llama.cpp's llama-tokenize on ggml-vocab-deepseek-coder.gguf with --no-parse-special gives these ids. */
    @Test
    void sameIdsAsLlamaCpp() {
        Tokenizer c = TokenizerFixtures.gguf("deepseek-coder").withControlTokens(32015, 32016, 32017);
        assertArrayEquals(new int[] {32013, 64, 27, 169, 121, 237, 69, 308, 11028, 210, 19496, 169, 121, 237, 29, 65,
                32019}, c.encode("a<｜fim▁hole｜>b<|User|>", true, false));
    }

    @Test
    void nothingToRetypeGivesTheSameTokenizer() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-coder");
        assertSame(t, t.withControlTokens());
        assertSame(t, t.withControlTokens(t.bosId(), 100), "CONTROL and NORMAL tokens keep their type");
    }

    @Test
    void idsOutsideTheVocabularyAreRefused() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-coder");
        assertThrows(IllegalArgumentException.class, () -> t.withControlTokens(-1));
        assertThrows(IllegalArgumentException.class, () -> t.withControlTokens(t.vocabSize()));
    }

    private static boolean contains(int[] ids, int id) {
        for (int x : ids) {
            if (x == id) {
                return true;
            }
        }
        return false;
    }
}
