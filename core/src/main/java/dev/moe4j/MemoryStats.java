package dev.moe4j;

import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Locale;

/**
 * What the expert memory manager did since the model was loaded ({@link Model#memoryStats()}): how often the routed
 * experts a token needed were already in memory, how many bytes were read, how well prefetching predicted, and how long
 * computation waited for reads. When the model runs without offloading (its experts fit in memory and stay
 * memory-mapped) {@link #offloading()} is false and the counters are 0.
 *
 * <p>Immutable and thread-safe; made only by the library, so fields can be added without breaking callers.
 */
public final class MemoryStats {
    private final boolean offloading;
    private final long budgetBytes;
    private final long expertBytes;
    private final long residentExpertBytes;
    private final String policy;
    private final List<LayerStats> layers;
    private final long bytesRead;
    private final long reads;
    private final Duration ioStall;
    private final Duration readTime;
    private final long evictions;
    private final long prefetchReads;
    private final long prefetchUnused;
    private final double prefetchRecall;
    private final long failedReads;
    private final String gpuPlacement;
    private final long kvCacheBytesPerToken; // -1: unknown
    private final int contextLength;

    MemoryStats(boolean offloading, long budgetBytes, long expertBytes, long residentExpertBytes, String policy,
                List<LayerStats> layers, long bytesRead, long reads, Duration ioStall, Duration readTime,
                long evictions, long prefetchReads, long prefetchUnused, double prefetchRecall, long failedReads,
                @Nullable String gpuPlacement) {
        this.offloading = offloading;
        this.budgetBytes = budgetBytes;
        this.expertBytes = expertBytes;
        this.residentExpertBytes = residentExpertBytes;
        this.policy = policy;
        this.layers = List.copyOf(layers);
        this.bytesRead = bytesRead;
        this.reads = reads;
        this.ioStall = ioStall;
        this.readTime = readTime;
        this.evictions = evictions;
        this.prefetchReads = prefetchReads;
        this.prefetchUnused = prefetchUnused;
        this.prefetchRecall = prefetchRecall;
        this.failedReads = failedReads;
        this.gpuPlacement = gpuPlacement == null ? "" : gpuPlacement;
        this.kvCacheBytesPerToken = -1;
        this.contextLength = 0;
    }

    private MemoryStats(MemoryStats s, long kvCacheBytesPerToken, int contextLength) {
        this.offloading = s.offloading;
        this.budgetBytes = s.budgetBytes;
        this.expertBytes = s.expertBytes;
        this.residentExpertBytes = s.residentExpertBytes;
        this.policy = s.policy;
        this.layers = s.layers;
        this.bytesRead = s.bytesRead;
        this.reads = s.reads;
        this.ioStall = s.ioStall;
        this.readTime = s.readTime;
        this.evictions = s.evictions;
        this.prefetchReads = s.prefetchReads;
        this.prefetchUnused = s.prefetchUnused;
        this.prefetchRecall = s.prefetchRecall;
        this.failedReads = s.failedReads;
        this.gpuPlacement = s.gpuPlacement;
        this.kvCacheBytesPerToken = kvCacheBytesPerToken;
        this.contextLength = contextLength;
    }

    /** These statistics with the model's KV-cache size (what {@link Model#memoryStats()} adds). */
    MemoryStats withKvCache(long bytesPerToken, int contextLength) {
        return new MemoryStats(this, bytesPerToken, contextLength);
    }

    /**
     * KV-cache bytes one token of context takes in one session, over all layers ({@link
     * ModelInfo#kvCacheBytesPerToken()}): what decides how long a context fits next to the weights. DeepSeek-V3's
     * latent attention takes a small fraction of what grouped-query attention of the same size would.
     *
     * @return the bytes per token, or -1 when unknown
     */
    public long kvCacheBytesPerToken() {
        return kvCacheBytesPerToken;
    }

    /**
     * KV-cache bytes of one session at the model's full {@link Model#contextLength()}: {@link #kvCacheBytesPerToken()}
     * times that length (sessions are sized for their request, so a short one takes less).
     *
     * @return the bytes, or -1 when unknown
     */
    public long kvCacheBytesAtContextLength() {
        return kvCacheBytesPerToken < 0 ? -1 : kvCacheBytesPerToken * contextLength;
    }

    /**
     * Whether routed experts run from a budget (else they are memory-mapped).
     *
     * @return {@code true} if the experts are read into a cache of {@link #budgetBytes()}
     */
    public boolean offloading() {
        return offloading;
    }

    /**
     * The budget for expert memory (0 when not offloading).
     *
     * @return the budget in bytes
     */
    public long budgetBytes() {
        return budgetBytes;
    }

    /**
     * Bytes of all routed experts in the model file.
     *
     * @return the size in bytes; 0 for a dense model
     */
    public long expertBytes() {
        return expertBytes;
    }

    /**
     * Bytes held for experts now; never above the budget.
     *
     * @return the size in bytes; 0 when not offloading
     */
    public long residentExpertBytes() {
        return residentExpertBytes;
    }

    /**
     * The cache policy, e.g. {@code layered} ({@code +pin} when a routing profile pins experts).
     *
     * @return an {@link ExpertCachePolicy#id()}, with {@code +pin} or not; {@code none} when not offloading
     */
    public String policy() {
        return policy;
    }

    /**
     * Per MoE layer, in block order.
     *
     * @return the layers' statistics (unmodifiable); empty when not offloading
     */
    public List<LayerStats> layers() {
        return layers;
    }

    /**
     * Bytes read from the model file for experts (on demand, prefetched and pinned).
     *
     * @return the total in bytes
     */
    public long bytesRead() {
        return bytesRead;
    }

    /**
     * Expert reads done.
     *
     * @return the number of reads
     */
    public long reads() {
        return reads;
    }

    /**
     * Time computing threads waited for experts, summed over threads.
     *
     * @return the total wait; zero when not offloading
     */
    public Duration ioStall() {
        return ioStall;
    }

    /**
     * Time the I/O threads spent reading, summed over threads.
     *
     * @return the total read time; zero when not offloading
     */
    public Duration readTime() {
        return readTime;
    }

    /**
     * Experts dropped from memory to make room.
     *
     * @return the number of evictions
     */
    public long evictions() {
        return evictions;
    }

    /**
     * Reads started by prefetch.
     *
     * @return the number of prefetch reads
     */
    public long prefetchReads() {
        return prefetchReads;
    }

    /**
     * Prefetched experts dropped before any use.
     *
     * @return the number of unused prefetched experts
     */
    public long prefetchUnused() {
        return prefetchUnused;
    }

    /**
     * Share of the experts used at a layer that prefetch had predicted for it (0..1).
     *
     * @return the recall, in {@code [0, 1]}
     */
    public double prefetchRecall() {
        return prefetchRecall;
    }

    /**
     * Reads that failed (each surfaced as an exception to the generation that needed it).
     *
     * @return the number of failed reads
     */
    public long failedReads() {
        return failedReads;
    }

    /**
     * What runs on the GPU ({@link Model.Builder#gpuMemoryBudget(long)}): one line saying the budget, the bytes used
     * and how many weights, KV-cache layers and routed experts were placed there; empty when the model runs on the CPU
     * alone.
     *
     * @return the placement line, or an empty string
     */
    public String gpuPlacement() {
        return gpuPlacement;
    }

    /**
     * One MoE layer's uses of experts. Immutable; made only by the library.
     */
    public static final class LayerStats {
        private final int block;
        private final long hits;
        private final long misses;
        private final long prefetchHits;

        LayerStats(int block, long hits, long misses, long prefetchHits) {
            this.block = block;
            this.hits = hits;
            this.misses = misses;
            this.prefetchHits = prefetchHits;
        }

        /**
         * The model block ({@code blk.N}).
         *
         * @return the block index {@code N}
         */
        public int block() {
            return block;
        }

        /**
         * Uses of an expert that was in memory (or already being read).
         *
         * @return the number of hits
         */
        public long hits() {
            return hits;
        }

        /**
         * Uses that had to wait for a read started on demand.
         *
         * @return the number of misses
         */
        public long misses() {
            return misses;
        }

        /**
         * Uses of an expert that prefetch had read or started reading: misses it hid, fully or partly.
         *
         * @return the number of prefetch hits
         */
        public long prefetchHits() {
            return prefetchHits;
        }

        /**
         * Uses found in memory or prefetched, over all uses; 0 without uses.
         *
         * @return {@code (hits + prefetchHits) / (hits + misses + prefetchHits)}, in {@code [0, 1]}
         */
        public double hitRate() {
            long n = hits + misses + prefetchHits;
            return n == 0 ? 0 : (double) (hits + prefetchHits) / n;
        }

        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof LayerStats l && block == l.block && hits == l.hits && misses == l.misses
                    && prefetchHits == l.prefetchHits;
        }

        @Override
        public int hashCode() {
            return Objects.hash(block, hits, misses, prefetchHits);
        }

        @Override
        public String toString() {
            return "LayerStats[block=" + block + ", hits=" + hits + ", misses=" + misses + ", prefetchHits="
                    + prefetchHits + "]";
        }
    }

    /**
     * Uses of an expert that was in memory (or already being read), over all layers.
     *
     * @return the sum of the layers' {@link LayerStats#hits()}
     */
    public long hits() {
        return layers.stream().mapToLong(LayerStats::hits).sum();
    }

    /**
     * Uses that had to wait for a read started on demand, over all layers.
     *
     * @return the sum of the layers' {@link LayerStats#misses()}
     */
    public long misses() {
        return layers.stream().mapToLong(LayerStats::misses).sum();
    }

    /**
     * Uses of an expert that prefetch had read or started reading, over all layers.
     *
     * @return the sum of the layers' {@link LayerStats#prefetchHits()}
     */
    public long prefetchHits() {
        return layers.stream().mapToLong(LayerStats::prefetchHits).sum();
    }

    /**
     * Uses found in memory or prefetched, over all uses; 0 without uses.
     *
     * @return {@code (hits() + prefetchHits()) / (hits() + misses() + prefetchHits())}, in {@code [0, 1]}
     */
    public double hitRate() {
        long n = hits() + misses() + prefetchHits();
        return n == 0 ? 0 : (double) (hits() + prefetchHits()) / n;
    }

    /**
     * Share of would-be misses that prefetching hid: prefetch hits over (prefetch hits + misses); 0 without either.
     *
     * @return the share, in {@code [0, 1]}
     */
    public double missesHiddenByPrefetch() {
        long n = prefetchHits() + misses();
        return n == 0 ? 0 : (double) prefetchHits() / n;
    }

    /**
     * One line, e.g. {@code experts: budget 6.0 GiB, hit rate 81.2% (...), 3.1 GiB read, ...}, followed by
     * {@code ; } and the {@link #gpuPlacement()} when there is one.
     *
     * @return the summary; it starts {@code experts: memory-mapped (...), no budget} when not offloading
     */
    public String summary() {
        String kv = kvCacheBytesPerToken < 0 ? "" : "; KV cache " + bytes(kvCacheBytesPerToken) + " per token, "
                + bytes(kvCacheBytesAtContextLength()) + " per session at " + contextLength + " tokens";
        return (gpuPlacement.isEmpty() ? expertSummary() : expertSummary() + "; " + gpuPlacement) + kv;
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

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof MemoryStats m && offloading == m.offloading && budgetBytes == m.budgetBytes
                && expertBytes == m.expertBytes && residentExpertBytes == m.residentExpertBytes
                && policy.equals(m.policy) && layers.equals(m.layers) && bytesRead == m.bytesRead && reads == m.reads
                && ioStall.equals(m.ioStall) && readTime.equals(m.readTime) && evictions == m.evictions
                && prefetchReads == m.prefetchReads && prefetchUnused == m.prefetchUnused
                && Double.compare(prefetchRecall, m.prefetchRecall) == 0 && failedReads == m.failedReads
                && gpuPlacement.equals(m.gpuPlacement);
    }

    @Override
    public int hashCode() {
        return Objects.hash(offloading, budgetBytes, expertBytes, residentExpertBytes, policy, layers, bytesRead,
                reads, ioStall, readTime, evictions, prefetchReads, prefetchUnused, prefetchRecall, failedReads,
                gpuPlacement);
    }

    @Override
    public String toString() {
        return "MemoryStats[" + summary() + "]";
    }
}
