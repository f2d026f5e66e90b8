package dev.moe4j.internal.offload;

import dev.moe4j.Moe4jException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Routed experts in a fixed memory budget: a {@link SlotPool} of off-heap slots, each holding one expert, filled by
 * explicit positional reads of the model file ({@link ReadQueue}) and managed by a {@link CachePolicy}. The store
 * keeps the state of every expert (absent, being read, ready, failed), its pins and the counters; computing threads
 * use it through a {@link Cursor} each.
 *
 * <p><b>Budget.</b> The budget is cut into {@code slots = budget / slotBytes} equal slots, allocated on first use and
 * never more: the bytes held for experts never exceed the budget. Most slots are the policy's cache; a few (at most
 * {@code used}, at least one) are kept for experts the policy does not admit, which are read, used once and dropped.
 *
 * <p><b>Failures.</b> A read that fails (I/O error, file truncated after load) makes the {@code take} of that expert
 * throw {@link Moe4jException}; the slot is dropped and the next use reads again. Nothing else changes, so the model
 * stays usable.
 *
 * <p>Thread-safe: one lock guards the bookkeeping (a few operations per expert use); reads and computation run outside
 * it.
 */
public final class ExpertStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExpertStore.class);
    private static final byte ABSENT = 0;
    private static final byte LOADING = 1;
    private static final byte READY = 2;
    private static final byte FAILED = 3;

    /**
     * One computing thread's side of the store (one per inference state; not thread-safe), for one MoE layer at a
     * time: {@code begin} counts the uses and starts reads for the missing experts as far as free slots allow; then,
     * expert by expert in ascending order, {@code take} waits for that expert's read (only misses wait) and
     * {@code done} releases it and starts further reads. An expert in use or being read is pinned and never evicted. A
     * thread waits for a free slot only while it holds no pin, so threads cannot deadlock on slots; reads finish on
     * their own.
     */
    public interface Cursor {
        /**
         * Starts MoE layer {@code moeLayer}: counts the use of every expert with {@code tokensPerExpert[e] > 0} and
         * starts the reads that free slots allow.
         *
         * @throws IllegalStateException if the previous layer's experts were not all released
         */
        void begin(int moeLayer, int[] tokensPerExpert);

        /**
         * The matrices of {@code expert}, the next needed expert of this layer, once its bytes are in memory: views
         * of its slot, valid until {@link #done}. Waits only if the expert is being read (or no slot is free). A read
         * found failed is started once more before giving up.
         *
         * @throws Moe4jException        if its read failed, and so did the retry
         * @throws IllegalStateException if {@code expert} is not the next needed expert
         */
        MemorySegment[] take(int expert);

        /**
         * Releases the expert returned by the last {@link #take} and starts further reads.
         *
         * @throws IllegalStateException if {@code expert} is not the one taken last
         */
        void done(int expert);

        /** Releases every pin this layer still holds (after a failure); a no-op when all were done. */
        void end();

        /**
         * Starts reads of experts predicted for MoE layer {@code moeLayer} (ids[0 .. n), repeats allowed) into cache
         * slots the policy gives up without waiting; remembers the prediction to measure its recall.
         */
        void prefetch(int moeLayer, int[] ids, int n);
    }

    private final ExpertSpace space;
    private final int[] moeLayers;
    private final ExpertLayout[] layouts;
    private final String[] sources;        // per MoE layer, for messages
    private final long budget;
    private final int transientSlots;
    private final CachePolicy policy;
    private final SlotPool slots;
    private final ReadQueue reads;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();

    // per key, guarded by lock
    private final byte[] state;
    private final int[] slotOf;
    private final int[] pins;
    private final boolean[] cached;        // resident in the policy
    private final boolean[] oneUse;        // in a slot kept for experts the policy did not admit
    private final boolean[] prefetched;    // read by prefetch and not used since
    private final Throwable[] failure;
    private int transientInUse;
    private boolean closed;
    // statistics, guarded by lock
    private final long[] hits;
    private final long[] misses;
    private final long[] prefetchHits;
    private long bytesRead;
    private long readCount;
    private long readNanos;
    private long stallNanos;
    private long evictions;
    private long prefetchReads;
    private long prefetchUnused;
    private long predictedUsed;
    private long predictedActual;
    private long failedReads;

    /**
     * @param moeLayers the model block of each MoE layer
     * @param layouts   where each MoE layer's experts are, same order
     * @param sources   names for messages (e.g. the tensor names of each layer's experts), same order
     * @param used      experts a token chooses per layer
     * @param budget    bytes the slots may take, at least one slot
     * @param policy    a fresh policy over {@code (layers, experts, used)} keys; its capacity is ignored and must be
     *                  {@link #cacheCapacity} of the same budget (use {@link #create})
     * @param reader    owned by the store from now on
     */
    private ExpertStore(int[] moeLayers, ExpertLayout[] layouts, String[] sources, int used, long budget,
                        CachePolicy policy, ExpertReader reader, int ioThreads) {
        this.moeLayers = moeLayers.clone();
        this.layouts = layouts.clone();
        this.sources = sources.clone();
        this.space = new ExpertSpace(layouts.length, layouts[0].experts(), used);
        this.budget = budget;
        this.slots = new SlotPool(this.layouts, budget);
        this.transientSlots = transientSlots(slots.slotCount(), used);
        this.policy = policy;
        int keys = space.size();
        state = new byte[keys];
        slotOf = new int[keys];
        Arrays.fill(slotOf, -1);
        pins = new int[keys];
        cached = new boolean[keys];
        oneUse = new boolean[keys];
        prefetched = new boolean[keys];
        failure = new Throwable[keys];
        hits = new long[layouts.length];
        misses = new long[layouts.length];
        prefetchHits = new long[layouts.length];
        this.reads = new ReadQueue(space, this.layouts, reader, ioThreads, this::readFinished);
    }

    /**
     * A store of the experts described by {@code layouts} in {@code budget} bytes.
     *
     * @param policyName see {@link Policies#create}
     * @param pinned     keys to keep for good, hottest first (policies other than LRU), trimmed to what fits
     * @param reader     owned by the store from now on (closed by it, also when this throws)
     * @throws IllegalArgumentException if the budget does not hold one expert, or the layouts do not fit together
     */
    public static ExpertStore create(int[] moeLayers, ExpertLayout[] layouts, String[] sources, int used,
                                     long budget, String policyName, int[] pinned, ExpertReader reader,
                                     int ioThreads) {
        try {
            if (layouts.length == 0 || moeLayers.length != layouts.length || sources.length != layouts.length) {
                throw new IllegalArgumentException("one layout, block and name per MoE layer");
            }
            for (ExpertLayout l : layouts) {
                if (l.experts() != layouts[0].experts()) {
                    throw new IllegalArgumentException("every MoE layer must have the same number of experts");
                }
            }
            if (ioThreads < 1 || ioThreads > 64) {
                throw new IllegalArgumentException("ioThreads must be in 1..64, got " + ioThreads);
            }
            long slot = slotBytes(layouts);
            if (budget < slot) {
                throw new IllegalArgumentException("a memory budget of " + budget + " bytes does not hold one expert ("
                        + slot + " bytes)");
            }
            ExpertSpace space = new ExpertSpace(layouts.length, layouts[0].experts(), used);
            long capacity = cacheCapacity(budget, slot, used);
            int[] pins = Arrays.copyOf(pinned, (int) Math.min(pinned.length, capacity / slot));
            CachePolicy policy = Policies.create(policyName, space, capacity, pins);
            return new ExpertStore(moeLayers, layouts, sources, used, budget, policy, reader, ioThreads);
        } catch (RuntimeException | Error e) {
            reader.close();
            throw e;
        }
    }

    /** Bytes of one slot: the largest expert of any layer, rounded up to whole pages. */
    public static long slotBytes(ExpertLayout[] layouts) {
        return SlotPool.slotBytes(layouts);
    }

    /** Slots kept for experts the policy does not admit: a quarter of all, at least 1, at most {@code used}. */
    static int transientSlots(int slots, int used) {
        return Math.max(1, Math.min(used, slots / 4));
    }

    /** Bytes of a budget the policy caches in (the rest serves experts used once). */
    public static long cacheCapacity(long budget, long slotBytes, int used) {
        int slots = SlotPool.slotCount(budget, slotBytes);
        return (long) (slots - transientSlots(slots, used)) * slotBytes;
    }

    /** A cursor for one computing thread (an inference state). */
    public Cursor newCursor() {
        return new LayerCursor(this, space, lock, slots.matricesPerExpert());
    }

    /** Starts reading the policy's pinned experts in the background (call once, after creation). */
    public void preloadPinned() {
        lock.lock();
        try {
            for (int key : policy.pinned()) {
                if (state[key] == ABSENT) {
                    int slot = claimSlot(key, true);
                    if (slot >= 0) {
                        startRead(key, slot, false);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The counters so far. */
    public StoreStats stats() {
        lock.lock();
        try {
            return new StoreStats(policy.name(), budget, slots.slotBytes(), slots.slotCount(), slots.allocatedBytes(),
                    hits.clone(), misses.clone(), prefetchHits.clone(), bytesRead, readCount, readNanos, stallNanos,
                    evictions, prefetchReads, prefetchUnused, predictedUsed, predictedActual, failedReads);
        } finally {
            lock.unlock();
        }
    }

    /** Waits for reads in flight, stops the I/O threads and frees the slots. No cursor may be in use. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        if (reads.close()) {
            slots.close();
        } else {
            LOG.warn("expert reads did not finish; leaving {} bytes of expert slots allocated",
                    slots.allocatedBytes());
        }
    }

    // ---- what a cursor does, one step at a time (lock held) ------------------------------------------------------

    /** Counts one use of {@code key} of {@code moeLayer}: a prefetch hit (promoting its read), a hit or a miss. */
    void countUse(int moeLayer, int key) {
        policy.access(key);
        if (prefetched[key]) {
            prefetchHits[moeLayer]++;
            prefetched[key] = false;
            reads.promote(key);
        } else if (state[key] == READY || state[key] == LOADING) {
            hits[moeLayer]++;
        } else {
            misses[moeLayer]++;
        }
    }

    /** Counts the experts of a layer that had been predicted ({@code used}) of those it used ({@code actual}). */
    void countPrediction(int used, int actual) {
        predictedUsed += used;
        predictedActual += actual;
    }

    /** Counts time a computing thread waited for an expert. */
    void countStall(long nanos) {
        stallNanos += nanos;
    }

    /** Pins {@code key} if it is resident or being read, or starts its read if a slot is free; false otherwise. */
    boolean tryPin(int key) {
        if (state[key] == READY || state[key] == LOADING || state[key] == FAILED) {
            pins[key]++;
            return true;
        }
        int slot = claimSlot(key, false);
        if (slot < 0) {
            return false;
        }
        pins[key]++;
        startRead(key, slot, false);
        return true;
    }

    /** Drops a pin; frees the slot of an expert that is no longer needed. */
    void unpin(int key) {
        pins[key]--;
        releaseIfIdle(key);
        changed.signalAll();
    }

    /** Waits (releasing the lock) until a read ends or a slot or pin is released. */
    void awaitChange() {
        changed.awaitUninterruptibly();
    }

    boolean loading(int key) {
        return state[key] == LOADING;
    }

    boolean failed(int key) {
        return state[key] == FAILED;
    }

    /** Reads a pinned, failed expert once more, into the slot it keeps. */
    void reread(int key) {
        startRead(key, slotOf[key], false);
    }

    /** Why the read of a failed expert failed, as thrown to the computation. */
    Moe4jException readFailure(int key) {
        Throwable cause = failure[key];
        int l = space.layer(key);
        return new Moe4jException("cannot read expert " + space.expert(key) + " of block " + moeLayers[l] + " ("
                + sources[l] + "): " + cause.getMessage(), cause);
    }

    /** Puts the views of the matrices of a pinned, read expert in {@code out}. */
    void matrices(int key, MemorySegment[] out) {
        slots.matrices(slotOf[key], space.layer(key), out);
    }

    /** Starts reading a predicted expert if it is absent and the policy gives it a cache slot now. */
    void prefetch(int key) {
        if (state[key] == ABSENT) {
            int slot = claimSlot(key, true);
            if (slot >= 0) {
                startRead(key, slot, true);
            }
        }
    }

    // ---- slots and reads (lock held) -----------------------------------------------------------------------------

    /**
     * A slot for {@code key}: cached if the policy admits it (evicting others), else a one-use slot if one is free
     * and {@code prefetch} is false. Returns -1 when there is none now.
     */
    private int claimSlot(int key, boolean prefetch) {
        if (closed) {
            throw new IllegalStateException("the expert store is closed");
        }
        if (policy.offer(key, slots.slotBytes(), prefetch, this::evictable, this::evict)) {
            cached[key] = true;
            return slots.take(); // the cache holds at most its capacity: a slot is free
        }
        if (!prefetch && transientInUse < transientSlots) {
            transientInUse++;
            oneUse[key] = true;
            return slots.take(); // one-use slots take at most their share: a slot is free
        }
        return -1;
    }

    private boolean evictable(int key) {
        return state[key] == READY && pins[key] == 0;
    }

    private void evict(int key) {
        if (prefetched[key]) {
            prefetchUnused++;
            prefetched[key] = false;
        }
        cached[key] = false;
        freeSlot(key);
        evictions++;
    }

    private void freeSlot(int key) {
        if (oneUse[key]) {
            oneUse[key] = false;
            transientInUse--;
        }
        slots.release(slotOf[key]);
        slotOf[key] = -1;
        state[key] = ABSENT;
        changed.signalAll();
    }

    private void startRead(int key, int slot, boolean prefetch) {
        state[key] = LOADING;
        slotOf[key] = slot;
        failure[key] = null;
        prefetched[key] = prefetch;
        if (prefetch) {
            prefetchReads++;
        }
        reads.start(key, slots.memory(slot), prefetch);
    }

    /** The end of a read, from an I/O thread (or from {@link #startRead}'s caller when the queue is closed). */
    private void readFinished(int key, Throwable error, long nanos) {
        lock.lock();
        try {
            reads.finished(key);
            readNanos += nanos;
            readCount++;
            if (error == null) {
                bytesRead += layouts[space.layer(key)].readBytes();
                state[key] = READY;
            } else {
                failedReads++;
                failure[key] = error;
                state[key] = FAILED; // keeps its slot (and its place in the policy) until the last pin is gone
                prefetched[key] = false;
                LOG.debug("reading expert {} of block {} failed", space.expert(key), moeLayers[space.layer(key)],
                        error);
            }
            releaseIfIdle(key);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Frees the slot of an unpinned expert that is not cached: a one-use slot, or one whose read failed. */
    private void releaseIfIdle(int key) {
        if (pins[key] == 0 && ((state[key] == READY && !cached[key]) || state[key] == FAILED)) {
            if (cached[key]) { // a failed read: the slot holds garbage, the next use reads again
                policy.remove(key);
                cached[key] = false;
            }
            freeSlot(key);
        }
    }
}
