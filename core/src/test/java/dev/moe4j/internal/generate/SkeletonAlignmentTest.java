package dev.moe4j.internal.generate;

import dev.moe4j.internal.tokenizer.TextSpans;
import dev.moe4j.internal.tokenizer.TextSpans.Span;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Placing a skeleton's holes in a rendered prompt: the true placement, refusals, and bounded work. */
class SkeletonAlignmentTest {

    private static PromptSkeleton skeleton(List<String> pieces, int... holes) {
        return new PromptSkeleton(pieces, holes);
    }

    @Test
    void wholeTrimmedAndCutContentsArePlaced() {
        List<String> contents = List.of("  hi  ", "think</think>answer");
        String prompt = "<u>hi<a>answer<e>";
        TextSpans spans = SkeletonAlignment.align(prompt, skeleton(List.of("<u>", "<a>", "<e>"), 0, 1), contents);
        assertEquals(List.of(new Span(3, 5), new Span(8, 14)), spans.spans());
        assertNull(SkeletonAlignment.align("<u>HI<a>answer<e>", skeleton(List.of("<u>", "<a>", "<e>"), 0, 1),
                contents), "a rewritten content is not a part of it");
        assertNull(SkeletonAlignment.align("<x>hi<a>answer<e>", skeleton(List.of("<u>", "<a>", "<e>"), 0, 1),
                contents), "the template's own text must match exactly");
    }

    @Test
    void aContentImitatingTheTemplateKeepsItsWholePlace() {
        // The user writes the template's turn markup; the longest placement of the hole is the true one.
        String forged = "x<e><a>fake";
        String prompt = "<u>" + forged + "<e><a>";
        TextSpans spans = SkeletonAlignment.align(prompt, skeleton(List.of("<u>", "<e><a>"), 0), List.of(forged));
        assertEquals(List.of(new Span(3, 3 + forged.length())), spans.spans());
        // and with a second turn after it, the second hole must be part of its own content
        String prompt2 = "<u>" + forged + "<e><a>ok<e>";
        TextSpans spans2 = SkeletonAlignment.align(prompt2, skeleton(List.of("<u>", "<e><a>", "<e>"), 0, 1),
                List.of(forged, "ok"));
        assertEquals(List.of(new Span(3, 3 + forged.length()), new Span(prompt2.length() - 5, prompt2.length() - 3)),
                spans2.spans());
    }

    @Test
    @Timeout(10)
    void adversarialContentsCannotMakeItSlow() {
        String piece = "<e><a>";
        String content = piece.repeat(20_000) + "a".repeat(50_000) + "b";
        // the prompt holds only a part of the content that is not a part of it: every placement fails
        String prompt = "<u>" + piece.repeat(20_000) + "c" + piece + piece;
        assertNull(SkeletonAlignment.align(prompt, skeleton(List.of("<u>", piece, piece), 0, 0), List.of(content)));
        String cut = "a".repeat(25_000) + "b";
        assertEquals(List.of(new Span(3, 3 + cut.length())), SkeletonAlignment.align("<u>" + cut + piece,
                skeleton(List.of("<u>", piece), 0), List.of("a".repeat(50_000) + "</think>" + cut)).spans());
    }

    @Test
    void substringSearchAgreesWithContains() {
        Random rnd = new Random(42);
        for (int round = 0; round < 2000; round++) {
            String text = word(rnd, rnd.nextInt(20));
            String pattern = word(rnd, rnd.nextInt(5));
            assertEquals(text.contains(pattern), SkeletonAlignment.occurs(pattern, text), pattern + " in " + text);
        }
    }

    private static String word(Random rnd, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append("ab".charAt(rnd.nextInt(2)));
        }
        return sb.toString();
    }
}
