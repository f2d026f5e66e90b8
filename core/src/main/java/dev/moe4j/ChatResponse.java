package dev.moe4j;

import java.util.Objects;

/**
 * The model's reply to one chat turn.
 *
 * @param answer       the answer text (reasoning removed, cut before a stop string)
 * @param reasoning    the text inside {@code <think>…</think>}, whitespace-trimmed (gpt-oss: its analysis channel as
 *                     written); empty when the model did not reason
 * @param finishReason why the reply ended
 * @param stats        counts and timings; {@link GenerationStats#promptTokensReused()} tells how much of the
 *                     conversation was already in the session's KV cache
 */
public record ChatResponse(String answer, String reasoning, FinishReason finishReason, GenerationStats stats) {
    public ChatResponse {
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(reasoning, "reasoning");
        Objects.requireNonNull(finishReason, "finishReason");
        Objects.requireNonNull(stats, "stats");
    }
}
