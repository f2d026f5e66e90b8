package dev.moe4j;

/**
 * Which routed experts the expert cache keeps when a model runs from a memory budget
 * ({@link Model.Builder#expertCachePolicy}). Only the hit rate differs; the output is the same bit for bit.
 */
public enum ExpertCachePolicy {
    /**
     * Keeps, per layer, the experts most likely to be needed next, from recent routing frequency and recency (the
     * default; best on the routing traces measured, see {@code docs/PERFORMANCE.md}).
     */
    LAYERED("layered"),
    /** W-TinyLFU over all layers' experts, as Caffeine: frequency-aware admission with a small recency window. */
    TINY_LFU("tinylfu"),
    /** Least recently used over all layers' experts. */
    LRU("lru");

    private final String id;

    ExpertCachePolicy(String id) {
        this.id = id;
    }

    /**
     * The name {@link MemoryStats#policy()} reports and {@code -Dmoe4j.offload.policy} takes.
     *
     * @return {@code "layered"}, {@code "tinylfu"} or {@code "lru"}
     */
    public String id() {
        return id;
    }
}
