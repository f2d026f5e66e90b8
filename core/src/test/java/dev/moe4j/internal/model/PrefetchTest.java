package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.offload.ExpertLayout;
import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.Policies;
import dev.moe4j.internal.offload.StoreStats;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Prefetch on the trained demo model (5 MoE layers, 16 experts, top-4), decoding with a third of the experts in memory:
 * applying the next layer's router to the current layer's input predicts most of the next layer's experts (far above
 * the 25% a blind guess of 4 of 16 gets), and the reads it starts turn demand misses into prefetch hits, with the same
 * tokens.
 */
class PrefetchTest {

    private record Outcome(int[] tokens, StoreStats stats) {}

    private static Outcome decode(boolean prefetch) throws IOException {
        GoldenCase g = GoldenCase.load("demo-wordnet-q8");
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel m = LanguageModels.load(file, ModelOptions.defaults(2))) {
            ExpertLayout[] layouts = ExpertOffload.layouts(m, file);
            long budget = ExpertOffload.expertBytes(layouts) / 3;
            var settings = new ExpertOffload.Settings(budget, Policies.LAYERED, null, 0, 2, prefetch);
            int[] prompt = GgufTokenizerLoader.fromMetadata(file.metadata())
                    .encode("<｜User｜>Define carpenter.<｜Assistant｜>", true, true);
            int[] out = new int[48];
            try (ExpertStore store = ExpertOffload.attach(m, file, layouts, settings);
                 InferenceState s = m.newState(128)) {
                float[] logits = new float[m.config().vocabSize()];
                m.forward(s, prompt, 0, prompt.length, logits);
                for (int i = 0; i < out.length; i++) {
                    out[i] = LogitStats.argmax(logits);
                    m.forward(s, out, i, 1, logits);
                }
                return new Outcome(out, store.stats());
            }
        }
    }

    @Test
    void predictsTheNextLayersExpertsAndHidesMisses() throws IOException {
        Outcome with = decode(true);
        Outcome without = decode(false);
        assertArrayEquals(without.tokens(), with.tokens(), "prefetch changes no output");
        StoreStats p = with.stats();
        StoreStats n = without.stats();
        System.out.printf("prefetch on:  recall %.1f%%, %d prefetch reads (%d unused), hits %d, prefetch hits %d,"
                        + " misses %d, stalled %.1f ms%n", 100 * p.prefetchRecall(), p.prefetchReads(),
                p.prefetchUnused(), p.totalHits(), p.totalPrefetchHits(), p.totalMisses(), p.stallNanos() / 1e6);
        System.out.printf("prefetch off: hits %d, misses %d, stalled %.1f ms%n", n.totalHits(), n.totalMisses(),
                n.stallNanos() / 1e6);
        assertTrue(p.prefetchRecall() > 0.5, "recall " + p.prefetchRecall() + " (a blind guess: 0.25)");
        assertEquals(0, n.prefetchReads());
        assertEquals(0, n.actual(), "no prediction, no recall measured");
        assertTrue(p.totalPrefetchHits() > 0);
        assertTrue(p.totalMisses() < n.totalMisses(), "demand misses with prefetch " + p.totalMisses()
                + ", without " + n.totalMisses());
        long uses = p.totalHits() + p.totalMisses() + p.totalPrefetchHits();
        assertEquals(n.totalHits() + n.totalMisses(), uses, "the same uses either way");
    }
}
