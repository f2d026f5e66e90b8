package dev.moe4j.internal.model;

import dev.moe4j.internal.model.arch.DeepSeek2;

import dev.moe4j.ContextLengthExceededException;
import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sessions of a deepseek2 model: the compressed cache, context limits, rollback, batching and bad input. */
class DeepSeek2StateTest {
    /** Runs that must agree (f32 model, same kernels): max|Δ| / max(1, max|logit|). */
    static final double SAME = 2e-5;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ds2-tiny-f32", "ds2-lite-tiny-f32", "ds2-k256-q4_k_m", "demo-wordnet-q8"})
    void kvCacheHoldsOnlyTheLatentAndTheRopeKey(String name) throws IOException {
        // the latent is held twice, as rows (for the scores) and transposed (for the weighted sum)
        GoldenCase g = GoldenCase.load(name);
        try (GgufFile file = GgufFile.open(g.model());
             Transformer model = (Transformer) LanguageModels.load(file, ModelOptions.defaults(1))) {
            DeepSeek2.Config cfg = DeepSeek2.read(file.metadata(), file.tensor("blk.0.attn_q_a.weight").isPresent(),
                    g.model().toString());
            HyperParams c = cfg.hp();
            long perTokenPerLayer = (long) (2 * cfg.mla().kvLoraRank() + c.ropeDim()) * Float.BYTES;
            assertEquals(perTokenPerLayer * c.layers(), model.config().kvBytesPerToken());
            try (TransformerState small = (TransformerState) model.newState(64);
                 TransformerState big = (TransformerState) model.newState(128)) {
                assertEquals(perTokenPerLayer, model.block(0).attn().cacheBytesPerToken());
                // 64 more tokens cost their cache rows plus one per-token scratch row: H attention scores; nothing per
                // head is cached
                long growth = big.allocatedBytes() - small.allocatedBytes();
                assertEquals(64L * (perTokenPerLayer * c.layers() + (long) c.heads() * Float.BYTES), growth);
                long naive = (long) c.layers() * c.heads() * (c.headDimK() + c.headDimV()) * Float.BYTES;
                assertTrue(perTokenPerLayer * c.layers() < naive, "compressed " + perTokenPerLayer + " vs " + naive);
            }
        }
    }

    @Test
    void exceedingTheContextThrowsAndChangesNothing() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        int[] p = g.prompt();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(2))) {
            int vocab = model.config().vocabSize();
            float[] fresh = new float[vocab];
            try (InferenceState s = model.newState(8)) {
                model.forward(s, p, 0, 8, fresh);
            }
            try (InferenceState s = model.newState(8)) {
                model.forward(s, p, 0, 5, null);
                ContextLengthExceededException e = assertThrows(ContextLengthExceededException.class,
                        () -> model.forward(s, p, 5, 4, new float[vocab]));
                assertEquals(5, e.position());
                assertEquals(4, e.requested());
                assertEquals(8, e.capacity());
                assertEquals(5, s.position());
                float[] logits = new float[vocab];
                model.forward(s, p, 5, 3, logits);
                assertEquals(8, s.position());
                assertClose(fresh, logits, "after a refused forward");
                assertThrows(ContextLengthExceededException.class, () -> model.forward(s, p, 8, 1, null));
                assertEquals(8, s.position());
            }
            assertThrows(IllegalArgumentException.class, () -> model.newState(0));
            assertThrows(IllegalArgumentException.class, () -> model.newState(model.config().contextLength() + 1));
        }
    }

    @Test
    void truncateRollsBackForReuse() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        int[] p = g.prompt();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1));
             InferenceState s = model.newState(64)) {
            int vocab = model.config().vocabSize();
            float[] first = new float[vocab];
            model.forward(s, p, 0, p.length, first);
            // a different continuation, then back to the shared prefix of 20 tokens and the original rest
            int[] other = {5, 6, 7, 8, 9, 10, 11};
            model.forward(s, other, 0, other.length, null);
            s.truncate(20);
            assertEquals(20, s.position());
            float[] again = new float[vocab];
            model.forward(s, p, 20, p.length - 20, again);
            assertClose(first, again, "after truncate(20)");
            assertClose(g.steps()[0], again, 1e-3, "against llama.cpp");
            assertThrows(IllegalArgumentException.class, () -> s.truncate(p.length + 1));
            assertThrows(IllegalArgumentException.class, () -> s.truncate(-1));
        }
    }

    @Test
    void allLogitsChunkingAndSingleTokensAgree() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        int[] p = g.prompt();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel batch = LanguageModels.load(file, ModelOptions.defaults(2));
             LanguageModel chunked = LanguageModels.load(file, ModelOptions.defaults(1).withMaxBatch(5))) {
            int vocab = batch.config().vocabSize();
            float[] all = new float[p.length * vocab];
            try (InferenceState s = batch.newState(64)) {
                batch.forwardAllLogits(s, p, 0, p.length, all);
            }
            float[] all5 = new float[p.length * vocab];
            try (InferenceState s = chunked.newState(64)) {
                chunked.forwardAllLogits(s, p, 0, p.length, all5);
            }
            try (InferenceState s = batch.newState(64)) {
                float[] row = new float[vocab];
                for (int i = 0; i < p.length; i++) {
                    batch.forward(s, p, i, 1, row);
                    float[] a = Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab);
                    float[] b = Arrays.copyOfRange(all5, i * vocab, (i + 1) * vocab);
                    assertClose(row, a, "forwardAllLogits row " + i);
                    assertClose(row, b, "maxBatch 5, row " + i);
                }
            }
            assertClose(g.steps()[0], Arrays.copyOfRange(all, (p.length - 1) * vocab, p.length * vocab), 1e-3,
                    "last row against llama.cpp");
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingChanges() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        int[] p = g.prompt();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1));
             LanguageModel other = LanguageModels.load(file, ModelOptions.defaults(1))) {
            int vocab = model.config().vocabSize();
            InferenceState s = model.newState(16);
            model.forward(s, p, 0, 2, null);
            assertThrows(IllegalArgumentException.class, () -> model.forward(s, new int[] {1, vocab}, 0, 2, null));
            assertThrows(IllegalArgumentException.class, () -> model.forward(s, new int[] {-1}, 0, 1, null));
            assertThrows(IllegalArgumentException.class, () -> model.forward(s, p, 0, 1, new float[vocab - 1]));
            assertThrows(IllegalArgumentException.class, () -> model.forward(s, p, 0, 0, null));
            assertThrows(IndexOutOfBoundsException.class, () -> model.forward(s, p, p.length - 1, 2, null));
            assertThrows(IllegalArgumentException.class, () -> other.forward(s, p, 0, 1, null));
            assertThrows(IllegalArgumentException.class, () -> model.forwardAllLogits(s, p, 0, 2, new float[vocab]));
            assertEquals(2, s.position());
            s.close();
            assertThrows(IllegalStateException.class, () -> model.forward(s, p, 0, 1, null));
        }
    }

    /** One model, two sessions on two threads at once: each gets what it gets alone. */
    @Test
    void sessionsOfOneModelRunConcurrently() throws Exception {
        GoldenCase g = GoldenCase.load("ds2-tiny-q8e");
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1)
                     .withRounding(ModelOptions.ActivationRounding.NONE))) {
            float[][] alone = GoldenComparison.run(model, g, true).rows();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                var a = pool.submit(() -> GoldenComparison.run(model, g, true).rows());
                var b = pool.submit(() -> GoldenComparison.run(model, g, false).rows());
                GoldenComparison.agree(alone, a.get(), "concurrent prefill session");
                GoldenComparison.agree(alone, b.get(), "concurrent token-by-token session");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void unknownArchitectureIsNamed() throws IOException {
        Path other = dir.resolve("mamba.gguf");
        try (GgufFile src = GgufFile.open(GoldenFiles.goldenDir().resolve("qwen3moe-tiny-f32/model.gguf"))) {
            GgufRewrite.copy(src, k -> !k.equals("general.architecture"), t -> true)
                    .putString("general.architecture", "mamba").write(other);
        }
        try (GgufFile file = GgufFile.open(other)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> LanguageModels.load(file, ModelOptions.defaults(1)));
            assertTrue(e.getMessage().contains("'mamba'") && e.getMessage().contains("deepseek2"), e.getMessage());
        }
    }

    @Test
    void missingOrMisshapenTensorsAreNamed() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        Path missing = dir.resolve("missing.gguf");
        Path misshapen = dir.resolve("misshapen.gguf");
        try (GgufFile src = GgufFile.open(g.model())) {
            GgufRewrite.copy(src, k -> true, t -> !t.equals("blk.2.ffn_up_exps.weight")).write(missing);
            GgufRewrite.copy(src, k -> !k.equals("deepseek2.expert_feed_forward_length"), t -> true)
                    .putUInt32("deepseek2.expert_feed_forward_length", 32).write(misshapen);
        }
        try (GgufFile file = GgufFile.open(missing)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> LanguageModels.load(file, ModelOptions.defaults(1)));
            assertTrue(e.getMessage().contains("blk.2.ffn_up_exps.weight"), e.getMessage());
        }
        try (GgufFile file = GgufFile.open(misshapen)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> LanguageModels.load(file, ModelOptions.defaults(1)));
            assertTrue(e.getMessage().contains("blk.1.ffn_gate_exps.weight") && e.getMessage().contains("[128, 64, 16]"),
                    e.getMessage());
        }
    }

    static void assertClose(float[] expected, float[] actual, String what) {
        double scale = 1;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertClose(expected, actual, SAME * scale, what);
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        double d = LogitStats.maxAbsDiff(expected, actual);
        assertTrue(d <= tol, what + ": max|Δ| " + d + " > " + tol);
    }
}
