package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The deepseek2 forward pass against llama.cpp on every deepseek2 golden model (shared/golden/README.md): the prompt,
 * then llama.cpp's 32 generated tokens fed one at a time, comparing each step's logits with its row.
 * <ul>
 * <li>f32 models: cosine ≥ 0.99999 and max|Δ| ≤ 1e-3 at every step, and our greedy argmax (lowest id on ties) is
 *     llama.cpp's generated token at every step;</li>
 * <li>quantized models: cosine ≥ 0.999 (llama.cpp rounds activations to 8 bits before quantized products), and the same
 *     argmax wherever llama.cpp's top-2 gap is at least 0.05.</li>
 * </ul>
 * Each model runs on 1 and 2 threads, with the prompt as one batch and token by token; all four runs must agree with
 * each other within {@link #RUNS_AGREE} (relative to the largest logit).
 */
class DeepSeek2GoldenTest {
    static final List<String> DEEPSEEK2_CASES = List.of("demo-wordnet-q8", "demo-wordnet-q8-chat", "ds2-k256-q2_k",
            "ds2-k256-q4_k_m", "ds2-k256-q6_k", "ds2-lite-tiny-f32", "ds2-tiny-f32", "ds2-tiny-q4e", "ds2-tiny-q8e");

    static final double F32_COSINE = 0.99999;
    static final double F32_MAX_DIFF = 1e-3;
    static final double QUANT_COSINE = 0.999;
    static final double QUANT_ARGMAX_GAP = 0.05;
    /** Batch vs token-by-token, 1 vs 2 threads: max|Δ| / max(1, max|logit|). */
    static final double RUNS_AGREE = 2e-5;

    @Test
    void everyDeepseek2FixtureIsCovered() {
        assertEquals(DEEPSEEK2_CASES, GoldenCase.deepseek2Cases());
    }

    static Stream<String> cases() {
        return GoldenCase.deepseek2Cases().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesLlamaCpp(String name) throws IOException {
        GoldenCase g = GoldenCase.load(name);
        Worst worst = new Worst();
        float[][] first = null;
        try (GgufFile file = GgufFile.open(g.model())) {
            for (int threads : new int[] {1, 2}) {
                try (LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(threads))) {
                    for (boolean prefill : new boolean[] {true, false}) {
                        String run = name + " threads=" + threads + (prefill ? " prefill" : " token-by-token");
                        float[][] got = run(model, g, prefill);
                        check(g, got, run, worst);
                        if (first == null) {
                            first = got;
                        } else {
                            agree(first, got, run);
                        }
                    }
                }
            }
        }
        System.out.printf("%-22s native      worst cosine %.8f  max|Δ| %.3e%n", name, worst.cosine, worst.maxDiff);
    }

    /** The same comparison on the plain-Java kernels: the model code alone, apart from the SIMD kernels. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ds2-tiny-f32", "ds2-lite-tiny-f32", "ds2-tiny-q8e", "ds2-k256-q4_k_m", "demo-wordnet-q8-chat"})
    void matchesLlamaCppOnReferenceKernels(String name) throws IOException {
        GoldenCase g = GoldenCase.load(name);
        Worst worst = new Worst();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file,
                     ModelOptions.defaults(1).withBackend(ModelOptions.Backend.REFERENCE))) {
            check(g, run(model, g, true), name + " reference", worst);
        }
        System.out.printf("%-22s reference   worst cosine %.8f  max|Δ| %.3e%n", name, worst.cosine, worst.maxDiff);
    }

    /** Logits after the prompt, then after each of llama.cpp's generated tokens but the last: one row per step. */
    static float[][] run(LanguageModel model, GoldenCase g, boolean prefill) {
        int vocab = model.config().vocabSize();
        int steps = g.steps().length;
        int ctx = Math.min(model.config().contextLength(), g.prompt().length + steps);
        float[][] rows = new float[steps][vocab];
        try (InferenceState s = model.newState(ctx)) {
            if (prefill) {
                model.forward(s, g.prompt(), 0, g.prompt().length, rows[0]);
            } else {
                for (int i = 0; i < g.prompt().length; i++) {
                    model.forward(s, g.prompt(), i, 1, rows[0]);
                }
            }
            for (int i = 1; i < steps; i++) {
                model.forward(s, g.generated(), i - 1, 1, rows[i]);
            }
            assertEquals(g.prompt().length + steps - 1, s.position());
        }
        return rows;
    }

    static void check(GoldenCase g, float[][] got, String run, Worst worst) {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < got.length; i++) {
            float[] ref = g.steps()[i];
            assertEquals(ref.length, got[i].length, run + ": vocabulary size");
            double cos = LogitStats.cosine(got[i], ref);
            double diff = LogitStats.maxAbsDiff(got[i], ref);
            worst.add(cos, diff);
            int mine = LogitStats.argmax(got[i]);
            if (g.quantized()) {
                if (!(cos >= QUANT_COSINE)) {
                    problems.add("step " + i + ": cosine " + cos + " < " + QUANT_COSINE);
                }
                if (LogitStats.top2Gap(ref) >= QUANT_ARGMAX_GAP && mine != LogitStats.argmax(ref)) {
                    problems.add("step " + i + ": argmax " + mine + ", llama.cpp " + LogitStats.argmax(ref)
                            + " (top-2 gap " + LogitStats.top2Gap(ref) + ")");
                }
            } else {
                if (!(cos >= F32_COSINE) || !(diff <= F32_MAX_DIFF)) {
                    problems.add("step " + i + ": cosine " + cos + ", max|Δ| " + diff);
                }
                if (mine != g.generated()[i]) {
                    problems.add("step " + i + ": greedy token " + mine + ", llama.cpp generated " + g.generated()[i]);
                }
            }
        }
        if (!problems.isEmpty()) {
            fail(run + ": " + problems.size() + " mismatch(es), first: " + String.join("; ",
                    problems.subList(0, Math.min(5, problems.size()))));
        }
    }

    static void agree(float[][] a, float[][] b, String run) {
        for (int i = 0; i < a.length; i++) {
            double scale = 1;
            for (float v : a[i]) {
                scale = Math.max(scale, Math.abs(v));
            }
            double diff = LogitStats.maxAbsDiff(a[i], b[i]);
            if (diff > RUNS_AGREE * scale) {
                fail(run + " step " + i + ": differs from the first run by " + diff + " (max logit " + scale + ")");
            }
        }
    }

    static final class Worst {
        double cosine = 1;
        double maxDiff;

        void add(double cos, double diff) {
            cosine = Math.min(cosine, cos);
            maxDiff = Math.max(maxDiff, diff);
        }
    }
}
