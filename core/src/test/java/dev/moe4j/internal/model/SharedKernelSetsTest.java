package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model's kernel sets ({@link ModelOptions#workerGroups}) shared by its states: four threads, each driving its own
 * state over its own prompt at the same time, get the logits the same sequences get one after the other, bit for bit
 * (a lease is exclusive, and the kernels compute the same batch shapes identically on any set), and the model never
 * makes more kernel sets than it was given.
 */
class SharedKernelSetsTest {
    static final int SEQUENCES = 4;
    static final int DECODE = 6;

    @ParameterizedTest(name = "{0}, {1} worker group(s)")
    @CsvSource({"ds2-tiny-f32, 1", "qwen3moe-tiny-f32, 1", "ds2-tiny-f32, 2"})
    void concurrentStatesGiveTheSequentialLogits(String name, int groups) throws Exception {
        GoldenCase g = GoldenCase.load(name);
        ModelOptions options = ModelOptions.defaults(2).withMaxBatch(8).withWorkerGroups(groups);
        try (GgufFile file = GgufFile.open(g.model());
             Transformer model = (Transformer) LanguageModels.load(file, options)) {
            assertEquals(0, model.kernelSetsCreated(), "kernel sets are made on first use");
            float[][][] sequential = new float[SEQUENCES][][];
            for (int i = 0; i < SEQUENCES; i++) {
                sequential[i] = run(model, g, i);
            }
            assertEquals(1, model.kernelSetsCreated(), "one thread at a time needs one kernel set");

            float[][][] concurrent = new float[SEQUENCES][][];
            CyclicBarrier start = new CyclicBarrier(SEQUENCES);
            ExecutorService pool = Executors.newFixedThreadPool(SEQUENCES);
            try {
                List<Future<float[][]>> results = new ArrayList<>();
                for (int i = 0; i < SEQUENCES; i++) {
                    int seq = i;
                    results.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        return run(model, g, seq);
                    }));
                }
                for (int i = 0; i < SEQUENCES; i++) {
                    concurrent[i] = results.get(i).get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            int made = model.kernelSetsCreated();
            assertTrue(made >= 1 && made <= groups, made + " kernel sets for " + groups + " worker groups");
            for (int i = 0; i < SEQUENCES; i++) {
                for (int step = 0; step <= DECODE; step++) {
                    assertArrayEquals(sequential[i][step], concurrent[i][step],
                            name + ": sequence " + i + ", step " + step + " differs when run concurrently");
                }
            }
        }
    }

    /**
     * Sequence {@code seq}: a prompt of its own (the golden prompt from token {@code seq} on, so the sequences differ
     * in content and length), prefilled in chunks of the batch, then {@link #DECODE} golden tokens one at a time;
     * the logits after the prompt and after each token.
     */
    private static float[][] run(LanguageModel model, GoldenCase g, int seq) {
        int v = model.config().vocabSize();
        int[] prompt = Arrays.copyOfRange(g.prompt(), seq, g.prompt().length);
        float[][] rows = new float[DECODE + 1][v];
        try (InferenceState s = model.newState(64)) {
            model.forward(s, prompt, 0, prompt.length, rows[0]);
            for (int i = 0; i < DECODE; i++) {
                model.forward(s, g.generated(), i, 1, rows[i + 1]);
            }
        }
        return rows;
    }
}
