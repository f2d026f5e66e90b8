package dev.moe4j.internal.tokenizer;

/**
 * Step 1 and 2 of encoding, after literal tokens have been cut out: turns one fragment of raw text into token ids.
 * The two kinds of vocabulary differ only here (and in how tokens decode): {@link ByteLevelEncoder} (GPT-2 style,
 * pre-tokenizer + merge ranks) and {@link SentencePieceEncoder} (Llama 2 / Mistral style, whole fragment + scores).
 * Implementations are immutable and thread-safe.
 */
sealed interface TextEncoder permits ByteLevelEncoder, SentencePieceEncoder {
    /**
     * Appends the ids of {@code text[from, to)} (non-empty) to {@code out}.
     *
     * @param afterLiteral the fragment starts the text or directly follows a literal (special or added) token
     */
    void encode(String text, int from, int to, boolean afterLiteral, IntList out);

    /** A short name for messages and {@code toString}, e.g. {@code "pre=deepseek-v3"}. */
    String describe();
}
