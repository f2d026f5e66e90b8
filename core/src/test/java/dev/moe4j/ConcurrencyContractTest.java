package dev.moe4j;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The model's concurrency contract on the golden model ds2-tiny-f32: a limit of running generations with a bounded
 * queue (a full queue refuses at once; a queued run honours its deadline and cancellation), the executor option, and
 * {@link Flow.Publisher} streaming with backpressure and cancellation.
 */
class ConcurrencyContractTest {
    private static GoldenFixture golden;
    private static Model model;

    @BeforeAll
    static void load() {
        golden = GoldenFixture.load("ds2-tiny-f32");
        model = Model.builder(golden.model()).threads(2).maxConcurrentGenerations(1).maxQueuedGenerations(1).build();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    private static GenerationRequest greedy(int n) {
        return model.request(golden.prompt()).temperature(0).ignoreEos(true).maxTokens(n);
    }

    /** Starts a run that holds the model's only place until {@code release} counts down. */
    private static CompletableFuture<GenerationResult> occupy(CountDownLatch started, CountDownLatch release) {
        return greedy(4).submit(e -> {
            started.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
    }

    @Test
    void aFullQueueRefusesAndQueuedRunsGoInOrder() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<GenerationResult> running = occupy(started, release);
        assertTrue(started.await(30, TimeUnit.SECONDS));
        assertEquals(1, model.gate().running());

        CompletableFuture<GenerationResult> queued = greedy(4).submit();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (model.gate().queued() < 1) {
            assertTrue(System.nanoTime() < end, "the second run did not queue");
            Thread.sleep(2);
        }
        ModelBusyException busy = assertThrows(ModelBusyException.class, () -> greedy(4).generate());
        assertEquals(1, busy.maxRunning());
        assertEquals(1, busy.maxQueued());
        assertTrue(busy.getMessage().contains("maxQueuedGenerations"), busy.getMessage());

        release.countDown();
        GenerationResult first = running.get(30, TimeUnit.SECONDS);
        GenerationResult second = queued.get(30, TimeUnit.SECONDS);
        assertArrayEquals(first.tokenIds(), second.tokenIds());
        assertArrayEquals(java.util.Arrays.copyOf(golden.generatedTokens(), 4), second.tokenIds());
    }

    @Test
    void aDeadlineAndACancellationEndAQueuedRun() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<GenerationResult> running = occupy(started, release);
        assertTrue(started.await(30, TimeUnit.SECONDS));
        try {
            GenerationResult late = greedy(4).timeout(Duration.ofMillis(100)).generate();
            assertEquals(FinishReason.TIMED_OUT, late.finishReason());
            assertEquals(0, late.tokenIds().length);

            Cancellation c = new Cancellation();
            CompletableFuture<GenerationResult> waiting = greedy(4).cancellation(c).submit();
            Thread.sleep(50);
            c.cancel();
            assertEquals(FinishReason.CANCELLED, waiting.get(30, TimeUnit.SECONDS).finishReason());
        } finally {
            release.countDown();
        }
        running.get(30, TimeUnit.SECONDS);
        assertEquals(0, model.gate().queued());
    }

    @Test
    void submittedRunsUseTheGivenExecutor() throws Exception {
        var pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-pool"));
        try (Model m = Model.builder(golden.model()).threads(1).executor(pool).build()) {
            List<String> threads = Collections.synchronizedList(new ArrayList<>());
            GenerationResult r = m.request(golden.prompt()).temperature(0).maxTokens(3).ignoreEos(true)
                    .submit(e -> threads.add(Thread.currentThread().getName())).get(30, TimeUnit.SECONDS);
            assertEquals(3, r.tokenIds().length);
            assertTrue(threads.stream().allMatch("app-pool"::equals), threads.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theDefaultExecutorUsesVirtualThreads() throws Exception {
        AtomicInteger virtual = new AtomicInteger();
        greedy(2).submit(e -> {
            if (Thread.currentThread().isVirtual()) {
                virtual.incrementAndGet();
            }
        }).get(30, TimeUnit.SECONDS);
        assertEquals(2, virtual.get());
    }

    @Test
    void thePublisherFollowsDemandAndMatchesTheBlockingRun() throws Exception {
        GenerationResult expected = greedy(8).generate();
        List<TokenEvent> events = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> done = new CompletableFuture<>();
        greedy(8).publisher().subscribe(new Flow.Subscriber<>() {
            private Flow.Subscription s;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                this.s = s;
                s.request(1);
            }

            @Override
            public void onNext(TokenEvent item) {
                events.add(item);
                s.request(1); // one at a time
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(null);
            }
        });
        done.get(30, TimeUnit.SECONDS);
        StringBuilder text = new StringBuilder();
        events.forEach(e -> text.append(e.text()));
        assertEquals(expected.text() + expected.reasoning(), text.toString());
        assertArrayEquals(expected.tokenIds(), events.stream().filter(e -> e.tokenId() >= 0)
                .mapToInt(TokenEvent::tokenId).toArray());
    }

    @Test
    void aCancelledSubscriptionStopsTheRunAndAnInvalidRequestIsAnError() throws Exception {
        CountDownLatch three = new CountDownLatch(3);
        AtomicInteger received = new AtomicInteger();
        CompletableFuture<Flow.Subscription> subscription = new CompletableFuture<>();
        greedy(100_000).publisher().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription.complete(s);
                s.request(3);
            }

            @Override
            public void onNext(TokenEvent item) {
                received.incrementAndGet();
                three.countDown();
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        assertTrue(three.await(30, TimeUnit.SECONDS));
        Thread.sleep(50); // without demand the run waits: nothing more arrives
        assertEquals(3, received.get());
        subscription.get().cancel();
        ModelGenerationTest.awaitIdle(model);
        assertEquals(3, received.get());

        CompletableFuture<Throwable> error = new CompletableFuture<>();
        greedy(4).publisher().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(0);
            }

            @Override
            public void onNext(TokenEvent item) {
                error.completeExceptionally(new AssertionError("no event may follow request(0)"));
            }

            @Override
            public void onError(Throwable t) {
                error.complete(t);
            }

            @Override
            public void onComplete() {
                error.complete(null);
            }
        });
        assertInstanceOf(IllegalArgumentException.class, error.get(30, TimeUnit.SECONDS));
        ModelGenerationTest.awaitIdle(model);
    }

    @Test
    void aFailingRunCompletesTheFutureExceptionally() {
        int[] tooLong = new int[model.contextLength() + 1];
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> model.request(tooLong).maxTokens(1).submit().get(30, TimeUnit.SECONDS));
        assertInstanceOf(ContextLengthExceededException.class, e.getCause());
    }
}
