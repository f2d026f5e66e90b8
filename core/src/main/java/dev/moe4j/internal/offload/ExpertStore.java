package dev.moe4j.internal.offload;

import dev.moe4j.Moe4jException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Routed experts in a fixed memory budget: a pool of off-heap slots, each holding one expert, filled by explicit
 * positional reads of the model file on I/O threads and managed by a {@link CachePolicy}.
 *
 * <p><b>Budget.</b> The budget is cut into {@code slots = budget / slotBytes} equal slots, allocated on first use and
 * never more: the bytes held for experts never exceed the budget. Most slots are the policy's cache; a few (at most
 * {@code used}, at least one) are kept for experts the policy does not admit, which are read, used once and dropped.
 *
 * <p><b>Protocol.</b> A computing thread uses a {@link Cursor} per MoE layer: {@code begin} counts the uses and starts
 * reads for the missing experts as far as free slots allow; then, expert by expert in ascending order, {@code take}
 * waits for that expert's read (only misses wait) and {@code done} releases it and starts further reads. An expert in
 * use or being read is pinned and never evicted. A thread waits for a free slot only while it holds no pin, so threads
 * cannot deadlock on slots; reads finish on their own.
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
    private static final AtomicInteger STORES = new AtomicInteger();

    private final ExpertSpace space;
    private final int[] moeLayers;
    private final ExpertLayout[] layouts;
    private final int[] shapeOf;            // per MoE layer: which slot shape (matrix offsets) it uses
    private final ExpertLayout[] shapes;
    private final int matrices;
    private final long slotBytes;
    private final long budget;
    private final int slotCount;
    private final int transientSlots;
    private final CachePolicy policy;
    private final ExpertReader reader;
    private final ThreadPoolExecutor io;   // demand reads before prefetches, then first come first served
    private final AtomicLong readSequence = new AtomicLong();
    private final Read[] queued;           // per key, a read not started yet (a prefetch a demand may promote)
    private final Arena arena = Arena.ofShared();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final String[] sources;        // per MoE layer, for messages

    // per key, guarded by lock
    private final byte[] state;
    private final int[] slotOf;
    private final int[] pins;
    private final boolean[] cached;        // resident in the policy
    private final boolean[] oneUse;        // in a slot kept for experts the policy did not admit
    private final boolean[] prefetched;    // read by prefetch and not used since
    private final Throwable[] failure;
    // slots, guarded by lock
    private final MemorySegment[] slotMemory; // [slot], null until allocated
    private final MemorySegment[][] views; // [slot][shape · matrices + m]
    private final int[] free;
    private int freeCount;
    private int allocated;
    private int transientInUse;
    private boolean closed;
    // statistics, guarded by lock
    private final long[] hits;
    private final long[] misses;
    private final long[] prefetchHits;
    private long bytesRead;
    private long reads;
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
        this.slotBytes = slotBytes(layouts);
        this.budget = budget;
        this.slotCount = (int) Math.min(Integer.MAX_VALUE - 8, budget / slotBytes);
        this.transientSlots = transientSlots(slotCount, used);
        this.policy = policy;
        this.reader = reader;
        int m = 0;
        this.shapeOf = new int[layouts.length];
        ExpertLayout[] distinct = new ExpertLayout[layouts.length];
        int n = 0;
        for (int l = 0; l < layouts.length; l++) {
            m = Math.max(m, layouts[l].matrices());
            int s = 0;
            while (s < n && !distinct[s].sameSlotShape(layouts[l])) {
                s++;
            }
            if (s == n) {
                distinct[n++] = layouts[l];
            }
            shapeOf[l] = s;
        }
        this.shapes = Arrays.copyOf(distinct, n);
        this.matrices = m;
        int keys = space.size();
        state = new byte[keys];
        slotOf = new int[keys];
        Arrays.fill(slotOf, -1);
        pins = new int[keys];
        cached = new boolean[keys];
        oneUse = new boolean[keys];
        prefetched = new boolean[keys];
        failure = new Throwable[keys];
        slotMemory = new MemorySegment[slotCount];
        views = new MemorySegment[slotCount][];
        free = new int[slotCount];
        hits = new long[layouts.length];
        misses = new long[layouts.length];
        prefetchHits = new long[layouts.length];
        int id = STORES.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        this.queued = new Read[keys];
        this.io = new ThreadPoolExecutor(ioThreads, ioThreads, 0, TimeUnit.SECONDS, new PriorityBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "moe4j-expert-io-" + id + "-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
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
        long max = 0;
        for (ExpertLayout l : layouts) {
            max = Math.max(max, l.slotBytes());
        }
        return (max + 4095) / 4096 * 4096;
    }

    /** Slots kept for experts the policy does not admit: a quarter of all, at least 1, at most {@code used}. */
    static int transientSlots(int slots, int used) {
        return Math.max(1, Math.min(used, slots / 4));
    }

    /** Bytes of a budget the policy caches in (the rest serves experts used once). */
    public static long cacheCapacity(long budget, long slotBytes, int used) {
        int slots = (int) Math.min(Integer.MAX_VALUE - 8, budget / slotBytes);
        return (long) (slots - transientSlots(slots, used)) * slotBytes;
    }

    public ExpertSpace space() {
        return space;
    }

    public long budget() {
        return budget;
    }

    public long slotBytes() {
        return slotBytes;
    }

    /** Matrices of one expert (3: gate, up, down). */
    public int matrices() {
        return matrices;
    }

    /** A cursor for one computing thread (an inference state). */
    public Cursor newCursor() {
        return new Cursor();
    }

    /** Starts reading the policy's pinned experts in the background (call once, after creation). */
    public void preloadPinned() {
        lock.lock();
        try {
            for (int key : policy.pinned()) {
                if (state[key] == ABSENT) {
                    int slot = claimSlot(key, true);
                    if (slot >= 0) {
                        startLoad(key, slot, false);
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
            return new StoreStats(policy.name(), budget, slotBytes, slotCount, (long) allocated * slotBytes,
                    hits.clone(), misses.clone(), prefetchHits.clone(), bytesRead, reads, readNanos, stallNanos,
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
        io.shutdown();
        boolean done = false;
        try {
            done = io.awaitTermination(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        reader.close();
        if (done) {
            arena.close();
        } else {
            LOG.warn("expert reads did not finish; leaving {} bytes of expert slots allocated", allocated * slotBytes);
        }
    }

    // ---- slots and loads (lock held) ----------------------------------------------------------------------------

    /**
     * A slot for {@code key}: cached if the policy admits it (evicting others), else a one-use slot if one is free
     * and {@code prefetch} is false. Returns -1 when there is none now.
     */
    private int claimSlot(int key, boolean prefetch) {
        if (closed) {
            throw new IllegalStateException("the expert store is closed");
        }
        if (policy.offer(key, slotBytes, prefetch, this::evictable, this::evict)) {
            cached[key] = true;
            return takeFreeSlot();
        }
        if (!prefetch && transientInUse < transientSlots) {
            transientInUse++;
            oneUse[key] = true;
            return takeFreeSlot();
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

    /** The cache holds at most its capacity and one-use slots at most their share, so a slot is always free here. */
    private int takeFreeSlot() {
        if (freeCount > 0) {
            return free[--freeCount];
        }
        if (allocated >= slotCount) {
            throw new IllegalStateException("expert slots exhausted: " + allocated + " of " + slotCount
                    + " in use (a bookkeeping error)");
        }
        int slot = allocated++;
        MemorySegment mem = arena.allocate(slotBytes, 4096);
        MemorySegment[] v = new MemorySegment[shapes.length * matrices];
        for (int s = 0; s < shapes.length; s++) {
            for (int m = 0; m < shapes[s].matrices(); m++) {
                v[s * matrices + m] = mem.asSlice(shapes[s].matrixSlotOffset(m), shapes[s].matrixBytes(m));
            }
        }
        slotMemory[slot] = mem;
        views[slot] = v;
        return slot;
    }

    private void freeSlot(int key) {
        if (oneUse[key]) {
            oneUse[key] = false;
            transientInUse--;
        }
        free[freeCount++] = slotOf[key];
        slotOf[key] = -1;
        state[key] = ABSENT;
        changed.signalAll();
    }

    private void startLoad(int key, int slot, boolean prefetch) {
        state[key] = LOADING;
        slotOf[key] = slot;
        failure[key] = null;
        prefetched[key] = prefetch;
        if (prefetch) {
            prefetchReads++;
        }
        Read read = new Read(key, slotMemory[slot], new AtomicBoolean(), prefetch, readSequence.incrementAndGet());
        queued[key] = prefetch ? read : null;
        submit(read);
    }

    private void submit(Read read) {
        try {
            io.execute(read);
        } catch (RejectedExecutionException e) {
            if (read.started.compareAndSet(false, true)) {
                finishLoad(read.key, new IllegalStateException("the expert store is closed", e), 0);
            }
        }
    }

    /**
     * A demand for an expert whose prefetch read is still queued: queue the same read again at demand priority;
     * whichever copy an I/O thread takes first does it, the other does nothing.
     */
    private void promote(int key) {
        Read r = queued[key];
        queued[key] = null;
        if (r != null && !r.started.get()) {
            submit(new Read(key, r.slot, r.started, false, readSequence.incrementAndGet()));
        }
    }

    /** One expert read, ordered for the I/O threads: demand before prefetch, then by arrival. */
    private final class Read implements Runnable, Comparable<Read> {
        final int key;
        final MemorySegment slot;
        final AtomicBoolean started; // shared by a prefetch and its promoted copy: one of them reads
        final boolean prefetch;
        final long sequence;

        Read(int key, MemorySegment slot, AtomicBoolean started, boolean prefetch, long sequence) {
            this.key = key;
            this.slot = slot;
            this.started = started;
            this.prefetch = prefetch;
            this.sequence = sequence;
        }

        @Override
        public int compareTo(Read o) {
            return prefetch != o.prefetch ? Boolean.compare(prefetch, o.prefetch) : Long.compare(sequence, o.sequence);
        }

        @Override
        public void run() {
            if (started.compareAndSet(false, true)) {
                load(key, slot);
            }
        }
    }

    /** On an I/O thread: reads every run of the expert into its slot. */
    private void load(int key, MemorySegment slot) {
        int l = space.layer(key);
        int e = space.expert(key);
        ExpertLayout layout = layouts[l];
        long start = System.nanoTime();
        Throwable error = null;
        try {
            for (int r = 0; r < layout.runs(); r++) {
                reader.read(layout.runShard(e, r), layout.runOffset(e, r),
                        slot.asSlice(layout.runSlotOffset(r), layout.runBytes(r)));
            }
        } catch (Exception | Error t) { // reported to the thread that needs the expert
            error = t;
        }
        long nanos = System.nanoTime() - start;
        lock.lock();
        try {
            finishLoad(key, error, nanos);
        } finally {
            lock.unlock();
        }
    }

    private void finishLoad(int key, Throwable error, long nanos) {
        queued[key] = null;
        readNanos += nanos;
        reads++;
        if (error == null) {
            bytesRead += layouts[space.layer(key)].readBytes();
            state[key] = READY;
        } else {
            failedReads++;
            failure[key] = error;
            state[key] = FAILED; // keeps its slot (and its place in the policy) until the last pin is gone
            prefetched[key] = false;
            LOG.debug("reading expert {} of block {} failed", space.expert(key), moeLayers[space.layer(key)], error);
        }
        releaseIfIdle(key);
        changed.signalAll();
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

    /** Pins {@code key} if it is resident or being read, or starts its read if a slot is free; false otherwise. */
    private boolean tryPin(int key) {
        if (state[key] == READY || state[key] == LOADING || state[key] == FAILED) {
            pins[key]++;
            return true;
        }
        int slot = claimSlot(key, false);
        if (slot < 0) {
            return false;
        }
        pins[key]++;
        startLoad(key, slot, false);
        return true;
    }

    private void unpin(int key) {
        pins[key]--;
        releaseIfIdle(key);
        changed.signalAll();
    }

    /**
     * The per-thread side of the store: the experts one MoE layer needs, pinned ahead in ascending order. Not
     * thread-safe; one per inference state.
     */
    public final class Cursor {
        private final int[] needed = new int[space.experts()];
        private final boolean[] predicted = new boolean[space.experts()];
        private final MemorySegment[] out = new MemorySegment[matrices];
        private int layer = -1;
        private int count;
        private int next;      // index in needed of the next expert to take
        private int pinnedTo;  // needed[next .. pinnedTo) are pinned
        private int predictedLayer = -1;

        private Cursor() {}

        /**
         * Starts MoE layer {@code moeLayer}: counts the use of every expert with {@code tokensPerExpert[e] > 0} and
         * starts the reads that free slots allow.
         */
        public void begin(int moeLayer, int[] tokensPerExpert) {
            if (count > next) {
                throw new IllegalStateException("begin before the previous layer's experts were all released");
            }
            layer = moeLayer;
            count = 0;
            next = 0;
            pinnedTo = 0;
            for (int e = 0; e < space.experts(); e++) {
                if (tokensPerExpert[e] > 0) {
                    needed[count++] = e;
                }
            }
            lock.lock();
            try {
                if (predictedLayer == moeLayer) {
                    for (int i = 0; i < count; i++) {
                        predictedUsed += predicted[needed[i]] ? 1 : 0;
                    }
                    predictedActual += count;
                    predictedLayer = -1;
                }
                for (int i = 0; i < count; i++) {
                    int key = space.key(moeLayer, needed[i]);
                    policy.access(key);
                    if (prefetched[key]) {
                        prefetchHits[moeLayer]++;
                        prefetched[key] = false;
                        promote(key);
                    } else if (state[key] == READY || state[key] == LOADING) {
                        hits[moeLayer]++;
                    } else {
                        misses[moeLayer]++;
                    }
                }
                pinAhead();
            } finally {
                lock.unlock();
            }
        }

        private void pinAhead() {
            while (pinnedTo < count && tryPin(space.key(layer, needed[pinnedTo]))) {
                pinnedTo++;
            }
        }

        /**
         * The matrices of {@code expert}, the next needed expert of this layer, once its bytes are in memory: views
         * of its slot, valid until {@link #done}. Waits only if the expert is being read (or no slot is free). A read
         * found failed is started once more before giving up.
         *
         * @throws Moe4jException if its read failed, and so did the retry
         */
        public MemorySegment[] take(int expert) {
            if (next >= count || needed[next] != expert) {
                throw new IllegalStateException("take(" + expert + ") out of order");
            }
            int key = space.key(layer, expert);
            lock.lock();
            try {
                long waitFrom = 0;
                while (pinnedTo == next && !tryPin(key)) { // holds no pin here, so waiting cannot deadlock
                    waitFrom = waitFrom == 0 ? System.nanoTime() : waitFrom;
                    changed.awaitUninterruptibly();
                }
                if (pinnedTo == next) {
                    pinnedTo++;
                }
                // A failed read is tried once more by the use that finds it: the failure may be left over from a read
                // an earlier (failed) pass started, and a transient I/O error should not fail every later pass.
                for (boolean retried = false; ; retried = true) {
                    while (state[key] == LOADING) {
                        waitFrom = waitFrom == 0 ? System.nanoTime() : waitFrom;
                        changed.awaitUninterruptibly();
                    }
                    if (state[key] != FAILED || retried) {
                        break;
                    }
                    startLoad(key, slotOf[key], false); // the pinned, failed expert keeps its slot
                }
                if (waitFrom != 0) {
                    stallNanos += System.nanoTime() - waitFrom;
                }
                if (state[key] == FAILED) {
                    Throwable cause = failure[key];
                    next++;
                    unpin(key);
                    throw new Moe4jException("cannot read expert " + expert + " of block " + moeLayers[layer] + " ("
                            + sources[layer] + "): " + cause.getMessage(), cause);
                }
                MemorySegment[] v = views[slotOf[key]];
                int s = shapeOf[layer];
                System.arraycopy(v, s * matrices, out, 0, matrices);
                return out;
            } finally {
                lock.unlock();
            }
        }

        /** Releases the expert returned by the last {@link #take} and starts further reads. */
        public void done(int expert) {
            if (next >= count || needed[next] != expert) {
                throw new IllegalStateException("done(" + expert + ") out of order");
            }
            lock.lock();
            try {
                unpin(space.key(layer, expert));
                next++;
                pinAhead();
            } finally {
                lock.unlock();
            }
        }

        /** Releases every pin this layer still holds (after a failure); a no-op when all were done. */
        public void end() {
            if (pinnedTo <= next) {
                next = count;
                pinnedTo = count;
                return;
            }
            lock.lock();
            try {
                for (int i = next; i < pinnedTo; i++) {
                    unpin(space.key(layer, needed[i]));
                }
            } finally {
                next = count;
                pinnedTo = count;
                lock.unlock();
            }
        }

        /**
         * Starts reads of experts predicted for MoE layer {@code moeLayer} (ids[0 .. n), repeats allowed) into cache
         * slots the policy gives up without waiting; remembers the prediction to measure its recall.
         */
        public void prefetch(int moeLayer, int[] ids, int n) {
            Arrays.fill(predicted, false);
            for (int i = 0; i < n; i++) {
                predicted[ids[i]] = true;
            }
            predictedLayer = moeLayer;
            lock.lock();
            try {
                for (int e = 0; e < space.experts(); e++) {
                    int key = space.key(moeLayer, e);
                    if (predicted[e] && state[key] == ABSENT) {
                        int slot = claimSlot(key, true);
                        if (slot >= 0) {
                            startLoad(key, slot, true);
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }
}
