package dev.moe4j.internal.offload;

import dev.moe4j.RoutingProfile;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Counts routing decisions per (MoE layer, expert) as they happen, from any number of threads (atomic counters), and
 * turns them into a {@link RoutingProfile}.
 */
public final class RoutingCounts implements RoutingListener {
    private final int blocks;
    private final int[] moeLayers;
    private final int[] indexOfLayer; // block → MoE index, or -1
    private final ExpertSpace space;
    private final AtomicLongArray counts;
    private final AtomicLongArray tokens;
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();

    /**
     * @param blocks    blocks of the model
     * @param moeLayers its MoE blocks, ascending
     */
    public RoutingCounts(int blocks, int[] moeLayers, int experts, int used) {
        this.blocks = blocks;
        this.moeLayers = moeLayers.clone();
        this.space = new ExpertSpace(moeLayers.length, experts, used);
        this.indexOfLayer = new int[blocks];
        java.util.Arrays.fill(indexOfLayer, -1);
        for (int i = 0; i < moeLayers.length; i++) {
            indexOfLayer[moeLayers[i]] = i;
        }
        this.counts = new AtomicLongArray(space.size());
        this.tokens = new AtomicLongArray(moeLayers.length);
    }

    @Override
    public void onRouted(int layer, int position, int[] ids, int off, int k) {
        int l = indexOfLayer[layer];
        if (l < 0) {
            throw new IllegalArgumentException("block " + layer + " is not a MoE layer");
        }
        if (k != space.used()) {
            throw new IllegalArgumentException(k + " experts routed, the model uses " + space.used());
        }
        // shared: many tokens count at once; a snapshot excludes them all, so it never sees half a token
        gate.readLock().lock();
        try {
            tokens.incrementAndGet(l);
            for (int j = 0; j < k; j++) {
                counts.incrementAndGet(space.key(l, ids[off + j]));
            }
        } finally {
            gate.readLock().unlock();
        }
    }

    /** The counts so far (whole tokens only; routing waits while the snapshot is copied). */
    public RoutingProfile snapshot() {
        long[] t = new long[moeLayers.length];
        long[][] c = new long[moeLayers.length][space.experts()];
        gate.writeLock().lock();
        try {
            for (int l = 0; l < moeLayers.length; l++) {
                t[l] = tokens.get(l);
                for (int e = 0; e < space.experts(); e++) {
                    c[l][e] = counts.get(space.key(l, e));
                }
            }
        } finally {
            gate.writeLock().unlock();
        }
        return dev.moe4j.internal.ApiValues.get().routingProfile(blocks, space.experts(), space.used(), moeLayers, t, c);
    }
}
