package dev.moe4j.internal.generate;

import dev.moe4j.internal.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * How a model writes its reasoning apart from its answer, which decides how generated text is split, which special
 * tokens the decoder must show as text for that, and which tokens end generation. Told apart by the vocabulary, since
 * the format is what the model was trained to write, whatever template renders the prompt.
 */
public enum ReasoningFormat {
    /**
     * {@code <think>…</think>} before the answer: DeepSeek-R1, Qwen3, GLM-4.5/4.6/4.7. The tags are shown as text even
     * where the vocabulary makes them control tokens, so that the splitter sees them.
     */
    THINK_TAGS(List.of(ReasoningSplitter.OPEN, ReasoningSplitter.CLOSE), List.of(), List.of()),
    /**
     * gpt-oss's harmony channels. As in llama.cpp: the message markers are shown as text (the splitter reads them),
     * {@code <|return|>} (final answer) and {@code <|call|>} (tool call) end generation, and {@code <|end|>}, which
     * only closes the analysis message before the final one, does not.
     */
    HARMONY(List.of(HarmonySplitter.START, HarmonySplitter.END, HarmonySplitter.MESSAGE, HarmonySplitter.CHANNEL,
            "<|constrain|>"), List.of("<|return|>", "<|call|>"), List.of(HarmonySplitter.END));

    private final List<String> shownMarkers;
    private final List<String> endMarkers;
    private final List<String> notEndMarkers;

    ReasoningFormat(List<String> shownMarkers, List<String> endMarkers, List<String> notEndMarkers) {
        this.shownMarkers = shownMarkers;
        this.endMarkers = endMarkers;
        this.notEndMarkers = notEndMarkers;
    }

    /**
     * HARMONY when the vocabulary has all of harmony's message markers and both of its end tokens (o200k_harmony, as
     * llama.cpp decides), otherwise THINK_TAGS (which changes nothing for a model that never writes the tags).
     */
    public static ReasoningFormat of(Tokenizer tokenizer) {
        boolean harmony = HARMONY.shownMarkers.stream().allMatch(m -> tokenizer.tokenId(m).isPresent())
                && HARMONY.endMarkers.stream().allMatch(m -> tokenizer.tokenId(m).isPresent());
        return harmony ? HARMONY : THINK_TAGS;
    }

    /** Ids of the tokens the decoder shows as text even when they are control tokens. */
    public int[] shownTokens(Tokenizer tokenizer) {
        return ids(tokenizer, shownMarkers).toArray();
    }

    /** {@code endTokens} (from the file's metadata) with this format's end tokens added and its non-ends removed. */
    public int[] endTokens(int[] endTokens, Tokenizer tokenizer) {
        int[] remove = ids(tokenizer, notEndMarkers).toArray();
        return IntStream.concat(Arrays.stream(endTokens), ids(tokenizer, endMarkers))
                .filter(id -> Arrays.stream(remove).noneMatch(r -> r == id)).distinct().toArray();
    }

    /** A splitter for one generation. */
    public OutputSplitter splitter(boolean enabled, boolean startsInReasoning) {
        return this == HARMONY ? new HarmonySplitter(enabled) : new ReasoningSplitter(enabled, startsInReasoning);
    }

    private static IntStream ids(Tokenizer tokenizer, List<String> texts) {
        return texts.stream().map(tokenizer::tokenId).filter(OptionalInt::isPresent).mapToInt(OptionalInt::getAsInt);
    }
}
