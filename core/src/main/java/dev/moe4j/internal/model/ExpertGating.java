package dev.moe4j.internal.model;

/** How router logits become expert affinities (GGUF {@code <arch>.expert_gating_func}). */
enum ExpertGating {
    /** Softmax over all experts (DeepSeek-V2, Qwen MoE, Mixtral): value 1, and the default when the key is absent. */
    SOFTMAX,
    /** Independent sigmoid per expert (DeepSeek-V3/R1): value 2. */
    SIGMOID;

    /** @return the gating for a GGUF value, or null for a value moe4j does not implement */
    static ExpertGating fromGguf(int value) {
        return switch (value) {
            case 0, 1 -> SOFTMAX;
            case 2 -> SIGMOID;
            default -> null;
        };
    }
}
