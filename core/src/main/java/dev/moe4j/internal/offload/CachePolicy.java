package dev.moe4j.internal.offload;

import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/**
 * Decides which routed experts stay in memory: the bookkeeping half of an expert cache, with no memory of its own, so
 * the same policy drives the real {@link ExpertStore} and the {@link TraceSimulator}. Entries are
 * {@linkplain ExpertSpace keys} with byte sizes; the resident bytes never exceed {@link #capacity()}.
 *
 * <p>Protocol: every demand use of an expert calls {@link #access} first (hit or miss); after a miss the owner reads the
 * expert and calls {@link #offer}, which either makes it resident (evicting others) or rejects it, in which case the
 * owner uses the bytes once and drops them. The owner says which residents may be evicted at that moment (not the ones
 * being computed with or still being read).
 *
 * <p>Not thread-safe: the owner serialises calls.
 */
public interface CachePolicy {

    /** A short name for reports, e.g. {@code lru}. */
    String name();

    /** Most bytes that may be resident at once. */
    long capacity();

    /** Bytes resident now. */
    long residentBytes();

    /** Entries resident now. */
    int residentCount();

    boolean contains(int key);

    /**
     * Records one demand use of {@code key} (updates recency and frequency).
     *
     * @return whether {@code key} is resident (a hit)
     */
    boolean access(int key);

    /**
     * Offers {@code key}, just read and not resident, for caching.
     *
     * @param bytes     its size, at least 1
     * @param prefetch  whether it was read ahead of a predicted use rather than for a demand miss (admission filters
     *                  that judge past use do not apply to it)
     * @param evictable which residents may be evicted now
     * @param evicted   receives each key evicted, before this returns
     * @return true if {@code key} is resident now; false if it was rejected, in which case nothing was evicted
     */
    boolean offer(int key, long bytes, boolean prefetch, IntPredicate evictable, IntConsumer evicted);

    /** Forgets {@code key} if resident (its read failed, or the owner dropped it); a no-op otherwise. */
    void remove(int key);

    /**
     * Keys this policy keeps resident for good once offered (hot experts from a routing profile), hottest first; the
     * owner may load them up front. Empty for policies without pinning.
     */
    default int[] pinned() {
        return new int[0];
    }
}
