package dev.moe4j.internal.gpu;

import java.util.Objects;

/**
 * One thing the GPU planner may place: a tensor, one routed expert (its gate, up and down matrices together), one
 * layer's share of the KV cache, or the kernels' workspace.
 *
 * @param name   the tensor name, or a description ({@code blk.3 expert 17}, {@code blk.3 KV cache})
 * @param kind   what it is, which decides the planning order (see {@link PlacementPlanner})
 * @param layer  the block ({@code blk.N}) it belongs to, or -1 for model-wide items (embeddings, output, workspace)
 * @param expert the expert index for {@link Kind#ROUTED_EXPERT}, else -1
 * @param bytes  size in bytes, at least 0
 */
public record PlacementItem(String name, Kind kind, int layer, int expert, long bytes) {

    /** The kinds of items, in the order of their planning priority (see {@link PlacementPlanner}). */
    public enum Kind {
        /** Device scratch for activations: without it nothing can run on the GPU. */
        WORKSPACE,
        /** A weight of a block every token uses: norms, attention, router, dense FFN, shared experts. */
        LAYER_WEIGHT,
        /** One block's KV cache for the planned context length (one session). */
        KV_CACHE,
        /** {@code output_norm} and the output head. */
        OUTPUT,
        /** The token embedding table: each token reads one row of it, so it gains least from the GPU. */
        EMBEDDING,
        /** One routed expert of a MoE block. */
        ROUTED_EXPERT
    }

    public PlacementItem {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        if (bytes < 0) {
            throw new IllegalArgumentException(name + ": negative size " + bytes);
        }
        if ((kind == Kind.ROUTED_EXPERT) != (expert >= 0)) {
            throw new IllegalArgumentException(name + ": an expert index goes with ROUTED_EXPERT only, got " + kind
                    + " expert " + expert);
        }
        if ((kind == Kind.ROUTED_EXPERT || kind == Kind.LAYER_WEIGHT || kind == Kind.KV_CACHE) && layer < 0) {
            throw new IllegalArgumentException(name + ": a " + kind + " needs its layer");
        }
    }

    /** A routed expert of block {@code layer}. */
    public static PlacementItem expert(int layer, int expert, long bytes) {
        return new PlacementItem("blk." + layer + " expert " + expert, Kind.ROUTED_EXPERT, layer, expert, bytes);
    }

    /** Block {@code layer}'s KV cache. */
    public static PlacementItem kvCache(int layer, long bytes) {
        return new PlacementItem("blk." + layer + " KV cache", Kind.KV_CACHE, layer, -1, bytes);
    }
}
