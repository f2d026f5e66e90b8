package dev.moe4j.internal.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Our DeepSeek-V3 tokenizer, loaded both from the tokenizer.json and from llama.cpp's vocab-only GGUF, against the
 * reference implementation, HF {@code tokenizers} (Rust, through DJL's bundled native library), on a corpus of more
 * than 2,000 strings ({@link TokenizerCorpus}) and on a fresh sample of single code points in context. Ids must be
 * identical (special-token parsing on, no BOS: HF matches every added token by default, and the post-processor adds
 * nothing with addSpecialTokens = false); decode(encode(s)) must give s back, whole and streamed token by token.
 *
 * <p>The random part of the corpus is fresh on every run; the seed is in every failure message and can be fixed with
 * {@code -Dmoe4j.test.seed=...}.
 */
class HfReferenceTest {
    private static HuggingFaceTokenizer hf;
    private static long seed;

    @BeforeAll
    static void loadReference() throws IOException {
        seed = Long.getLong("moe4j.test.seed", System.nanoTime());
        hf = HuggingFaceTokenizer.newInstance(TokenizerFixtures.deepseekV3Json(),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
    }

    @AfterAll
    static void closeReference() {
        if (hf != null) {
            hf.close();
        }
    }

    @Test
    void corpusMatchesHfTokenizers() {
        List<String> corpus = TokenizerCorpus.build(new Random(seed), 2_000);
        assertTrue(corpus.size() >= 2_000, "corpus has only " + corpus.size() + " strings");
        List<long[]> expected = referenceIds(corpus);
        compare("tokenizer.json", TokenizerFixtures.deepseekV3FromJson(), corpus, expected);
        compare("GGUF", TokenizerFixtures.gguf("deepseek-v3"), corpus, expected);
    }

    /**
     * Every sampled code point (all planes, assigned or not, except surrogates and characters newer than Unicode 14,
     * see {@link TokenizerCorpus#ADDED_AFTER_UNICODE_14}) in a template that puts it next to letters, digits, spaces,
     * punctuation, itself and a line break, so that its category and whitespace property decide the split.
     */
    @Test
    void singleCodePointsInContextMatchHfTokenizers() {
        Random rnd = new Random(seed ^ 0x5DEECE66DL);
        List<String> inputs = new ArrayList<>();
        while (inputs.size() < 20_000) {
            int cp = rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(0x110000);
            if ((cp >= 0xD800 && cp <= 0xDFFF) || TokenizerCorpus.addedAfterUnicode14(cp)) {
                continue;
            }
            String c = Character.toString(cp);
            inputs.add("a" + c + "b " + c + c + "1" + c + " !" + c + "\n" + c + "'s " + c + "中");
        }
        List<long[]> expected = referenceIds(inputs);
        compare("tokenizer.json", TokenizerFixtures.deepseekV3FromJson(), inputs, expected);
        compare("GGUF", TokenizerFixtures.gguf("deepseek-v3"), inputs, expected);
    }

    private static List<long[]> referenceIds(List<String> inputs) {
        List<long[]> ids = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i += 512) {
            List<String> chunk = inputs.subList(i, Math.min(inputs.size(), i + 512));
            for (Encoding e : hf.batchEncode(chunk.toArray(new String[0]))) {
                ids.add(e.getIds());
            }
        }
        return ids;
    }

    private static void compare(String loader, Tokenizer tokenizer, List<String> inputs, List<long[]> expected) {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < inputs.size() && failures.size() < 20; i++) {
            String s = inputs.get(i);
            int[] got = tokenizer.encode(s, false, true);
            int[] want = Arrays.stream(expected.get(i)).mapToInt(Math::toIntExact).toArray();
            if (!Arrays.equals(want, got)) {
                failures.add("ids differ for " + LlamaCppVocabTest.escape(s) + "\n   HF   " + Arrays.toString(want)
                        + "\n   ours " + Arrays.toString(got));
                continue;
            }
            String decoded = tokenizer.decode(got);
            if (!decoded.equals(s)) {
                failures.add("decode(encode(s)) != s for " + LlamaCppVocabTest.escape(s) + ": "
                        + LlamaCppVocabTest.escape(decoded));
                continue;
            }
            String streamed = stream(tokenizer, got, s);
            if (!streamed.equals(s)) {
                failures.add("streamed decode != s for " + LlamaCppVocabTest.escape(s) + ": "
                        + LlamaCppVocabTest.escape(streamed));
            }
        }
        if (!failures.isEmpty()) {
            fail(loader + " (seed " + seed + "): " + failures.size() + " failures (first 20 shown) of "
                    + inputs.size() + ":\n" + String.join("\n", failures));
        }
    }

    /** Streams ids one at a time; every piece must be complete text (no replacement character for valid input). */
    private static String stream(Tokenizer tokenizer, int[] ids, String original) {
        StreamDecoder d = tokenizer.newStreamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String piece = d.push(id);
            if (piece.indexOf('\uFFFD') >= 0 && original.indexOf('\uFFFD') < 0) {
                return "replacement character emitted mid-stream after " + LlamaCppVocabTest.escape(sb.toString());
            }
            sb.append(piece);
        }
        return sb.append(d.flush()).toString();
    }
}
