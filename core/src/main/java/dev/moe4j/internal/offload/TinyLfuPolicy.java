package dev.moe4j.internal.offload;

import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/**
 * A frequency-aware expert cache in the manner of TinyLFU: every use is counted in a {@link CountMinSketch} that is
 * halved periodically (aging), and an expert read on a miss is admitted only if it is worth more than the residents it
 * would displace; otherwise it is used once and dropped, so one-off experts cannot flush a hot working set.
 *
 * <p><b>Plain mode</b> ({@code tinylfu}) evicts the least recently used resident and admits a candidate whose count
 * beats the victim's.
 *
 * <p><b>Layer-aware mode</b> ({@code layered}) evicts the resident expected to be needed last, Belady's rule with an
 * estimated future. A token visits the MoE layers in a fixed cycle, so an expert of layer {@code l} cannot be used
 * before the cycle reaches {@code l} again ({@code dist}: 1..L layer steps from the layer being computed); at each
 * visit of its layer it is used with a probability {@code p}, so its next use is expected
 * {@code dist + L·(1/p − 1)} layer steps away. {@code p} comes from a {@link ReuseTable} learned online from the trace
 * itself, by recency (visits since its last use) and frequency (the aged sketch count), so the policy weighs recency
 * where routing repeats from token to token and frequency where it is skewed but not repetitive. Admission compares
 * the same estimate. The layer term matters when the budget is below one cycle's working set: LRU then evicts the
 * experts of the layers about to run.
 *
 * <p><b>Pinning.</b> Keys given as pinned (the hottest experts of a routing profile) are admitted whenever offered and
 * never evicted; they count towards the capacity. Prefetched experts skip the admission test (their use is predicted,
 * not past) but still choose their victims by the rules above.
 */
public final class TinyLfuPolicy implements CachePolicy {
    /** Pseudo-tokens of prior belief that every expert has the average probability {@code used/experts}. */
    private static final double PRIOR_TOKENS = 4;

    private final ExpertSpace space;
    private final long capacity;
    private final boolean layerAware;
    private final CountMinSketch sketch;
    private final double[] layerTokens; // tokens counted per layer since the last halvings (halved with the sketch)
    private final long agingPeriod;     // accesses between halvings
    private long sinceAging;
    private final KeyList order;        // resident, not pinned: recency order
    private final boolean[] isPinned;
    private final boolean[] residentPinned;
    private final int[] pinned;
    private final long[] bytes;
    private final boolean[] picked;     // victims picked by the current offer
    private final int[] victims;
    private long resident;
    private int pinnedCount;
    private int now = -1;               // MoE layer of the latest access
    // layer-aware mode: visits of each layer, each key's latest visit, and the learned reuse table
    private final long[] visits;
    private final long[] lastUse;       // visit of the key's layer that last used it, or -1
    private final ReuseTable reuse;

    /**
     * @param pinned keys to keep for good, hottest first (may be empty)
     */
    public TinyLfuPolicy(ExpertSpace space, long capacityBytes, boolean layerAware, int[] pinned) {
        this(space, capacityBytes, layerAware, pinned, Math.max(128, 16 * space.experts() / space.used()));
    }

    /**
     * @param windowTokens tokens between two halvings of the counts: the memory of the frequency estimate
     */
    public TinyLfuPolicy(ExpertSpace space, long capacityBytes, boolean layerAware, int[] pinned, int windowTokens) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacity must be >= 0, got " + capacityBytes);
        }
        if (windowTokens < 1) {
            throw new IllegalArgumentException("windowTokens must be >= 1, got " + windowTokens);
        }
        this.space = space;
        this.capacity = capacityBytes;
        this.layerAware = layerAware;
        this.sketch = new CountMinSketch(2 * space.size());
        this.layerTokens = new double[space.layers()];
        this.agingPeriod = (long) windowTokens * space.used() * space.layers();
        this.order = new KeyList(space.size());
        this.isPinned = new boolean[space.size()];
        this.residentPinned = new boolean[space.size()];
        this.bytes = new long[space.size()];
        this.picked = new boolean[space.size()];
        this.victims = new int[space.size()];
        this.visits = new long[space.layers()];
        this.lastUse = new long[space.size()];
        java.util.Arrays.fill(lastUse, -1);
        this.reuse = new ReuseTable((double) space.used() / space.experts());
        this.pinned = pinned.clone();
        for (int k : this.pinned) {
            space.check(k);
            if (isPinned[k]) {
                throw new IllegalArgumentException("key " + k + " is pinned twice");
            }
            isPinned[k] = true;
        }
    }

    @Override
    public String name() {
        return (layerAware ? Policies.LAYERED : Policies.TINY_LFU) + (pinned.length > 0 ? "+pin" : "");
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public long residentBytes() {
        return resident;
    }

    @Override
    public int residentCount() {
        return order.size() + pinnedCount;
    }

    @Override
    public boolean contains(int key) {
        space.check(key);
        return order.contains(key) || residentPinned[key];
    }

    @Override
    public int[] pinned() {
        return pinned.clone();
    }

    @Override
    public boolean access(int key) {
        space.check(key);
        int layer = space.layer(key);
        if (layerAware) {
            if (layer != now) {
                beginVisit(layer);
            }
            reuse.record(reuseBucket(key), true);
            lastUse[key] = visits[layer];
        }
        sketch.increment(key);
        layerTokens[layer] += 1.0 / space.used();
        now = layer;
        if (++sinceAging >= agingPeriod) {
            sinceAging = 0;
            sketch.halve();
            reuse.halve();
            for (int l = 0; l < layerTokens.length; l++) {
                layerTokens[l] /= 2;
            }
        }
        if (residentPinned[key]) {
            return true;
        }
        if (order.contains(key)) {
            order.moveToFront(key);
            return true;
        }
        return false;
    }

    @Override
    public boolean offer(int key, long size, boolean prefetch, IntPredicate evictable, IntConsumer evicted) {
        space.check(key);
        Policies.checkSize(size);
        if (contains(key)) {
            return true;
        }
        if (size > capacity) {
            return false;
        }
        long need = resident + size - capacity;
        long freed = 0;
        int n = 0;
        while (freed < need) {
            int v = pickVictim(evictable);
            if (v < 0) {
                unpick(n);
                return false;
            }
            picked[v] = true;
            victims[n++] = v;
            freed += bytes[v];
        }
        if (!prefetch && !isPinned[key]) {
            for (int i = 0; i < n; i++) {
                if (!worthMore(key, victims[i])) {
                    unpick(n);
                    return false;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            int v = victims[i];
            picked[v] = false;
            order.remove(v);
            resident -= bytes[v];
            bytes[v] = 0;
            evicted.accept(v);
        }
        bytes[key] = size;
        resident += size;
        if (isPinned[key]) {
            residentPinned[key] = true;
            pinnedCount++;
        } else {
            order.addFirst(key);
        }
        return true;
    }

    @Override
    public void remove(int key) {
        space.check(key);
        if (residentPinned[key]) {
            residentPinned[key] = false;
            pinnedCount--;
        } else if (order.contains(key)) {
            order.remove(key);
        } else {
            return;
        }
        resident -= bytes[key];
        bytes[key] = 0;
    }

    private void unpick(int n) {
        for (int i = 0; i < n; i++) {
            picked[victims[i]] = false;
        }
    }

    /** The next victim among evictable, unpinned residents not picked yet, or -1. */
    private int pickVictim(IntPredicate evictable) {
        int best = -1;
        double bestAt = -1;
        for (int k = order.last(); k >= 0; k = order.newer(k)) {
            if (picked[k] || !evictable.test(k)) {
                continue;
            }
            if (!layerAware) {
                return k; // least recently used
            }
            double at = nextUseEstimate(k);
            if (at > bestAt) { // strict: among equals the least recently used wins
                best = k;
                bestAt = at;
            }
        }
        return best;
    }

    /** Whether keeping {@code candidate} is worth evicting {@code victim}. */
    private boolean worthMore(int candidate, int victim) {
        if (layerAware) {
            return nextUseEstimate(candidate) < nextUseEstimate(victim);
        }
        return sketch.estimate(candidate) > sketch.estimate(victim);
    }

    /**
     * A new visit of {@code layer} (a token, or a batch of tokens, reaching it): every expert of the layer that was
     * used before is one trial of "used again at this visit" for the reuse table; the accesses of the visit add the
     * successes.
     */
    private void beginVisit(int layer) {
        visits[layer]++;
        int first = space.key(layer, 0);
        for (int k = first; k < first + space.experts(); k++) {
            if (lastUse[k] >= 0) {
                reuse.record(reuseBucket(k), false);
            }
        }
    }

    /** The reuse-table cell of {@code key} at the current visit of its layer. */
    private int reuseBucket(int key) {
        long since = lastUse[key] < 0 ? Long.MAX_VALUE : visits[space.layer(key)] - lastUse[key];
        return ReuseTable.bucket(since, sketch.estimate(key));
    }

    /** Estimated probability that the next visit of its layer uses {@code key}. */
    double useProbability(int key) {
        if (layerAware) {
            // as seen from the next visit of its layer
            long since = lastUse[key] < 0 ? Long.MAX_VALUE : visits[space.layer(key)] + 1 - lastUse[key];
            return reuse.probability(ReuseTable.bucket(since, sketch.estimate(key)));
        }
        double prior = (double) space.used() / space.experts();
        double p = (sketch.estimate(key) + prior * PRIOR_TOKENS) / (layerTokens[space.layer(key)] + PRIOR_TOKENS);
        return Math.min(1.0, Math.max(1e-9, p));
    }

    /** Expected layer steps until {@code key} is used again (see the class comment). */
    double nextUseEstimate(int key) {
        int l = space.layer(key);
        int layers = space.layers();
        int dist = now < 0 ? l + 1 : Math.floorMod(l - now - 1, layers) + 1;
        return dist + layers * (1.0 / useProbability(key) - 1.0);
    }
}
