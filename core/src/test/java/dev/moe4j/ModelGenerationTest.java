package dev.moe4j;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public generation API on the golden random-weight model ds2-tiny-f32 (deepseek2, f32, 512 tokens, no chat
 * template): exact greedy tokens, logits within the golden tolerance (cosine ≥ 0.99999, max |Δ| ≤ 1e-3), seeds,
 * cancellation, stop strings, the three streaming forms.
 */
class ModelGenerationTest {
    private static GoldenFixture golden;
    private static Model model;

    @BeforeAll
    static void load() {
        golden = GoldenFixture.load("ds2-tiny-f32");
        model = Model.builder(golden.model()).threads(2).build();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static GenerationRequest greedy32() {
        return model.request(golden.prompt()).temperature(0).ignoreEos(true).maxTokens(32);
    }

    @Test
    void greedyGenerationReproducesLlamaCpp() {
        GenerationResult r = greedy32().generate();
        assertArrayEquals(golden.promptTokens(), r.promptTokenIds());
        assertArrayEquals(golden.generatedTokens(), r.tokenIds());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(model.detokenize(r.tokenIds()), r.text() + r.reasoning());
        GenerationStats s = r.stats();
        assertEquals(golden.promptTokens().length, s.promptTokens());
        // Other tests ran the same prompt on this model: part of it may come from the prompt cache (PromptCacheTest).
        assertEquals(golden.promptTokens().length, s.promptTokensEvaluated() + s.promptTokensReused());
        assertEquals(32, s.generatedTokens());
        assertTrue(s.prefillTokensPerSecond() > 0 && s.decodeTokensPerSecond() > 0, s.summary());
    }

    @Test
    void infoAndDefaults() {
        assertEquals("deepseek2", model.info().architecture());
        assertFalse(model.isReasoningModel());
        assertTrue(model.chatTemplate().isEmpty());
        assertEquals(Math.min(model.info().contextLength(), 4096), model.contextLength());
        assertEquals(512, model.vocabularySize());
        assertArrayEquals(golden.promptTokens(), model.tokenize(golden.prompt(), false));
    }

    @Test
    void logitsMatchTheGoldenLastPosition() {
        float[] logits = model.logits(golden.promptTokens());
        float[] expected = golden.lastPromptLogits();
        assertEquals(expected.length, logits.length);
        double dot = 0, na = 0, nb = 0, maxAbs = 0;
        for (int i = 0; i < logits.length; i++) {
            dot += (double) logits[i] * expected[i];
            na += (double) logits[i] * logits[i];
            nb += (double) expected[i] * expected[i];
            maxAbs = Math.max(maxAbs, Math.abs(logits[i] - expected[i]));
        }
        double cosine = dot / Math.sqrt(na * nb);
        assertTrue(cosine >= 0.99999, "cosine " + cosine);
        assertTrue(maxAbs <= 1e-3, "max |diff| " + maxAbs);
    }

    @Test
    void sameSeedSameTokens() {
        GenerationResult a = model.request(golden.prompt()).seed(1234).maxTokens(24).ignoreEos(true).generate();
        GenerationResult b = model.request(golden.prompt()).seed(1234).maxTokens(24).ignoreEos(true).generate();
        GenerationResult c = model.request(golden.prompt()).seed(4321).maxTokens(24).ignoreEos(true).generate();
        assertArrayEquals(a.tokenIds(), b.tokenIds());
        assertEquals(a.text(), b.text());
        assertFalse(Arrays.equals(a.tokenIds(), c.tokenIds()), "two seeds gave the same 24 tokens");
    }

    @Test
    void streamingAndPullStreamEqualTheBlockingResult() {
        GenerationResult whole = model.request(golden.prompt()).seed(7).maxTokens(20).ignoreEos(true).generate();
        List<TokenEvent> events = new ArrayList<>();
        GenerationResult streamed = model.request(golden.prompt()).seed(7).maxTokens(20).ignoreEos(true)
                .generate(events::add);
        assertEquals(whole, withStatsOf(streamed, whole));
        StringBuilder fromEvents = new StringBuilder();
        events.forEach(e -> fromEvents.append(e.text()));
        assertEquals(whole.text(), fromEvents.toString());
        List<TokenEvent> pulled;
        try (Stream<TokenEvent> s = model.request(golden.prompt()).seed(7).maxTokens(20).ignoreEos(true).events()) {
            pulled = s.toList();
        }
        assertEquals(events, pulled);
        assertArrayEquals(whole.tokenIds(), pulled.stream().filter(e -> e.tokenId() >= 0)
                .mapToInt(TokenEvent::tokenId).toArray());
    }

    /** The same result with the other's timings (which naturally differ between runs). */
    private static GenerationResult withStatsOf(GenerationResult r, GenerationResult statsFrom) {
        return new GenerationResult(r.text(), r.reasoning(), r.tokenIds(), r.promptTokenIds(), r.finishReason(),
                statsFrom.stats());
    }

    @Test
    void closingThePullStreamEarlyStopsTheGeneration() {
        List<TokenEvent> first;
        try (Stream<TokenEvent> s = greedy32().maxTokens(500).events()) {
            first = s.limit(3).toList();
        }
        assertEquals(3, first.size());
        assertArrayEquals(Arrays.copyOf(golden.generatedTokens(), 3),
                first.stream().mapToInt(TokenEvent::tokenId).toArray());
    }

    @Test
    void stopStringEndsBeforeItAcrossTokens() {
        List<TokenEvent> full = new ArrayList<>();
        String text = greedy32().generate(full::add).text();
        // a stop string made of the last character of one token's text and the first of a later token's
        String stop = null;
        int start = -1;
        int offset = 0;
        for (int i = 0; i + 1 < full.size() && stop == null; i++) {
            String here = full.get(i).text();
            offset += here.length();
            String next = full.get(i + 1).text();
            if (here.isEmpty() || next.isEmpty() || Character.isSurrogate(here.charAt(here.length() - 1))
                    || Character.isSurrogate(next.charAt(0))) {
                continue;
            }
            String candidate = here.substring(here.length() - 1) + next.charAt(0);
            if (text.indexOf(candidate) == offset - 1 && full.get(i).index() >= 2) {
                stop = candidate;
                start = offset - 1;
            }
        }
        assertTrue(stop != null, "no token boundary to test in " + text);
        List<TokenEvent> events = new ArrayList<>();
        GenerationResult r = greedy32().stop(stop).generate(events::add);
        assertEquals(FinishReason.STOP_SEQUENCE, r.finishReason());
        assertEquals(text.substring(0, start), r.text());
        StringBuilder streamed = new StringBuilder();
        events.forEach(e -> streamed.append(e.text()));
        assertEquals(r.text(), streamed.toString());
        assertTrue(r.tokenIds().length < 32);
    }

    @Test
    void cancellationFromAnotherThreadStopsWithinOneToken() throws Exception {
        CountDownLatch atThird = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        AtomicInteger seen = new AtomicInteger();
        Cancellation c = new Cancellation();
        CompletableFuture<GenerationResult> h = greedy32().maxTokens(500).cancellation(c).submit(e -> {
            if (seen.incrementAndGet() == 3) {
                atThird.countDown();
                try {
                    cancelled.await(10, TimeUnit.SECONDS); // hold the generation thread until cancel() was called
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        assertTrue(atThird.await(30, TimeUnit.SECONDS));
        c.cancel();
        cancelled.countDown();
        GenerationResult r = h.get(30, TimeUnit.SECONDS);
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals(3, r.tokenIds().length, "no token may follow the cancel");
        assertArrayEquals(Arrays.copyOf(golden.generatedTokens(), 3), r.tokenIds());
        assertTrue(h.isDone());
    }

    @Test
    void cancellingTheFutureStopsTheGenerationWithinOneToken() throws Exception {
        CountDownLatch atThird = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        AtomicInteger tokens = new AtomicInteger();
        CompletableFuture<GenerationResult> h = greedy32().maxTokens(500).submit(e -> {
            if (e.tokenId() >= 0 && tokens.incrementAndGet() == 3) {
                atThird.countDown();
                try {
                    cancelled.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        assertTrue(atThird.await(30, TimeUnit.SECONDS));
        assertTrue(h.cancel(true));
        cancelled.countDown();
        assertThrows(java.util.concurrent.CancellationException.class, h::join);
        awaitIdle(model);
        assertEquals(3, tokens.get(), "no token may follow the cancel");
    }

    @Test
    void orTimeoutStopsTheGeneration() throws Exception {
        AtomicInteger tokens = new AtomicInteger();
        CompletableFuture<GenerationResult> h = greedy32().maxTokens(100_000).ignoreEos(true).submit(e -> {
            tokens.incrementAndGet();
        }).orTimeout(300, TimeUnit.MILLISECONDS);
        java.util.concurrent.CompletionException e = assertThrows(java.util.concurrent.CompletionException.class,
                h::join);
        assertTrue(e.getCause() instanceof java.util.concurrent.TimeoutException, e.toString());
        awaitIdle(model);
        int after = tokens.get();
        Thread.sleep(100);
        assertEquals(after, tokens.get(), "the generation must have stopped");
    }

    @Test
    void aDeadlineEndsTheGenerationWithTheTextSoFar() {
        GenerationResult r = greedy32().maxTokens(100_000).ignoreEos(true).timeout(java.time.Duration.ofMillis(300))
                .generate();
        assertEquals(FinishReason.TIMED_OUT, r.finishReason());
        assertTrue(r.tokenIds().length > 0 && r.tokenIds().length < 100_000, r.toString());
        assertTrue(r.stats().totalTime().toMillis() < 5_000, r.stats().summary());
    }

    /** Waits until no generation runs on {@code m} (a stopped run leaves the gate when it has ended). */
    static void awaitIdle(Model m) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (m.gate().running() > 0) {
            assertTrue(System.nanoTime() < end, "the generation did not stop");
            Thread.sleep(5);
        }
    }

    @Test
    void cancellationTokenSharedWithTheRequest() {
        Cancellation c = new Cancellation();
        GenerationResult r = greedy32().maxTokens(500).cancellation(c).generate(e -> {
            if (e.index() == 4) {
                c.cancel();
            }
        });
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals(5, r.tokenIds().length);
        // a cancelled token stops a new request before it generates anything
        assertEquals(0, greedy32().cancellation(c).generate().tokenIds().length);
    }

    @Test
    void optionsAreValidatedAtOnceNamingTheOption() {
        GenerationRequest r = model.request("x");
        assertMessage("maxTokens", () -> r.maxTokens(0));
        assertMessage("temperature", () -> r.temperature(-1));
        assertMessage("temperature", () -> r.temperature(Double.NaN));
        assertMessage("topK", () -> r.topK(-1));
        assertMessage("topP", () -> r.topP(0));
        assertMessage("topP", () -> r.topP(1.5));
        assertMessage("minP", () -> r.minP(-0.1));
        assertMessage("repetitionPenalty", () -> r.repetitionPenalty(0));
        assertMessage("repetitionLastN", () -> r.repetitionLastN(-1));
        assertMessage("stop", () -> r.stop(""));
        assertMessage("threads", () -> Model.builder(golden.model()).threads(0));
        assertMessage("contextLength", () -> Model.builder(golden.model()).contextLength(0));
        assertMessage("contextLength", () -> Model.builder(golden.model()).contextLength(1 << 20).build());
        assertMessage("vocabulary", () -> model.request(new int[] {512}));
    }

    private static void assertMessage(String option, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(option), e.getMessage());
    }

    @Test
    void promptLongerThanTheContextIsAClearError() {
        try (Model small = Model.builder(golden.model()).threads(1).contextLength(16).build()) {
            assertEquals(16, small.contextLength());
            Moe4jException e = assertThrows(Moe4jException.class, () -> small.generate(golden.prompt()));
            assertTrue(e.getMessage().contains("context"), e.getMessage());
            // generation ends when the context is full
            GenerationResult r = small.request(new int[] {golden.promptTokens()[0], 1, 2, 3}).temperature(0)
                    .ignoreEos(true).maxTokens(100).generate();
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(16 - 4 + 1, r.tokenIds().length);
        }
    }

    @Test
    void loadReportsProgressAndCloseRefusesNewWork() {
        List<Double> fractions = new ArrayList<>();
        Model m = Model.builder(golden.model()).threads(1).onLoadProgress((f, msg) -> fractions.add(f)).build();
        assertEquals(1.0, fractions.getLast());
        for (int i = 1; i < fractions.size(); i++) {
            assertTrue(fractions.get(i) >= fractions.get(i - 1), fractions.toString());
        }
        m.close();
        m.close();
        assertThrows(IllegalStateException.class, () -> m.request("x"));
        assertThrows(IllegalStateException.class, () -> m.generate("x"));
    }

    @Test
    void concurrentGenerationsOnOneModel() throws Exception {
        GenerationResult expected = greedy32().generate();
        List<CompletableFuture<GenerationResult>> handles = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            handles.add(greedy32().submit());
        }
        for (CompletableFuture<GenerationResult> h : handles) {
            assertArrayEquals(expected.tokenIds(), h.get(60, TimeUnit.SECONDS).tokenIds());
        }
    }
}
