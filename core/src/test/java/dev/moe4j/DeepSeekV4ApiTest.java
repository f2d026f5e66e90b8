package dev.moe4j;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DeepSeek-V4 (the deepseek4 golden fixture) through the public API: the prompt cache on a windowed cache (a repeated
 * request resumes one token back; a shorter prompt sharing a prefix lies beyond the rings and is computed afresh, with
 * the tokens a fresh model gives), and the KV cache per token that ModelInfo and memoryStats() report.
 */
class DeepSeekV4ApiTest {

    private static int[] greedy(Model m, String prompt, int n) {
        return m.request(prompt).temperature(0).ignoreEos(true).maxTokens(n).generate().tokenIds();
    }

    @Test
    void promptCacheOnAWindowedCache() {
        GoldenFixture g = GoldenFixture.load("deepseek4-tiny-f32");
        String shorter = g.prompt().substring(0, 120);
        int[] fresh;
        try (Model m = Model.load(g.model())) {
            fresh = greedy(m, shorter, 8);
        }
        try (Model m = Model.load(g.model())) {
            int[] first = greedy(m, g.prompt(), 16);
            assertArrayEquals(java.util.Arrays.copyOf(g.generatedTokens(), 16), first, "llama.cpp's tokens");
            assertArrayEquals(first, greedy(m, g.prompt(), 16), "the same request again, from the prompt cache");
            assertArrayEquals(fresh, greedy(m, shorter, 8), "a prefix of a cached prompt");
            assertArrayEquals(first, greedy(m, g.prompt(), 16), "and the long one once more");
        }
    }

    /**
     * Tiny fixture: layers of ratio 0, 4, 128, 4, 128, head 32, indexer keys 64: a CSA layer caches (32 + 64)/4
     * floats per token (96 B), an HCA layer 32/128 floats (1 B, rounded up), a window-only layer nothing per token.
     */
    @Test
    void kvCacheBytesPerToken() {
        GoldenFixture g = GoldenFixture.load("deepseek4-tiny-f32");
        long expected = 2 * 96 + 2 * 1;
        assertEquals(expected, ModelInfo.read(g.model()).kvCacheBytesPerToken().orElseThrow());
        try (Model m = Model.load(g.model())) {
            assertEquals(expected, m.memoryStats().kvCacheBytesPerToken());
        }
    }
}
