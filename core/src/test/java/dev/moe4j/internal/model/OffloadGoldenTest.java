package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.internal.offload.ExpertLayout;
import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.Policies;
import dev.moe4j.internal.offload.StoreStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden models run with their routed experts offloaded into budgets of a few experts (so nearly every use evicts
 * another): the logits of every step are bit-identical to the memory-mapped run's, batched prompt and token by token,
 * and the bytes held for experts never exceed the budget, checked at every MoE layer of every token.
 */
class OffloadGoldenTest {
    @TempDir
    Path dir;

    /** Runs {@code g} with experts in {@code slots} slots (or mapped when 0); checks the budget all along. */
    private static GoldenComparison.Run run(Path model, GoldenCase g, int slots, String policy, boolean prefill,
                                            StoreStats[] statsOut) throws IOException {
        try (GgufFile file = GgufFile.open(model);
             LanguageModel m = LanguageModels.load(file, ModelOptions.defaults(2))) {
            if (slots == 0) {
                return GoldenComparison.run(m, g, prefill);
            }
            ExpertLayout[] layouts = ExpertOffload.layouts(m, file);
            long budget = slots * ExpertStore.slotBytes(layouts) + 123; // not a whole number of slots
            var settings = new ExpertOffload.Settings(budget, policy, null, 0, 2, true);
            try (ExpertStore store = ExpertOffload.attach(m, file, layouts, settings)) {
                AtomicLong peak = new AtomicLong();
                RoutedExperts.setRoutingListener(m, (layer, pos, ids, off, k) -> {
                    long r = store.stats().residentBytes();
                    peak.accumulateAndGet(r, Math::max);
                    assertTrue(r <= budget, "block " + layer + " position " + pos + ": " + r + " bytes of experts, "
                            + "budget " + budget);
                });
                GoldenComparison.Run run = GoldenComparison.run(m, g, prefill);
                StoreStats st = store.stats();
                assertTrue(peak.get() > 0 && st.residentBytes() <= budget);
                statsOut[0] = st;
                return run;
            }
        }
    }

    /** Budgets (slots, policy, batched prompt or not) to compare with the mapped run; 1 slot reads every use. */
    private record Case(int slots, String policy, boolean prefill) {}

    private void bitIdentical(String name, Path model, boolean all) throws IOException {
        GoldenCase g = GoldenCase.load(name);
        int k = g.expertsUsed();
        Case[] cases = all ? new Case[] {
                new Case(k + 1, Policies.LAYERED, true), new Case(3 * k, Policies.LAYERED, true),
                new Case(k + 1, Policies.LAYERED, false), new Case(3 * k, Policies.LAYERED, false),
                new Case(k + 1, Policies.LRU, false), new Case(1, Policies.TINY_LFU, false)}
                : new Case[] {new Case(k + 1, Policies.LAYERED, false)};
        GoldenComparison.Run[] mapped = new GoldenComparison.Run[2];
        for (Case c : cases) {
            int p = c.prefill() ? 1 : 0;
            if (mapped[p] == null) {
                mapped[p] = run(model, g, 0, null, c.prefill(), new StoreStats[1]);
            }
            StoreStats[] st = new StoreStats[1];
            GoldenComparison.Run off = run(model, g, c.slots(), c.policy(), c.prefill(), st);
            String label = c.slots() + " slots " + c.policy() + (c.prefill() ? " prefill" : " token by token");
            for (int i = 0; i < off.rows().length; i++) {
                assertArrayEquals(mapped[p].rows()[i], off.rows()[i], name + " " + label + ": logits of step " + i);
            }
            assertTrue(st[0].evictions() > 0 || c.slots() == 1, label + ": the budget forced evictions");
            assertTrue(st[0].totalMisses() > 0, label);
            System.out.printf("%-22s %-30s hits %4d misses %4d prefetch hits %4d evictions %4d recall %.2f%n",
                    name, label, st[0].totalHits(), st[0].totalMisses(), st[0].totalPrefetchHits(),
                    st[0].evictions(), st[0].prefetchRecall());
        }
    }

    @Test
    void deepseek2() throws IOException {
        bitIdentical("ds2-tiny-f32", GoldenCase.load("ds2-tiny-f32").model(), true);
    }

    @Test
    void qwen3moe() throws IOException {
        bitIdentical("qwen3moe-tiny-f32", GoldenCase.load("qwen3moe-tiny-f32").model(), true);
    }

    @Test
    void mixtral() throws IOException {
        bitIdentical("mixtral-tiny-f32", GoldenCase.load("mixtral-tiny-f32").model(), true);
    }

    /** Old Mixtral files: one 2-D tensor per expert and matrix. */
    @Test
    void mixtralPerExpertTensors() throws IOException {
        GoldenCase g = GoldenCase.load("mixtral-tiny-f32");
        Path split = dir.resolve("per-expert.gguf");
        try (GgufFile src = GgufFile.open(g.model())) {
            int layers = src.metadata().getInt("llama.block_count");
            GgufWriter w = GgufRewrite.copy(src, k -> true, t -> !t.contains("_exps"));
            for (int l = 0; l < layers; l++) {
                for (String kind : new String[] {"gate", "up", "down"}) {
                    GgufTensor stack = src.tensor("blk." + l + ".ffn_" + kind + "_exps.weight").orElseThrow();
                    long[] dims = stack.dims();
                    long bytes = stack.byteSize() / dims[2];
                    for (int e = 0; e < dims[2]; e++) {
                        w.tensor("blk." + l + ".ffn_" + kind + "." + e + ".weight", stack.type(),
                                new long[] {dims[0], dims[1]}, stack.segment().asSlice(e * bytes, bytes).toArray(JAVA_BYTE));
                    }
                }
            }
            w.write(split);
        }
        bitIdentical("mixtral-tiny-f32", split, false);
    }

    /** Three states decoding at once on one model, sharing a store of k + 1 slots: each gets the mapped run's logits. */
    @Test
    void concurrentStatesShareOneStore() throws Exception {
        GoldenCase g = GoldenCase.load("qwen3moe-tiny-f32");
        GoldenComparison.Run mapped = run(g.model(), g, 0, null, false, new StoreStats[1]);
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel m = LanguageModels.load(file, ModelOptions.defaults(1))) {
            ExpertLayout[] layouts = ExpertOffload.layouts(m, file);
            long budget = (g.expertsUsed() + 1) * ExpertStore.slotBytes(layouts);
            var settings = new ExpertOffload.Settings(budget, Policies.LAYERED, null, 0, 2, true);
            try (ExpertStore store = ExpertOffload.attach(m, file, layouts, settings)) {
                var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
                try {
                    var runs = new java.util.ArrayList<java.util.concurrent.Future<GoldenComparison.Run>>();
                    for (int i = 0; i < 3; i++) {
                        runs.add(pool.submit(() -> GoldenComparison.run(m, g, false)));
                    }
                    for (var f : runs) {
                        GoldenComparison.Run r = f.get(2, java.util.concurrent.TimeUnit.MINUTES);
                        for (int i = 0; i < r.rows().length; i++) {
                            assertArrayEquals(mapped.rows()[i], r.rows()[i], "concurrent run, step " + i);
                        }
                    }
                } finally {
                    pool.shutdown();
                }
                assertTrue(store.stats().residentBytes() <= budget);
            }
        }
    }

    /** The trained demo model (Q8_0 experts, sigmoid group-limited routing with a selection bias). */
    @Test
    void trainedDemoModel() throws IOException {
        bitIdentical("demo-wordnet-q8", GoldenCase.load("demo-wordnet-q8").model(), true);
    }
}
