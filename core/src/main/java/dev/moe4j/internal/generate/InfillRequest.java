package dev.moe4j.internal.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * What an infill asks for, in the terms of llama-server's {@code /infill} request, which {@link InfillPrompt} turns
 * into prompt tokens. All text is the user's: it is encoded as plain text, never as special tokens.
 *
 * @param prefix the code before the hole ({@code input_prefix}); its tail is kept when it is too long
 * @param suffix the code after the hole ({@code input_suffix}); its head is kept when it is too long
 * @param middle text the middle already begins with ({@code prompt}), often empty; llama.cpp writes its tokens right
 *               after the prefix (see {@link InfillPrompt}), never cuts them, and shortens the suffix for them
 * @param chunks extra context, such as other files of the project ({@code input_extra}), oldest first: what does not
 *               fit is cut from the front
 * @param spm    suffix-prefix-middle order (llama-server's {@code --spm-infill}) instead of prefix-suffix-middle
 * @param budget how many tokens each part may take
 * @throws IllegalArgumentException if a text, the chunk list, a chunk or the budget is null
 */
public record InfillRequest(String prefix, String suffix, String middle, List<Chunk> chunks, boolean spm,
                            Budget budget) {

    public InfillRequest {
        requireText(prefix, "prefix");
        requireText(suffix, "suffix");
        requireText(middle, "middle");
        if (chunks == null) {
            throw new IllegalArgumentException("chunks is null (use an empty list for no extra context)");
        }
        List<Chunk> copy = new ArrayList<>(chunks.size());
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            if (c == null) {
                throw new IllegalArgumentException("chunks[" + i + "] is null");
            }
            copy.add(c);
        }
        chunks = List.copyOf(copy);
        if (budget == null) {
            throw new IllegalArgumentException("budget is null");
        }
    }

    /** A prefix-suffix-middle request without middle text or extra context. */
    public static InfillRequest of(String prefix, String suffix, Budget budget) {
        return new InfillRequest(prefix, suffix, "", List.of(), false, budget);
    }

    private static void requireText(String text, String what) {
        if (text == null) {
            throw new IllegalArgumentException(what + " is null (use \"\" for none)");
        }
    }

    /**
     * One piece of extra context ({@code input_extra}'s {@code {"filename", "text"}}).
     *
     * @param filename its file name; null gives llama-server's default {@code tmp}. Used only by models with a file
     *                 separator token ({@link FimTokens#sep()}); the others get a plain snippet separator
     * @param text     its content
     * @throws IllegalArgumentException if text is null
     */
    public record Chunk(String filename, String text) {
        /** llama-server's name for a chunk without one. */
        public static final String DEFAULT_FILENAME = "tmp";

        public Chunk {
            filename = filename == null ? DEFAULT_FILENAME : filename;
            requireText(text, "chunk text");
        }
    }

    /**
     * How many tokens the parts may take, derived as llama-server derives them: the prefix keeps its last
     * {@code 3 * (batchSize / 4)} tokens, the suffix its first {@code batchSize / 4 - 2 - m} (m the middle's token
     * count, at least 0), and the extra context its last {@code contextLength - batchSize - 2 * maxPredict} (at least
     * 0), so prefix and suffix fit in one batch and the rest of the context holds extra context and the answer.
     *
     * @param batchSize     llama.cpp's {@code n_batch}, at least 1
     * @param contextLength the context of the session ({@code n_ctx}), at least 1
     * @param maxPredict    the server's {@code n_predict}, at least -1; -1 (no limit, llama-server's default) leaves
     *                      the extra context {@code contextLength - batchSize + 2} tokens, as in llama.cpp
     * @throws IllegalArgumentException if a value is out of range
     */
    public record Budget(int batchSize, int contextLength, int maxPredict) {
        /** llama-server's default {@code n_batch}. */
        public static final int DEFAULT_BATCH = 2048;

        public Budget {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
            }
            if (contextLength < 1) {
                throw new IllegalArgumentException("contextLength must be at least 1, got " + contextLength);
            }
            if (maxPredict < -1) {
                throw new IllegalArgumentException("maxPredict must be -1 (no limit) or more, got " + maxPredict);
            }
        }

        /** llama-server's defaults for a context: batch {@value #DEFAULT_BATCH}, no prediction limit. */
        public static Budget forContext(int contextLength) {
            return new Budget(DEFAULT_BATCH, contextLength, -1);
        }

        /** Tokens of the prefix kept (its tail). */
        int prefixTokens() {
            return 3 * (batchSize / 4);
        }

        /** Tokens of the suffix kept (its head), when the middle text has {@code middleTokens}. */
        int suffixTokens(int middleTokens) {
            return (int) Math.max(0L, batchSize / 4 - (2L + middleTokens));
        }

        /** Tokens of extra context kept (its tail). */
        int extraTokens() {
            return (int) Math.clamp((long) contextLength - batchSize - 2L * maxPredict, 0L, Integer.MAX_VALUE);
        }
    }
}
