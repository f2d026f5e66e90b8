package dev.moe4j.internal.tokenizer;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SentencePiece tokenizer on Llama 2's vocabulary (llama.cpp's llama-spm file): BOS, the space prefix at the
 * start and after literal tokens, decoding (the prefix space dropped, byte tokens joined into characters, streaming),
 * and the unknown token when byte fallback is impossible. Ids not derived here come from llama.cpp's .out file for
 * this vocabulary ("Hello world" is 15043 3186, " " alone is 29871 before a byte token, 🦙 is 243 162 169 156).
 */
class SentencePieceTokenizerTest {
    private static final int BOS = 1;
    private static final int EOS = 2;
    private static final int HELLO = 15043; // "▁Hello"
    private static final int WORLD = 3186; // "▁world"

    private static Tokenizer llama2() {
        return TokenizerFixtures.gguf("llama-spm");
    }

    @Test
    void bosAndSpacePrefix() {
        Tokenizer t = llama2();
        assertEquals(Tokenizer.Kind.SENTENCEPIECE, t.kind());
        assertTrue(t.addsBos());
        assertFalse(t.addsEos());
        assertTrue(t.addsSpacePrefix());
        assertEquals("none", t.preTokenizer().name());
        assertArrayEquals(new int[] {BOS, HELLO, WORLD}, t.encode("Hello world", true, false));
        assertArrayEquals(new int[] {HELLO, WORLD}, t.encode("Hello world", false, false));
        assertArrayEquals(new int[] {BOS}, t.encode("", true, false), "empty text: BOS only, no prefix space");
        assertArrayEquals(new int[0], t.encode("", false, false));
    }

    @Test
    void literalTokensGetTheSpacePrefixAfterThem() {
        Tokenizer t = llama2();
        assertArrayEquals(new int[] {BOS, HELLO, WORLD}, t.encode("<s>Hello world", false, true));
        assertArrayEquals(new int[] {HELLO, EOS, WORLD}, t.encode("Hello</s>world", false, true),
                "the text after a literal token is prefixed like the start of the text");
        assertArrayEquals(new int[] {HELLO, WORLD, EOS}, t.encode("Hello world</s>", false, true));
        int[] plain = t.encode("<s>", false, false);
        assertFalse(Arrays.stream(plain).anyMatch(id -> id == BOS), "CONTROL text is plain text without parseSpecial");
        assertEquals("<s>", t.decode(plain));
    }

    @Test
    void decodeDropsOnlyThePrefixSpace() {
        Tokenizer t = llama2();
        assertEquals("<s> Hello world", t.decode(new int[] {BOS, HELLO, WORLD}), "BOS rendered: nothing dropped");
        assertEquals("Hello world", t.decode(new int[] {BOS, HELLO, WORLD}, true), "BOS skipped: prefix dropped");
        assertEquals("Hello Hello", t.decode(new int[] {HELLO, HELLO}));
        int[] spaced = t.encode(" Hello", false, false);
        assertArrayEquals(new int[] {29871, HELLO}, spaced);
        assertEquals(" Hello", t.decode(spaced), "one space dropped, the text's own space kept");
        assertEquals("Hello world", t.decode(new int[] {HELLO, WORLD, EOS}, true));
    }

    @Test
    void byteTokensFormCharactersWholeAndStreamed() {
        Tokenizer t = llama2();
        int[] ids = t.encode(" this is 🦙.cpp", false, false);
        int at = indexOf(ids, 243);
        assertTrue(at > 0, Arrays.toString(ids));
        assertArrayEquals(new int[] {243, 162, 169, 156}, Arrays.copyOfRange(ids, at, at + 4), "🦙 as byte tokens");
        for (int k = 0; k < 4; k++) {
            assertEquals(TokenType.BYTE, t.tokenType(ids[at + k]));
        }
        assertEquals(" this is 🦙.cpp", t.decode(ids));

        StreamDecoder d = t.newStreamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            String piece = d.push(ids[i]);
            if (i >= at && i < at + 3) {
                assertEquals("", piece, "incomplete character held back");
                assertTrue(d.hasPending());
            } else if (i == at + 3) {
                assertEquals("🦙", piece);
            }
            sb.append(piece);
        }
        sb.append(d.flush());
        assertEquals("  this is 🦙.cpp", sb.toString(), "the stream keeps the prefix space that decode drops");

        StreamDecoder cut = t.newStreamDecoder();
        assertEquals("", cut.push(243) + cut.push(162));
        assertEquals("\uFFFD", cut.flush(), "a character cut off at the end of the stream");
    }

    /** Without the prefix, the same vocabulary encodes " " + s exactly as it encodes s with the prefix. */
    @Test
    void spacePrefixIsExactlyOneLeadingSpace() throws IOException {
        Tokenizer withPrefix = llama2();
        Tokenizer without = spmFromFile(false, 0);
        assertFalse(without.addsSpacePrefix());
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<String> texts = new ArrayList<>(List.of("Hello", "  two", "\n", "a</s>b"));
        for (int i = 0; i < 200; i++) {
            texts.add(TokenizerCorpus.randomUnicode(rnd, 1 + rnd.nextInt(30)));
        }
        for (String s : texts) {
            for (boolean special : new boolean[] {false, true}) {
                if (special && s.contains("</s>")) {
                    continue; // after a literal token the prefix applies again: not one leading space
                }
                assertArrayEquals(withPrefix.encode(s, false, special), without.encode(" " + s, false, special),
                        () -> "seed " + seed + ": " + LlamaCppVocabTest.escape(s));
            }
            assertEquals(" " + s, without.decode(without.encode(" " + s, false, false)), "nothing dropped");
        }
    }

    @Test
    void unknownTokenWhenAByteTokenIsMissing() throws IOException {
        // Without <0xF0> (the lead byte of 🦙), 🦙 can no longer fall back to bytes.
        Tokenizer withUnk = withoutF0(0);
        int[] ids = withUnk.encode("🦙", false, false);
        assertArrayEquals(new int[] {29871, 0}, ids, "\"▁\" then <unk> for 🦙");
        assertEquals("<unk>", withUnk.decode(ids), "the prefix space dropped, UNKNOWN renders its text");
        assertEquals("", withUnk.decode(ids, true));
        assertArrayEquals(new int[] {29871}, withoutF0(-1).encode("🦙", false, false), "no UNK: dropped");
        assertArrayEquals(new int[] {HELLO}, withoutF0(-1).encode("Hello", false, false), "other text unaffected");
    }

    @Test
    void rejectsInconsistentVocabularies() {
        List<String> tokens = List.of("<unk>", "a");
        List<TokenType> types = List.of(TokenType.UNKNOWN, TokenType.NORMAL);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.create(
                new SentencePieceVocabulary("v", tokens, types, new float[1], -1, -1, 0, false, false, true)));
        assertTrue(e.getMessage().contains("2 tokens but 1 scores"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> Tokenizer.create(
                new SentencePieceVocabulary("v", tokens, types, new float[2], -1, -1, 2, false, false, true)));
        assertTrue(e.getMessage().contains("UNK token id 2 is outside the vocabulary [0, 2)"), e.getMessage());
        e = assertThrows(ModelFormatException.class, () -> Tokenizer.create(
                new SentencePieceVocabulary("v", tokens, types, new float[2], 5, -1, 0, false, false, true)));
        assertTrue(e.getMessage().contains("BOS token id 5 is outside the vocabulary [0, 2)"), e.getMessage());
    }

    /** Llama 2's vocabulary with token {@code <0xF0>} renamed and unused, and the given UNK id. */
    private static Tokenizer withoutF0(int unk) throws IOException {
        Data d = Data.read();
        List<String> tokens = new ArrayList<>(d.tokens);
        List<TokenType> types = new ArrayList<>(d.types);
        assertEquals("<0xF0>", tokens.get(3 + 0xF0));
        tokens.set(3 + 0xF0, "[removed byte]");
        types.set(3 + 0xF0, TokenType.UNUSED);
        return Tokenizer.create(new SentencePieceVocabulary("no-F0", tokens, types, d.scores, BOS, EOS, unk, true,
                false, true));
    }

    private static Tokenizer spmFromFile(boolean spacePrefix, int unk) throws IOException {
        Data d = Data.read();
        return Tokenizer.create(new SentencePieceVocabulary("llama-spm", d.tokens, d.types, d.scores, BOS, EOS, unk,
                true, false, spacePrefix));
    }

    private record Data(List<String> tokens, List<TokenType> types, float[] scores) {
        static Data read() throws IOException {
            try (GgufFile f = GgufFile.open(TokenizerFixtures.llamaCppVocab("llama-spm"))) {
                GgufMetadata md = f.metadata();
                List<TokenType> types = new ArrayList<>();
                for (int t : md.getIntArray("tokenizer.ggml.token_type")) {
                    types.add(TokenType.fromGguf(t));
                }
                return new Data(List.copyOf(md.getStringArray("tokenizer.ggml.tokens")), types,
                        md.getFloatArray("tokenizer.ggml.scores"));
            }
        }
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
