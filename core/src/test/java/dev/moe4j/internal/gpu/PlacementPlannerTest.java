package dev.moe4j.internal.gpu;

import dev.moe4j.RoutingProfile;
import dev.moe4j.internal.gpu.PlacementItem.Kind;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlacementPlannerTest {

    /** A small MoE model: 3 blocks (block 0 dense), 8 experts of 100 bytes in blocks 1 and 2. */
    static List<PlacementItem> model() {
        List<PlacementItem> items = new ArrayList<>();
        items.add(new PlacementItem("workspace", Kind.WORKSPACE, -1, -1, 10));
        items.add(new PlacementItem("token_embd.weight", Kind.EMBEDDING, -1, -1, 500));
        items.add(new PlacementItem("output_norm.weight", Kind.OUTPUT, -1, -1, 4));
        items.add(new PlacementItem("output.weight", Kind.OUTPUT, -1, -1, 500));
        for (int l = 2; l >= 0; l--) { // deliberately not in block order
            items.add(new PlacementItem("blk." + l + ".attn_q.weight", Kind.LAYER_WEIGHT, l, -1, 50));
            items.add(new PlacementItem("blk." + l + ".attn_norm.weight", Kind.LAYER_WEIGHT, l, -1, 2));
            items.add(PlacementItem.kvCache(l, 30));
            if (l > 0) {
                for (int e = 7; e >= 0; e--) {
                    items.add(PlacementItem.expert(l, e, 100));
                }
            }
        }
        return items;
    }

    @Test
    void everythingFitsInALargeBudget() {
        List<PlacementItem> items = model();
        long total = items.stream().mapToLong(PlacementItem::bytes).sum();
        PlacementPlan p = PlacementPlanner.plan(items, total, null);
        assertEquals(total, p.usedBytes());
        assertEquals(items.size(), p.gpuItems().size());
        assertTrue(p.summary().contains("routed experts 16/16"), p.summary());
    }

    @Test
    void alwaysActiveWeightsAndKvCacheGoFirstInBlockOrder() {
        PlacementPlan p = PlacementPlanner.plan(model(), 10 + 3 * 82, null);
        for (PlacementItem i : p.items()) {
            boolean expected = i.kind() == Kind.WORKSPACE || i.kind() == Kind.LAYER_WEIGHT || i.kind() == Kind.KV_CACHE;
            assertEquals(expected, p.onGpu(i), i.name());
        }
        List<String> order = p.items().stream().map(PlacementItem::name).toList();
        assertEquals(List.of("workspace", "blk.0.attn_q.weight", "blk.0.attn_norm.weight", "blk.0 KV cache",
                "blk.1.attn_q.weight", "blk.1.attn_norm.weight", "blk.1 KV cache"), order.subList(0, 7));
        assertTrue(order.indexOf("output.weight") < order.indexOf("token_embd.weight"));
    }

    @Test
    void whatDoesNotFitStaysOnTheCpuInTheDocumentedOrder() {
        // workspace + block 0 (82) + block 1's q (50) = 142; block 1's norm (2) still fits, its KV cache (30) not
        PlacementPlan p = PlacementPlanner.plan(model(), 144, null);
        List<String> gpu = p.gpuItems().stream().map(PlacementItem::name).toList();
        assertEquals(List.of("workspace", "blk.0.attn_q.weight", "blk.0.attn_norm.weight", "blk.0 KV cache",
                "blk.1.attn_q.weight", "blk.1.attn_norm.weight"), gpu);
        assertEquals(144, p.usedBytes());
    }

    @Test
    void hotExpertsAreChosenFirst() {
        long[][] counts = new long[2][8];
        counts[0][3] = 50; // block 1 expert 3: hottest
        counts[1][6] = 40; // block 2 expert 6
        counts[1][1] = 40; // block 2 expert 1: same count, lower id first
        counts[0][0] = 10;
        RoutingProfile profile = profile(counts);
        long alwaysActive = 10 + 3 * 82 + 504 + 500;
        PlacementPlan p = PlacementPlanner.plan(model(), alwaysActive + 300 + 99, profile);
        List<String> experts = p.gpuItems().stream().filter(i -> i.kind() == Kind.ROUTED_EXPERT)
                .map(PlacementItem::name).toList();
        assertEquals(List.of("blk.1 expert 3", "blk.2 expert 1", "blk.2 expert 6"), experts);
        assertTrue(p.summary().contains("routed experts 3/16") && p.summary().contains("by routing profile"),
                p.summary());
    }

    @Test
    void withoutAProfileExpertsGoInBlockOrder() {
        long alwaysActive = 10 + 3 * 82 + 504 + 500;
        PlacementPlan p = PlacementPlanner.plan(model(), alwaysActive + 1000, null);
        List<String> experts = p.gpuItems().stream().filter(i -> i.kind() == Kind.ROUTED_EXPERT)
                .map(PlacementItem::name).toList();
        assertEquals(10, experts.size());
        assertEquals("blk.1 expert 0", experts.get(0));
        assertEquals("blk.1 expert 7", experts.get(7));
        assertEquals("blk.2 expert 1", experts.get(9));
    }

    @Test
    void tinyBudgetsPlaceNothingOrOnlyWhatFits() {
        PlacementPlan none = PlacementPlanner.plan(model(), 9, null); // below the workspace
        assertFalse(none.usesGpu());
        assertEquals(0, none.usedBytes());
        assertTrue(none.summary().contains("everything stays on the CPU"), none.summary());
        PlacementPlan zero = PlacementPlanner.plan(model(), 0, null);
        assertFalse(zero.usesGpu());
        PlacementPlan some = PlacementPlanner.plan(model(), 12, null); // workspace + one norm
        assertEquals(List.of("workspace", "blk.0.attn_norm.weight"),
                some.gpuItems().stream().map(PlacementItem::name).toList());
    }

    @Test
    void aModelWithoutExpertsIsPlannedToo() {
        List<PlacementItem> dense = model().stream().filter(i -> i.kind() != Kind.ROUTED_EXPERT).toList();
        PlacementPlan p = PlacementPlanner.plan(dense, 1 << 20, null);
        assertEquals(dense.size(), p.gpuItems().size());
        assertFalse(p.summary().contains("routed experts"), p.summary());
        assertFalse(PlacementPlanner.plan(List.of(), 100, null).usesGpu());
    }

    @Test
    void theBudgetIsNeverExceeded() {
        long seed = System.nanoTime();
        Random r = new Random(seed);
        for (int round = 0; round < 200; round++) {
            List<PlacementItem> items = new ArrayList<>();
            if (r.nextBoolean()) {
                items.add(new PlacementItem("workspace", Kind.WORKSPACE, -1, -1, r.nextInt(1000)));
            }
            int blocks = 1 + r.nextInt(5);
            for (int l = 0; l < blocks; l++) {
                items.add(new PlacementItem("blk." + l + ".w", Kind.LAYER_WEIGHT, l, -1, r.nextInt(5000)));
                items.add(PlacementItem.kvCache(l, r.nextInt(3000)));
                for (int e = 0; e < r.nextInt(6); e++) {
                    items.add(PlacementItem.expert(l, e, r.nextInt(4000)));
                }
            }
            items.add(new PlacementItem("output.weight", Kind.OUTPUT, -1, -1, r.nextInt(9000)));
            long budget = r.nextInt(40_000);
            PlacementPlan p = PlacementPlanner.plan(items, budget, null);
            long sum = p.gpuItems().stream().mapToLong(PlacementItem::bytes).sum();
            assertEquals(sum, p.usedBytes(), "seed " + seed);
            assertTrue(sum <= budget, "seed " + seed + ": " + sum + " > " + budget);
            // first fit: nothing left on the CPU would still fit (once the workspace is in)
            if (p.usesGpu() || items.stream().noneMatch(i -> i.kind() == Kind.WORKSPACE)) {
                long left = budget - sum;
                for (PlacementItem i : p.items()) {
                    assertTrue(p.onGpu(i) || i.bytes() > left, "seed " + seed + ": " + i + " fits in " + left);
                }
            }
        }
    }

    @Test
    void badInputsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PlacementPlanner.plan(model(), -1, null));
        RoutingProfile small = dev.moe4j.internal.ApiValues.get().routingProfile(2, 8, 1, new int[] {1}, new long[] {0}, new long[][] {new long[8]});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PlacementPlanner.plan(model(), 1000, small));
        assertTrue(e.getMessage().contains("blk.2 expert"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PlacementItem.expert(-1, 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new PlacementItem("x", Kind.LAYER_WEIGHT, 0, 3, 1));
    }

    /** A profile of blocks 1 and 2 with one expert used per token: each block's tokens are its counts' sum. */
    private static RoutingProfile profile(long[][] counts) {
        long[] tokens = new long[counts.length];
        for (int i = 0; i < counts.length; i++) {
            for (long c : counts[i]) {
                tokens[i] += c;
            }
        }
        return dev.moe4j.internal.ApiValues.get().routingProfile(3, 8, 1, new int[] {1, 2}, tokens, counts);
    }
}
