package dev.moe4j;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model's prompt cache on the golden model ds2-lite-tiny-f32: a request whose prompt shares a prefix with an
 * earlier one reuses that prefix, and what it generates is what a cold run (a model without a cache) generates, token
 * for token; the cache stays within its size.
 */
class PromptCacheTest {
    private static GoldenFixture golden;
    private static Model cold;

    @BeforeAll
    static void load() {
        golden = GoldenFixture.load("ds2-lite-tiny-f32");
        cold = Model.builder(golden.model()).threads(2).promptCacheSize(0).build();
    }

    @AfterAll
    static void close() {
        if (cold != null) {
            cold.close();
        }
    }

    private static GenerationResult greedy(Model m, int[] prompt, int n) {
        return m.request(prompt).temperature(0).ignoreEos(true).maxTokens(n).generate();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aSharedPrefixIsReusedAndGivesTheColdRunsTokens() {
        int[] prompt = golden.promptTokens();
        int[] edited = prompt.clone();
        edited[edited.length - 5] = (edited[edited.length - 5] + 7) % 256; // an edit near the end
        try (Model cached = Model.builder(golden.model()).threads(2).promptCacheSize(2).build()) {
            GenerationResult first = greedy(cached, prompt, 16);
            assertEquals(0, first.stats().promptTokensReused());
            assertArrayEquals(Arrays.copyOf(golden.generatedTokens(), 16), first.tokenIds());

            // the same prompt again: everything but the last token comes from the cache
            GenerationResult again = greedy(cached, prompt, 16);
            assertEquals(prompt.length - 1, again.stats().promptTokensReused());
            assertEquals(1, again.stats().promptTokensEvaluated());
            assertArrayEquals(first.tokenIds(), again.tokenIds());

            // an edit: the prefix before it is reused, the output equals a cold run's
            GenerationResult warm = greedy(cached, edited, 24);
            assertEquals(edited.length - 5, warm.stats().promptTokensReused());
            assertArrayEquals(greedy(cold, edited, 24).tokenIds(), warm.tokenIds());

            // a prompt that continues an earlier prompt and its output (a conversation's next turn)
            int[] next = concat(concat(edited, warm.tokenIds()), Arrays.copyOfRange(prompt, 1, 9));
            GenerationResult turn = greedy(cached, next, 16);
            assertEquals(edited.length + warm.tokenIds().length - 1, turn.stats().promptTokensReused(),
                    "the output's last token was never run, so it is not in the state");
            assertArrayEquals(greedy(cold, next, 16).tokenIds(), turn.tokenIds());
            assertTrue(cached.promptCacheEntries() <= 2);
        }
    }

    @Test
    void theCacheKeepsAtMostItsSizeAndPrefersTheLongestPrefix() {
        int[] prompt = golden.promptTokens();
        try (Model cached = Model.builder(golden.model()).threads(2).promptCacheSize(2).build()) {
            for (int i = 0; i < 4; i++) {
                int[] p = prompt.clone();
                p[1] = 10 + i; // four prompts that share only BOS
                greedy(cached, p, 4);
                assertTrue(cached.promptCacheEntries() <= 2, "entries: " + cached.promptCacheEntries());
            }
            int[] last = prompt.clone();
            last[1] = 13;
            GenerationResult r = greedy(cached, last, 4);
            assertEquals(prompt.length - 1, r.stats().promptTokensReused(), "the most recent prompt is still cached");
            int[] evicted = prompt.clone();
            evicted[1] = 10;
            assertEquals(1, greedy(cached, evicted, 4).stats().promptTokensReused(), "only BOS is shared");
        }
    }

    @Test
    void withoutACacheEveryRunStartsCold() {
        int[] prompt = golden.promptTokens();
        greedy(cold, prompt, 4);
        GenerationResult r = greedy(cold, prompt, 4);
        assertEquals(0, r.stats().promptTokensReused());
        assertEquals(0, cold.promptCacheEntries());
    }

    @Test
    void chatRequestsReuseTheConversationSoFar() {
        try (Model m = Model.builder(golden.model()).threads(2)
                .chatTemplate("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
                        + "{% if add_generation_prompt %}<assistant>{% endif %}").build()) {
            List<ChatMessage> conversation = new java.util.ArrayList<>(List.of(
                    ChatMessage.system("You answer briefly."), ChatMessage.user("The quick brown fox")));
            GenerationResult first = m.chat(conversation).temperature(0).maxTokens(8).ignoreEos(true).generate();
            conversation.add(first.toMessage());
            conversation.add(ChatMessage.user("jumps over"));
            GenerationResult second = m.chat(conversation).temperature(0).maxTokens(8).ignoreEos(true).generate();
            assertTrue(second.stats().promptTokensReused() >= first.promptTokenIds().length,
                    second.stats().summary());
            assertEquals(m.renderChat(conversation, true), m.detokenize(second.promptTokenIds()));
        }
    }
}
