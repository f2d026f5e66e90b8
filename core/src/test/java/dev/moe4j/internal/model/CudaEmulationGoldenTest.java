package dev.moe4j.internal.model;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.ModelOptions.ActivationRounding;
import dev.moe4j.internal.gpu.CudaApi;
import dev.moe4j.internal.gpu.GpuSetup;
import dev.moe4j.internal.gpu.GpuWeights;
import dev.moe4j.internal.gpu.PlacementItem;
import dev.moe4j.internal.gpu.PlacementPlan;
import dev.moe4j.testing.CudaTestLibrary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The hybrid CUDA path ({@link CudaModelKernels}) on golden models (deepseek2, deepseek32 with its sparse attention,
 * deepseek4 with its compressed attention and MXFP4 experts, GLM-4.5, gpt-oss with MXFP4 experts), without a GPU: the products on weights the plan places run through libmoe4j_cuda's kernels compiled over its CPU emulation ({@code libmoe4j_cuda_emu.so}, built
 * by native-kernels where nvcc is), the rest on the CPU kernels. With a budget that holds everything and with one that
 * holds only part (some routed experts stay on the CPU), the greedy tokens must equal the CPU path's and the logits
 * must meet the golden tolerances against llama.cpp ({@link GoldenComparison#check}); with f32 activations on a
 * quantized model, the logits must also agree with the CPU path's as closely as two CPU runs must
 * ({@link GoldenComparison#agree}). The emulation is slow, so only the
 * prompt and the first {@value #STEPS} steps run, on the smallest models.
 *
 * <p>{@code -Dmoe4j.test.cudaGpuLibrary=<libmoe4j_cuda.so>} runs the same test on a real GPU (native-kernels/cuda/check-gpu.sh
 * does).
 */
class CudaEmulationGoldenTest {
    static final int STEPS = 12;

    /** The real library when a GPU run asks for it, else the emulation; null when neither was built. */
    private static Path library;

    @BeforeAll
    static void findLibrary() {
        library = CudaTestLibrary.path();
    }

    @ParameterizedTest(name = "{0}, {1} of the weights, {2} activations")
    @CsvSource({"ds2-tiny-f32, all, GGML", "ds2-tiny-f32, part, GGML", "ds2-lite-tiny-f32, part, GGML",
            "ds2-tiny-q8e, all, NONE", "ds2-tiny-q8e, part, NONE", "ds2-tiny-q8e, all, GGML",
            "ds2-tiny-q8e, part, GGML", "glm4moe-tiny-f32, part, GGML", "gptoss-tiny-mxfp4, part, GGML",
            "deepseek32-tiny-f32, part, GGML", "deepseek4-tiny-mxfp4, part, GGML"})
    void matchesTheCpuPathAndLlamaCpp(String name, String share, ActivationRounding rounding) throws IOException {
        assumeTrue(library != null, CudaTestLibrary.missing());
        GoldenCase full = GoldenCase.load(name);
        GoldenCase g = new GoldenCase(full.name(), full.arch(), full.model(), full.quantized(), full.expertsUsed(),
                full.prompt(), Arrays.copyOf(full.generated(), STEPS), Arrays.copyOf(full.steps(), STEPS));
        int ctx = g.prompt().length + STEPS;
        ModelOptions options = ModelOptions.defaults(1).withRounding(rounding);
        try (GgufFile file = GgufFile.open(g.model())) {
            float[][] cpuRows;
            try (LanguageModel cpu = LanguageModels.load(file, options)) {
                cpuRows = run(cpu, g, ctx, null).rows();
            }
            GpuBinding binding = new GpuBinding();
            try (LanguageModel model = LanguageModels.load(file, options.withGpu(binding))) {
                long budget = share.equals("all") ? 1L << 30 : partBudget(file, model, ctx);
                try (GpuWeights w = GpuSetup.attach(file, model.config(), binding, CudaApi.at(library), 0,
                        new GpuSetup.Request(budget, ctx, 64, null, false))) {
                    PlacementPlan plan = w.plan();
                    long expertsLeft = plan.count(PlacementItem.Kind.ROUTED_EXPERT, false);
                    assertEquals(share.equals("all"), expertsLeft == 0, plan.summary());
                    assertTrue(plan.count(PlacementItem.Kind.ROUTED_EXPERT, true) > 0, plan.summary());
                    long[] products = new long[2];
                    GoldenComparison.Run gpu = run(model, g, ctx, products);
                    assertTrue(products[0] > 0 && products[1] > 0, "GPU / CPU products: " + Arrays.toString(products));
                    String label = name + " hybrid CUDA (" + share + ", " + rounding + ", " + plan.summary() + ")";
                    sameGreedyTokens(cpuRows, gpu.rows(), g.quantized() && rounding == ActivationRounding.GGML,
                            label);
                    GoldenComparison.Summary summary = new GoldenComparison.Summary();
                    if (rounding == ActivationRounding.GGML) {
                        GoldenComparison.check(g, gpu, label, summary);
                    } else {
                        GoldenComparison.agree(cpuRows, gpu.rows(), label);
                        for (int i = 0; i < STEPS; i++) { // the printed figures: against the CPU path here
                            summary.add(LogitStats.cosine(gpu.rows()[i], cpuRows[i]),
                                    LogitStats.maxAbsDiff(gpu.rows()[i], cpuRows[i]));
                        }
                    }
                    System.out.printf("%-18s %-4s %-4s %s  [%d GPU / %d CPU products; %s]%n", name, share, rounding,
                            summary, products[0], products[1], plan.summary());
                }
            }
        }
    }

    /**
     * The greedy token of every step equals the CPU path's. With llama.cpp's 8-bit activation rounding on a quantized
     * model only where the CPU's top-2 gap is at least {@link GoldenComparison#QUANT_ARGMAX_GAP}: a last-bit difference
     * of summation order moves an activation across a rounding step now and then (as 1 vs 2 threads do on the CPU).
     */
    private static void sameGreedyTokens(float[][] cpu, float[][] gpu, boolean eightBit, String label) {
        for (int i = 0; i < cpu.length; i++) {
            if (eightBit && LogitStats.top2Gap(cpu[i]) < GoldenComparison.QUANT_ARGMAX_GAP) {
                continue;
            }
            assertEquals(LogitStats.argmax(cpu[i]), LogitStats.argmax(gpu[i]),
                    label + ": greedy token of step " + i + " differs from the CPU path (CPU top-2 gap "
                            + LogitStats.top2Gap(cpu[i]) + ")");
        }
    }

    /** Everything but the routed experts, and half of those: the other half stays on the CPU. */
    private static long partBudget(GgufFile file, LanguageModel model, int ctx) {
        var entries = dev.moe4j.internal.gpu.GpuInventory.of(file, model.config().layerCount(),
                model.config().kvBytesPerToken(), ctx, 64);
        long experts = entries.stream().filter(e -> e.item().kind() == PlacementItem.Kind.ROUTED_EXPERT)
                .mapToLong(e -> e.item().bytes()).sum();
        return entries.stream().mapToLong(e -> e.item().bytes()).sum() - experts / 2;
    }

    /**
     * The prompt as one batch, then the generated tokens one at a time (as {@link GoldenComparison#run}), counting the
     * products the hybrid kernels ran on the GPU ({@code products[0]}) and the CPU ({@code products[1]}) when asked.
     */
    private static GoldenComparison.Run run(LanguageModel model, GoldenCase g, int ctx, long[] products) {
        int vocab = model.config().vocabSize();
        float[][] rows = new float[STEPS][vocab];
        double[] margins = new double[STEPS];
        Arrays.fill(margins, Double.POSITIVE_INFINITY);
        int first = g.prompt().length - 1;
        try (InferenceState s = model.newState(ctx)) {
            s.setObserver((what, layer, pos, data) -> {
                if (what.equals("ffn_moe_selection") && pos >= first) {
                    double m = RoutingMargin.of(data.toArray(ValueLayout.JAVA_FLOAT), g.expertsUsed());
                    margins[pos - first] = Math.min(margins[pos - first], m);
                }
            });
            model.forward(s, g.prompt(), 0, g.prompt().length, rows[0]);
            for (int i = 1; i < STEPS; i++) {
                model.forward(s, g.generated(), i - 1, 1, rows[i]);
            }
            if (products != null) { // the model's kernel sets ran the products (one, with one thread driving)
                for (ModelKernels set : ((Transformer) model).kernelSets()) {
                    CudaModelKernels k = (CudaModelKernels) set;
                    products[0] += k.gpuProducts();
                    products[1] += k.cpuProducts();
                }
            }
        }
        return new GoldenComparison.Run(rows, margins);
    }
}
