package dev.moe4j.internal.generate;

import dev.moe4j.Cancellation;
import dev.moe4j.FinishReason;
import dev.moe4j.ContextLengthExceededException;
import dev.moe4j.TokenEvent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.moe4j.internal.generate.FakeModel.BOS;
import static dev.moe4j.internal.generate.FakeModel.EOS;
import static dev.moe4j.internal.generate.FakeModel.bytes;
import static dev.moe4j.internal.generate.FakeModel.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationLoopTest {
    private static final int[] PROMPT = concat(new int[] {BOS}, bytes("Q?"));

    private static GenerationSpec spec(int maxTokens, List<String> stops, boolean ignoreEos, boolean startsInReasoning,
                                       Cancellation c) {
        return new GenerationSpec(PROMPT, SamplingParams.greedy(), 1, maxTokens, stops, new int[] {EOS}, ignoreEos,
                true, startsInReasoning, c == null ? null : c::isCancelled);
    }

    private static String text(List<TokenEvent> events, TokenEvent.Channel channel) {
        StringBuilder b = new StringBuilder();
        for (TokenEvent e : events) {
            if (e.channel() == channel) {
                b.append(e.text());
            }
        }
        return b.toString();
    }

    private static void assertStreamMatchesResult(List<TokenEvent> events, GenerationLoop.Outcome r) {
        assertEquals(r.text(), text(events, TokenEvent.Channel.ANSWER));
        assertEquals(r.reasoning(), text(events, TokenEvent.Channel.REASONING));
        int[] fromEvents = events.stream().filter(e -> e.tokenId() >= 0).mapToInt(TokenEvent::tokenId).toArray();
        // a token crossing channels appears twice: collapse repeats of the same index
        List<Integer> ids = new ArrayList<>();
        int lastIndex = -1;
        for (TokenEvent e : events) {
            if (e.tokenId() >= 0 && e.index() != lastIndex) {
                ids.add(e.tokenId());
                lastIndex = e.index();
            }
        }
        assertArrayEquals(r.tokenIds(), ids.stream().mapToInt(Integer::intValue).toArray());
        assertTrue(fromEvents.length >= r.tokenIds().length);
    }

    @Test
    void greedyFollowsTheScriptAndSplitsReasoning() {
        String out = "<think>\nhmm, é\n</think>\n\nFine \uD83D\uDE00.";
        int[] script = concat(bytes(out), new int[] {EOS});
        FakeModel.Session session = FakeModel.scripted(PROMPT.length, 100, script);
        List<TokenEvent> events = new ArrayList<>();
        GenerationLoop.Outcome r = new GenerationLoop(session, new FakeModel.ByteDecoder(),
                spec(100, List.of(), false, false, null)).run(events::add);
        assertEquals(FinishReason.STOP, r.finishReason());
        assertEquals("hmm, é", r.reasoning());
        assertEquals("Fine \uD83D\uDE00.", r.text());
        assertArrayEquals(bytes(out), r.tokenIds());
        assertArrayEquals(PROMPT, r.promptTokenIds());
        assertStreamMatchesResult(events, r);
        // every piece is whole characters: no replacement characters, no lone surrogates
        for (TokenEvent e : events) {
            assertFalse(e.text().contains("\uFFFD"), e.toString());
            assertFalse(!e.text().isEmpty() && Character.isHighSurrogate(e.text().charAt(e.text().length() - 1)));
        }
        // prompt once, then one forward per generated token (the EOS after the last one needed its logits)
        assertEquals(PROMPT.length + r.tokenIds().length, session.forwardedTokens);
        assertEquals(r.tokenIds().length, r.stats().generatedTokens());
        assertEquals(PROMPT.length, r.stats().promptTokensEvaluated());
    }

    @Test
    void maxTokensEndsWithLength() {
        FakeModel.Session session = FakeModel.scripted(PROMPT.length, 100, bytes("abcdefgh"));
        GenerationLoop.Outcome r = new GenerationLoop(session, new FakeModel.ByteDecoder(),
                spec(5, List.of(), false, false, null)).run(e -> { });
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals("abcde", r.text());
    }

    @Test
    void eosIsIgnoredWhenAsked() {
        int[] script = concat(bytes("ab"), new int[] {EOS}, bytes("cd"));
        GenerationLoop.Outcome r = new GenerationLoop(FakeModel.scripted(PROMPT.length, 100, script),
                new FakeModel.ByteDecoder(), spec(5, List.of(), true, false, null)).run(e -> { });
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertArrayEquals(new int[] {'a', 'b', EOS, 'c', 'd'}, r.tokenIds());
        assertEquals("abcd", r.text());
    }

    @Test
    void stopStringAcrossTokensIsCutAndNeverStreamed() {
        FakeModel.Session session = FakeModel.scripted(PROMPT.length, 100, bytes("hello END world"));
        List<TokenEvent> events = new ArrayList<>();
        GenerationLoop.Outcome r = new GenerationLoop(session, new FakeModel.ByteDecoder(),
                spec(50, List.of("END"), false, false, null)).run(events::add);
        assertEquals(FinishReason.STOP_SEQUENCE, r.finishReason());
        assertEquals("hello ", r.text());
        assertEquals("hello END".length(), r.tokenIds().length);
        assertStreamMatchesResult(events, r);
        for (TokenEvent e : events) {
            assertFalse(e.text().contains("E"), "stop prefix leaked: " + e);
        }
    }

    @Test
    void heldStopPrefixIsReleasedAtTheEnd() {
        List<TokenEvent> events = new ArrayList<>();
        GenerationLoop.Outcome r = new GenerationLoop(FakeModel.scripted(PROMPT.length, 100, bytes("abEN")),
                new FakeModel.ByteDecoder(), spec(4, List.of("END"), false, false, null)).run(events::add);
        assertEquals("abEN", r.text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals("EN", events.getLast().text()); // with the last token: the end was known then
        assertEquals('N', events.getLast().tokenId());
        // ended by EOS instead: released in a final event without a token
        events.clear();
        r = new GenerationLoop(FakeModel.scripted(PROMPT.length, 100, concat(bytes("abEN"), new int[] {EOS})),
                new FakeModel.ByteDecoder(), spec(10, List.of("END"), false, false, null)).run(events::add);
        assertEquals("abEN", r.text());
        assertEquals(-1, events.getLast().tokenId());
        assertEquals(4, events.getLast().index());
        assertStreamMatchesResult(events, r);
    }

    @Test
    void promptThatOpenedReasoningStartsInTheReasoningChannel() {
        List<TokenEvent> events = new ArrayList<>();
        GenerationLoop.Outcome r = new GenerationLoop(FakeModel.scripted(PROMPT.length, 100,
                concat(bytes("\nidea\n</think>\n\nok"), new int[] {EOS})), new FakeModel.ByteDecoder(),
                spec(50, List.of(), false, true, null)).run(events::add);
        assertEquals("idea", r.reasoning());
        assertEquals("ok", r.text());
        assertTrue(events.getFirst().isReasoning());
        assertStreamMatchesResult(events, r);
    }

    @Test
    void cancellationStopsBeforeTheNextToken() {
        Cancellation c = new Cancellation();
        List<TokenEvent> events = new ArrayList<>();
        GenerationLoop.Outcome r = new GenerationLoop(FakeModel.scripted(PROMPT.length, 100, bytes("abcdefgh")),
                new FakeModel.ByteDecoder(), spec(50, List.of(), false, false, c)).run(e -> {
                    events.add(e);
                    if (e.index() == 2) {
                        c.cancel();
                    }
                });
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals("abc", r.text());
        assertEquals(3, r.tokenIds().length);
    }

    @Test
    void cancellationFromAnotherThreadStopsWithinOneToken() throws Exception {
        Cancellation c = new Cancellation();
        FakeModel.Session session = FakeModel.random(10_000, 3);
        session.sleepMillis = 5;
        SamplingParams sampling = new SamplingParams(0.8f, 40, 0.95f, 0.05f, 1f, 0);
        GenerationSpec spec = new GenerationSpec(PROMPT, sampling, 7, 5000, List.of(), new int[0], false, true,
                false, c::isCancelled);
        CountDownLatch started = new CountDownLatch(5);
        AtomicReference<Integer> tokensAtCancel = new AtomicReference<>();
        AtomicReference<GenerationLoop.Outcome> result = new AtomicReference<>();
        List<TokenEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread t = Thread.ofPlatform().start(() -> result.set(new GenerationLoop(session,
                new FakeModel.ByteDecoder(), spec).run(e -> {
                    events.add(e);
                    started.countDown();
                })));
        assertTrue(started.await(10, TimeUnit.SECONDS));
        synchronized (events) {
            tokensAtCancel.set((int) events.stream().filter(e -> e.tokenId() >= 0).count());
            c.cancel();
        }
        t.join(10_000);
        assertFalse(t.isAlive());
        GenerationLoop.Outcome r = result.get();
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertTrue(r.tokenIds().length <= tokensAtCancel.get() + 1,
                r.tokenIds().length + " tokens after cancelling at " + tokensAtCancel.get());
    }

    @Test
    void interruptCancels() {
        Thread.currentThread().interrupt();
        try {
            GenerationLoop.Outcome r = new GenerationLoop(FakeModel.scripted(PROMPT.length, 100, bytes("abc")),
                    new FakeModel.ByteDecoder(), spec(50, List.of(), false, false, null)).run(e -> { });
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals(0, r.tokenIds().length);
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt flag stays set for the caller");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void cachedPrefixIsNotEvaluatedAgain() {
        FakeModel.Session session = FakeModel.scripted(PROMPT.length, 100, bytes("zz"));
        session.forward(PROMPT, 0, 2, new float[FakeModel.VOCAB]); // the first two prompt tokens are cached
        int before = session.forwardedTokens;
        GenerationLoop.Outcome r = new GenerationLoop(session, new FakeModel.ByteDecoder(),
                spec(2, List.of(), false, false, null)).run(e -> { });
        assertEquals(2, r.stats().promptTokensReused());
        assertEquals(PROMPT.length - 2, r.stats().promptTokensEvaluated());
        assertEquals(PROMPT.length - 2 + 1, session.forwardedTokens - before);
        assertEquals("zz", r.text());
    }

    @Test
    void fullyCachedPromptReRunsItsLastToken() {
        FakeModel.Session session = FakeModel.scripted(PROMPT.length, 100, bytes("zz"));
        session.forward(PROMPT, 0, PROMPT.length, new float[FakeModel.VOCAB]);
        GenerationLoop.Outcome r = new GenerationLoop(session, new FakeModel.ByteDecoder(),
                spec(2, List.of(), false, false, null)).run(e -> { });
        assertEquals(PROMPT.length - 1, r.stats().promptTokensReused());
        assertEquals(1, r.stats().promptTokensEvaluated());
        assertEquals("zz", r.text());
    }

    @Test
    void fullContextEndsWithLength() {
        // 3 prompt tokens, room for 8: tokens 0..4 are fed back (positions 3..7), token 5 is sampled last
        FakeModel.Session session = FakeModel.scripted(PROMPT.length, 8, bytes("abcdefghij"));
        GenerationLoop.Outcome r = new GenerationLoop(session, new FakeModel.ByteDecoder(),
                spec(100, List.of(), false, false, null)).run(e -> { });
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(8 - PROMPT.length + 1, r.tokenIds().length);
        assertEquals(8, session.position());
    }

    @Test
    void promptLongerThanTheContextIsRejected() {
        ContextLengthExceededException e = assertThrows(ContextLengthExceededException.class,
                () -> new GenerationLoop(FakeModel.scripted(PROMPT.length, 2, bytes("a")),
                        new FakeModel.ByteDecoder(), spec(1, List.of(), false, false, null)));
        assertEquals(3, e.requested());
        assertEquals(2, e.capacity());
    }

    @Test
    void seededSamplingIsReproducible() {
        SamplingParams sampling = new SamplingParams(1.0f, 0, 1f, 0f, 1.1f, 64);
        int[][] runs = new int[3][];
        long[] seeds = {42, 42, 43};
        for (int i = 0; i < 3; i++) {
            GenerationSpec s = new GenerationSpec(PROMPT, sampling, seeds[i], 40, List.of(), new int[0], false, true,
                    false, null);
            runs[i] = new GenerationLoop(FakeModel.random(1000, 1), new FakeModel.ByteDecoder(), s).run(e -> { })
                    .tokenIds();
        }
        assertArrayEquals(runs[0], runs[1]);
        assertNotEquals(java.util.Arrays.toString(runs[0]), java.util.Arrays.toString(runs[2]));
    }

    @Test
    void stepByStepEqualsRun() {
        int[] script = concat(bytes("<think>a</think>b END c"), new int[] {EOS});
        GenerationSpec s = spec(100, List.of("END"), false, false, null);
        GenerationLoop.Outcome whole = new GenerationLoop(FakeModel.scripted(PROMPT.length, 100, script),
                new FakeModel.ByteDecoder(), s).run(e -> { });
        GenerationLoop loop = new GenerationLoop(FakeModel.scripted(PROMPT.length, 100, script),
                new FakeModel.ByteDecoder(), s);
        List<TokenEvent> events = new ArrayList<>();
        int steps = 0;
        while (loop.step(events::add)) {
            steps++;
        }
        assertTrue(loop.isDone());
        assertEquals(whole.text(), loop.result().text());
        assertEquals(whole.reasoning(), loop.result().reasoning());
        assertEquals("a", whole.reasoning());
        assertEquals("b ", whole.text());
        assertEquals(whole.tokenIds().length - 1, steps);
        assertFalse(loop.step(events::add));
    }
}
