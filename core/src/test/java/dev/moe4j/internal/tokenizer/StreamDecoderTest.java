package dev.moe4j.internal.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Incremental UTF-8 decoding and the streaming decoder on DeepSeek-V3's vocabulary. */
class StreamDecoderTest {

    /**
     * Our lossy decoding must equal the JDK's, which follows the same "maximal subpart" replacement practice, except
     * for one case: the JDK replaces a whole encoded surrogate (ED A0..BF xx) by one U+FFFD, where the Unicode practice
     * (and Rust's {@code from_utf8_lossy}, which HF tokenizers uses) gives one per byte. Random inputs avoid that
     * case; {@link #encodedSurrogateGivesOneReplacementPerByte} pins our behaviour for it.
     */
    @Test
    void accumulatorMatchesJdkOnRandomBytesInRandomChunks() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        for (int round = 0; round < 3000; round++) {
            byte[] bytes;
            if (round % 2 == 0) {
                bytes = new byte[rnd.nextInt(40)];
                rnd.nextBytes(bytes);
                for (int i = 0; i < bytes.length; i++) { // bias towards bytes that form sequences
                    if (rnd.nextInt(3) == 0) {
                        bytes[i] = (byte) (0x80 + rnd.nextInt(0x40));
                    }
                }
            } else {
                bytes = TokenizerCorpus.randomUnicode(rnd, 1 + rnd.nextInt(20)).getBytes(StandardCharsets.UTF_8);
            }
            for (int i = 0; i + 1 < bytes.length; i++) {
                if (bytes[i] == (byte) 0xED && (bytes[i + 1] & 0xFF) >= 0xA0 && (bytes[i + 1] & 0xFF) <= 0xBF) {
                    bytes[i + 1] = (byte) 0x9F;
                }
            }
            Utf8Accumulator acc = new Utf8Accumulator();
            StringBuilder out = new StringBuilder();
            int i = 0;
            while (i < bytes.length) {
                int n = 1 + rnd.nextInt(4);
                int end = Math.min(bytes.length, i + n);
                acc.append(bytes, i, end, out);
                i = end;
            }
            acc.finish(out);
            String want = new String(bytes, StandardCharsets.UTF_8);
            byte[] shown = bytes;
            assertEquals(want, out.toString(), () -> "seed " + seed + ", bytes " + java.util.HexFormat.of()
                    .formatHex(shown));
        }
    }

    @Test
    void encodedSurrogateGivesOneReplacementPerByte() {
        Utf8Accumulator acc = new Utf8Accumulator();
        StringBuilder out = new StringBuilder();
        byte[] b = {'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80, 'b', (byte) 0xE0, (byte) 0x80, (byte) 0xF4,
                (byte) 0x90, (byte) 0xC2};
        acc.append(b, 0, b.length, out);
        assertEquals("a\uFFFD\uFFFD\uFFFDb\uFFFD\uFFFD\uFFFD\uFFFD", out.toString(), "C2 still pending");
        acc.finish(out);
        assertEquals("a\uFFFD\uFFFD\uFFFDb\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD", out.toString());
    }

    @Test
    void emojiSplitAcrossTokensComesOutWhole() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        String text = "a😶‍🌫️b 🦙";
        int[] ids = t.encode(text, false, false);
        StreamDecoder d = t.newStreamDecoder();
        StringBuilder sb = new StringBuilder();
        int withheld = 0;
        for (int id : ids) {
            String piece = d.push(id);
            assertFalse(piece.contains("\uFFFD"), "no replacement characters for valid text");
            if (d.hasPending()) {
                withheld++;
            }
            sb.append(piece);
        }
        assertTrue(withheld > 0, "the emoji's bytes span tokens, so some pushes must hold bytes back");
        assertFalse(d.hasPending());
        assertEquals("", d.flush());
        assertEquals(text, sb.toString());
    }

    @Test
    void incompleteTailBecomesReplacementOnFlush() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        int[] ids = t.encode("😀", false, false);
        assertTrue(ids.length >= 2, "😀 is split over several byte-level tokens in this vocabulary");
        StreamDecoder d = t.newStreamDecoder();
        assertEquals("", d.push(ids[0]));
        assertTrue(d.hasPending());
        assertEquals("\uFFFD", d.flush());
        assertEquals("ok", d.push(t.encode("ok", false, false)[0]) + d.flush(), "usable after flush");
        assertEquals("\uFFFD", t.decode(new int[] {ids[0]}));
    }

    @Test
    void specialTokensRenderOrSkip() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        int[] ids = t.encode("<｜begin▁of▁sentence｜>Hi<｜User｜>x", false, true);
        assertEquals(0, ids[0]);
        StreamDecoder all = t.newStreamDecoder();
        StreamDecoder text = t.newStreamDecoder(true);
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            a.append(all.push(id));
            b.append(text.push(id));
        }
        assertEquals("<｜begin▁of▁sentence｜>Hi<｜User｜>x", a.toString());
        assertEquals("Hix", b.toString(), "CONTROL tokens skipped (User is CONTROL in the GGUF)");
        assertEquals("Hix", t.decode(ids, true));
    }

    @Test
    void invalidIdIsRejectedAndLeavesTheStreamIntact() {
        Tokenizer t = TokenizerFixtures.gguf("deepseek-v3");
        StreamDecoder d = t.newStreamDecoder();
        int[] ids = t.encode("é", false, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.push(t.vocabSize()));
        assertTrue(e.getMessage().contains("token id 129280 is outside the vocabulary [0, 129280)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> d.push(-1));
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(d.push(id));
        }
        assertEquals("é", sb.append(d.flush()).toString());
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {1, 200_000}));
        assertEquals("", t.decode(new int[] {129279}), "UNUSED ids decode to nothing");
    }
}
