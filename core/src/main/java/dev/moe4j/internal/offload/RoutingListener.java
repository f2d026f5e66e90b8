package dev.moe4j.internal.offload;

/**
 * Sees which experts each token was routed to, as the MoE block computes it: the hook behind routing profiles and
 * routing traces. Called on the computing thread, once per token and MoE layer, tokens of a batch in order within a
 * layer; when several inference states run at once the calls come from several threads, so an implementation must be
 * thread-safe and quick.
 */
@FunctionalInterface
public interface RoutingListener {

    /**
     * @param layer    the model block ({@code blk.N})
     * @param position the token's position in its sequence
     * @param ids      the chosen expert ids at {@code ids[off .. off+k)}, in the router's order; valid only during the
     *                 call
     */
    void onRouted(int layer, int position, int[] ids, int off, int k);
}
