package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The deepseek2 forward pass against llama.cpp on every deepseek2 golden model (shared/golden and the bundled demo
 * model's core/src/test/golden), with the tolerances and run matrix of
 * {@link GoldenComparison} (f32: cosine ≥ 0.99999, max|Δ| ≤ 1e-3, identical greedy tokens; quantized: cosine ≥ 0.999
 * and the same argmax where llama.cpp's top-2 gap ≥ 0.05, with the bounded routing-tie exception; threads 1 and 2,
 * prefill and token by token), and on the plain-Java kernels.
 */
class DeepSeek2GoldenTest {
    static final List<String> DEEPSEEK2_CASES = List.of("demo-countries-q8-chat", "demo-wordnet-q8",
            "demo-wordnet-q8-chat", "ds2-k256-q2_k",
            "ds2-k256-q4_k_m", "ds2-k256-q6_k", "ds2-lite-tiny-f32", "ds2-tiny-f32", "ds2-tiny-q4e", "ds2-tiny-q8e");

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
        System.out.printf("%-22s native     %s%n", name, GoldenComparison.matchesLlamaCpp(name));
    }

    /** The same comparison on the plain-Java kernels: the model code alone, apart from the SIMD kernels. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ds2-tiny-f32", "ds2-lite-tiny-f32", "ds2-tiny-q8e", "ds2-k256-q4_k_m", "demo-wordnet-q8-chat",
            "demo-countries-q8-chat"})
    void matchesLlamaCppOnReferenceKernels(String name) throws IOException {
        GoldenCase g = GoldenCase.load(name);
        GoldenComparison.Summary summary = new GoldenComparison.Summary();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file,
                     ModelOptions.defaults(1).withBackend(ModelOptions.Backend.REFERENCE))) {
            GoldenComparison.check(g, GoldenComparison.run(model, g, true), name + " reference", summary);
        }
        System.out.printf("%-22s reference  %s%n", name, summary);
    }
}
