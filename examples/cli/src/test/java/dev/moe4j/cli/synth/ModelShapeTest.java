package dev.moe4j.cli.synth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The named shapes have the sizes their model cards publish; cutting and validation behave. */
class ModelShapeTest {

    /**
     * Published totals / active parameters (model cards, in billions, rounded as published): DeepSeek-V3 671 / 37
     * (without the 14 B MTP module), Qwen3-30B-A3B 30.5 / 3.3, Mixtral-8x7B 46.7 / 12.9, DeepSeek-V2-Lite 15.7 (its
     * card's 2.4 B active leaves out the embedding and output tables, 2 × 0.21 B, which moe4j counts).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"deepseek-v3, 671.0, 37.5, 0.005", "qwen3-30b-a3b, 30.5, 3.3, 0.02", "mixtral-8x7b, 46.7, 12.9, 0.01",
            "deepseek-v2-lite, 15.7, 2.66, 0.01"})
    void fullShapesHaveTheirPublishedSize(String name, double totalB, double activeB, double tolerance) {
        ModelShape s = Shapes.named(name).orElseThrow();
        assertEquals(totalB, s.parameterCount() / 1e9, totalB * tolerance, name + " total");
        assertEquals(activeB, s.activeParameterCount() / 1e9, activeB * 0.03, name + " active");
    }

    /**
     * The GLM and gpt-oss shapes against their model cards, in billions: GLM-4.5-Air 106 / 12, GLM-4.5 355 / 32 (the
     * cards leave out the NextN block, which the files hold and {@link ModelShape#parameterCount()} counts, and their
     * "active" leaves out the token embedding table too), gpt-oss-20b 20.91 / 3.61 and gpt-oss-120b 116.83 / 5.13
     * (the card's active count leaves out the embedding table, not the unembedding), DeepSeek-V4-Flash 284 / 13
     * (without its NextN block). The GLM cards round: 12.8 → 12; V4's 13.27 → 13.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"glm-4.5-air, 106, 12, 0.01, 0.07", "glm-4.5, 355, 32, 0.01, 0.03",
            "gpt-oss-20b, 20.91, 3.61, 0.001, 0.003", "gpt-oss-120b, 116.83, 5.13, 0.001, 0.003",
            "deepseek-v4-flash, 284, 13, 0.002, 0.03"})
    void glmGptOssAndV4ShapesHaveTheirPublishedSize(String name, double totalB, double activeB, double totalTolerance,
                                                  double activeTolerance) {
        ModelShape s = Shapes.named(name).orElseThrow();
        ModelShape main = s.toBuilder().nextnLayers(0).build();
        long embedding = (long) s.vocab() * s.hidden();
        assertEquals(main.parameterCount(), s.parameterCount() - s.nextnParameterCount());
        assertEquals(totalB, main.parameterCount() / 1e9, totalB * totalTolerance, name + " total");
        assertEquals(activeB, (main.activeParameterCount() - embedding) / 1e9, activeB * activeTolerance,
                name + " active");
    }

    @Test
    void cuttingKeepsTheDenseToMoeMix() {
        ModelShape v3 = Shapes.named("deepseek-v3").orElseThrow();
        assertEquals(1, v3.toBuilder().cutToLayers(4).build().denseLayers());
        assertEquals(1, v3.toBuilder().cutToLayers(2).build().denseLayers());
        assertEquals(0, v3.toBuilder().cutToLayers(1).build().denseLayers(), "one layer: it is the MoE layer");
        assertEquals(2, v3.toBuilder().cutToLayers(40).build().denseLayers());
        assertEquals(3, v3.toBuilder().cutToLayers(61).build().denseLayers());
        ModelShape q = Shapes.named("qwen3-30b-a3b").orElseThrow().toBuilder().cutToLayers(3).build();
        assertEquals(0, q.denseLayers());
        assertEquals(3, q.layers());
    }

    /**
     * DeepSeek-V4-Flash's layers: 0-1 window only, then CSA (4) and HCA (128) alternating (21 and 20), the NextN block
     * window only, 3 hash layers; {@code --layers} cuts the pattern (an explicit list too) and the hash layers, and
     * keeps the NextN block.
     */
    @Test
    void cuttingFollowsFlashsPatternOfRatiosAndHashLayers() {
        ModelShape flash = Shapes.named("deepseek-v4-flash").orElseThrow();
        assertEquals(44, flash.blockCount());
        assertEquals(List.of(0, 0, 4, 128, 4), flash.compressRatios().subList(0, 5));
        assertEquals(21, flash.compressRatios().stream().filter(x -> x == 4).count());
        assertEquals(20, flash.compressRatios().stream().filter(x -> x == 128).count());
        assertEquals(0, flash.compressRatio(43), "the NextN block");
        assertEquals(java.util.Optional.of(dev.moe4j.tooling.TensorType.MXFP4),
                Shapes.expertType("deepseek-v4-flash"));
        ModelShape four = flash.toBuilder().cutToLayers(4).build();
        assertEquals(List.of(0, 0, 4, 128), four.compressRatios());
        assertEquals(3, four.hashLayers());
        assertEquals(1, four.nextnLayers());
        ModelShape two = flash.toBuilder().cutToLayers(2).build();
        assertEquals(List.of(0, 0), two.compressRatios());
        assertEquals(2, two.hashLayers());
        assertEquals(ModelShape.flashRatios(50), two.toBuilder().cutToLayers(50).build().compressRatios());
        assertEquals(List.of(0, 4, 4), ModelShape.builder(ModelShape.DEEPSEEK4).compressRatios(List.of(0, 4, 4, 4))
                .build().toBuilder().cutToLayers(3).build().compressRatios(), "an explicit list is cut");
        assertEquals(ModelShape.flashRatios(6), ModelShape.builder(ModelShape.DEEPSEEK4).layers(6).build()
                .compressRatios());
        var names = four.tensors().stream().map(ModelShape.TensorSpec::name).toList();
        assertTrue(names.contains("blk.2.indexer.proj.weight") && !names.contains("blk.3.indexer.proj.weight")
                && names.contains("blk.3.attn_compressor_ape.weight")
                && !names.contains("blk.1.attn_compressor_kv.weight")
                && names.contains("blk.2.ffn_gate_tid2eid.weight") && names.contains("blk.3.exp_probs_b.bias")
                && names.contains("blk.4.nextn.eh_proj.weight") && !names.contains("blk.4.attn_compressor_kv.weight"));
    }

    @Test
    void tensorsMatchTheArchitecture() {
        ModelShape lite = Shapes.named("deepseek-v2-lite").orElseThrow().toBuilder().cutToLayers(2).build();
        var names = lite.tensors().stream().map(ModelShape.TensorSpec::name).toList();
        assertTrue(names.contains("blk.0.attn_q.weight") && !names.contains("blk.0.attn_q_a.weight"));
        assertTrue(names.contains("blk.0.ffn_gate.weight") && names.contains("blk.1.ffn_gate_exps.weight"));
        assertTrue(names.contains("blk.1.ffn_up_shexp.weight") && !names.contains("blk.1.exp_probs_b.bias"),
                "softmax gating has no selection bias");
        var v3 = Shapes.named("deepseek-v3").orElseThrow().toBuilder().cutToLayers(2).build().tensors().stream()
                .map(ModelShape.TensorSpec::name).toList();
        assertTrue(v3.contains("blk.1.exp_probs_b.bias") && v3.contains("blk.0.attn_q_a.weight"));
        var qwen = Shapes.named("qwen3-30b-a3b").orElseThrow().toBuilder().cutToLayers(1).build().tensors().stream()
                .map(ModelShape.TensorSpec::name).toList();
        assertTrue(qwen.contains("blk.0.attn_q_norm.weight") && qwen.contains("blk.0.ffn_gate_inp.weight"));
        ModelShape air = Shapes.named("glm-4.5-air").orElseThrow();
        assertEquals(47, air.blockCount());
        assertEquals(64, air.rotaryDims());
        var airNames = air.toBuilder().cutToLayers(2).build().tensors().stream().map(ModelShape.TensorSpec::name)
                .toList();
        assertTrue(airNames.contains("blk.0.ffn_up.weight") && airNames.contains("blk.1.exp_probs_b.bias")
                && airNames.contains("blk.2.nextn.eh_proj.weight") && airNames.contains("blk.2.ffn_gate_exps.weight")
                && airNames.contains("blk.1.post_attention_norm.weight") && airNames.contains("blk.0.attn_q.bias")
                && !airNames.contains("blk.1.ffn_norm.weight") && !airNames.contains("blk.0.attn_q_norm.weight"));
        assertEquals(1, air.toBuilder().cutToLayers(2).build().nextnLayers(), "cutting keeps the NextN block");
        var oss = Shapes.named("gpt-oss-20b").orElseThrow().toBuilder().cutToLayers(1).build().tensors().stream()
                .map(ModelShape.TensorSpec::name).toList();
        assertEquals(List.of("token_embd.weight", "output_norm.weight", "output.weight", "blk.0.attn_norm.weight",
                "blk.0.attn_q.weight", "blk.0.attn_q.bias", "blk.0.attn_k.weight", "blk.0.attn_k.bias",
                "blk.0.attn_v.weight", "blk.0.attn_v.bias", "blk.0.attn_output.weight", "blk.0.attn_output.bias",
                "blk.0.attn_sinks.weight", "blk.0.post_attention_norm.weight", "blk.0.ffn_gate_inp.weight",
                "blk.0.ffn_gate_inp.bias", "blk.0.ffn_gate_exps.weight", "blk.0.ffn_gate_exps.bias",
                "blk.0.ffn_up_exps.weight", "blk.0.ffn_up_exps.bias", "blk.0.ffn_down_exps.weight",
                "blk.0.ffn_down_exps.bias"), oss);
        ModelShape.TensorSpec down = Shapes.named("mixtral-8x7b").orElseThrow().tensors().stream()
                .filter(t -> t.name().equals("blk.0.ffn_down_exps.weight")).findFirst().orElseThrow();
        assertEquals(14336, down.dims()[0]);
        assertEquals(4096, down.dims()[1]);
        assertEquals(8, down.dims()[2]);
    }

    @Test
    void inconsistentShapesAreRefusedWithTheReason() {
        ModelShape.Builder b = ModelShape.builder(ModelShape.DEEPSEEK2);
        assertMessage("rope dim must be positive and even", () -> b.ropeDim(15).build());
        b.ropeDim(16);
        assertMessage("cannot route 9 experts per token", () -> b.experts(16).expertsUsed(9).groups(4, 2).build());
        b.groups(1, 1).expertsUsed(2);
        assertMessage("dense layers must be in 0..1", () -> b.denseLayers(2).build());
        b.denseLayers(1);
        assertMessage("vocab must be at least 261", () -> b.vocab(100).build());
        assertMessage("heads (6) must be a multiple of kv heads (4)",
                () -> ModelShape.builder(ModelShape.QWEN3MOE).heads(6).kvHeads(4).build());
        assertMessage("cannot be synthesised", () -> ModelShape.builder("gpt2").build());
        assertMessage("NextN layers: glm4moe and deepseek4 only",
                () -> ModelShape.builder(ModelShape.QWEN3MOE).nextnLayers(1).build());
        assertMessage("sliding window is gpt-oss's and deepseek4's only",
                () -> ModelShape.builder(ModelShape.GLM4MOE).slidingWindow(8).build());
        assertMessage("sliding window must be positive",
                () -> ModelShape.builder(ModelShape.GPT_OSS).slidingWindow(0).build());
        assertMessage("qwen3moe always normalises q and k",
                () -> ModelShape.builder(ModelShape.QWEN3MOE).qkNorm(false).build());
        assertMessage("q/k norms: qwen3moe and glm4moe only",
                () -> ModelShape.builder(ModelShape.GPT_OSS).qkNorm(true).build());
        assertMessage("rotary dims must be even and at most the head dim (64), got 66",
                () -> ModelShape.builder(ModelShape.GLM4MOE).ropeDim(66).build());
        assertMessage("gpt-oss has no dense layers",
                () -> ModelShape.builder(ModelShape.GPT_OSS).denseLayers(1).build());
        assertMessage("cannot route 9 experts per token",
                () -> ModelShape.builder(ModelShape.GLM4MOE).experts(16).expertsUsed(9).groups(4, 2).build());
        assertMessage("layers must be positive", () -> ModelShape.builder(ModelShape.LLAMA).cutToLayers(0));
    }

    @Test
    void inconsistentDeepSeek4ShapesAreRefusedWithTheReason() {
        assertMessage("compress ratios must be 4 values of 0, 4 or 128, got [0, 4, 64, 128]",
                () -> ModelShape.builder(ModelShape.DEEPSEEK4).compressRatios(List.of(0, 4, 64, 128)).build());
        assertMessage("compress ratios must be 4 values",
                () -> ModelShape.builder(ModelShape.DEEPSEEK4).compressRatios(List.of(0, 4)).build());
        assertMessage("heads (8) must be a multiple of output groups (3)",
                () -> ModelShape.builder(ModelShape.DEEPSEEK4).outputGroups(3).build());
        assertMessage("indexer head size must be a multiple of 64",
                () -> ModelShape.builder(ModelShape.DEEPSEEK4).indexerDim(96).build());
        assertMessage("hash layers must be in 0..4",
                () -> ModelShape.builder(ModelShape.DEEPSEEK4).hashLayers(5).build());
        assertMessage("deepseek4 has no dense layers",
                () -> ModelShape.builder(ModelShape.DEEPSEEK4).denseLayers(1).build());
        assertMessage("rope dim must be positive, even and at most the head dim (64)",
                () -> ModelShape.builder(ModelShape.DEEPSEEK4).ropeDim(96).build());
        assertMessage("output rank must be positive", () -> ModelShape.builder(ModelShape.DEEPSEEK4).outputRank(0)
                .build());
        assertMessage("deepseek4's only", () -> ModelShape.builder(ModelShape.DEEPSEEK2).hc(4).build());
        assertMessage("deepseek4's only",
                () -> ModelShape.builder(ModelShape.GLM4MOE).compressRatios(List.of(0, 0)).build());
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(part), x.getMessage());
    }
}
