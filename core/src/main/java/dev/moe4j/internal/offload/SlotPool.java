package dev.moe4j.internal.offload;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The off-heap slots of an {@link ExpertStore}: {@code slotCount = budget / slotBytes} equal slots, each holding one
 * expert of any MoE layer, allocated (page-aligned) on first use and never more, so the bytes held never exceed the
 * budget. A freed slot is reused before a new one is allocated.
 *
 * <p>Each slot is seen through per-matrix views for every distinct slot shape of the layers (where each matrix of an
 * expert lies in its slot), made once when the slot is allocated.
 *
 * <p>Not thread-safe: the store calls it under its lock. {@link #close()} frees every slot at once.
 */
final class SlotPool implements AutoCloseable {
    private final long slotBytes;
    private final int slotCount;
    private final int[] shapeOf;          // per MoE layer: which slot shape (matrix offsets) it uses
    private final ExpertLayout[] shapes;  // the distinct slot shapes
    private final int matrices;           // most matrices of an expert over all layers
    private final Arena arena = Arena.ofShared();
    private final MemorySegment[] memory; // [slot], null until allocated
    private final MemorySegment[][] views; // [slot][shape · matrices + m]
    private final int[] free;
    private int freeCount;
    private int allocated;

    /**
     * @param layouts where each MoE layer's experts are, in MoE layer order
     * @param budget  bytes the slots may take: at least {@link #slotBytes(ExpertLayout[])}
     */
    SlotPool(ExpertLayout[] layouts, long budget) {
        this.slotBytes = slotBytes(layouts);
        this.slotCount = slotCount(budget, slotBytes);
        this.shapeOf = new int[layouts.length];
        ExpertLayout[] distinct = new ExpertLayout[layouts.length];
        int n = 0;
        int m = 0;
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
        this.memory = new MemorySegment[slotCount];
        this.views = new MemorySegment[slotCount][];
        this.free = new int[slotCount];
    }

    /** Bytes of one slot: the largest expert of any layer, rounded up to whole pages. */
    static long slotBytes(ExpertLayout[] layouts) {
        long max = 0;
        for (ExpertLayout l : layouts) {
            max = Math.max(max, l.slotBytes());
        }
        return (max + 4095) / 4096 * 4096;
    }

    /** Slots a budget holds. */
    static int slotCount(long budget, long slotBytes) {
        return (int) Math.min(Integer.MAX_VALUE - 8, budget / slotBytes);
    }

    long slotBytes() {
        return slotBytes;
    }

    int slotCount() {
        return slotCount;
    }

    /** Bytes of the slots allocated so far (never above the budget). */
    long allocatedBytes() {
        return (long) allocated * slotBytes;
    }

    /**
     * A free slot: a released one, else a newly allocated one.
     *
     * @throws IllegalStateException if every slot is allocated and in use (the store's accounting keeps this from
     *                               happening)
     */
    int take() {
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
        memory[slot] = mem;
        views[slot] = v;
        return slot;
    }

    /** Gives a slot taken with {@link #take} back for reuse (its memory stays allocated). */
    void release(int slot) {
        free[freeCount++] = slot;
    }

    /** The whole slot, for reads. */
    MemorySegment memory(int slot) {
        return memory[slot];
    }

    /** Puts the views of the expert matrices in {@code slot}, as MoE layer {@code layer} lays them out, in {@code out}. */
    void matrices(int slot, int layer, MemorySegment[] out) {
        System.arraycopy(views[slot], shapeOf[layer] * matrices, out, 0, matrices);
    }

    /** Matrices of one expert: the length of {@link #matrices}'s output (3: gate, up, down). */
    int matricesPerExpert() {
        return matrices;
    }

    /** Frees every slot; their memory becomes inaccessible. Only when no read or computation uses a slot. */
    @Override
    public void close() {
        arena.close();
    }
}
