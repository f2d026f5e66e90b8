package dev.moe4j.internal.generate;

import dev.moe4j.TokenEvent.Channel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * gpt-oss output (after the {@code <|start|>assistant} generation prompt) split as llama.cpp's gpt-oss parser splits
 * it: analysis bodies are reasoning, other bodies answer, headers and markers dropped; and streaming == whole text for
 * every way of cutting it.
 */
class HarmonySplitterTest {

    private record Split(String reasoning, String answer) {}

    private static Split whole(boolean enabled, String text) {
        return collect(new HarmonySplitter(enabled), List.of(text));
    }

    private static Split collect(HarmonySplitter s, List<String> pieces) {
        StringBuilder r = new StringBuilder();
        StringBuilder a = new StringBuilder();
        List<ReasoningSplitter.Segment> all = new ArrayList<>();
        for (String p : pieces) {
            all.addAll(s.push(p));
        }
        all.addAll(s.finish());
        for (ReasoningSplitter.Segment seg : all) {
            assertFalse(seg.text().isEmpty(), "no empty segments");
            (seg.channel() == Channel.REASONING ? r : a).append(seg.text());
        }
        return new Split(r.toString(), a.toString());
    }

    private static final String ANALYSIS_THEN_FINAL = "<|channel|>analysis<|message|>User asks 2+2. Answer 4.<|end|>"
            + "<|start|>assistant<|channel|>final<|message|>2 + 2 = **4**.";

    @Test
    void analysisIsReasoningAndFinalIsTheAnswer() {
        assertEquals(new Split("User asks 2+2. Answer 4.", "2 + 2 = **4**."), whole(true, ANALYSIS_THEN_FINAL));
    }

    @Test
    void bodiesAreKeptAsGenerated() {
        assertEquals(new Split("\n  think \n", " \nanswer\n"), whole(true,
                "<|channel|>analysis<|message|>\n  think \n<|end|><|start|>assistant<|channel|>final<|message|>"
                        + " \nanswer\n"));
    }

    @Test
    void finalWithoutAnalysis() {
        assertEquals(new Split("", "Hi!"), whole(true, "<|channel|>final<|message|>Hi!"));
    }

    @Test
    void toolCallAndPreambleAreAnswerText() {
        // a call ends generation with <|call|>, an end token the text never shows
        assertEquals(new Split("Need the weather.", "{\"city\":\"Oslo\"}"), whole(true,
                "<|channel|>analysis<|message|>Need the weather.<|end|>"
                        + "<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json"
                        + "<|message|>{\"city\":\"Oslo\"}"));
        assertEquals(new Split("", "Checking.Done."), whole(true, "<|channel|>commentary<|message|>Checking.<|end|>"
                + "<|start|>assistant<|channel|>final<|message|>Done."));
    }

    @Test
    void analysisCutOffByTheLengthLimit() {
        assertEquals(new Split("Still thinking <|en", ""), whole(true,
                "<|channel|>analysis<|message|>Still thinking <|en"));
        // a header cut off carries no text
        assertEquals(new Split("done", ""), whole(true,
                "<|channel|>analysis<|message|>done<|end|><|start|>assistant<|channel|>fin"));
    }

    @Test
    void outputThatIsNotHarmonyIsAnswerAsGenerated() {
        assertEquals(new Split("", "Hello <|channel|>x"), whole(true, "Hello <|channel|>x"));
        assertEquals(new Split("", "<|chanel|>x"), whole(true, "<|chanel|>x"));
        String longHeader = "<|channel|>" + "a".repeat(HarmonySplitter.MAX_HEADER) + "<|message|>x";
        assertEquals(new Split("", longHeader), whole(true, longHeader));
    }

    @Test
    void disabledKeepsEverything() {
        assertEquals(new Split("", ANALYSIS_THEN_FINAL), whole(false, ANALYSIS_THEN_FINAL));
    }

    @Test
    void inReasoningFollowsTheOpenBody() {
        HarmonySplitter s = new HarmonySplitter(true);
        s.push("<|channel|>analysis");
        assertFalse(s.inReasoning(), "the header is not reasoning yet");
        s.push("<|message|>a");
        assertTrue(s.inReasoning());
        s.push("<|end|><|start|>assistant<|channel|>final<|message|>b");
        assertFalse(s.inReasoning());
    }

    @Test
    void streamingEqualsWholeTextForEveryCut() {
        String[] texts = {
            ANALYSIS_THEN_FINAL + " \u00e9\uD83D\uDE00",
            "<|channel|>analysis<|message|>a <|en b <|end <|end|><|start|>assistant<|channel|>final<|message|>c<|end",
            "<|channel|>analysis<|message|>x<|end|>",
            "Plain text <|end|> stays.",
            "<|start|>assistant<|channel|>final<|message|>y",
            "<|chan",
        };
        Random random = new Random(11);
        for (String text : texts) {
            Split expected = whole(true, text);
            for (int cut = 0; cut <= text.length(); cut++) {
                List<String> pieces = List.of(text.substring(0, cut), text.substring(cut));
                assertEquals(expected, collect(new HarmonySplitter(true), pieces), text + " cut at " + cut);
            }
            for (int trial = 0; trial < 50; trial++) {
                List<String> pieces = new ArrayList<>();
                int at = 0;
                while (at < text.length()) {
                    int len = Math.min(text.length() - at, 1 + random.nextInt(5));
                    if (Character.isHighSurrogate(text.charAt(at + len - 1)) && at + len < text.length()) {
                        len++; // the decoder never splits a character
                    }
                    pieces.add(text.substring(at, at + len));
                    at += len;
                }
                assertEquals(expected, collect(new HarmonySplitter(true), pieces), text + " " + pieces);
            }
        }
    }
}
