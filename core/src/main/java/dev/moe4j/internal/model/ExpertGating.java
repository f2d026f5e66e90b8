package dev.moe4j.internal.model;

/** How router logits become expert affinities (GGUF {@code <arch>.expert_gating_func}). */
public enum ExpertGating {
    /** Softmax over all experts (DeepSeek-V2, Qwen MoE, Mixtral): value 1, and the default when the key is absent. */
    SOFTMAX,
    /** Independent sigmoid per expert (DeepSeek-V3/R1): value 2. */
    SIGMOID,
    /**
     * gpt-oss: the experts are chosen on the raw logits and their weights are the softmax over the chosen ones
     * alone: value 3 (llama.cpp's {@code LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX_WEIGHT}).
     */
    SOFTMAX_WEIGHT,
    /** DeepSeek-V4: {@code sqrt(softplus(logit))} per expert: value 4 (softplus(x) = x above 20, as ggml). */
    SQRT_SOFTPLUS;

    /** @return the gating for a GGUF value, or null for a value moe4j does not implement */
    public static ExpertGating fromGguf(int value) {
        return switch (value) {
            case 0, 1 -> SOFTMAX;
            case 2 -> SIGMOID;
            case 3 -> SOFTMAX_WEIGHT;
            case 4 -> SQRT_SOFTPLUS;
            default -> null;
        };
    }
}
