package dev.moe4j.tooling;

/**
 * Counters of a {@link RawModel}'s expert cache (routed experts read from the file into a memory budget) since it
 * was loaded; a snapshot. Every use of a routed expert counts once: as a hit, a prefetch hit or a miss.
 *
 * @param policy        the cache policy ({@code layered}, {@code tinylfu} or {@code lru})
 * @param budgetBytes   the memory budget the cache lives in
 * @param slots         experts the budget holds
 * @param hits          uses of an expert that was in memory (not counting prefetch hits)
 * @param prefetchHits  uses of an expert that a prefetch had read or started reading
 * @param misses        uses that had to start a read
 * @param bytesRead     bytes read from the model file
 * @param stallNanos    time computing threads waited for experts
 * @param prefetchRecall share of the used experts that had been predicted, at layers with a prediction; 0 without
 */
public record ExpertCacheStats(String policy, long budgetBytes, int slots, long hits, long prefetchHits, long misses,
                               long bytesRead, long stallNanos, double prefetchRecall) {
}
