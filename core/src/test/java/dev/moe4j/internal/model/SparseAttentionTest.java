package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DeepSeek Sparse Attention (deepseek32) on the repository's deepseek32-tiny-f32 fixture, whose indexer keeps 8 of up
 * to 93 positions: that the positions each query attends to are the 8 best by the indexer's scores recomputed here from
 * the traced queries, keys and weights, that a query with at most 8 positions reads them all, and that sparsity
 * changes the logits far beyond the golden tolerance (the same file with top-k raised past the context gives other
 * logits), so matching llama.cpp (DecoderGoldenTest) says the sparse path is llama.cpp's.
 */
class SparseAttentionTest {
    private static final String FIXTURE = "deepseek32-tiny-f32";
    private static final int TOP_K = 8;

    @Test
    void attendsToTheTopKOfTheIndexerScores() throws IOException {
        GoldenCase g = GoldenCase.load(FIXTURE);
        int n = g.prompt().length;
        Map<String, float[]> seen = new HashMap<>(); // name@layer@pos
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1));
             InferenceState s = model.newState(n)) {
            s.setObserver((name, layer, pos, data) -> {
                if (name.startsWith("indexer_") || name.equals("top_k")) {
                    seen.put(name + "@" + layer + "@" + pos, data.toArray(ValueLayout.JAVA_FLOAT));
                }
            });
            model.forward(s, g.prompt(), 0, n, new float[model.config().vocabSize()]);
        }
        int layers = 3;
        int heads = 8;
        int dim = 64;
        int nonTrivial = 0;
        for (int l = 0; l < layers; l++) {
            for (int pos = 0; pos < n; pos++) {
                float[] sel = seen.get("top_k@" + l + "@" + pos);
                if (pos < TOP_K) {
                    assertEquals(null, sel, "position " + pos + " reads every earlier position, no selection");
                    continue;
                }
                float[] q = seen.get("indexer_q@" + l + "@" + pos);
                float[] w = seen.get("indexer_weights@" + l + "@" + pos);
                double[] score = new double[pos + 1];
                for (int j = 0; j <= pos; j++) {
                    float[] k = seen.get("indexer_k@" + l + "@" + j);
                    for (int h = 0; h < heads; h++) {
                        double dot = 0;
                        for (int i = 0; i < dim; i++) {
                            dot += (double) q[h * dim + i] * k[i];
                        }
                        score[j] += Math.max(dot, 0) * w[h];
                    }
                }
                TreeSet<Integer> chosen = new TreeSet<>();
                for (float f : sel) {
                    chosen.add((int) f);
                }
                assertEquals(TOP_K, chosen.size(), "layer " + l + " position " + pos + ": distinct positions");
                double worstChosen = Double.POSITIVE_INFINITY;
                double bestOther = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= pos; j++) {
                    if (chosen.contains(j)) {
                        worstChosen = Math.min(worstChosen, score[j]);
                    } else {
                        bestOther = Math.max(bestOther, score[j]);
                    }
                }
                assertTrue(worstChosen >= bestOther - 1e-5 * (1 + Math.abs(bestOther)), "layer " + l + " position "
                        + pos + ": kept " + chosen + " (worst " + worstChosen + ") but left one scoring " + bestOther);
                boolean recent = chosen.first() == pos - TOP_K + 1;
                boolean first = chosen.last() == TOP_K - 1;
                if (!recent && !first) {
                    nonTrivial++;
                }
            }
        }
        assertTrue(nonTrivial > layers * (n - TOP_K) / 2, "the selections are mostly neither the first nor the last "
                + "positions: " + nonTrivial);
    }

    @Test
    void sparsityChangesTheLogits(@TempDir Path tmp) throws IOException {
        GoldenCase g = GoldenCase.load(FIXTURE);
        Path dense = tmp.resolve("dense.gguf");
        Files.write(dense, withTopK(Files.readAllBytes(g.model()), 1 << 20));
        float[] sparseLogits = lastPromptLogits(g.model(), g.prompt());
        float[] denseLogits = lastPromptLogits(dense, g.prompt());
        double maxSparse = 0;
        double maxDense = 0;
        for (int i = 0; i < sparseLogits.length; i++) {
            maxSparse = Math.max(maxSparse, Math.abs(sparseLogits[i] - g.steps()[0][i]));
            maxDense = Math.max(maxDense, Math.abs(denseLogits[i] - g.steps()[0][i]));
        }
        assertTrue(maxSparse < 1e-3, "sparse run matches llama.cpp: " + maxSparse);
        assertTrue(maxDense > 0.05, "dense attention gives other logits: " + maxDense);
    }

    private static float[] lastPromptLogits(Path model, int[] prompt) throws IOException {
        try (GgufFile file = GgufFile.open(model);
             LanguageModel m = LanguageModels.load(file, ModelOptions.defaults(1));
             InferenceState s = m.newState(prompt.length)) {
            float[] logits = new float[m.config().vocabSize()];
            m.forward(s, prompt, 0, prompt.length, logits);
            return logits;
        }
    }

    /** The file with its u32 {@code deepseek32.attention.indexer.top_k} value replaced. */
    static byte[] withTopK(byte[] gguf, int topK) {
        byte[] key = "deepseek32.attention.indexer.top_k".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + key.length + 8 <= gguf.length; i++) {
            if (Arrays.equals(gguf, i, i + key.length, key, 0, key.length)) {
                ByteBuffer b = ByteBuffer.wrap(gguf).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals(4, b.getInt(i + key.length), "value type u32");
                b.putInt(i + key.length + 4, topK);
                return gguf;
            }
        }
        throw new AssertionError("no top_k key");
    }
}
