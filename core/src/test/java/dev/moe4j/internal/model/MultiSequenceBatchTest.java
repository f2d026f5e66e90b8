package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.LanguageModel.SequenceStep;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Several sequences in one forward pass (what a server decoding many requests, or speculative verification, does) give
 * each sequence what separate calls give: the rows share the weight reads, not their arithmetic. The products may
 * block rows differently in a batch of other sizes, so the logits agree to the float rounding that prefill and decode
 * of one sequence also agree to ({@link DeepSeek2StateTest#SAME}), not bit for bit. Checked on an MLA model and GQA MoE
 * models, with sequences at different positions and a batch that has to be split into chunks.
 */
class MultiSequenceBatchTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ds2-tiny-f32", "qwen3moe-tiny-f32", "qwen2moe-tiny-f32"})
    void sequencesInOneBatchGiveWhatSeparateCallsGive(String name) throws IOException {
        GoldenCase g = GoldenCase.load(name);
        int[] p = g.prompt();
        int[] gen = g.generated();
        // maxBatch 8: the three sequences' 5 + 3 + 1 rows of the second step do not fit one chunk
        ModelOptions options = ModelOptions.defaults(2).withMaxBatch(8);
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, options)) {
            int v = model.config().vocabSize();
            // separately: A = prompt then 5 generated tokens (all logits), B = 6 prompt tokens then 3 generated, C = 1
            float[] aSep = new float[5 * v];
            float[] bSep = new float[v];
            float[] cSep = new float[v];
            try (InferenceState a = model.newState(64); InferenceState b = model.newState(64);
                 InferenceState c = model.newState(64)) {
                model.forward(a, p, 0, p.length, null);
                model.forwardAllLogits(a, gen, 0, 5, aSep);
                model.forward(b, p, 0, 6, null);
                model.forward(b, gen, 0, 3, bSep);
                model.forward(c, p, 3, 1, cSep);
            }
            float[] aBat = new float[5 * v];
            float[] bBat = new float[v];
            float[] cBat = new float[v];
            try (InferenceState a = model.newState(64); InferenceState b = model.newState(64);
                 InferenceState c = model.newState(64)) {
                // first step: two prompts of different lengths together
                model.forwardBatch(List.of(new SequenceStep(a, p, 0, p.length, null, false),
                        new SequenceStep(b, p, 0, 6, null, false)));
                // second step: three sequences at three different positions, one of them new
                model.forwardBatch(List.of(new SequenceStep(a, gen, 0, 5, aBat, true),
                        new SequenceStep(b, gen, 0, 3, bBat, false), new SequenceStep(c, p, 3, 1, cBat, false)));
                assertEquals(p.length + 5, a.position());
                assertEquals(9, b.position());
                assertEquals(1, c.position());
            }
            DeepSeek2StateTest.assertClose(aSep, aBat, "sequence A, all logits");
            DeepSeek2StateTest.assertClose(bSep, bBat, "sequence B, last logits");
            DeepSeek2StateTest.assertClose(cSep, cBat, "sequence C, last logits");
            for (int i = 0; i < 5; i++) { // and the same greedy choice at every row
                assertEquals(argmax(aSep, i * v, v), argmax(aBat, i * v, v), "sequence A row " + i);
            }
        }
    }

    @Test
    void aStateTwiceOrOfAnotherModelIsRefusedAndChangesNothing() throws IOException {
        GoldenCase g = GoldenCase.load("qwen3moe-tiny-f32");
        int[] p = g.prompt();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1));
             LanguageModel other = LanguageModels.load(file, ModelOptions.defaults(1));
             InferenceState a = model.newState(32); InferenceState foreign = other.newState(32)) {
            assertThrows(IllegalArgumentException.class, () -> model.forwardBatch(List.of(
                    new SequenceStep(a, p, 0, 2, null, false), new SequenceStep(a, p, 2, 2, null, false))));
            assertThrows(IllegalArgumentException.class, () -> model.forwardBatch(List.of(
                    new SequenceStep(a, p, 0, 2, null, false), new SequenceStep(foreign, p, 0, 2, null, false))));
            assertThrows(IllegalArgumentException.class, () -> model.forwardBatch(List.of()));
            assertEquals(0, a.position());
            assertEquals(0, foreign.position());
        }
    }

    private static int argmax(float[] a, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (a[off + i] > a[off + best]) {
                best = i;
            }
        }
        return best;
    }
}
