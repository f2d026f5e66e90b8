package dev.moe4j.internal.generate;

import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Everything one run of the {@link GenerationLoop} needs besides the model.
 *
 * @param promptTokens      the full prompt; tokens already in the session's state must be a prefix of it
 * @param sampling          how to pick tokens
 * @param seed              seed of the sampler's random generator
 * @param maxTokens         the most tokens to generate (the context may end it sooner)
 * @param stops             stop strings (may be empty)
 * @param endTokens         ids that end generation (EOS, end of turn) unless {@code ignoreEos}
 * @param ignoreEos         keep generating through end tokens
 * @param parseReasoning    split {@code <think>} reasoning from the answer (false where the prompt
 *                          {@linkplain #closesReasoning closed it})
 * @param startsInReasoning the prompt already opened {@code <think>}
 * @param reasoningFormat   how the model writes reasoning (decides the splitter)
 * @param cancelRequested   polled before every token and between prompt chunks; may be null
 * @param deadlineNanos     {@link System#nanoTime()} at which the generation ends with
 *                          {@link dev.moe4j.FinishReason#TIMED_OUT}, checked where cancellation is, or
 *                          {@link #NO_DEADLINE}
 */
public record GenerationSpec(int[] promptTokens, SamplingParams sampling, long seed, int maxTokens, List<String> stops,
                             int[] endTokens, boolean ignoreEos, boolean parseReasoning, boolean startsInReasoning,
                             ReasoningFormat reasoningFormat, BooleanSupplier cancelRequested, long deadlineNanos) {
    /** {@link #deadlineNanos} of a generation without a deadline. */
    public static final long NO_DEADLINE = Long.MIN_VALUE;

    /** Without a deadline. */
    public GenerationSpec(int[] promptTokens, SamplingParams sampling, long seed, int maxTokens, List<String> stops,
                          int[] endTokens, boolean ignoreEos, boolean parseReasoning, boolean startsInReasoning,
                          ReasoningFormat reasoningFormat, BooleanSupplier cancelRequested) {
        this(promptTokens, sampling, seed, maxTokens, stops, endTokens, ignoreEos, parseReasoning, startsInReasoning,
                reasoningFormat, cancelRequested, NO_DEADLINE);
    }

    /** Whether the deadline, if any, has passed. */
    public boolean pastDeadline() {
        return deadlineNanos != NO_DEADLINE && System.nanoTime() - deadlineNanos >= 0;
    }

    /** A spec for a model that writes {@code <think>} reasoning (or none). */
    public GenerationSpec(int[] promptTokens, SamplingParams sampling, long seed, int maxTokens, List<String> stops,
                          int[] endTokens, boolean ignoreEos, boolean parseReasoning, boolean startsInReasoning,
                          BooleanSupplier cancelRequested) {
        this(promptTokens, sampling, seed, maxTokens, stops, endTokens, ignoreEos, parseReasoning, startsInReasoning,
                ReasoningFormat.THINK_TAGS, cancelRequested);
    }

    public GenerationSpec {
        Objects.requireNonNull(promptTokens, "promptTokens");
        Objects.requireNonNull(reasoningFormat, "reasoningFormat");
        Objects.requireNonNull(sampling, "sampling");
        stops = List.copyOf(stops);
        endTokens = endTokens.clone();
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens: nothing to generate from");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, got " + maxTokens);
        }
    }

    /** True when the prompt text ends with {@code <think>} and optionally one newline: R1's generation prompt. */
    public static boolean opensReasoning(String renderedPrompt) {
        String s = renderedPrompt.endsWith("\r\n") ? renderedPrompt.substring(0, renderedPrompt.length() - 2)
                : renderedPrompt.endsWith("\n") ? renderedPrompt.substring(0, renderedPrompt.length() - 1)
                : renderedPrompt;
        return s.endsWith(ReasoningSplitter.OPEN);
    }

    /**
     * True when the prompt text ends with {@code </think>} and optionally whitespace: a generation prompt with thinking
     * off (DeepSeek-V3.2's {@code <think></think>}, DeepSeek-V4's bare {@code </think>}, Qwen3's
     * {@code <think>\n\n</think>\n\n}), or reasoning the caller wrote. The reasoning is over before the output
     * starts, so all of the output is answer, as generated (as llama.cpp parses DeepSeek-V3.2/V4 with thinking off).
     */
    public static boolean closesReasoning(String renderedPrompt) {
        int end = renderedPrompt.length();
        while (end > 0 && ReasoningSplitter.isSpace(renderedPrompt.charAt(end - 1))) {
            end--;
        }
        return renderedPrompt.startsWith(ReasoningSplitter.CLOSE, end - ReasoningSplitter.CLOSE.length());
    }
}
