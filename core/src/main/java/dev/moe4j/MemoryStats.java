package dev.moe4j;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What the expert memory manager did since the model was loaded ({@link Model#memoryStats()}): how often the routed
 * experts a token needed were already in memory, how many bytes were read, how well prefetching predicted, and how long
 * computation waited for reads. When the model runs without offloading (its experts fit in memory and stay
 * memory-mapped) {@link #offloading()} is false and the counters are 0.
 *
 * @param offloading          whether routed experts run from a budget (else they are memory-mapped)
 * @param budgetBytes         the budget for expert memory (0 when not offloading)
 * @param expertBytes         bytes of all routed experts in the model file
 * @param residentExpertBytes bytes held for experts now; never above the budget
 * @param policy              the cache policy, e.g. {@code layered} ({@code +pin} when a routing profile pins experts)
 * @param layers              per MoE layer, in block order
 * @param bytesRead           bytes read from the model file for experts (on demand, prefetched and pinned)
 * @param reads               expert reads done
 * @param ioStall             time computing threads waited for experts, summed over threads
 * @param readTime            time the I/O threads spent reading, summed over threads
 * @param evictions           experts dropped from memory to make room
 * @param prefetchReads       reads started by prefetch
 * @param prefetchUnused      prefetched experts dropped before any use
 * @param prefetchRecall      share of the experts used at a layer that prefetch had predicted for it (0..1)
 * @param failedReads         reads that failed (each surfaced as an exception to the generation that needed it)
 * @param gpuPlacement        what runs on the GPU ({@link Model.Builder#gpuMemoryBudget(long)}): one line saying the
 *                            budget, the bytes used and how many weights, KV-cache layers and routed experts were
 *                            placed there; empty when the model runs on the CPU alone
 */
public record MemoryStats(boolean offloading, long budgetBytes, long expertBytes, long residentExpertBytes,
                          String policy, List<LayerStats> layers, long bytesRead, long reads, Duration ioStall,
                          Duration readTime, long evictions, long prefetchReads, long prefetchUnused,
                          double prefetchRecall, long failedReads, String gpuPlacement) {

    public MemoryStats {
        layers = List.copyOf(layers);
        gpuPlacement = gpuPlacement == null ? "" : gpuPlacement;
    }

    /** Statistics of a model that runs on the CPU alone (no {@link #gpuPlacement()}). */
    public MemoryStats(boolean offloading, long budgetBytes, long expertBytes, long residentExpertBytes,
                       String policy, List<LayerStats> layers, long bytesRead, long reads, Duration ioStall,
                       Duration readTime, long evictions, long prefetchReads, long prefetchUnused,
                       double prefetchRecall, long failedReads) {
        this(offloading, budgetBytes, expertBytes, residentExpertBytes, policy, layers, bytesRead, reads, ioStall,
                readTime, evictions, prefetchReads, prefetchUnused, prefetchRecall, failedReads, "");
    }

    /**
     * One MoE layer's uses of experts.
     *
     * @param block        the model block ({@code blk.N})
     * @param hits         uses of an expert that was in memory (or already being read)
     * @param misses       uses that had to wait for a read started on demand
     * @param prefetchHits uses of an expert that prefetch had read or started reading: misses it hid, fully or partly
     */
    public record LayerStats(int block, long hits, long misses, long prefetchHits) {
        /** Uses found in memory or prefetched, over all uses; 0 without uses. */
        public double hitRate() {
            long n = hits + misses + prefetchHits;
            return n == 0 ? 0 : (double) (hits + prefetchHits) / n;
        }
    }

    public long hits() {
        return layers.stream().mapToLong(LayerStats::hits).sum();
    }

    public long misses() {
        return layers.stream().mapToLong(LayerStats::misses).sum();
    }

    public long prefetchHits() {
        return layers.stream().mapToLong(LayerStats::prefetchHits).sum();
    }

    /** Uses found in memory or prefetched, over all uses; 0 without uses. */
    public double hitRate() {
        long n = hits() + misses() + prefetchHits();
        return n == 0 ? 0 : (double) (hits() + prefetchHits()) / n;
    }

    /** Share of would-be misses that prefetching hid: prefetch hits over (prefetch hits + misses); 0 without either. */
    public double missesHiddenByPrefetch() {
        long n = prefetchHits() + misses();
        return n == 0 ? 0 : (double) prefetchHits() / n;
    }

    /**
     * One line, e.g. {@code experts: budget 6.0 GiB, hit rate 81.2% (...), 3.1 GiB read, ...}, followed by
     * {@code ; } and the {@link #gpuPlacement()} when there is one.
     */
    public String summary() {
        return gpuPlacement.isEmpty() ? expertSummary() : expertSummary() + "; " + gpuPlacement;
    }

    private String expertSummary() {
        if (!offloading) {
            return "experts: memory-mapped (" + bytes(expertBytes) + "), no budget";
        }
        return String.format(Locale.ROOT, "experts: budget %s (%s held) of %s, policy %s, hit rate %.1f%% (%d hits,"
                        + " %d prefetched, %d misses), %s read in %d reads, stalled %d ms, prefetch recall %.1f%%,"
                        + " %.1f%% of misses hidden, %d evictions%s",
                bytes(budgetBytes), bytes(residentExpertBytes), bytes(expertBytes), policy, 100 * hitRate(), hits(),
                prefetchHits(), misses(), bytes(bytesRead), reads, ioStall.toMillis(), 100 * prefetchRecall,
                100 * missesHiddenByPrefetch(), evictions, failedReads > 0 ? ", " + failedReads + " failed reads" : "");
    }

    private static String bytes(long b) {
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
