package dev.moe4j.internal.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Pre-tokenizers with no llama.cpp vocab file to test them against (Qwen3.5's), checked against HF {@code tokenizers}
 * running the regex as the model's tokenizer.json writes it (Oniguruma dialect, {@code (?i:...)} contractions; llama.cpp
 * quotes it beside its adapted copy). The reference is a tokenizer.json with a {@code Split} pre-tokenizer and a
 * WordLevel model that knows no word, so every piece becomes one unknown token whose span is the piece; the spans must
 * equal our pieces. Qwen2's regex runs through the same harness as a check of the harness (its ids already match
 * llama.cpp's file). Inputs: the shared corpus (fresh random part every run; the seed is in the message, fix it with
 * {@code -Dmoe4j.test.seed=...}) and a sample of code points in a context of letters, marks, digits and spaces, both
 * without characters newer than Unicode 14 (see {@link TokenizerCorpus#ADDED_AFTER_UNICODE_14}).
 */
class PreTokenizerHfReferenceTest {
    /** The regexes as the models' tokenizer.json files write them. */
    private static final Map<String, String> HF_REGEX = Map.of(
            "qwen35", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
            "qwen2", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
                    + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"qwen35", "qwen2"})
    void piecesMatchHfTokenizers(String name) throws IOException {
        long seed = Long.getLong("moe4j.test.seed", System.nanoTime());
        Random rnd = new Random(seed);
        List<String> inputs = new ArrayList<>();
        for (String s : TokenizerCorpus.build(rnd, 1_500)) {
            if (s.length() <= 2_000 && s.codePoints().noneMatch(TokenizerCorpus::addedAfterUnicode14)) {
                inputs.add(s);
            }
        }
        while (inputs.size() < 6_000) {
            int cp = rnd.nextInt(4) == 0 ? rnd.nextInt(0x10000) : rnd.nextInt(0x110000);
            if ((cp >= 0xD800 && cp <= 0xDFFF) || TokenizerCorpus.addedAfterUnicode14(cp)) {
                continue;
            }
            String c = Character.toString(cp);
            inputs.add("a" + c + "b " + c + c + "1" + c + " !" + c + "\n" + c + "'S " + c + "\u0301x\u0915\u094D");
        }
        PreTokenizer ours = PreTokenizer.named(name).orElseThrow();
        List<String> failures = new ArrayList<>();
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(referenceJson(HF_REGEX.get(name)),
                Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            for (int i = 0; i < inputs.size() && failures.size() < 20; i += 500) {
                List<String> chunk = inputs.subList(i, Math.min(inputs.size(), i + 500));
                Encoding[] encodings = hf.batchEncode(chunk.toArray(new String[0]));
                for (int k = 0; k < chunk.size(); k++) {
                    String s = chunk.get(k);
                    List<String> want = hfPieces(s, encodings[k].getCharTokenSpans());
                    List<String> got = pieces(ours, s);
                    if (!want.equals(got)) {
                        failures.add(LlamaCppVocabTest.escape(s) + "\n   HF   " + escaped(want) + "\n   ours "
                                + escaped(got));
                    }
                }
            }
        }
        assertTrue(inputs.size() >= 6_000);
        if (!failures.isEmpty()) {
            fail(name + " (seed " + seed + "): " + failures.size() + " inputs differ (first 20):\n"
                    + String.join("\n", failures));
        }
    }

    /** A tokenizer.json whose only work is the split: unknown-word model, no normalizer, no post-processing. */
    private Path referenceJson(String regex) throws IOException {
        String json = """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [], "normalizer": null,
                 "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "%s"}, "behavior": "Isolated",
                                   "invert": false},
                 "post_processor": null, "decoder": null,
                 "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}}
                """.formatted(regex.replace("\\", "\\\\").replace("\"", "\\\""));
        return Files.writeString(dir.resolve("split.json"), json);
    }

    /** HF's spans count code points; turn them into the pieces of {@code s}. */
    private static List<String> hfPieces(String s, CharSpan[] spans) {
        List<String> out = new ArrayList<>(spans.length);
        for (CharSpan span : spans) {
            out.add(s.substring(s.offsetByCodePoints(0, span.getStart()), s.offsetByCodePoints(0, span.getEnd())));
        }
        return out;
    }

    static List<String> pieces(PreTokenizer p, String text) {
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

    private static String escaped(List<String> pieces) {
        return pieces.stream().map(LlamaCppVocabTest::escape).toList().toString();
    }
}
