package dev.moe4j;

import dev.moe4j.internal.generate.GenerationSpec;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A plain-text generation, configured fluently and then run in one of four ways:
 * <ul>
 *   <li>{@link #generate()}: blocks, returns the whole result;</li>
 *   <li>{@link #stream(Consumer)}: blocks, calls back on the calling thread for every token as it is generated;</li>
 *   <li>{@link #tokens()}: a lazy {@link Stream} that generates as it is consumed;</li>
 *   <li>{@link #start()}: runs on a new background thread and returns a {@link GenerationHandle} to wait or cancel.</li>
 * </ul>
 * The prompt is tokenized as it is, without a chat template: BOS is added when the model asks for it, and special-token
 * strings in the prompt are plain text unless {@link #parseSpecial(boolean)}. Each run is independent (its own
 * inference state) and may be repeated; the options in force when a run starts apply to it. See
 * {@link GenerationOptions} for the options and their defaults.
 */
public final class GenerationRequest extends GenerationOptions<GenerationRequest> {
    private final Model model;
    private final String prompt;
    private final int[] promptTokens;
    private boolean parseSpecial;

    GenerationRequest(Model model, String prompt, int[] promptTokens) {
        super(model.isReasoningModel());
        this.model = model;
        this.prompt = prompt;
        this.promptTokens = promptTokens;
    }

    /**
     * Recognise special-token strings such as {@code <｜User｜>} in the prompt text (default false: they are encoded
     * as plain text, which is what untrusted input needs). Has no effect on a prompt given as token ids.
     */
    public GenerationRequest parseSpecial(boolean parseSpecial) {
        this.parseSpecial = parseSpecial;
        return this;
    }

    /**
     * Generates and returns the result; blocks until done.
     *
     * @throws ContextLengthExceededException if the prompt does not fit in the model's context
     * @throws IllegalStateException if the model is closed
     */
    public GenerationResult generate() {
        return stream(e -> { });
    }

    /**
     * Generates, handing every {@link TokenEvent} to {@code consumer} on the calling thread as soon as it is known,
     * and returns the result; blocks until done. An exception thrown by the consumer stops the generation and
     * propagates.
     */
    public GenerationResult stream(Consumer<? super TokenEvent> consumer) {
        return GenerationRun.run(model, prepare(null), consumer::accept);
    }

    /**
     * A lazy stream of the generation's events: nothing runs until a terminal operation pulls, and every pull runs the
     * model just far enough to produce the next event, on the pulling thread. Closing the stream (use
     * try-with-resources) or short-circuiting it ({@code limit}, {@code takeWhile}, {@code findFirst}) before the end
     * cancels the generation and frees its state. A stream dropped half-way without being closed is freed only after
     * garbage collection, so close it. Sequential only.
     */
    public Stream<TokenEvent> tokens() {
        return GenerationRun.stream(model, prepare(null));
    }

    /** Starts generating on a new background thread; see {@link #start(Consumer)}. */
    public GenerationHandle start() {
        return start(e -> { });
    }

    /**
     * Starts generating on a new daemon thread and returns at once. {@code consumer} is called on that thread for
     * every event. {@link GenerationHandle#cancel()} stops the generation within one token.
     */
    public GenerationHandle start(Consumer<? super TokenEvent> consumer) {
        GenerationHandle handle = new GenerationHandle();
        GenerationSpec spec = prepare(handle::isCancelRequested);
        handle.launch(() -> GenerationRun.run(model, spec, consumer::accept));
        return handle;
    }

    /** Tokenizes the prompt and freezes the options into a spec. */
    private GenerationSpec prepare(BooleanSupplier extraCancel) {
        int[] tokens = promptTokens != null ? promptTokens.clone()
                : model.tokenizer().encode(prompt, true, parseSpecial);
        String text = prompt != null ? prompt : model.tokenizer().decode(tokens);
        boolean opensReasoning = parseReasoning && GenerationSpec.opensReasoning(text);
        Cancellation c = cancellation;
        BooleanSupplier cancel = c == null && extraCancel == null ? null
                : () -> (c != null && c.isCancelled()) || (extraCancel != null && extraCancel.getAsBoolean());
        return new GenerationSpec(tokens, samplingParams(), seedOrRandom(), maxTokens, stops, model.endTokens(),
                ignoreEos, parseReasoning, opensReasoning, model.reasoningFormat(), cancel);
    }
}
