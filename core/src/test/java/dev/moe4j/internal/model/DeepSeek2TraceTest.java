package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The named intermediates a {@link ForwardObserver} sees during the prompt of ds2-tiny-f32 against llama.cpp's
 * eval-callback dump of the same prompt: every printed value within 1e-4 (the dump has 4 decimals) and every tensor's
 * sum within 1e-4 of the sum of magnitudes. This is the op-by-op check that locates the first op that differs.
 */
class DeepSeek2TraceTest {
    /** Our names that llama.cpp's graph also names (kv_cmpr: the normalised one, which the dump prints last). */
    static final Set<String> COMPARED = Set.of("embd", "attn_norm", "kv_cmpr", "kqv_out", "ffn_inp", "ffn_norm",
            "ffn_moe_logits", "ffn_moe_probs", "ffn_moe_topk", "ffn_shexp", "ffn_out", "l_out");

    @Test
    void intermediatesMatchLlamaCppTrace() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        Map<String, EvalCallbackTrace.Tensor> trace = EvalCallbackTrace.read(
                GoldenFiles.goldenDir().resolve("ds2-tiny-f32/eval_callback_trace.txt"));
        Map<String, float[][]> ours = new HashMap<>(); // name@layer -> [position][values]
        int n = g.prompt().length;
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(1));
             InferenceState s = model.newState(64)) {
            s.setObserver((name, layer, pos, data) -> ours.computeIfAbsent(name + "@" + layer, k -> new float[n][])
                    [pos] = data.toArray(ValueLayout.JAVA_FLOAT));
            model.forward(s, g.prompt(), 0, n, new float[model.config().vocabSize()]);
        }
        List<String> problems = new ArrayList<>();
        Set<String> compared = new TreeSet<>();
        for (EvalCallbackTrace.Tensor t : trace.values()) {
            if (!COMPARED.contains(t.name())) {
                continue;
            }
            String key = t.name() + "@" + t.layer();
            float[][] mine = ours.get(key);
            if (mine == null) {
                problems.add(key + ": not observed");
                continue;
            }
            // llama.cpp computes the last layer's FFN for the output token only
            int firstToken = t.tokens() == n ? 0 : n - t.tokens();
            double sum = 0;
            double mag = 0;
            for (int tok = firstToken; tok < n; tok++) {
                if (mine[tok] == null || mine[tok].length != t.width()) {
                    problems.add(key + " position " + tok + ": missing or not " + t.width() + " wide");
                    continue;
                }
                for (float v : mine[tok]) {
                    sum += v;
                    mag += Math.abs(v);
                }
            }
            for (EvalCallbackTrace.Value v : t.values()) {
                double got = mine[firstToken + v.token()][v.index()];
                if (Math.abs(got - v.value()) > 1e-4) {
                    problems.add(key + "[" + (firstToken + v.token()) + "][" + v.index() + "] = " + got
                            + ", llama.cpp " + v.value());
                }
            }
            if (Math.abs(sum - t.sum()) > 1e-4 * mag + 1e-4) {
                problems.add(key + ": sum " + sum + ", llama.cpp " + t.sum());
            }
            compared.add(key);
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " differences, first: " + String.join("; ", problems.subList(0, Math.min(8,
                    problems.size()))));
        }
        // every named op of every layer present in the dump was compared
        assertTrue(compared.size() >= 35, "compared only " + compared);
        System.out.println("compared with llama.cpp's trace: " + compared);
    }
}
