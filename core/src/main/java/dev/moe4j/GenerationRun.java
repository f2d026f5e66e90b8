package dev.moe4j;

import dev.moe4j.internal.generate.DecodingSession;
import dev.moe4j.internal.generate.GenerationLoop;
import dev.moe4j.internal.generate.GenerationSpec;
import dev.moe4j.internal.generate.PieceDecoder;
import dev.moe4j.internal.tokenizer.StreamDecoder;
import org.jspecify.annotations.Nullable;

import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Runs one request: prompt → admission by the model's {@link GenerationGate} → an inference state from the
 * {@link Turn} → the {@link GenerationLoop} → the state handed back. Blocking ({@link #run}) or step by step
 * ({@link Stepper}, under pull streams and publishers).
 */
final class GenerationRun {
    private GenerationRun() {}

    /**
     * Frees the inference state of a pull stream or chat session that was dropped without being closed or consumed to
     * the end (native memory is not reclaimed by the garbage collector otherwise).
     */
    static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "moe4j-cleaner");
        t.setDaemon(true);
        return t;
    });

    /**
     * What a run needs from its request, fixed when the run starts.
     *
     * @param cancelled     the request's cancellation (and the future's, for submitted runs)
     * @param deadlineNanos {@link System#nanoTime()} deadline or {@link GenerationSpec#NO_DEADLINE}
     */
    record Settings(Turn.Source source, GenerationOptions options, boolean parseSpecial, BooleanSupplier cancelled,
                    long deadlineNanos) {
    }

    /**
     * Generated text as the user sees it: control tokens (EOS, BOS, ...) have no text, other tokens theirs, except
     * the markers the model's reasoning format is split by, which the splitter then removes.
     */
    static PieceDecoder decoder(Model model) {
        StreamDecoder d = model.tokenizer().newStreamDecoderShowing(
                model.reasoningFormat().shownTokens(model.tokenizer()));
        return new PieceDecoder() {
            @Override
            public String push(int tokenId) {
                return d.push(tokenId);
            }

            @Override
            public String flush() {
                return d.flush();
            }
        };
    }

    /** Runs to the end on the calling thread. */
    static GenerationResult run(Model model, Settings s, Consumer<TokenEvent> sink) {
        Stepper stepper = new Stepper(model, s);
        try {
            while (stepper.step(sink)) {
                // each step delivered its events
            }
            return stepper.result();
        } finally {
            stepper.close();
        }
    }

    /** A lazy stream over a run; its state is taken at the first pull, given back at the end or on close. */
    static Stream<TokenEvent> stream(Model model, java.util.function.Supplier<Settings> settings) {
        Puller puller = new Puller(model, settings);
        return StreamSupport.stream(puller, false).onClose(puller::close);
    }

    /**
     * One run advanced a step at a time: the first step prepares the prompt, waits for admission and takes the state;
     * later steps advance the loop. Not thread-safe; may be stepped from different threads one after another.
     */
    static final class Stepper {
        private final Model model;
        private final Settings settings;
        private @Nullable Turn turn;
        private boolean admitted;
        private @Nullable GenerationLoop loop;
        private @Nullable GenerationResult result;
        private boolean closed;

        Stepper(Model model, Settings settings) {
            this.model = model;
            this.settings = settings;
        }

        /** Advances; false once finished ({@link #result()} is then set). */
        boolean step(Consumer<TokenEvent> sink) {
            if (result != null || closed) {
                return false;
            }
            try {
                if (loop == null && !start()) {
                    return false;
                }
                if (loop.step(sink)) {
                    return true;
                }
                GenerationLoop.Outcome o = loop.result();
                result = GenerationResult.of(o);
                Turn t = turn;
                turn = null;
                t.finish(o);
                leave();
                return false;
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        /** Prepares, waits and opens; false when the run ended before it started (result set). */
        private boolean start() {
            turn = settings.source.prepare(settings.parseSpecial, settings.options.maxTokens());
            FinishReason early = model.gate().enter(settings.cancelled, settings.deadlineNanos);
            if (early != null) {
                result = GenerationResult.notStarted(turn.tokens(), early);
                close();
                return false;
            }
            admitted = true;
            GenerationOptions o = settings.options;
            DecodingSession session = turn.open(o.maxTokens());
            boolean parseReasoning = o.parseReasoning() && turn.allowsReasoning()
                    && !GenerationSpec.closesReasoning(turn.text());
            boolean opensReasoning = parseReasoning && GenerationSpec.opensReasoning(turn.text());
            GenerationSpec spec = new GenerationSpec(turn.tokens(), o.samplingParams(), o.seedOrRandom(),
                    o.maxTokens(), o.stops(), endTokens(model.endTokens(), turn.extraEndTokens()), o.ignoreEos(),
                    parseReasoning, opensReasoning,
                    model.reasoningFormat(), settings.cancelled, settings.deadlineNanos);
            loop = new GenerationLoop(session, decoder(model), spec);
            return true;
        }

        private static int[] endTokens(int[] model, int[] extra) {
            return extra.length == 0 ? model : java.util.stream.IntStream.concat(java.util.Arrays.stream(model),
                    java.util.Arrays.stream(extra)).distinct().toArray();
        }

        GenerationResult result() {
            if (result == null) {
                throw new IllegalStateException("the generation has not finished");
            }
            return result;
        }

        /** Ends the run where it is (if still running): forgets its state and leaves the gate. Idempotent. */
        void close() {
            closed = true;
            if (turn != null) {
                Turn t = turn;
                turn = null;
                t.abort();
            }
            leave();
        }

        private void leave() {
            if (admitted) {
                admitted = false;
                model.gate().exit();
            }
        }
    }

    private static final class Puller extends Spliterators.AbstractSpliterator<TokenEvent> {
        private final Model model;
        private final java.util.function.Supplier<Settings> settings;
        private final ArrayDeque<TokenEvent> ready = new ArrayDeque<>();
        private @Nullable Stepper stepper;
        private Cleaner.@Nullable Cleanable cleanable;
        private boolean finished;

        /** @param settings made at the first pull, so that a deadline counts from there */
        Puller(Model model, java.util.function.Supplier<Settings> settings) {
            super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL);
            this.model = model;
            this.settings = settings;
        }

        @Override
        public boolean tryAdvance(Consumer<? super TokenEvent> action) {
            if (stepper == null && !finished) {
                stepper = new Stepper(model, settings.get());
                cleanable = CLEANER.register(this, stepper::close);
            }
            while (ready.isEmpty() && !finished) {
                if (!stepper.step(ready::add)) {
                    close();
                }
            }
            TokenEvent next = ready.poll();
            if (next == null) {
                return false;
            }
            action.accept(next);
            return true;
        }

        void close() {
            finished = true;
            if (cleanable != null) {
                cleanable.clean(); // closes the stepper, once
            }
        }
    }
}
