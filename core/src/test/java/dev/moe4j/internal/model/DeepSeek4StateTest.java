package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DeepSeek-V4's windowed cache under truncation (the prompt cache and rejected drafts cut states back): within
 * {@link CompressedAttention#ROLLBACK} positions the state resumes exactly where asked, and the next tokens give the
 * logits they gave the first time; further back it starts again at 0 and says so, and a fresh prefill gives the same
 * logits again. Also that the partial blocks of both compressors and the raw ring survive being cut back across a block
 * end (position 320 ends a 4-block and the prompt crosses two 128-blocks).
 */
class DeepSeek4StateTest {

    private static float[] last(LanguageModel m, InferenceState s, int[] tokens, int from, int to) {
        float[] logits = new float[m.config().vocabSize()];
        m.forward(s, tokens, from, to - from, logits);
        return logits;
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void truncationResumesExactlyWithinTheRingsAndRestartsBeyond() throws IOException {
        GoldenCase g = GoldenCase.load("deepseek4-tiny-f32");
        int[] p = g.prompt();
        int n = p.length;
        assertTrue(n > 300, "the prompt crosses 128-blocks: " + n);
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel m = LanguageModels.load(file, ModelOptions.defaults(1));
             InferenceState s = m.newState(n + 8)) {
            float[] full = last(m, s, p, 0, n);
            assertTrue(maxDiff(full, g.steps()[0]) < 1e-3, "matches llama.cpp first");
            for (int back : new int[] {1, 7, 10, CompressedAttention.ROLLBACK}) {
                s.truncate(n - back);
                assertEquals(n - back, s.position(), "cut back " + back);
                float[] again = last(m, s, p, n - back, n);
                assertTrue(maxDiff(full, again) < 1e-5, "cut back " + back + ": " + maxDiff(full, again));
            }
            s.truncate(n - CompressedAttention.ROLLBACK - 1);
            assertEquals(0, s.position(), "too far back for the rings: starts again");
            float[] fresh = last(m, s, p, 0, n);
            assertTrue(maxDiff(full, fresh) < 1e-6, Arrays.toString(Arrays.copyOf(fresh, 4)));
        }
    }
}
