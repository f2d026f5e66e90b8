package dev.moe4j;

import dev.moe4j.internal.generate.GenerationSpec;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A generation: a prompt (plain text or token ids from {@link Model#request}, a conversation from {@link Model#chat},
 * code around a cursor from {@link Model#infill}, or the next turn of a {@link ChatSession}) with options, run in one
 * of five ways:
 * <ul>
 *   <li>{@link #generate()}: blocks, returns the whole result;</li>
 *   <li>{@link #generate(Consumer)}: blocks, calls back on the calling thread for every token as it is generated;</li>
 *   <li>{@link #events()}: a lazy {@link Stream} that generates as it is consumed, on the consuming thread;</li>
 *   <li>{@link #submit()}: runs on the model's executor ({@link Model.Builder#executor}, virtual threads by default)
 *       and returns a {@link CompletableFuture} at once;</li>
 *   <li>{@link #publisher()}: a {@link Flow.Publisher} of the events, generating as the subscriber requests them.</li>
 * </ul>
 * Every run gets the same result type, {@link GenerationResult}, and is independent: a request may be run again (the
 * options in force when a run starts apply to it). A run first waits for a place among the model's running generations
 * ({@link Model.Builder#maxConcurrentGenerations}; {@link ModelBusyException} when the queue is full), then reuses what
 * the model's prompt cache (or the chat session) already holds of its prompt
 * ({@link GenerationStats#promptTokensReused()}).
 *
 * <p>A plain-text prompt is tokenized as it is, without a chat template: BOS is added when the model asks for it, and
 * special-token strings in it are plain text unless {@link #parseSpecial(boolean)}. Conversations and infill keep
 * every text from the user plain text, always.
 *
 * <p><b>Stopping early.</b> A run ends within one token, with the text so far, when its {@link #cancellation} is
 * cancelled, its future is cancelled or completed (also by {@link CompletableFuture#orTimeout}), its stream is closed,
 * its subscription cancelled, or its thread interrupted ({@link FinishReason#CANCELLED}), or when its deadline passes
 * ({@link FinishReason#TIMED_OUT}). Time spent queued counts towards the deadline; a run that ends while queued has no
 * tokens.
 *
 * <p>Not thread-safe: configure a request on one thread; it may then be run from another.
 */
public final class GenerationRequest {
    private final Model model;
    private final Turn.Source source;
    private GenerationOptions options;
    private boolean parseSpecial;
    private @Nullable Cancellation cancellation;
    private @Nullable Duration timeout;
    private @Nullable Instant deadline;

    GenerationRequest(Model model, Turn.Source source) {
        this.model = model;
        this.source = source;
        this.options = model.defaultOptions();
    }

    // ---- options ----

    /**
     * Replaces every sampling and stopping option with {@code options} (the model's defaults until called).
     *
     * @param options the options
     * @return this request
     * @throws NullPointerException if {@code options} is null
     */
    public GenerationRequest options(GenerationOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        return this;
    }

    /**
     * The options a run started now would use.
     *
     * @return the current options
     */
    public GenerationOptions options() {
        return options;
    }

    /**
     * See {@link GenerationOptions#withMaxTokens}.
     *
     * @param maxTokens the most tokens to generate, {@code >= 1}
     * @return this request
     * @throws IllegalArgumentException if {@code maxTokens < 1}
     */
    public GenerationRequest maxTokens(int maxTokens) {
        options = options.withMaxTokens(maxTokens);
        return this;
    }

    /**
     * See {@link GenerationOptions#withTemperature}.
     *
     * @param temperature the temperature, {@code >= 0} and at most {@link Float#MAX_VALUE}; 0 = greedy
     * @return this request
     * @throws IllegalArgumentException if negative, NaN, infinite or above {@link Float#MAX_VALUE}
     */
    public GenerationRequest temperature(double temperature) {
        options = options.withTemperature(temperature);
        return this;
    }

    /**
     * See {@link GenerationOptions#withTopK}.
     *
     * @param topK how many tokens to keep, {@code >= 0}; 0 = off
     * @return this request
     * @throws IllegalArgumentException if negative
     */
    public GenerationRequest topK(int topK) {
        options = options.withTopK(topK);
        return this;
    }

    /**
     * See {@link GenerationOptions#withTopP}.
     *
     * @param topP the cumulative probability to keep, in (0, 1]; 1 = off
     * @return this request
     * @throws IllegalArgumentException if outside (0, 1]
     */
    public GenerationRequest topP(double topP) {
        options = options.withTopP(topP);
        return this;
    }

    /**
     * See {@link GenerationOptions#withMinP}.
     *
     * @param minP the fraction of the top token's probability below which tokens are dropped, in [0, 1]; 0 = off
     * @return this request
     * @throws IllegalArgumentException if outside [0, 1]
     */
    public GenerationRequest minP(double minP) {
        options = options.withMinP(minP);
        return this;
    }

    /**
     * See {@link GenerationOptions#withRepetitionPenalty}.
     *
     * @param penalty the penalty, {@code > 0} and at most {@link Float#MAX_VALUE}; 1 = off
     * @return this request
     * @throws IllegalArgumentException if not finite and positive, or above {@link Float#MAX_VALUE}
     */
    public GenerationRequest repetitionPenalty(double penalty) {
        options = options.withRepetitionPenalty(penalty);
        return this;
    }

    /**
     * See {@link GenerationOptions#withRepetitionLastN}.
     *
     * @param lastN the number of most recent tokens the penalty looks at, {@code >= 0}
     * @return this request
     * @throws IllegalArgumentException if negative
     */
    public GenerationRequest repetitionLastN(int lastN) {
        options = options.withRepetitionLastN(lastN);
        return this;
    }

    /**
     * See {@link GenerationOptions#withSeed}.
     *
     * @param seed any value
     * @return this request
     */
    public GenerationRequest seed(long seed) {
        options = options.withSeed(seed);
        return this;
    }

    /**
     * Adds stop strings to those already set; see {@link GenerationOptions#withStops}.
     *
     * @param stops the stop strings to add, each non-empty
     * @return this request
     * @throws IllegalArgumentException if one is empty or null
     */
    public GenerationRequest stop(String... stops) {
        List<String> all = new java.util.ArrayList<>(options.stops());
        all.addAll(java.util.Arrays.asList(stops));
        options = options.withStops(all);
        return this;
    }

    /**
     * See {@link GenerationOptions#withIgnoreEos}.
     *
     * @param ignoreEos {@code true} to generate through end tokens
     * @return this request
     */
    public GenerationRequest ignoreEos(boolean ignoreEos) {
        options = options.withIgnoreEos(ignoreEos);
        return this;
    }

    /**
     * See {@link GenerationOptions#withParseReasoning}.
     *
     * @param parseReasoning {@code true} to return reasoning apart from the answer
     * @return this request
     */
    public GenerationRequest parseReasoning(boolean parseReasoning) {
        options = options.withParseReasoning(parseReasoning);
        return this;
    }

    /**
     * Recognise special-token strings such as {@code <｜User｜>} in a plain-text prompt (default false: they are
     * encoded as plain text, which is what untrusted input needs). No effect on token ids, conversations or infill,
     * whose texts are always plain text.
     *
     * @param parseSpecial {@code true} to recognise special-token strings
     * @return this request
     */
    public GenerationRequest parseSpecial(boolean parseSpecial) {
        this.parseSpecial = parseSpecial;
        return this;
    }

    /**
     * A token another thread can use to stop runs of this request (within one token).
     *
     * @param cancellation the token; it replaces one set before
     * @return this request
     * @throws NullPointerException if {@code cancellation} is null
     */
    public GenerationRequest cancellation(Cancellation cancellation) {
        this.cancellation = Objects.requireNonNull(cancellation, "cancellation");
        return this;
    }

    /**
     * The longest a run may take, from when it starts (queueing included); then it ends with
     * {@link FinishReason#TIMED_OUT} and the text so far. Replaces a {@link #deadline}.
     *
     * @param timeout the time limit, positive
     * @return this request
     * @throws IllegalArgumentException if not positive
     */
    public GenerationRequest timeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        this.timeout = timeout;
        this.deadline = null;
        return this;
    }

    /**
     * The instant by which a run must end ({@link FinishReason#TIMED_OUT} then, with the text so far). Replaces a
     * {@link #timeout}.
     *
     * @param deadline the instant by which a run must end
     * @return this request
     * @throws NullPointerException if {@code deadline} is null
     */
    public GenerationRequest deadline(Instant deadline) {
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        this.timeout = null;
        return this;
    }

    // ---- running ----

    /**
     * Generates and returns the result; blocks until done.
     *
     * @return the result, also when the run was cancelled or timed out
     * @throws ContextLengthExceededException if the prompt does not fit in the model's context
     * @throws ModelBusyException             if the model's queue of waiting generations is full
     * @throws UnsafePromptException          if a message of a conversation cannot be kept plain text
     * @throws IllegalStateException          if the model or chat session is closed
     * @throws Moe4jException                 if the chat template fails on the conversation, or a kernel fails
     */
    public GenerationResult generate() {
        return generate(e -> { });
    }

    /**
     * Generates, handing every {@link TokenEvent} to {@code onEvent} on the calling thread as soon as it is known, and
     * returns the result; blocks until done. An exception thrown by {@code onEvent} stops the generation and
     * propagates. Throws what {@link #generate()} throws.
     *
     * @param onEvent receives each event, on the calling thread
     * @return the result, also when the run was cancelled or timed out
     * @throws NullPointerException if {@code onEvent} is null
     */
    public GenerationResult generate(Consumer<? super TokenEvent> onEvent) {
        Objects.requireNonNull(onEvent, "onEvent");
        return GenerationRun.run(model, settings(null), onEvent::accept);
    }

    /**
     * A lazy stream of the run's events: nothing runs until a terminal operation pulls, and every pull runs the
     * model just far enough to produce the next event, on the pulling thread. Closing the stream (use
     * try-with-resources) or short-circuiting it ({@code limit}, {@code takeWhile}, {@code findFirst}) before the end
     * stops the run and frees its state. A stream dropped half-way without being closed is freed only after garbage
     * collection, so close it. Sequential only; the first pull may block while the run is queued, and throws what
     * {@link #generate()} throws.
     *
     * @return a sequential stream of the run's events
     */
    public Stream<TokenEvent> events() {
        return GenerationRun.stream(model, () -> settings(null));
    }

    /**
     * Starts the run on the model's executor; see {@link #submit(Consumer)}.
     *
     * @return a future of the result
     * @throws java.util.concurrent.RejectedExecutionException if the executor refuses the task
     */
    public CompletableFuture<GenerationResult> submit() {
        return submit(e -> { });
    }

    /**
     * Starts the run on the model's executor and returns at once. {@code onEvent} is called on the executor's thread
     * for every event. The future completes with the result, or exceptionally with what {@link #generate()} would
     * throw. Completing the future early (cancel, {@code orTimeout}, ...) stops the run within one token.
     *
     * @param onEvent receives each event, on the executor's thread
     * @return a future of the result
     * @throws java.util.concurrent.RejectedExecutionException if the executor refuses the task
     * @throws NullPointerException if {@code onEvent} is null
     */
    public CompletableFuture<GenerationResult> submit(Consumer<? super TokenEvent> onEvent) {
        Objects.requireNonNull(onEvent, "onEvent");
        GenerationFuture future = new GenerationFuture();
        GenerationRun.Settings s = settings(future::stopRequested);
        model.executor().execute(() -> {
            if (future.isDone()) {
                return; // cancelled before it started
            }
            try {
                future.complete(GenerationRun.run(model, s, onEvent::accept));
            } catch (Throwable e) {
                future.completeExceptionally(e);
            }
        });
        return future;
    }

    /**
     * The run's events as a {@link Flow.Publisher}: every subscription starts a run on the model's executor, which
     * generates only as far as the subscriber has requested events and stops within one token when the subscription
     * is cancelled. Completes after the last event, or signals {@code onError} with what {@link #generate()} would
     * throw.
     *
     * @return a publisher of the run's events
     */
    public Flow.Publisher<TokenEvent> publisher() {
        return new EventPublisher(model, this, model.executor());
    }

    /** The settings of a run starting now. */
    GenerationRun.Settings settings(@Nullable BooleanSupplier extraCancel) {
        Cancellation c = cancellation;
        BooleanSupplier cancelled = () -> (c != null && c.isCancelled())
                || (extraCancel != null && extraCancel.getAsBoolean());
        long deadlineNanos = GenerationSpec.NO_DEADLINE;
        Duration left = timeout != null ? timeout : deadline != null ? Duration.between(Instant.now(), deadline) : null;
        if (left != null) {
            deadlineNanos = System.nanoTime() + saturatedNanos(left);
            if (deadlineNanos == GenerationSpec.NO_DEADLINE) {
                deadlineNanos++; // the sentinel value, by chance
            }
        }
        return new GenerationRun.Settings(source, options, parseSpecial, cancelled, deadlineNanos);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return Math.max(0, d.toNanos());
        } catch (ArithmeticException e) {
            return d.isNegative() ? 0 : Long.MAX_VALUE / 4;
        }
    }
}
