package dev.moe4j.internal.model;

import dev.moe4j.ContextLengthExceededException;
import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.internal.quant.ReferenceQuantizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Predicate;

import static dev.moe4j.internal.model.DeepSeek2StateTest.assertClose;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sessions of the GQA decoders: the KV cache of H_kv heads, context limits, rollback, batching, concurrency and bad
 * input; and files that do not fit their architecture, refused by name at load.
 */
class DecoderStateTest {
    @TempDir
    Path dir;

    /** K and V rows of the KV heads only, per token and layer; a dense model allocates no routed-expert buffers. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-dense-tiny-f32", "mixtral-tiny-f32", "qwen3-dense-tiny-f32", "qwen3moe-k256-q5_k_m",
            "olmoe-tiny-f32"})
    void kvCacheHoldsTheKeyValueHeadsOnly(String name) throws IOException {
        GoldenCase g = GoldenCase.load(name);
        try (GgufFile file = GgufFile.open(g.model());
             Transformer model = (Transformer) LanguageModels.load(file, ModelOptions.defaults(1))) {
            HyperParams c = model.hp;
            long perToken = (long) c.layers() * c.headsKv() * (c.headDimK() + c.headDimV()) * Float.BYTES;
            assertEquals(perToken, model.config().kvBytesPerToken());
            try (TransformerState small = (TransformerState) model.newState(64);
                 TransformerState big = (TransformerState) model.newState(128)) {
                // 64 more tokens cost their cache rows plus one score per head of a group
                assertEquals(64L * (perToken + (long) c.groupSize() * Float.BYTES),
                        big.allocatedBytes() - small.allocatedBytes());
                boolean anyMoeScratch = java.util.Arrays.stream(small.ffnScratch).anyMatch(x -> x instanceof MoeFfn.Scratch);
                assertEquals(c.moe(), anyMoeScratch);
                assertEquals(c.moe(), RoutedExperts.moeLayers(model).length > 0);
            }
        }
    }

    @Test
    void exceedingTheContextThrowsAndChangesNothing() throws IOException {
        GoldenCase g = GoldenCase.load("qwen2moe-tiny-f32");
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
                assertEquals(5, s.position());
                float[] logits = new float[vocab];
                model.forward(s, p, 5, 3, logits);
                assertClose(fresh, logits, "after a refused forward");
                assertThrows(ContextLengthExceededException.class, () -> model.forward(s, p, 8, 1, null));
            }
            assertThrows(IllegalArgumentException.class, () -> model.newState(0));
            assertThrows(IllegalArgumentException.class, () -> model.newState(model.config().contextLength() + 1));
        }
    }

    @Test
    void truncateRollsBackForReuse() throws IOException {
        GoldenCase g = GoldenCase.load("qwen2moe-tiny-f32");
        int[] p = g.prompt();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1));
             InferenceState s = model.newState(64)) {
            int vocab = model.config().vocabSize();
            float[] first = new float[vocab];
            model.forward(s, p, 0, p.length, first);
            int[] other = {5, 6, 7, 8, 9, 10, 11};
            model.forward(s, other, 0, other.length, null);
            s.truncate(20);
            float[] again = new float[vocab];
            model.forward(s, p, 20, p.length - 20, again);
            assertClose(first, again, "after truncate(20)");
            assertClose(g.steps()[0], again, 1e-3, "against llama.cpp");
            assertThrows(IllegalArgumentException.class, () -> s.truncate(p.length + 1));
        }
    }

    @Test
    void allLogitsChunkingAndSingleTokensAgree() throws IOException {
        GoldenCase g = GoldenCase.load("mixtral-tiny-f32");
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
                    assertClose(row, Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab), "all-logits row " + i);
                    assertClose(row, Arrays.copyOfRange(all5, i * vocab, (i + 1) * vocab), "maxBatch 5 row " + i);
                }
            }
            assertClose(g.steps()[0], Arrays.copyOfRange(all, (p.length - 1) * vocab, p.length * vocab), 1e-3,
                    "last row against llama.cpp");
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingChanges() throws IOException {
        GoldenCase g = GoldenCase.load("qwen3-dense-tiny-f32");
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
            model.close();
            assertThrows(IllegalStateException.class, () -> model.newState(4));
        }
    }

    /** One model, two sessions on two threads at once: each gets what it gets alone. */
    @Test
    void sessionsOfOneModelRunConcurrently() throws Exception {
        GoldenCase g = GoldenCase.load("qwen3moe-tiny-f32");
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1))) {
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
    void filesThatDoNotFitTheirArchitectureAreRefusedByName() throws IOException {
        // qwen3 requires its per-head q/k norms
        assertRefused("qwen3-dense-tiny-f32", k -> true, t -> !t.equals("blk.1.attn_k_norm.weight"), w -> { },
                "blk.1.attn_k_norm.weight");
        // olmoe is MoE by definition
        assertRefused("olmoe-tiny-f32", k -> !k.equals("olmoe.expert_count"), t -> true, w -> { },
                "olmoe.expert_count");
        // qwen2moe needs its shared expert
        assertRefused("qwen2moe-tiny-f32", k -> true, t -> !t.equals("blk.2.ffn_down_shexp.weight"), w -> { },
                "blk.2.ffn_down_shexp.weight");
        // a wrong feed_forward_length shows up as the shape of the first dense FFN tensor
        assertRefused("llama-dense-tiny-f32", k -> !k.equals("llama.feed_forward_length"), t -> true,
                w -> w.putUInt32("llama.feed_forward_length", 256), "blk.0.ffn_gate.weight");
        // a dense model needs feed_forward_length at all
        assertRefused("qwen3-dense-tiny-f32", k -> !k.equals("qwen3.feed_forward_length"), t -> true, w -> { },
                "qwen3.feed_forward_length");
        // the output projection may be tied to the embedding, the output norm is required
        assertRefused("mixtral-tiny-f32", k -> true, t -> !t.equals("output_norm.weight"), w -> { },
                "output_norm.weight");
    }

    /** The experts of one layer in the per-expert layout must share a type. */
    @Test
    void perExpertTensorsOfMixedTypesAreRefused() throws IOException {
        GoldenCase g = GoldenCase.load("mixtral-tiny-f32");
        Path mixed = dir.resolve("mixed.gguf");
        try (GgufFile src = GgufFile.open(g.model()); Arena arena = Arena.ofConfined()) {
            GgufWriter w = GgufRewrite.copy(src, k -> true, t -> !t.contains("_exps"));
            int layers = src.metadata().getInt("llama.block_count");
            for (int l = 0; l < layers; l++) {
                for (String kind : List.of("gate", "up", "down")) {
                    GgufTensor stack = src.tensor("blk." + l + ".ffn_" + kind + "_exps.weight").orElseThrow();
                    long[] dims = stack.dims();
                    long bytes = stack.byteSize() / dims[2];
                    for (int e = 0; e < dims[2]; e++) {
                        MemorySegment one = stack.segment().asSlice(e * bytes, bytes);
                        String name = "blk." + l + ".ffn_" + kind + "." + e + ".weight";
                        if (l == 1 && kind.equals("up") && e == 3) { // one expert re-stored as Q8_0
                            float[] v = one.toArray(JAVA_FLOAT);
                            long rowBytes = GgmlType.Q8_0.bytesFor(dims[0]);
                            MemorySegment q = arena.allocate(rowBytes * dims[1]);
                            for (int r = 0; r < dims[1]; r++) {
                                ReferenceQuantizer.quantizeRow(GgmlType.Q8_0, v, (int) (r * dims[0]), (int) dims[0], q,
                                        r * rowBytes);
                            }
                            w.tensor(name, GgmlType.Q8_0, new long[] {dims[0], dims[1]}, q.toArray(JAVA_BYTE));
                        } else {
                            w.tensor(name, stack.type(), new long[] {dims[0], dims[1]}, one.toArray(JAVA_BYTE));
                        }
                    }
                }
            }
            w.write(mixed);
        }
        try (GgufFile file = GgufFile.open(mixed)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> LanguageModels.load(file, ModelOptions.defaults(1)));
            assertTrue(e.getMessage().contains("blk.1.ffn_up.3.weight") && e.getMessage().contains("Q8_0"),
                    e.getMessage());
        }
    }

    /** Rewrites a golden file and expects the load to fail with a message naming {@code mention}. */
    private void assertRefused(String fixture, Predicate<String> keepKey, Predicate<String> keepTensor,
                               Consumer<GgufWriter> add, String mention) throws IOException {
        GoldenCase g = GoldenCase.load(fixture);
        Path bad = dir.resolve(fixture + "-" + System.nanoTime() + ".gguf");
        try (GgufFile src = GgufFile.open(g.model())) {
            GgufWriter w = GgufRewrite.copy(src, keepKey, keepTensor);
            add.accept(w);
            w.write(bad);
        }
        try (GgufFile file = GgufFile.open(bad)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> LanguageModels.load(file, ModelOptions.defaults(1)));
            assertTrue(e.getMessage().contains(mention), e.getMessage());
        }
    }
}
