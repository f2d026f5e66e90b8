package dev.moe4j.internal.model;

import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.RoutingListener;

import java.util.ArrayList;
import java.util.List;

/**
 * How a model's routed experts connect to the memory manager: where their bytes come from (an {@link ExpertStore}, or
 * the mapped file), who listens to routing, and which MoE layer predicts the next one's experts for prefetching. One
 * per model, handed to every {@link MoeFfn} at construction; MoE layers register in block order, which gives each its
 * index in the store's key space. The store and the listener are bound after loading (the store needs the loaded
 * model's layout) and before states compute; the parts never change.
 *
 * <p>Thread-safe: bound once, then read by every state.
 */
public final class ExpertWiring {
    private final List<MoeFfn> layers = new ArrayList<>();
    /** The layers in block order, fixed when the model is loaded; read without a lock on the hot path. */
    private volatile MoeFfn[] sealed;
    private volatile ExpertStore store;
    private volatile boolean prefetch;
    private volatile RoutingListener listener;

    /** Called by each MoE layer's constructor, in block order; returns its MoE index. */
    synchronized int register(MoeFfn layer) {
        if (sealed != null) {
            throw new IllegalStateException("the model is loaded: no more MoE layers");
        }
        layers.add(layer);
        return layers.size() - 1;
    }

    /** Ends registration: called once by the loader after the last block is built. */
    synchronized void seal() {
        sealed = layers.toArray(new MoeFfn[0]);
    }

    /**
     * Makes every MoE layer compute from {@code s}, prefetching the next layer's predicted experts when asked.
     *
     * @throws IllegalStateException if a store is already bound
     */
    synchronized void bindStore(ExpertStore s, boolean withPrefetch) {
        if (store != null) {
            throw new IllegalStateException("an expert store is already bound");
        }
        prefetch = withPrefetch;
        store = java.util.Objects.requireNonNull(s, "store");
    }

    /** Sets (or with null removes) the routing listener; call while no state computes. */
    void listen(RoutingListener l) {
        listener = l;
    }

    ExpertStore store() {
        return store;
    }

    RoutingListener listener() {
        return listener;
    }

    /** The MoE layer after {@code moeIndex} whose experts to prefetch, or null. */
    MoeFfn prefetchAfter(int moeIndex) {
        MoeFfn[] l = sealed;
        if (!prefetch || store == null || l == null) {
            return null;
        }
        return moeIndex + 1 < l.length ? l[moeIndex + 1] : null;
    }
}
