package dev.moe4j.internal.offload;

import dev.moe4j.RoutingProfile;

import java.util.Arrays;
import java.util.Locale;

/** Builds cache policies by name, and the helpers they share. */
public final class Policies {
    /** The names {@link #create} accepts. */
    public static final String LRU = "lru";
    public static final String TINY_LFU = "tinylfu";
    public static final String LAYERED = "layered";

    private Policies() {}

    /**
     * A policy by name: {@code lru}, {@code tinylfu} (frequency admission, LRU victims) or {@code layered} (frequency
     * admission with victims chosen by the estimated time to their next use, layer cycle included; the default).
     *
     * @param pinned hottest keys first, to keep for good (ignored by {@code lru}); may be empty
     * @throws IllegalArgumentException for an unknown name
     */
    public static CachePolicy create(String name, ExpertSpace space, long capacityBytes, int[] pinned) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case LRU -> new LruPolicy(space, capacityBytes);
            case TINY_LFU -> new TinyLfuPolicy(space, capacityBytes, false, pinned);
            case LAYERED -> new TinyLfuPolicy(space, capacityBytes, true, pinned);
            default -> throw new IllegalArgumentException("unknown cache policy '" + name + "' (known: " + LRU + ", "
                    + TINY_LFU + ", " + LAYERED + ")");
        };
    }

    /**
     * The {@code maxEntries} most used experts of a profile (ties: lower key first), hottest first; experts never used
     * are not pinned.
     *
     * @param moeLayers the model layer of each MoE layer of {@code space}, in order
     * @throws IllegalArgumentException if the profile does not describe this model's experts
     */
    public static int[] hottest(RoutingProfile profile, ExpertSpace space, int[] moeLayers, int maxEntries) {
        if (profile.experts() != space.experts() || moeLayers.length != space.layers()) {
            throw new IllegalArgumentException("the routing profile has " + profile.experts()
                    + " experts per layer, the model " + space.experts());
        }
        long[] count = new long[space.size()];
        for (int l = 0; l < moeLayers.length; l++) {
            if (moeLayers[l] >= profile.blocks()) {
                throw new IllegalArgumentException("the routing profile has " + profile.blocks()
                        + " layers, the model's MoE layer " + moeLayers[l] + " is not among them");
            }
            for (int e = 0; e < space.experts(); e++) {
                count[space.key(l, e)] = profile.count(moeLayers[l], e);
            }
        }
        Integer[] keys = new Integer[space.size()];
        for (int k = 0; k < keys.length; k++) {
            keys[k] = k;
        }
        Arrays.sort(keys, (a, b) -> count[a] != count[b] ? Long.compare(count[b], count[a]) : Integer.compare(a, b));
        int n = 0;
        while (n < Math.min(maxEntries, keys.length) && count[keys[n]] > 0) {
            n++;
        }
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = keys[i];
        }
        return out;
    }

    static void checkSize(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("an entry must have at least 1 byte, got " + bytes);
        }
    }
}
