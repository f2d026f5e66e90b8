package dev.moe4j.cli.synth;

import dev.moe4j.tooling.TensorType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The published shapes of real Mixture-of-Experts models (from their Hugging Face {@code config.json}), as
 * llama.cpp's converter writes them to GGUF. Only the dimensions are real; {@link SynthModel} fills them with random
 * weights.
 */
public final class Shapes {
    private static final Map<String, ModelShape> NAMED = new LinkedHashMap<>();

    static {
        // DeepSeek-V3 / R1: 61 layers (3 dense), MLA with q compression, 256 experts (8 used, 1 shared), sigmoid
        // gating with selection bias and 8 groups (4 used), YaRN ×40 over 4096 (mscale_all_dim 1).
        NAMED.put("deepseek-v3", ModelShape.builder(ModelShape.DEEPSEEK2).name("DeepSeek-V3 shape (random weights)")
                .layers(61).denseLayers(3).hidden(7168).heads(128).vocab(129280).context(163840).ffn(18432)
                .experts(256).expertsUsed(8).expertFfn(2048).sharedExperts(1).qLoraRank(1536).kvLoraRank(512)
                .nopeDim(128).ropeDim(64).vHeadDim(128).sigmoidGating(true).groups(8, 4).weightsNorm(true)
                .weightsScale(2.5f).ropeTheta(10000f).eps(1e-6f).yarn(40f, 4096, 0.1f).build());
        // DeepSeek-V3.2: V3's dimensions with DeepSeek Sparse Attention, a lightning indexer of 64 heads of 128 that
        // keeps the top 2048 cached positions per query.
        NAMED.put("deepseek-v3.2", NAMED.get("deepseek-v3").toBuilder().arch(ModelShape.DEEPSEEK32)
                .name("DeepSeek-V3.2 shape (random weights)").indexer(64, 128, 2048).build());
        // DeepSeek-V4-Flash (docs/arch-deepseek4.md): 43 layers + 1 NextN block, 64 heads of 512 (one K = V head, a
        // 64-dim rotated tail), q_lora 1024, output 8 groups × rank 1024, 256 experts (6 used, 1 shared) of 2048 with
        // sqrt-softplus routing ×1.5, the first 3 layers hash-routed, window 128, layers 0-1 window only then CSA (4,
        // indexer 64 × 128, top 512) and HCA (128) alternating, 4 hyper-connection streams (20 Sinkhorn iterations),
        // SwiGLU clamped at 10, θ 10000 (compressed layers 160000 with YaRN ×16 over 65536), MXFP4 experts as
        // released.
        NAMED.put("deepseek-v4-flash", ModelShape.builder(ModelShape.DEEPSEEK4)
                .name("DeepSeek-V4-Flash shape (random weights)").layers(43).nextnLayers(1).hidden(4096).heads(64)
                .kvHeads(1).headDim(512).ropeDim(64).qLoraRank(1024).outputGroups(8).outputRank(1024)
                .vocab(129280).context(1_048_576).experts(256).expertsUsed(6).expertFfn(2048).sharedExperts(1)
                .weightsNorm(true).weightsScale(1.5f).hashLayers(3).slidingWindow(128).indexer(64, 128, 512).hc(4)
                .sinkhornIterations(20).swigluLimit(10f).ropeTheta(10000f).compressTheta(160_000f).eps(1e-6f)
                .yarn(16f, 65536, 0f).build());
        // DeepSeek-V2-Lite: 27 layers (1 dense), direct queries, 64 experts (6 used, 2 shared), softmax gating,
        // YaRN ×40 over 4096 (mscale_all_dim 0.707).
        NAMED.put("deepseek-v2-lite", ModelShape.builder(ModelShape.DEEPSEEK2)
                .name("DeepSeek-V2-Lite shape (random weights)").layers(27).denseLayers(1).hidden(2048).heads(16)
                .vocab(102400).context(163840).ffn(10944).experts(64).expertsUsed(6).expertFfn(1408)
                .sharedExperts(2).qLoraRank(0).kvLoraRank(512).nopeDim(128).ropeDim(64).vHeadDim(128)
                .sigmoidGating(false).groups(1, 1).weightsNorm(false).weightsScale(1f).ropeTheta(10000f).eps(1e-6f)
                .yarn(40f, 4096, 0.0707f).build());
        // Qwen3-30B-A3B: 48 layers, GQA 32/4 heads of 128, 128 experts (8 used) of 768.
        NAMED.put("qwen3-30b-a3b", ModelShape.builder(ModelShape.QWEN3MOE).name("Qwen3-30B-A3B shape (random weights)")
                .layers(48).hidden(2048).heads(32).kvHeads(4).headDim(128).vocab(151936).context(40960).ffn(6144)
                .experts(128).expertsUsed(8).expertFfn(768).weightsNorm(true).ropeTheta(1_000_000f).eps(1e-6f)
                .build());
        // Mixtral-8x7B: 32 layers, GQA 32/8 heads of 128, 8 experts (2 used) of 14336.
        NAMED.put("mixtral-8x7b", ModelShape.builder(ModelShape.LLAMA).name("Mixtral-8x7B shape (random weights)")
                .layers(32).hidden(4096).heads(32).kvHeads(8).headDim(128).vocab(32000).context(32768).ffn(14336)
                .experts(8).expertsUsed(2).weightsNorm(true).ropeTheta(1_000_000f).eps(1e-5f).build());
        // GLM-4.5-Air: 46 layers (first dense) + 1 NextN block, GQA 96/8 heads of 128 with q/k/v biases, no q/k norm,
        // partial rotary 0.5 (64 dims, NEOX), 128 experts (8 used, 1 shared) of 1408, sigmoid gating with selection
        // bias, normalised weights × 1.0, one group.
        NAMED.put("glm-4.5-air", ModelShape.builder(ModelShape.GLM4MOE).name("GLM-4.5-Air shape (random weights)")
                .layers(46).denseLayers(1).nextnLayers(1).hidden(4096).heads(96).kvHeads(8).headDim(128)
                .qkNorm(false).vocab(151552).context(131072).ffn(10944).experts(128).expertsUsed(8).expertFfn(1408)
                .sharedExperts(1).sigmoidGating(true).groups(1, 1).weightsNorm(true).weightsScale(1f)
                .ropeTheta(1_000_000f).eps(1e-5f).build());
        // GLM-4.5: 92 layers (3 dense) + 1 NextN block, GQA 96/8 heads of 128 with q/k norms, 160 experts (8 used,
        // 1 shared) of 1536, weights × 2.5.
        NAMED.put("glm-4.5", ModelShape.builder(ModelShape.GLM4MOE).name("GLM-4.5 shape (random weights)")
                .layers(92).denseLayers(3).nextnLayers(1).hidden(5120).heads(96).kvHeads(8).headDim(128)
                .qkNorm(true).vocab(151552).context(131072).ffn(12288).experts(160).expertsUsed(8).expertFfn(1536)
                .sharedExperts(1).sigmoidGating(true).groups(1, 1).weightsNorm(true).weightsScale(2.5f)
                .ropeTheta(1_000_000f).eps(1e-5f).build());
        // gpt-oss-20b: 24 layers, GQA 64/8 heads of 64 with biases and sinks, a 128-token window on the even layers,
        // YaRN ×32 over 4096 (θ 150000), 32 experts (4 used) of 2880 with biases, MXFP4 experts in the released file.
        NAMED.put("gpt-oss-20b", gptOss("gpt-oss-20b", 24, 32));
        // gpt-oss-120b: the same with 36 layers and 128 experts.
        NAMED.put("gpt-oss-120b", gptOss("gpt-oss-120b", 36, 128));
    }

    private static ModelShape gptOss(String name, int layers, int experts) {
        return ModelShape.builder(ModelShape.GPT_OSS).name(name + " shape (random weights)").layers(layers)
                .hidden(2880).heads(64).kvHeads(8).headDim(64).vocab(201088).context(131072).experts(experts)
                .expertsUsed(4).expertFfn(2880).slidingWindow(128).weightsNorm(false).ropeTheta(150_000f).eps(1e-5f)
                .yarn(32f, 4096, 0f).build();
    }

    /** The type of the routed experts in the model's released GGUF, where it is not the type of everything else. */
    public static Optional<TensorType> expertType(String name) {
        return (name.startsWith("gpt-oss-") || name.startsWith("deepseek-v4-")) && NAMED.containsKey(name)
                ? Optional.of(TensorType.MXFP4) : Optional.empty();
    }

    private Shapes() {}

    /** The shape called {@code name} ({@link #names()}), if there is one. */
    public static Optional<ModelShape> named(String name) {
        return Optional.ofNullable(NAMED.get(name));
    }

    /** The known shape names, in a fixed order. */
    public static Iterable<String> names() {
        return NAMED.keySet();
    }
}
