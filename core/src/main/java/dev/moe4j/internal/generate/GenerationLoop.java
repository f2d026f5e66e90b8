package dev.moe4j.internal.generate;

import dev.moe4j.FinishReason;
import dev.moe4j.GenerationStats;
import dev.moe4j.ContextLengthExceededException;
import dev.moe4j.TokenEvent;
import dev.moe4j.TokenEvent.Channel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * One generation, advanced a step at a time so that the same code serves blocking calls, callbacks and pull streams:
 * the first {@link #step} runs the prefill (the prompt tokens not yet in the session's state, in chunks), every further
 * step samples one token, turns it into {@link TokenEvent}s and feeds it back. Text flows token → UTF-8-safe piece
 * ({@link PieceDecoder}) → stop strings ({@link StopMatcher}) → reasoning/answer ({@link ReasoningSplitter}) → events.
 *
 * <p>Cancellation ({@link GenerationSpec#cancelRequested()} or the running thread's interrupt flag, which is left set) and
 * the deadline ({@link GenerationSpec#deadlineNanos()}) are
 * checked between prefill chunks and before every token. The EOS token is not fed back into the state and not
 * reported; the last sampled token is not fed back either (nothing needs its logits). Not thread-safe: one thread
 * steps a loop at a time; the session is owned by the caller.
 */
public final class GenerationLoop {
    /**
     * What a finished generation produced (the public layer turns it into a {@link dev.moe4j.GenerationResult}).
     *
     * @param tokenIds       generated ids, the end token excluded
     * @param promptTokenIds the prompt as run
     */
    public record Outcome(String text, String reasoning, int[] tokenIds, int[] promptTokenIds,
                          FinishReason finishReason, GenerationStats stats) {
        /**
         * The prompt, then the output: the tokens the run put through the model, in order (its state holds the
         * first {@code position()} of them, as the last output token is never run).
         */
        public int[] sequence() {
            return TokenArrays.concat(promptTokenIds, tokenIds);
        }
    }

    /** Prompt tokens per forward call in the prefill; cancellation is checked between chunks. */
    static final int PREFILL_CHUNK = 512;

    private final DecodingSession session;
    private final PieceDecoder decoder;
    private final GenerationSpec spec;
    private final Sampler sampler;
    private final StopMatcher stops;
    private final OutputSplitter splitter;
    private final float[] logits;
    private final int[] one = new int[1];

    private final StringBuilder answer = new StringBuilder();
    private final StringBuilder reasoning = new StringBuilder();
    private int[] generated = new int[16];
    private int generatedCount;

    private boolean prefilled;
    private FinishReason finish;
    private int reused;
    private int evaluated;
    private long startNanos;
    private long prefillEndNanos;
    private long endNanos;

    public GenerationLoop(DecodingSession session, PieceDecoder decoder, GenerationSpec spec) {
        this.session = session;
        this.decoder = decoder;
        this.spec = spec;
        this.sampler = new Sampler(spec.sampling(), spec.seed());
        this.stops = new StopMatcher(spec.stops());
        this.splitter = spec.reasoningFormat().splitter(spec.parseReasoning(), spec.startsInReasoning());
        this.logits = new float[session.vocabSize()];
        int promptLength = spec.promptTokens().length;
        if (promptLength > session.capacity()) {
            throw dev.moe4j.internal.ApiValues.get().contextLengthExceeded(0, promptLength, session.capacity());
        }
        if (session.position() > promptLength) {
            throw new IllegalStateException("the state holds " + session.position()
                    + " tokens, more than the prompt's " + promptLength);
        }
    }

    public boolean isDone() {
        return finish != null;
    }

    /**
     * Advances by one step, passing the events it produces to {@code sink}.
     *
     * @return false once generation has finished (then {@link #result()} is available)
     */
    public boolean step(Consumer<TokenEvent> sink) {
        if (finish != null) {
            return false;
        }
        if (!prefilled) {
            prefill();
            if (finish != null) {
                end(sink, finish, false);
                return false;
            }
        }
        FinishReason interrupted = interruption();
        if (interrupted != null) {
            end(sink, interrupted, false);
            return false;
        }
        int token = sampler.sample(logits);
        if (!spec.ignoreEos() && isEndToken(token)) {
            end(sink, FinishReason.STOP, false);
            return false;
        }
        int index = generatedCount;
        append(token);
        sampler.accept(token);
        List<ReasoningSplitter.Segment> segments = new ArrayList<>(2);
        String safe = stops.push(decoder.push(token));
        segments.addAll(splitter.push(safe));
        FinishReason reason = stops.stopped() ? FinishReason.STOP_SEQUENCE
                : generatedCount >= spec.maxTokens() || session.position() >= session.capacity() ? FinishReason.LENGTH
                : null;
        if (reason != null) {
            // The end is known now: release held-back text with this token rather than in a separate final event.
            segments.addAll(drain());
        }
        emit(sink, index, token, segments);
        if (reason != null) {
            end(sink, reason, true);
            return false;
        }
        one[0] = token;
        session.forward(one, 0, 1, logits);
        return true;
    }

    /** Runs the loop to the end. */
    public Outcome run(Consumer<TokenEvent> sink) {
        while (step(sink)) {
            // each step already delivered its events
        }
        return result();
    }

    public Outcome result() {
        if (finish == null) {
            throw new IllegalStateException("generation has not finished");
        }
        GenerationStats stats = dev.moe4j.internal.ApiValues.get().generationStats(spec.promptTokens().length, reused,
                evaluated, generatedCount, Duration.ofNanos(prefillEndNanos - startNanos),
                Duration.ofNanos(endNanos - prefillEndNanos), Duration.ofNanos(endNanos - startNanos));
        return new Outcome(answer.toString(), reasoning.toString(), Arrays.copyOf(generated, generatedCount),
                spec.promptTokens().clone(), finish, stats);
    }


    private void prefill() {
        startNanos = System.nanoTime();
        prefilled = true;
        int[] prompt = spec.promptTokens();
        reused = session.position();
        if (reused == prompt.length) {
            // Everything is cached, but the logits of the last token are needed: run it again.
            session.truncate(reused - 1);
            reused = session.position(); // one less, or 0 where the cache cannot go back (DeepSeek-V4's window)
        }
        for (int at = reused; at < prompt.length; ) {
            FinishReason interrupted = interruption();
            if (interrupted != null) {
                finish = interrupted;
                break;
            }
            int count = Math.min(PREFILL_CHUNK, prompt.length - at);
            session.forward(prompt, at, count, at + count == prompt.length ? logits : null);
            at += count;
            evaluated += count;
        }
        sampler.acceptAll(prompt);
        prefillEndNanos = System.nanoTime();
    }

    /** CANCELLED or TIMED_OUT when the generation must end now, else null. */
    private FinishReason interruption() {
        if ((spec.cancelRequested() != null && spec.cancelRequested().getAsBoolean())
                || Thread.currentThread().isInterrupted()) {
            return FinishReason.CANCELLED;
        }
        return spec.pastDeadline() ? FinishReason.TIMED_OUT : null;
    }

    private boolean isEndToken(int token) {
        for (int id : spec.endTokens()) {
            if (id == token) {
                return true;
            }
        }
        return false;
    }

    private void append(int token) {
        if (generatedCount == generated.length) {
            generated = Arrays.copyOf(generated, generated.length * 2);
        }
        generated[generatedCount++] = token;
    }

    /** Everything still held back by the decoder, the stop matcher and the splitter. */
    private List<ReasoningSplitter.Segment> drain() {
        List<ReasoningSplitter.Segment> out = new ArrayList<>(2);
        String tail = stops.push(decoder.flush());
        out.addAll(splitter.push(tail + stops.finish()));
        out.addAll(splitter.finish());
        return out;
    }

    private void end(Consumer<TokenEvent> sink, FinishReason reason, boolean drained) {
        if (!drained) {
            emitFinal(sink, drain());
        }
        finish = reason;
        endNanos = System.nanoTime();
        if (!prefilled || prefillEndNanos == 0) {
            prefillEndNanos = endNanos;
        }
    }

    private void emitFinal(Consumer<TokenEvent> sink, List<ReasoningSplitter.Segment> segments) {
        if (!segments.isEmpty()) {
            emit(sink, generatedCount, -1, segments);
        }
    }

    /** One event per channel run; one empty event when the token showed no text yet. */
    private void emit(Consumer<TokenEvent> sink, int index, int token, List<ReasoningSplitter.Segment> segments) {
        if (segments.isEmpty()) {
            Channel channel = splitter.inReasoning() ? Channel.REASONING : Channel.ANSWER;
            sink.accept(new TokenEvent(index, token, "", channel));
            return;
        }
        Channel channel = segments.getFirst().channel();
        StringBuilder run = new StringBuilder();
        for (ReasoningSplitter.Segment s : segments) {
            if (s.channel() != channel) {
                deliver(sink, index, token, run.toString(), channel);
                run.setLength(0);
                channel = s.channel();
            }
            run.append(s.text());
        }
        deliver(sink, index, token, run.toString(), channel);
    }

    private void deliver(Consumer<TokenEvent> sink, int index, int token, String text, Channel channel) {
        (channel == Channel.REASONING ? reasoning : answer).append(text);
        sink.accept(new TokenEvent(index, token, text, channel));
    }
}
