package dev.moe4j.internal.generate;

import dev.moe4j.FinishReason;
import dev.moe4j.internal.tokenizer.PreTokenizer;
import dev.moe4j.internal.tokenizer.StreamDecoder;
import dev.moe4j.internal.tokenizer.TokenType;
import dev.moe4j.internal.tokenizer.Tokenizer;
import dev.moe4j.internal.tokenizer.Vocabulary;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which reasoning format a vocabulary gets, the end tokens and shown markers that follow, and whole generations of
 * gpt-oss and GLM output through the real decoder and the generation loop, on small byte-level vocabularies whose
 * markers are control tokens as in those models' GGUF files.
 */
class ReasoningFormatTest {
    private static final List<String> HARMONY_SPECIALS = List.of("<|start|>", "<|end|>", "<|message|>",
            "<|channel|>", "<|constrain|>", "<|return|>", "<|call|>", "<|endoftext|>");
    private static final List<String> GLM_SPECIALS = List.of("<|endoftext|>", "<|user|>", "<|observation|>",
            "<|assistant|>", "<think>", "</think>");

    /** 256 byte tokens in GPT-2's byte-level alphabet, then {@code specials} as control tokens. */
    static Tokenizer byteLevel(List<String> specials) {
        List<String> tokens = new ArrayList<>();
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE;
            tokens.add(String.valueOf((char) (printable ? b : 256 + extra++)));
        }
        tokens.addAll(specials);
        List<TokenType> types = new ArrayList<>(Collections.nCopies(256, TokenType.NORMAL));
        types.addAll(Collections.nCopies(specials.size(), TokenType.CONTROL));
        return Tokenizer.create(new Vocabulary("synthetic", tokens, types, List.of(),
                PreTokenizer.ofRegexes("none", List.of()), -1, -1, false, false, false));
    }

    private static int id(Tokenizer t, String text) {
        return t.tokenId(text).orElseThrow();
    }

    @Test
    void harmonyNeedsAllItsMarkersAndEndTokens() {
        assertEquals(ReasoningFormat.HARMONY, ReasoningFormat.of(byteLevel(HARMONY_SPECIALS)));
        assertEquals(ReasoningFormat.THINK_TAGS, ReasoningFormat.of(byteLevel(GLM_SPECIALS)));
        List<String> noCall = new ArrayList<>(HARMONY_SPECIALS);
        noCall.remove("<|call|>");
        assertEquals(ReasoningFormat.THINK_TAGS, ReasoningFormat.of(byteLevel(noCall)));
    }

    @Test
    void harmonyEndsOnReturnAndCallButNotOnEnd() {
        Tokenizer t = byteLevel(HARMONY_SPECIALS);
        int[] fromFile = {id(t, "<|return|>"), id(t, "<|end|>")}; // a file that (wrongly) made <|end|> its EOT
        assertArrayEquals(new int[] {id(t, "<|return|>"), id(t, "<|call|>")},
                ReasoningFormat.HARMONY.endTokens(fromFile, t));
        Tokenizer glm = byteLevel(GLM_SPECIALS);
        int[] glmEnds = {id(glm, "<|endoftext|>"), id(glm, "<|user|>"), id(glm, "<|observation|>")};
        assertArrayEquals(glmEnds, ReasoningFormat.THINK_TAGS.endTokens(glmEnds, glm));
    }

    @Test
    void shownMarkersAreDecodedAsTextOtherControlTokensAreNot() {
        Tokenizer t = byteLevel(HARMONY_SPECIALS);
        StreamDecoder d = t.newStreamDecoderShowing(ReasoningFormat.HARMONY.shownTokens(t));
        StringBuilder out = new StringBuilder();
        for (int token : t.encode("<|channel|>final<|message|>Hi<|return|><|endoftext|>", false, true)) {
            out.append(d.push(token));
        }
        assertEquals("<|channel|>final<|message|>Hi", out.toString());
    }

    private static GenerationLoop.Outcome generate(Tokenizer t, ReasoningFormat format, int[] endTokens, String output,
                                             String endToken) {
        return generate(t, format, endTokens, t.encode("Q", false, false), "Q", output, endToken);
    }

    /**
     * Generates {@code output} then {@code endToken} after a prompt (its ids and text) through the real decoder and
     * the generation loop, splitting reasoning as {@code GenerationRun} decides from the prompt text.
     */
    static GenerationLoop.Outcome generate(Tokenizer t, ReasoningFormat format, int[] endTokens, int[] prompt,
                                           String promptText, String output, String endToken) {
        int[] script = t.encode(output + endToken, false, true);
        FakeModel.Session session = FakeModel.scriptedOver(t.vocabSize(), prompt.length, 1000, script);
        StreamDecoder d = t.newStreamDecoderShowing(format.shownTokens(t));
        PieceDecoder decoder = new PieceDecoder() {
            @Override
            public String push(int tokenId) {
                return d.push(tokenId);
            }

            @Override
            public String flush() {
                return d.flush();
            }
        };
        boolean parse = !GenerationSpec.closesReasoning(promptText);
        GenerationSpec spec = new GenerationSpec(prompt, SamplingParams.greedy(), 1, 1000, List.of(), endTokens,
                false, parse, parse && GenerationSpec.opensReasoning(promptText), format, null);
        return new GenerationLoop(session, decoder, spec).run(e -> { });
    }

    @Test
    void gptOssGenerationIsSplitAndStopsAtReturn() {
        Tokenizer t = byteLevel(HARMONY_SPECIALS);
        ReasoningFormat f = ReasoningFormat.of(t);
        int[] ends = f.endTokens(new int[] {id(t, "<|return|>")}, t);
        GenerationLoop.Outcome r = generate(t, f, ends, "<|channel|>analysis<|message|>2+2 is 4.<|end|>"
                + "<|start|>assistant<|channel|>final<|message|>It is 4.", "<|return|>");
        assertEquals(FinishReason.STOP, r.finishReason(), "not ended by <|end|>, ended by <|return|>");
        assertEquals("2+2 is 4.", r.reasoning());
        assertEquals("It is 4.", r.text());
        assertEquals(id(t, "<|end|>"), r.tokenIds()[t.encode("<|channel|>analysis<|message|>2+2 is 4.", false, true)
                .length], "<|end|> was generated and passed");
        r = generate(t, f, ends, "<|channel|>commentary to=functions.now <|constrain|>json<|message|>{}", "<|call|>");
        assertEquals(FinishReason.STOP, r.finishReason(), "a tool call ends generation");
        assertEquals("{}", r.text());
    }

    @Test
    void glmGenerationWithControlThinkTagsIsSplitAndStopsAtObservation() {
        Tokenizer t = byteLevel(GLM_SPECIALS);
        ReasoningFormat f = ReasoningFormat.of(t);
        int[] ends = {id(t, "<|endoftext|>"), id(t, "<|user|>"), id(t, "<|observation|>")};
        GenerationLoop.Outcome r = generate(t, f, ends, "\n<think>Paris is the capital.</think>\nParis.", "<|user|>");
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals("Paris is the capital.", r.reasoning());
        assertEquals("Paris.", r.text());
        r = generate(t, f, ends, "\n<think>Need a tool.</think>\n<tool_call>now\n</tool_call>", "<|observation|>");
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals("<tool_call>now\n</tool_call>", r.text());
        assertEquals(0, Arrays.stream(r.tokenIds()).filter(x -> x == id(t, "<|observation|>")).count());
    }
}
