package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The deepseek2 forward pass against llama.cpp on every deepseek2 golden model (shared/golden, shared/golden-iq and the
 * bundled demo model's core/src/test/golden), with the tolerances and run matrix of
 * {@link GoldenComparison} (f32: cosine ≥ 0.99999, max|Δ| ≤ 1e-3, identical greedy tokens; quantized: cosine ≥ 0.999
 * and the same argmax where llama.cpp's top-2 gap ≥ 0.05, with the bounded routing-tie exception; threads 1 and 2,
 * prefill and token by token), and on the plain-Java kernels. A model holding a weight type the native kernels do not
 * compute yet ({@link GgmlType#kernels()}: so far the golden-iq formats) is skipped on the native path, naming the type
 * (ReferenceOnlyTypesRefusedTest checks that Model.load refuses it), and still runs on the plain-Java kernels, which
 * decode every format with a Java reference.
 */
class DeepSeek2GoldenTest {
    static final List<String> DEEPSEEK2_CASES = List.of("demo-countries-q8-chat", "demo-wordnet-q8",
            "demo-wordnet-q8-chat", "ds2-k256-iq1_m", "ds2-k256-iq1_s", "ds2-k256-iq2_m", "ds2-k256-iq2_xs",
            "ds2-k256-iq2_xxs", "ds2-k256-iq3_s", "ds2-k256-iq3_xxs", "ds2-k256-mxfp4_moe", "ds2-k256-q2_k",
            "ds2-k256-q4_k_m", "ds2-k256-q6_k", "ds2-k256-tq2_0", "ds2-lite-tiny-f32", "ds2-tiny-f32", "ds2-tiny-q4e",
            "ds2-tiny-q8e");

    /** The golden-iq models: the i-quant, TQ2_0 and MXFP4 formats (with K-quant and Q8_0 tensors mixed in). */
    static final List<String> IQ_CASES = List.of("ds2-k256-iq1_m", "ds2-k256-iq1_s", "ds2-k256-iq2_m",
            "ds2-k256-iq2_xs", "ds2-k256-iq2_xxs", "ds2-k256-iq3_s", "ds2-k256-iq3_xxs", "ds2-k256-mxfp4_moe",
            "ds2-k256-tq2_0");

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
        Optional<GgmlType> missing = GoldenCase.load(name).typeWithoutKernels();
        assumeTrue(missing.isEmpty(), () -> name + " holds " + missing.orElseThrow()
                + " weights, which the native kernels do not compute yet");
        System.out.printf("%-22s native     %s%n", name, GoldenComparison.matchesLlamaCpp(name));
    }

    /**
     * The reference runs: a few of the older formats and every golden-iq model but ds2-k256-iq1_s, which leaves
     * llama.cpp at the same routing tie (step 11) on the plain-Java kernels as on the native ones
     * ({@link GoldenComparison#DIVERGES_AT_ROUTING_TIE}): the native run checks the steps before it, bit for bit the
     * arithmetic of ggml's per-block formula.
     */
    static Stream<String> referenceCases() {
        return Stream.concat(Stream.of("ds2-tiny-f32", "ds2-lite-tiny-f32", "ds2-tiny-q8e", "ds2-k256-q4_k_m",
                "demo-wordnet-q8-chat", "demo-countries-q8-chat"),
                IQ_CASES.stream().filter(c -> !c.equals("ds2-k256-iq1_s")));
    }

    /**
     * The same comparison on the plain-Java kernels: the model code alone, apart from the SIMD kernels; for the
     * golden-iq formats, the Java reference decoders and the activation rounding of each format's ggml vec_dot_type.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("referenceCases")
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
