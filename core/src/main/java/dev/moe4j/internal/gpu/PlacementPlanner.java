package dev.moe4j.internal.gpu;

import dev.moe4j.RoutingProfile;
import dev.moe4j.internal.gpu.PlacementItem.Kind;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Decides what of a model goes to the GPU under a budget of device memory. Pure: no device, no file.
 *
 * <p>The order, which is also the order in which things stay on the CPU when the budget runs out:
 * <ol>
 * <li>the {@linkplain Kind#WORKSPACE workspace} (activation scratch): if it does not fit, nothing is placed;</li>
 * <li>the always-active part, block by block in ascending {@code blk.N} order: the block's
 *     {@linkplain Kind#LAYER_WEIGHT weights} (in the order given), then its {@linkplain Kind#KV_CACHE KV cache};
 *     then the {@linkplain Kind#OUTPUT output} tensors, then the {@linkplain Kind#EMBEDDING embedding} table;</li>
 * <li>the routed experts, hottest first: by descending count of a {@link RoutingProfile} (ties: lower block, then
 *     lower expert first), or without a profile in block order, expert 0 first.</li>
 * </ol>
 * Every item in that order goes to the GPU if it still fits in what is left of the budget (first fit: a smaller item
 * after one that did not fit may still go). So the budget is never exceeded, and the plan is a function of its inputs
 * alone.
 */
public final class PlacementPlanner {
    private PlacementPlanner() {}

    /**
     * @param items   everything that could go: at most one workspace, any other items; experts need not be sorted
     * @param budget  bytes of device memory the plan may use, at least 0
     * @param profile routing counts of this model, or null (then experts go in block order)
     * @throws IllegalArgumentException for a negative budget, or a profile that has no block or expert of an item
     */
    public static PlacementPlan plan(List<PlacementItem> items, long budget, RoutingProfile profile) {
        if (budget < 0) {
            throw new IllegalArgumentException("GPU budget must be >= 0 bytes, got " + budget);
        }
        List<PlacementItem> order = order(items, profile);
        List<PlacementItem> gpu = new ArrayList<>();
        long left = budget;
        boolean workspaceFits = true;
        for (PlacementItem it : order) {
            if (it.kind() == Kind.WORKSPACE && it.bytes() > left) {
                workspaceFits = false;
            }
            if (workspaceFits && it.bytes() <= left) {
                gpu.add(it);
                left -= it.bytes();
            }
        }
        return new PlacementPlan(budget, order, gpu, profile != null);
    }

    /** Every item in planning order (see the class comment). */
    static List<PlacementItem> order(List<PlacementItem> items, RoutingProfile profile) {
        List<PlacementItem> out = new ArrayList<>(items.size());
        items.stream().filter(i -> i.kind() == Kind.WORKSPACE).forEach(out::add);
        if (out.size() > 1) {
            throw new IllegalArgumentException("at most one workspace item, got " + out.size());
        }
        // blocks ascending, each block's weights in the given order then its KV cache (a stable sort keeps the order)
        items.stream().filter(i -> i.kind() == Kind.LAYER_WEIGHT || i.kind() == Kind.KV_CACHE)
                .sorted(Comparator.comparingInt(PlacementItem::layer)
                        .thenComparingInt(i -> i.kind() == Kind.KV_CACHE ? 1 : 0))
                .forEach(out::add);
        items.stream().filter(i -> i.kind() == Kind.OUTPUT).forEach(out::add);
        items.stream().filter(i -> i.kind() == Kind.EMBEDDING).forEach(out::add);
        Comparator<PlacementItem> blockOrder = Comparator.comparingInt(PlacementItem::layer)
                .thenComparingInt(PlacementItem::expert);
        Comparator<PlacementItem> experts = profile == null ? blockOrder
                : Comparator.<PlacementItem>comparingLong(i -> -count(profile, i)).thenComparing(blockOrder);
        items.stream().filter(i -> i.kind() == Kind.ROUTED_EXPERT).sorted(experts).forEach(out::add);
        return out;
    }

    private static long count(RoutingProfile p, PlacementItem i) {
        if (i.layer() >= p.blocks() || i.expert() >= p.experts()) {
            throw new IllegalArgumentException("the routing profile (" + p.blocks() + " blocks, " + p.experts()
                    + " experts) has no " + i.name());
        }
        return p.count(i.layer(), i.expert());
    }
}
