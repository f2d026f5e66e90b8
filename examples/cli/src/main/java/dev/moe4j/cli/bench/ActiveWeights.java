package dev.moe4j.cli.bench;

import dev.moe4j.tooling.GgufReader;
import dev.moe4j.tooling.TensorInfo;

/**
 * The weight bytes a model reads per token when it decodes: the figure that bounds decode speed on a machine whose
 * memory bandwidth is the bottleneck ({@code tokens/s ≤ bandwidth / activeBytes}).
 *
 * <p>Counted: every tensor in full, except the routed experts ({@link TensorInfo#routedExperts()}), of which a token reads
 * {@code expertsUsed} of {@code expertCount} (so {@code bytes · used / count} per tensor), and the token embedding table,
 * of which a token reads one row — unless the model has no {@code output.weight} and projects its logits with the
 * embedding table, which is then read in full. Shared experts, routers, norms and attention count in full.
 *
 * @param total  bytes of all tensors
 * @param active bytes read per decoded token
 */
public record ActiveWeights(long total, long active) {
    /**
     * @param expertCount routed experts per MoE layer (0 for a dense model)
     * @param expertsUsed experts a token selects
     */
    public static ActiveWeights of(GgufReader file, int expertCount, int expertsUsed) {
        if (expertCount < 0 || expertsUsed < 0 || expertsUsed > expertCount) {
            throw new IllegalArgumentException("experts used " + expertsUsed + " of " + expertCount);
        }
        boolean tied = file.tensor("output.weight").isEmpty();
        long total = 0;
        long active = 0;
        for (TensorInfo t : file.tensors()) {
            long bytes = t.byteSize();
            total += bytes;
            if (t.name().equals("token_embd.weight")) {
                active += tied ? bytes : t.rowBytes();
            } else if (expertCount > 0 && t.routedExperts()) {
                active += Math.round((double) bytes * expertsUsed / expertCount);
            } else {
                active += bytes;
            }
        }
        return new ActiveWeights(total, active);
    }
}
