package dev.moe4j.internal.gpu;

import dev.moe4j.internal.gpu.PlacementItem.Kind;
import dev.moe4j.internal.offload.MemoryBudget;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@link PlacementPlanner} decided: every item in planning order, which of them go to the GPU, and the bytes they
 * take. Immutable.
 */
public final class PlacementPlan {
    private final long budget;
    private final List<PlacementItem> items;
    private final List<PlacementItem> gpu;
    private final Set<PlacementItem> onGpu;
    private final long usedBytes;
    private final boolean byProfile;

    PlacementPlan(long budget, List<PlacementItem> items, List<PlacementItem> gpu, boolean byProfile) {
        this.budget = budget;
        this.items = List.copyOf(items);
        this.gpu = List.copyOf(gpu);
        Set<PlacementItem> s = Collections.newSetFromMap(new IdentityHashMap<>());
        s.addAll(gpu);
        this.onGpu = Collections.unmodifiableSet(s);
        this.usedBytes = gpu.stream().mapToLong(PlacementItem::bytes).sum();
        this.byProfile = byProfile;
        if (usedBytes > budget) {
            throw new IllegalStateException("plan uses " + usedBytes + " bytes of a " + budget + " byte budget");
        }
    }

    /** The budget the plan was made for, in bytes. */
    public long budgetBytes() {
        return budget;
    }

    /** Bytes of everything placed on the GPU; never above {@link #budgetBytes()}. */
    public long usedBytes() {
        return usedBytes;
    }

    /** Every item, in planning order (see {@link PlacementPlanner}). */
    public List<PlacementItem> items() {
        return items;
    }

    /** The items placed on the GPU, in planning order. */
    public List<PlacementItem> gpuItems() {
        return gpu;
    }

    /** Whether this very item (by identity, as passed to the planner) is on the GPU. */
    public boolean onGpu(PlacementItem item) {
        return onGpu.contains(item);
    }

    /** Items of {@code kind} placed on the GPU. */
    public long count(Kind kind, boolean placed) {
        return items.stream().filter(i -> i.kind() == kind && onGpu(i) == placed).count();
    }

    /** Bytes of the items of {@code kind} on the GPU ({@code placed}) or left on the CPU. */
    public long bytes(Kind kind, boolean placed) {
        return items.stream().filter(i -> i.kind() == kind && onGpu(i) == placed).mapToLong(PlacementItem::bytes).sum();
    }

    /** Whether anything at all goes to the GPU. */
    public boolean usesGpu() {
        return !gpu.isEmpty();
    }

    /**
     * One line, e.g. {@code GPU 4.0 GiB budget, 3.9 GiB used: always-active weights 120/120 (1.1 GiB), KV cache 27/27
     * (216.0 MiB), output 2/2, embeddings 0/1, routed experts 1500/1664 by routing profile; on the CPU: 410.0 MiB}.
     */
    public String summary() {
        if (!usesGpu() && items.stream().anyMatch(i -> i.kind() == Kind.WORKSPACE)) {
            return "GPU " + MemoryBudget.format(budget) + " budget: too small for the workspace ("
                    + MemoryBudget.format(bytes(Kind.WORKSPACE, false)) + "), everything stays on the CPU";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "GPU %s budget, %s used:",
                MemoryBudget.format(budget), MemoryBudget.format(usedBytes)));
        part(b, "always-active weights", Kind.LAYER_WEIGHT);
        part(b, "KV cache (layers)", Kind.KV_CACHE);
        part(b, "output", Kind.OUTPUT);
        part(b, "embeddings", Kind.EMBEDDING);
        part(b, "routed experts", Kind.ROUTED_EXPERT);
        if (count(Kind.ROUTED_EXPERT, true) + count(Kind.ROUTED_EXPERT, false) > 0) {
            b.append(byProfile ? " hottest by routing profile" : " in block order");
        }
        long cpu = items.stream().filter(i -> !onGpu(i)).mapToLong(PlacementItem::bytes).sum();
        b.append("; on the CPU: ").append(MemoryBudget.format(cpu));
        return b.toString();
    }

    private void part(StringBuilder b, String label, Kind kind) {
        long in = count(kind, true);
        long all = in + count(kind, false);
        if (all > 0) {
            b.append(b.charAt(b.length() - 1) == ':' ? " " : ", ").append(label).append(' ').append(in).append('/')
                    .append(all).append(" (").append(MemoryBudget.format(bytes(kind, true))).append(')');
        }
    }

    @Override
    public String toString() {
        return summary();
    }
}
