package dev.moe4j.internal.offload;

import dev.moe4j.Moe4jException;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link ExpertStore.Cursor}: one computing thread's walk through the experts of its MoE layers. It keeps the layer's
 * needed experts in ascending order and pins them ahead of use as far as slots allow ({@code needed[next, pinnedTo)}
 * are pinned); each step holds the store's lock and uses the store's bookkeeping primitives. Not thread-safe.
 */
final class LayerCursor implements ExpertStore.Cursor {
    private final ExpertStore store;
    private final ExpertSpace space;
    private final ReentrantLock lock;
    private final int[] needed;
    private final boolean[] predicted;
    private final MemorySegment[] out;
    private int layer = -1;
    private int count;
    private int next;      // index in needed of the next expert to take
    private int pinnedTo;  // needed[next .. pinnedTo) are pinned
    private int predictedLayer = -1;

    LayerCursor(ExpertStore store, ExpertSpace space, ReentrantLock lock, int matrices) {
        this.store = store;
        this.space = space;
        this.lock = lock;
        this.needed = new int[space.experts()];
        this.predicted = new boolean[space.experts()];
        this.out = new MemorySegment[matrices];
    }

    @Override
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
                int hits = 0;
                for (int i = 0; i < count; i++) {
                    hits += predicted[needed[i]] ? 1 : 0;
                }
                store.countPrediction(hits, count);
                predictedLayer = -1;
            }
            for (int i = 0; i < count; i++) {
                store.countUse(moeLayer, space.key(moeLayer, needed[i]));
            }
            pinAhead();
        } finally {
            lock.unlock();
        }
    }

    private void pinAhead() {
        while (pinnedTo < count && store.tryPin(space.key(layer, needed[pinnedTo]))) {
            pinnedTo++;
        }
    }

    @Override
    public MemorySegment[] take(int expert) {
        if (next >= count || needed[next] != expert) {
            throw new IllegalStateException("take(" + expert + ") out of order");
        }
        int key = space.key(layer, expert);
        lock.lock();
        try {
            long waitFrom = 0;
            while (pinnedTo == next && !store.tryPin(key)) { // holds no pin here, so waiting cannot deadlock
                waitFrom = waitFrom == 0 ? System.nanoTime() : waitFrom;
                store.awaitChange();
            }
            if (pinnedTo == next) {
                pinnedTo++;
            }
            // A failed read is tried once more by the use that finds it: the failure may be left over from a read an
            // earlier (failed) pass started, and a transient I/O error should not fail every later pass.
            for (boolean retried = false; ; retried = true) {
                while (store.loading(key)) {
                    waitFrom = waitFrom == 0 ? System.nanoTime() : waitFrom;
                    store.awaitChange();
                }
                if (!store.failed(key) || retried) {
                    break;
                }
                store.reread(key);
            }
            if (waitFrom != 0) {
                store.countStall(System.nanoTime() - waitFrom);
            }
            if (store.failed(key)) {
                Moe4jException failure = store.readFailure(key);
                next++;
                store.unpin(key);
                throw failure;
            }
            store.matrices(key, out);
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void done(int expert) {
        if (next >= count || needed[next] != expert) {
            throw new IllegalStateException("done(" + expert + ") out of order");
        }
        lock.lock();
        try {
            store.unpin(space.key(layer, expert));
            next++;
            pinAhead();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void end() {
        if (pinnedTo <= next) {
            next = count;
            pinnedTo = count;
            return;
        }
        lock.lock();
        try {
            for (int i = next; i < pinnedTo; i++) {
                store.unpin(space.key(layer, needed[i]));
            }
        } finally {
            next = count;
            pinnedTo = count;
            lock.unlock();
        }
    }

    @Override
    public void prefetch(int moeLayer, int[] ids, int n) {
        Arrays.fill(predicted, false);
        for (int i = 0; i < n; i++) {
            predicted[ids[i]] = true;
        }
        predictedLayer = moeLayer;
        lock.lock();
        try {
            for (int e = 0; e < space.experts(); e++) {
                if (predicted[e]) {
                    store.prefetch(space.key(moeLayer, e));
                }
            }
        } finally {
            lock.unlock();
        }
    }
}
