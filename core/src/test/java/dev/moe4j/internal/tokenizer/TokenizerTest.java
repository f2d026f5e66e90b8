package dev.moe4j.internal.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Behaviour of the DeepSeek-V3 tokenizer that the reference comparisons do not pin down. */
class TokenizerTest {
    private static final String BOS = "<｜begin▁of▁sentence｜>";
    private static final String USER = "<｜User｜>";

    @Test
    void bosIsAddedOnlyWithAddSpecial() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        int[] plain = t.encode("Hello", false, false);
        int[] withBos = t.encode("Hello", true, false);
        assertEquals(plain.length + 1, withBos.length);
        assertEquals(0, withBos[0]);
        assertArrayEquals(plain, Arrays.copyOfRange(withBos, 1, withBos.length));
        assertArrayEquals(new int[] {0}, t.encode("", true, false));
        assertArrayEquals(new int[0], t.encode("", false, true));
    }

    /**
     * In the GGUF, every added token is CONTROL (the converter marks {@code <｜...｜>} tokens as control), so without
     * special-token parsing {@code <｜User｜>} is plain text; in tokenizer.json it is a non-special added token
     * (USER_DEFINED), which HF and we always match. With parsing on, both agree.
     */
    @Test
    void parseSpecialDecidesForControlTokens() {
        Tokenizer gguf = TokenizerFixtures.gguf("deepseek-v3");
        Tokenizer json = TokenizerFixtures.deepseekV3FromJson();
        String text = BOS + "Hi" + USER + "there";
        int[] on = gguf.encode(text, false, true);
        assertEquals(0, on[0]);
        assertTrue(Arrays.stream(on).anyMatch(id -> id == 128803));
        assertArrayEquals(on, json.encode(text, false, true));

        int[] ggufOff = gguf.encode(text, false, false);
        assertTrue(Arrays.stream(ggufOff).noneMatch(id -> id == 0 || id == 128803), Arrays.toString(ggufOff));
        assertEquals(text, gguf.decode(ggufOff), "plain-text encoding still round-trips");
        int[] jsonOff = json.encode(text, false, false);
        assertNotEquals(0, jsonOff[0], "BOS is special: plain text without parsing");
        assertTrue(Arrays.stream(jsonOff).anyMatch(id -> id == 128803), "User is a non-special added token in JSON");
        assertEquals(TokenType.CONTROL, gguf.tokenType(128803));
        assertEquals(TokenType.USER_DEFINED, json.tokenType(128803));
        assertEquals(128803, gguf.tokenId(USER).orElseThrow());
    }

    @Test
    void digitsAreGroupedInThrees() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        int[] ids = t.encode("1234567", false, false);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) {
            pieces.add(t.decode(new int[] {id}));
        }
        assertEquals(List.of("123", "456", "7"), pieces);
    }

    @Test
    void pathologicalInputsAreFastAndRoundTrip() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        List<String> inputs = List.of(" ".repeat(100_000), "a".repeat(100_000), "1".repeat(100_000),
                "\n".repeat(50_000), "😀".repeat(30_000), "!?".repeat(50_000), " \t".repeat(50_000) + "x",
                "<".repeat(50_000), BOS.repeat(5_000), "中".repeat(100_000));
        for (String s : inputs) {
            long t0 = System.nanoTime();
            int[] ids = t.encode(s, false, true);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(s, t.decode(ids));
            assertTrue(ms < 5_000, () -> "encoding " + s.length() + " chars of " + LlamaCppVocabTest.escape(
                    s.substring(0, 4)) + "... took " + ms + " ms");
        }
    }

    @Test
    void concurrentEncodingGivesTheSameResults() throws Exception {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        List<String> corpus = TokenizerCorpus.build(new Random(System.nanoTime()), 300);
        List<int[]> sequential = new ArrayList<>();
        for (String s : corpus) {
            sequential.add(t.encode(s, true, true));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int offset = w * 37;
                results.add(pool.submit(() -> {
                    for (int k = 0; k < corpus.size(); k++) {
                        int i = (k + offset) % corpus.size();
                        if (!Arrays.equals(sequential.get(i), t.encode(corpus.get(i), true, true))
                                || !(BOS + corpus.get(i)).equals(t.decode(sequential.get(i)))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get(), "a thread saw a different result");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void loneSurrogatesAreEncodedAsReplacementCharacter() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        assertArrayEquals(t.encode("a\uFFFDb", false, false), t.encode("a\uD800b", false, false));
        assertArrayEquals(t.encode("\uFFFD", false, false), t.encode("\uDC00", false, false));
    }
}
