package dev.moe4j;

import dev.moe4j.internal.generate.DecodingSession;
import dev.moe4j.internal.generate.GenerationLoop;
import dev.moe4j.internal.generate.GenerationSpec;
import dev.moe4j.internal.generate.PieceDecoder;
import dev.moe4j.internal.tokenizer.StreamDecoder;

import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/** Runs a {@link GenerationLoop} for the public request types: blocking, or as a pull stream. */
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

    /** A cleaning action that holds only the session, never the object it guards. */
    record CloseSession(DecodingSession session) implements Runnable {
        @Override
        public void run() {
            session.close();
        }
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

    /** A one-shot generation in a fresh inference state, freed at the end. */
    static GenerationResult run(Model model, GenerationSpec spec, Consumer<TokenEvent> sink) {
        try (DecodingSession session = model.openSession()) {
            return new GenerationLoop(session, decoder(model), spec).run(sink);
        }
    }

    /** A lazy stream over a one-shot generation; its state is allocated at the first pull, freed at the end or close. */
    static Stream<TokenEvent> stream(Model model, GenerationSpec spec) {
        Puller puller = new Puller(model, spec);
        return StreamSupport.stream(puller, false).onClose(puller::close);
    }

    private static final class Puller extends Spliterators.AbstractSpliterator<TokenEvent> {
        private final Model model;
        private final GenerationSpec spec;
        private final ArrayDeque<TokenEvent> ready = new ArrayDeque<>();
        private DecodingSession session;
        private Cleaner.Cleanable cleanable;
        private GenerationLoop loop;
        private boolean finished;

        Puller(Model model, GenerationSpec spec) {
            super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL);
            this.model = model;
            this.spec = spec;
        }

        @Override
        public boolean tryAdvance(Consumer<? super TokenEvent> action) {
            while (ready.isEmpty() && !finished) {
                if (loop == null) {
                    session = model.openSession();
                    cleanable = CLEANER.register(this, new CloseSession(session));
                    try {
                        loop = new GenerationLoop(session, decoder(model), spec);
                    } catch (RuntimeException e) {
                        close();
                        throw e;
                    }
                }
                boolean more;
                try {
                    more = loop.step(ready::add);
                } catch (RuntimeException | Error e) {
                    close();
                    throw e;
                }
                if (!more) {
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

        /** Ends the generation (if still running) and frees the state. */
        void close() {
            finished = true;
            if (cleanable != null) {
                cleanable.clean(); // closes the session, once
                cleanable = null;
                session = null;
            }
        }
    }
}
