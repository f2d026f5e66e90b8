package dev.moe4j.internal.generate;

import dev.moe4j.TokenEvent.Channel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The splitter against whole-text expectations that follow llama.cpp's deepseek-r1 parser (reasoning stripped on both
 * sides, whitespace after {@code </think>} consumed), and streaming == whole text for every way of cutting the input.
 */
class ReasoningSplitterTest {

    private record Split(String reasoning, String answer) {}

    private static Split whole(boolean enabled, boolean open, String text) {
        return collect(new ReasoningSplitter(enabled, open), List.of(text));
    }

    private static Split collect(ReasoningSplitter s, List<String> pieces) {
        StringBuilder r = new StringBuilder();
        StringBuilder a = new StringBuilder();
        List<ReasoningSplitter.Segment> all = new ArrayList<>();
        for (String p : pieces) {
            all.addAll(s.push(p));
        }
        all.addAll(s.finish());
        for (ReasoningSplitter.Segment seg : all) {
            (seg.channel() == Channel.REASONING ? r : a).append(seg.text());
        }
        return new Split(r.toString(), a.toString());
    }

    @Test
    void r1OutputWithThinkTag() {
        assertEquals(new Split("\"baran\" is a noun.", "A large pin"),
                whole(true, false, "<think>\n\"baran\" is a noun.\n</think>\n\nA large pin"));
    }

    @Test
    void promptOpenedTheReasoning() {
        assertEquals(new Split("Let me see.", "Four."), whole(true, true, "\nLet me see.\n</think>\n\nFour."));
        // never closed: everything is reasoning, trimmed
        assertEquals(new Split("still thinking", ""), whole(true, true, "  still thinking \n"));
    }

    @Test
    void noReasoning() {
        assertEquals(new Split("", " plain answer\n"), whole(true, false, " plain answer\n"));
        // a tag later in the text is answer text, as in llama.cpp
        assertEquals(new Split("", "a <think>b</think> c"), whole(true, false, "a <think>b</think> c"));
        // disabled: tags are kept as generated
        assertEquals(new Split("", "<think>x</think>y"), whole(false, false, "<think>x</think>y"));
        assertEquals(new Split("", "<th"), whole(true, false, "<th"));
    }

    /** GLM-4.5/4.6 answer the bare {@code <|assistant|>} generation prompt with a newline before {@code <think>}. */
    @Test
    void whitespaceBeforeTheOpeningTag() {
        assertEquals(new Split("Paris is the capital.", "Paris."),
                whole(true, false, "\n<think>Paris is the capital.</think>\nParis."));
        assertEquals(new Split("x", "y"), whole(true, false, " \t\n<think>\nx\n</think>y"));
        // whitespace that no tag follows is the answer's, as generated
        assertEquals(new Split("", "\n\nHello"), whole(true, false, "\n\nHello"));
        assertEquals(new Split("", "\n<thinker>"), whole(true, false, "\n<thinker>"));
        assertEquals(new Split("", "  \n"), whole(true, false, "  \n"));
    }

    @Test
    void emptyAndBlankReasoning() {
        assertEquals(new Split("", "Answer"), whole(true, false, "<think>\n\n</think>\n\nAnswer"));
        assertEquals(new Split("", "Answer  \n"), whole(true, false, "<think></think>Answer  \n"));
        assertEquals(new Split("", ""), whole(true, true, "\n \t"));
    }

    @Test
    void innerWhitespaceIsKept() {
        assertEquals(new Split("a \n b\t\tc", "x  y"), whole(true, true, "a \n b\t\tc \n</think> \n x  y"));
        // whitespace that turned out not to be trailing is released with what follows it
        assertEquals(new Split("a </thx", ""), whole(true, true, "a </thx"));
    }

    @Test
    void streamingEqualsWholeTextForEveryCut() {
        String[] texts = {
            "<think>\n\"baran\" is a noun. Synonyms: pin.\n</think>\n\nA large pin. \u00e9\uD83D\uDE00",
            "\nLet me </thin see </think> </think>\n\nFour.</think>",
            "<think> \n </think>",
            "<thinker>no",
            "\n<think>GLM style</think>\nAnswer",
            " \n <thi",
            "x",
        };
        Random random = new Random(5);
        for (String text : texts) {
            for (boolean open : new boolean[] {false, true}) {
                Split expected = whole(true, open, text);
                // every split into two pieces, then random splits into many small pieces
                for (int cut = 0; cut <= text.length(); cut++) {
                    List<String> pieces = List.of(text.substring(0, cut), text.substring(cut));
                    assertEquals(expected, collect(new ReasoningSplitter(true, open), pieces), text + " cut at " + cut);
                }
                for (int trial = 0; trial < 50; trial++) {
                    List<String> pieces = new ArrayList<>();
                    int at = 0;
                    while (at < text.length()) {
                        int len = Math.min(text.length() - at, 1 + random.nextInt(4));
                        pieces.add(text.substring(at, at + len));
                        at += len;
                    }
                    assertEquals(expected, collect(new ReasoningSplitter(true, open), pieces), text + " " + pieces);
                }
            }
        }
    }

    @Test
    void streamedSegmentsArriveAsSoonAsTheyAreDecided() {
        ReasoningSplitter s = new ReasoningSplitter(true, false);
        assertEquals(List.of(), s.push("<thi"));
        assertEquals(List.of(), s.push("nk>\n"));
        assertEquals(List.of(new ReasoningSplitter.Segment(Channel.REASONING, "step")), s.push("step \n</"));
        assertEquals(List.of(), s.push("think>\n"));
        assertEquals(List.of(new ReasoningSplitter.Segment(Channel.ANSWER, "Done")), s.push("\nDone"));
    }

    @Test
    void opensReasoningDetectsR1GenerationPrompts() {
        assertEquals(true, GenerationSpec.opensReasoning("<｜User｜>hi<｜Assistant｜><think>\n"));
        assertEquals(true, GenerationSpec.opensReasoning("<｜Assistant｜><think>"));
        assertEquals(false, GenerationSpec.opensReasoning("<｜Assistant｜>"));
        assertEquals(false, GenerationSpec.opensReasoning("<think>\n\n"));
        assertEquals(false, GenerationSpec.opensReasoning("<think>x</think>"));
    }

    /** DeepSeek-V3.2, V4 and Qwen3 with thinking off: the prompt closed the reasoning, all output is answer. */
    @Test
    void closesReasoningDetectsGenerationPromptsWithThinkingOff() {
        for (String closed : List.of("<｜User｜>hi<｜Assistant｜><think></think>", "<｜User｜>hi<｜Assistant｜></think>",
                "<|im_start|>assistant\n<think>\n\n</think>\n\n", "</think>")) {
            assertEquals(true, GenerationSpec.closesReasoning(closed), closed);
        }
        for (String open : List.of("<｜Assistant｜><think>", "<｜Assistant｜>", "</think>answer", "think>", "")) {
            assertEquals(false, GenerationSpec.closesReasoning(open), open);
        }
    }
}
