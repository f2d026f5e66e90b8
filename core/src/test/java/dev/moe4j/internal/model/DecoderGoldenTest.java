package dev.moe4j.internal.model;

import dev.moe4j.internal.model.arch.DeepSeek2;

import dev.moe4j.internal.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The grouped-query-attention decoders ({@code llama} dense and Mixtral, {@code qwen2}, {@code qwen3}, {@code qwen2moe},
 * {@code qwen3moe}, {@code olmoe}) against llama.cpp on every golden model that is not deepseek2, with the tolerances
 * and run matrix of {@link GoldenComparison}: f32 models cosine ≥ 0.99999, max|Δ| ≤ 1e-3 and all 32 greedy tokens
 * identical; the quantized qwen3moe cosine ≥ 0.999 and the same argmax where llama.cpp's top-2 gap ≥ 0.05; threads 1
 * and 2, prompt as one batch and token by token.
 */
class DecoderGoldenTest {
    /** ../shared/golden's GQA fixtures, and this repository's GLM-4.5 and gpt-oss ones (core/src/test/golden). */
    static final List<String> CASES = List.of("deepseek32-tiny-f32", "deepseek4-tiny-f32", "deepseek4-tiny-mxfp4",
            "glm4moe-tiny-f32", "gptoss-tiny-f32", "gptoss-tiny-mxfp4",
            "llama-dense-tiny-f32", "mixtral-tiny-f32", "olmoe-tiny-f32", "qwen2-dense-tiny-f32", "qwen2moe-tiny-f32",
            "qwen3-dense-tiny-f32", "qwen3moe-k256-q5_k_m", "qwen3moe-tiny-f32");

    @Test
    void everyOtherFixtureIsCovered() {
        assertEquals(CASES, GoldenCase.cases(arch -> !arch.equals(DeepSeek2.ARCH)));
    }

    static Stream<String> cases() {
        return CASES.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesLlamaCpp(String name) throws IOException {
        System.out.printf("%-22s native     %s%n", name, GoldenComparison.matchesLlamaCpp(name));
    }

    /** The model code alone on the plain-Java kernels (rope factors, biases, q/k norms, gates, quantized products). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama-dense-tiny-f32", "qwen2moe-tiny-f32", "olmoe-tiny-f32", "qwen3moe-k256-q5_k_m",
            "glm4moe-tiny-f32", "gptoss-tiny-f32", "gptoss-tiny-mxfp4", "deepseek32-tiny-f32", "deepseek4-tiny-f32"})
    void matchesLlamaCppOnReferenceKernels(String name) throws IOException {
        GoldenCase g = GoldenCase.load(name);
        GoldenComparison.Summary summary = new GoldenComparison.Summary();
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel model = LanguageModels.load(file,
                     ModelOptions.defaults(1).withBackend(ModelOptions.Backend.REFERENCE))) {
            assertInstanceOf(Transformer.class, model);
            assertEquals(g.arch(), model.config().architecture());
            GoldenComparison.check(g, GoldenComparison.run(model, g, true), name + " reference", summary);
        }
        System.out.printf("%-22s reference  %s%n", name, summary);
    }
}
