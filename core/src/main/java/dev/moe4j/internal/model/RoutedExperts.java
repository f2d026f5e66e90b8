package dev.moe4j.internal.model;

import dev.moe4j.internal.offload.ExpertSpace;
import dev.moe4j.internal.offload.RoutingListener;

import java.util.Arrays;
import java.util.Optional;

/**
 * The routed experts of a loaded model as the memory manager ({@code dev.moe4j.internal.offload}) sees them: which
 * blocks have them, their key space, and the hooks that observe routing.
 */
public final class RoutedExperts {
    private RoutedExperts() {}

    /** The blocks of {@code model} that hold routed experts, ascending; empty for a dense model. */
    public static int[] moeLayers(LanguageModel model) {
        if (!(model instanceof MoeModel m)) {
            return new int[0];
        }
        int[] out = new int[m.blocks()];
        int n = 0;
        for (int l = 0; l < m.blocks(); l++) {
            if (m.moe(l) != null) {
                out[n++] = l;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** The keys of the model's routed experts (MoE layers × experts, k used), or empty for a dense model. */
    public static Optional<ExpertSpace> space(LanguageModel model) {
        int[] layers = moeLayers(model);
        if (layers.length == 0) {
            return Optional.empty();
        }
        ExpertRouter r = ((MoeModel) model).moe(layers[0]).routing;
        return Optional.of(new ExpertSpace(layers.length, r.experts(), r.used()));
    }

    /**
     * Sets (or with null removes) the listener that sees every token's routing in every MoE layer. Call it while no
     * inference state is computing; the listener must be thread-safe when several states run.
     */
    public static void setRoutingListener(LanguageModel model, RoutingListener listener) {
        if (model instanceof MoeModel m) {
            m.experts().listen(listener);
        }
    }
}
