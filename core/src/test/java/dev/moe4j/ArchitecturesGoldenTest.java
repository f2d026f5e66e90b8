package dev.moe4j;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every architecture through the public API alone: {@code Model.load(path)}, the tokenizer's prompt ids, and greedy
 * generation with {@code ignoreEos} of as many tokens as llama.cpp generated, which must be llama.cpp's tokens
 * (golden/README.md). The same code for every model; one method per golden model so a failure names it.
 */
class ArchitecturesGoldenTest {

    /** Prompt ids (BOS included) and 32 greedy tokens identical to llama.cpp's. */
    private static void reproducesLlamaCpp(String fixture) {
        GoldenFixture g = GoldenFixture.load(fixture);
        try (Model model = Model.load(g.model())) {
            assertArrayEquals(g.promptTokens(), model.tokenize(g.prompt(), g.parseSpecial()), "prompt ids");
            GenerationResult r = model.request(g.prompt()).temperature(0).ignoreEos(true)
                    .maxTokens(g.generatedTokens().length).generate();
            assertArrayEquals(g.promptTokens(), r.promptTokenIds(), "prompt ids of the request");
            assertArrayEquals(g.generatedTokens(), r.tokenIds(), "greedy tokens");
            assertEquals(FinishReason.LENGTH, r.finishReason());
        }
    }

    @Test
    void llamaDense() {
        reproducesLlamaCpp("llama-dense-tiny-f32");
    }

    @Test
    void mixtral() {
        reproducesLlamaCpp("mixtral-tiny-f32");
    }

    @Test
    void qwen2Dense() {
        reproducesLlamaCpp("qwen2-dense-tiny-f32");
    }

    @Test
    void qwen3Dense() {
        reproducesLlamaCpp("qwen3-dense-tiny-f32");
    }

    @Test
    void qwen2moe() {
        reproducesLlamaCpp("qwen2moe-tiny-f32");
    }

    @Test
    void qwen3moe() {
        reproducesLlamaCpp("qwen3moe-tiny-f32");
    }

    @Test
    void qwen3moeQ5KM() {
        reproducesLlamaCpp("qwen3moe-k256-q5_k_m");
    }

    @Test
    void olmoe() {
        reproducesLlamaCpp("olmoe-tiny-f32");
    }

    @Test
    void deepseek2() {
        reproducesLlamaCpp("ds2-tiny-f32");
    }

    @Test
    void deepseek32() {
        reproducesLlamaCpp("deepseek32-tiny-f32");
    }

    @Test
    void deepseek4() {
        reproducesLlamaCpp("deepseek4-tiny-f32");
    }

    @Test
    void deepseek4Mxfp4() {
        reproducesLlamaCpp("deepseek4-tiny-mxfp4");
    }

    /**
     * The KV cache per token that inspect and memoryStats() report for sparse attention: per layer the MLA row
     * (kv_lora_rank 64 + rope 16), the transposed latent (64) and the indexer's key (64) in f32, 3 layers.
     */
    @Test
    void deepseek32KvCacheBytesPerToken() {
        GoldenFixture g = GoldenFixture.load("deepseek32-tiny-f32");
        long expected = 3L * (64 + 16 + 64 + 64) * Float.BYTES;
        assertEquals(expected, ModelInfo.read(g.model()).kvCacheBytesPerToken().orElseThrow());
        try (Model model = Model.load(g.model())) {
            MemoryStats stats = model.memoryStats();
            assertEquals(expected, stats.kvCacheBytesPerToken());
            assertEquals(expected * model.contextLength(), stats.kvCacheBytesAtContextLength());
        }
    }

    @Test
    void glm4moe() {
        reproducesLlamaCpp("glm4moe-tiny-f32");
    }

    @Test
    void gptOss() {
        reproducesLlamaCpp("gptoss-tiny-f32");
    }

    @Test
    void gptOssMxfp4() {
        reproducesLlamaCpp("gptoss-tiny-mxfp4");
    }
}
