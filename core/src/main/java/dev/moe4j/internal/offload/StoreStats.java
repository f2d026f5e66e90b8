package dev.moe4j.internal.offload;

/**
 * Counters of an {@link ExpertStore} since it was created; a snapshot, detached from the store.
 *
 * @param budgetBytes      the budget the expert slots live in
 * @param slotBytes        bytes of one slot (one expert of the largest layer)
 * @param slots            slots the budget holds: cached experts plus slots for experts used once
 * @param residentBytes    bytes of expert slots allocated now (never above the budget)
 * @param hits             per MoE layer, uses of an expert that was in memory or being read already
 * @param misses           per MoE layer, uses that had to start a read
 * @param prefetchHits     per MoE layer, uses of an expert a prefetch had read or started (misses it hid)
 * @param bytesRead        bytes read from the model file (demand, prefetch and pinned preload)
 * @param reads            expert reads done
 * @param readNanos        time the I/O threads spent reading, summed over threads
 * @param stallNanos       time computing threads waited for experts (reads or free slots)
 * @param evictions        experts evicted from the cache
 * @param prefetchReads    reads started by prefetch
 * @param prefetchUnused   prefetched experts evicted before any use
 * @param predicted        predicted experts that were then used (recall numerator)
 * @param actual           uses at layers with a prediction (recall denominator)
 * @param failedReads      reads that failed
 */
public record StoreStats(String policy, long budgetBytes, long slotBytes, int slots, long residentBytes,
                         long[] hits, long[] misses, long[] prefetchHits, long bytesRead, long reads, long readNanos,
                         long stallNanos, long evictions, long prefetchReads, long prefetchUnused, long predicted,
                         long actual, long failedReads) {

    public long totalHits() {
        return sum(hits);
    }

    public long totalMisses() {
        return sum(misses);
    }

    public long totalPrefetchHits() {
        return sum(prefetchHits);
    }

    /** Share of predicted experts among those used, at layers where a prediction was made; 0 without predictions. */
    public double prefetchRecall() {
        return actual == 0 ? 0 : (double) predicted / actual;
    }

    private static long sum(long[] a) {
        long s = 0;
        for (long v : a) {
            s += v;
        }
        return s;
    }
}
