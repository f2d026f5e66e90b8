package dev.moe4j.internal.generate;

import java.util.List;

/**
 * Splits generated text, arriving piece by piece, into reasoning and answer, holding back what later text may still
 * assign to the other channel. The pieces a splitter returns, concatenated per channel, equal its whole-text result
 * however the text was cut. Implementations: {@link ReasoningSplitter} ({@code <think>…</think>}),
 * {@link HarmonySplitter} (gpt-oss channels). Not thread-safe.
 */
public interface OutputSplitter {
    /** Adds a piece; returns the runs of text now decided. */
    List<ReasoningSplitter.Segment> push(String text);

    /** Releases what was held back; call once at the end of generation. */
    List<ReasoningSplitter.Segment> finish();

    /** True while the text seen so far is inside reasoning (the channel of a token that showed no text yet). */
    boolean inReasoning();
}
