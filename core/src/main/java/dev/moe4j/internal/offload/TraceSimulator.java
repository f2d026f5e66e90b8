package dev.moe4j.internal.offload;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Replays a {@link RoutingTrace} against a {@link CachePolicy} as the {@link ExpertStore} would drive it: token by
 * token, MoE layer by layer, each token's experts in ascending id order; a hit costs nothing, a miss reads the expert
 * ({@code entryBytes}) and offers it to the policy. The experts of the layer being computed are in use, so they cannot
 * be evicted while the layer runs. Pinned experts are read up front (counted apart as preload bytes). Every expert has
 * the same size, as the store's slots do.
 *
 * <p>{@link #optimal} gives the upper bound: Belady's rule with bypass (evict, or do not admit, whichever expert is
 * next used furthest in the future), which needs the whole future and so only exists in simulation.
 */
public final class TraceSimulator {
    private TraceSimulator() {}

    /**
     * What one replay measured.
     *
     * @param accesses      expert uses (tokens × layers × used)
     * @param bytesRead     bytes read on misses
     * @param preloadBytes  bytes read up front for pinned experts
     * @param peakResident  most bytes resident at any moment (never above {@code capacity})
     */
    public record Result(String policy, long capacity, long entryBytes, int tokens, long accesses, long hits,
                         long misses, long bytesRead, long preloadBytes, long peakResident, long[] layerHits,
                         long[] layerMisses) {

        public double hitRate() {
            return accesses == 0 ? 0 : (double) hits / accesses;
        }

        /** Hit rate of MoE layer {@code l}. */
        public double hitRate(int l) {
            long n = layerHits[l] + layerMisses[l];
            return n == 0 ? 0 : (double) layerHits[l] / n;
        }

        /** Bytes read per token, preload excluded. */
        public double bytesPerToken() {
            return tokens == 0 ? 0 : (double) bytesRead / tokens;
        }
    }

    /**
     * Replays {@code trace} against {@code policy} (which must be fresh, sized for {@code trace.space()}).
     *
     * @throws IllegalStateException if the policy ever holds more than its capacity
     */
    public static Result run(RoutingTrace trace, CachePolicy policy, long entryBytes) {
        Policies.checkSize(entryBytes);
        ExpertSpace space = trace.space();
        boolean[] inUse = new boolean[space.size()];
        long[] layerHits = new long[space.layers()];
        long[] layerMisses = new long[space.layers()];
        long preload = 0;
        long peak = 0;
        for (int key : policy.pinned()) {
            if (policy.offer(key, entryBytes, false, k -> true, k -> { })) {
                preload += entryBytes;
            }
            peak = Math.max(peak, checked(policy));
        }
        long hits = 0;
        long misses = 0;
        int[] group = new int[space.used()];
        for (int t = 0; t < trace.tokens(); t++) {
            for (int l = 0; l < space.layers(); l++) {
                for (int j = 0; j < group.length; j++) {
                    group[j] = space.key(l, trace.expert(t, l, j));
                    inUse[group[j]] = true;
                }
                Arrays.sort(group);
                for (int key : group) {
                    if (policy.access(key)) {
                        hits++;
                        layerHits[l]++;
                    } else {
                        misses++;
                        layerMisses[l]++;
                        policy.offer(key, entryBytes, false, k -> !inUse[k], k -> { });
                    }
                    peak = Math.max(peak, checked(policy));
                }
                for (int key : group) {
                    inUse[key] = false;
                }
            }
        }
        return new Result(policy.name(), policy.capacity(), entryBytes, trace.tokens(), hits + misses, hits, misses,
                misses * entryBytes, preload, peak, layerHits, layerMisses);
    }

    private static long checked(CachePolicy policy) {
        long r = policy.residentBytes();
        if (r > policy.capacity()) {
            throw new IllegalStateException(policy.name() + " holds " + r + " bytes, over its capacity "
                    + policy.capacity());
        }
        return r;
    }

    /** Belady's optimal replacement with bypass: the most hits any policy could get on this trace and capacity. */
    public static Result optimal(RoutingTrace trace, long capacityBytes, long entryBytes) {
        Policies.checkSize(entryBytes);
        ExpertSpace space = trace.space();
        int groups = trace.tokens() * space.layers();
        int used = space.used();
        long slots = capacityBytes / entryBytes;
        // next[g·used + j]: the group that next uses the j-th key of group g (groups are token-major, layer-minor)
        int[] next = new int[groups * used];
        int[] last = new int[space.size()];
        Arrays.fill(last, Integer.MAX_VALUE);
        for (int g = groups - 1; g >= 0; g--) {
            int t = g / space.layers();
            int l = g % space.layers();
            for (int j = 0; j < used; j++) {
                int key = space.key(l, trace.expert(t, l, j));
                next[g * used + j] = last[key];
                last[key] = g;
            }
        }
        long[] nextUse = new long[space.size()];
        boolean[] resident = new boolean[space.size()];
        TreeSet<Long> byNextUse = new TreeSet<>(); // residents not in use: nextUse · size + key
        long[] layerHits = new long[space.layers()];
        long[] layerMisses = new long[space.layers()];
        long hits = 0;
        long misses = 0;
        int count = 0;
        long peak = 0;
        int[] group = new int[used];
        long[] groupNext = new long[used];
        for (int g = 0; g < groups; g++) {
            int t = g / space.layers();
            int l = g % space.layers();
            for (int j = 0; j < used; j++) {
                group[j] = space.key(l, trace.expert(t, l, j));
                groupNext[j] = next[g * used + j];
                if (resident[group[j]]) {
                    byNextUse.remove(nextUse[group[j]] * space.size() + group[j]); // in use during this group
                }
            }
            for (int j = 0; j < used; j++) {
                int key = group[j];
                if (resident[key]) {
                    hits++;
                    layerHits[l]++;
                    nextUse[key] = groupNext[j];
                    continue;
                }
                misses++;
                layerMisses[l]++;
                if (count < slots) {
                    resident[key] = true;
                    nextUse[key] = groupNext[j];
                    count++;
                } else if (!byNextUse.isEmpty() && byNextUse.last() / space.size() > groupNext[j]) {
                    long victim = byNextUse.pollLast();
                    resident[(int) (victim % space.size())] = false;
                    resident[key] = true;
                    nextUse[key] = groupNext[j];
                } // else bypass: used once, not kept
                peak = Math.max(peak, count * entryBytes);
            }
            for (int j = 0; j < used; j++) {
                if (resident[group[j]]) {
                    byNextUse.add(nextUse[group[j]] * space.size() + group[j]);
                }
            }
        }
        return new Result("optimal", capacityBytes, entryBytes, trace.tokens(), hits + misses, hits, misses,
                misses * entryBytes, 0, peak, layerHits, layerMisses);
    }

    /** A plain-text table of results, one line each: policy, capacity, hit rate, bytes read. */
    public static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-16s %10s %8s %9s %14s %12s%n", "policy",
                "capacity", "entries", "hit rate", "read/token", "preload"));
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "%-16s %10s %8d %8.2f%% %14s %12s%n", r.policy(),
                    bytes(r.capacity()), r.capacity() / r.entryBytes(), 100 * r.hitRate(),
                    bytes((long) r.bytesPerToken()), bytes(r.preloadBytes())));
        }
        return sb.toString();
    }

    static String bytes(long b) {
        if (b < 1024) {
            return b + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
