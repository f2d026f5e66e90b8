package dev.moe4j.internal.offload;

import java.util.function.IntConsumer;
import java.util.function.IntPredicate;

/**
 * Least recently used: admits every expert and evicts the evictable residents used longest ago. The baseline the
 * other policies are measured against. On routing traces it has a known weakness: layers are visited in a cycle, so the
 * least recently used experts are those of the layer about to run.
 */
public final class LruPolicy implements CachePolicy {
    private final ExpertSpace space;
    private final long capacity;
    private final KeyList order;
    private final long[] bytes;
    private long resident;

    public LruPolicy(ExpertSpace space, long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacity must be >= 0, got " + capacityBytes);
        }
        this.space = space;
        this.capacity = capacityBytes;
        this.order = new KeyList(space.size());
        this.bytes = new long[space.size()];
    }

    @Override
    public String name() {
        return "lru";
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public long residentBytes() {
        return resident;
    }

    @Override
    public int residentCount() {
        return order.size();
    }

    @Override
    public boolean contains(int key) {
        space.check(key);
        return order.contains(key);
    }

    @Override
    public boolean access(int key) {
        space.check(key);
        if (order.contains(key)) {
            order.moveToFront(key);
            return true;
        }
        return false;
    }

    @Override
    public boolean offer(int key, long size, boolean prefetch, IntPredicate evictable, IntConsumer evicted) {
        space.check(key);
        Policies.checkSize(size);
        if (order.contains(key)) {
            return true;
        }
        if (size > capacity) {
            return false;
        }
        // find enough victims first, so a refusal evicts nothing
        long freed = 0;
        long need = resident + size - capacity;
        for (int k = order.last(); k >= 0 && freed < need; k = order.newer(k)) {
            if (evictable.test(k)) {
                freed += bytes[k];
            }
        }
        if (freed < need) {
            return false;
        }
        freed = 0;
        for (int k = order.last(); k >= 0 && freed < need; ) {
            int newer = order.newer(k);
            if (evictable.test(k)) {
                freed += bytes[k];
                drop(k);
                evicted.accept(k);
            }
            k = newer;
        }
        order.addFirst(key);
        bytes[key] = size;
        resident += size;
        return true;
    }

    @Override
    public void remove(int key) {
        space.check(key);
        if (order.contains(key)) {
            drop(key);
        }
    }

    private void drop(int key) {
        order.remove(key);
        resident -= bytes[key];
        bytes[key] = 0;
    }
}
