package dev.moe4j;

import dev.moe4j.internal.generate.DecodingSession;
import dev.moe4j.internal.generate.GenerationLoop;

/**
 * One run of a request, between its prompt and its result: the prompt's tokens, the inference state it runs in, and
 * what happens to that state afterwards. {@link GenerationRun} drives it: {@link #open} once the model admits the run,
 * then exactly one of {@link #finish} (the loop ended; the state is consistent) or {@link #abort} (it never started,
 * failed or was dropped half-way). Used by one run at a time.
 */
interface Turn {
    /** The prompt as the model sees it. */
    int[] tokens();

    /** The prompt's text (rendered template or prompt string), to tell whether it opens reasoning. */
    String text();

    /**
     * The state to run in, holding a prefix of {@link #tokens()} (the part that need not be computed again).
     *
     * @param maxTokens the most tokens the run generates, so the state can be sized for prompt and output
     */
    DecodingSession open(int maxTokens);

    /** Tokens that end this run besides the model's end tokens (an infill's FIM end tokens); none by default. */
    default int[] extraEndTokens() {
        return new int[0];
    }

    /** Whether reasoning may be split from the output (not for code: an infill's output is all answer). */
    default boolean allowsReasoning() {
        return true;
    }

    /** The run ended with this outcome; its state holds the prompt and output up to its position. */
    void finish(GenerationLoop.Outcome outcome);

    /** The run did not end normally: forget what it left in its state. Idempotent; a no-op after finish. */
    void abort();

    /** Where a request's prompt comes from: makes a {@link Turn} per run. */
    interface Source {
        /**
         * Tokenizes (renders) the prompt on the calling thread.
         *
         * @param parseSpecial whether special-token text in a plain prompt string is recognised
         * @param maxTokens    the most tokens the run generates (an infill prompt leaves room for them)
         */
        Turn prepare(boolean parseSpecial, int maxTokens);
    }
}
