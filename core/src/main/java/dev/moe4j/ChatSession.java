package dev.moe4j;

import dev.moe4j.internal.generate.ChatPromptEncoder;
import dev.moe4j.internal.generate.DecodingSession;
import dev.moe4j.internal.generate.GenerationLoop;
import dev.moe4j.internal.generate.GenerationSpec;
import dev.moe4j.internal.generate.PromptFormat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A conversation with a model, keeping its KV cache between turns.
 *
 * <p>Each turn renders the whole conversation with the chat template (the model's {@code tokenizer.chat_template}, or
 * one given to {@link Builder#template(String)}), tokenizes it with no BOS added (the template writes BOS), keeps the
 * longest prefix of those tokens that is already in the session's inference state and computes only the rest.
 * Special tokens are recognised in the template's own text only: the text of the messages (the user's, the system
 * prompt, earlier replies) is plain text, so a message that contains, say, {@code <｜Assistant｜>} or
 * {@code <|im_end|>} cannot end its turn or start another. Where a template rewrites such a message so that it cannot
 * be located in the prompt, the turn fails with {@link UnsafePromptException} instead (see
 * {@code ChatPromptEncoder}). {@link GenerationStats#promptTokensReused()} and
 * {@link GenerationStats#promptTokensEvaluated()} of each reply show the split.
 *
 * <p>R1-style templates end the generation prompt with {@code <think>\n}: the reply then starts inside the reasoning,
 * which is returned apart from the answer. GLM-4.5/4.6 open {@code <think>} in the reply itself, gpt-oss writes its
 * reasoning in the harmony analysis channel before the final one; both are split the same way. Only the answer is kept
 * in the history (these templates drop reasoning from earlier turns anyway).
 *
 * <p>Threading: a session may be used from any thread, one turn at a time (a second concurrent turn waits for the
 * first). The session holds an inference state (KV cache for the model's context length, worker threads) from the
 * first turn until {@link #close()}; close it (try-with-resources). A session that is dropped unclosed is freed
 * eventually, after garbage collection.
 */
public final class ChatSession implements AutoCloseable {
    private final Model model;
    private final ChatPromptEncoder prompts;
    private final String systemPrompt;
    private final List<ChatMessage> history = new ArrayList<>();
    private final ReentrantLock turn = new ReentrantLock();

    private DecodingSession state;
    private java.lang.ref.Cleaner.Cleanable cleanable;
    /** The tokens in {@link #state}, in order. */
    private int[] cached = new int[0];
    private boolean closed;

    private ChatSession(Model model, ChatPromptEncoder prompts, String systemPrompt) {
        this.model = model;
        this.prompts = prompts;
        this.systemPrompt = systemPrompt;
    }

    /** Sends a user message with the default options and returns the reply; see {@link ChatRequest#send()}. */
    public ChatResponse send(String userText) {
        return request(userText).send();
    }

    /** A turn with options (sampling, stops, cancellation, streaming). */
    public ChatRequest request(String userText) {
        Objects.requireNonNull(userText, "userText");
        return new ChatRequest(this, model.isReasoningModel(), userText);
    }

    /** The conversation so far, system prompt first (if any); an unmodifiable copy. */
    public List<ChatMessage> messages() {
        turn.lock();
        try {
            return List.copyOf(conversation());
        } finally {
            turn.unlock();
        }
    }

    /**
     * Forgets the conversation (the system prompt stays). The KV cache is kept: the next turn reuses whatever prefix it
     * shares with the new conversation (typically BOS and the system prompt).
     */
    public void reset() {
        turn.lock();
        try {
            history.clear();
        } finally {
            turn.unlock();
        }
    }

    /** Tokens currently held in the session's KV cache. */
    public int cachedTokens() {
        turn.lock();
        try {
            return state == null ? 0 : state.position();
        } finally {
            turn.unlock();
        }
    }

    /** Frees the session's inference state. Idempotent; waits for a running turn to finish. */
    @Override
    public void close() {
        turn.lock();
        try {
            closed = true;
            if (cleanable != null) {
                cleanable.clean(); // closes the state, once
                cleanable = null;
                state = null;
            }
        } finally {
            turn.unlock();
        }
    }

    private List<ChatMessage> conversation() {
        List<ChatMessage> all = new ArrayList<>(history.size() + 1);
        if (systemPrompt != null) {
            all.add(ChatMessage.system(systemPrompt));
        }
        all.addAll(history);
        return all;
    }

    ChatResponse run(ChatRequest options, String userText, Consumer<TokenEvent> sink) {
        turn.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the chat session is closed");
            }
            List<ChatMessage> next = conversation();
            next.add(ChatMessage.user(userText));
            ChatPromptEncoder.Encoded encoded = prompts.encode(next, true);
            String prompt = encoded.text();
            int[] tokens = encoded.tokens();
            if (state == null) {
                state = model.openSession();
                cleanable = GenerationRun.CLEANER.register(this, new GenerationRun.CloseSession(state));
            }
            int keep = commonPrefix(cached, state.position(), tokens);
            state.truncate(keep);
            cached = Arrays.copyOf(cached, keep);

            Cancellation c = options.cancellation;
            BooleanSupplier cancel = c == null ? null : c::isCancelled;
            boolean opensReasoning = options.parseReasoning && GenerationSpec.opensReasoning(prompt);
            GenerationSpec spec = new GenerationSpec(tokens, options.samplingParams(), options.seedOrRandom(),
                    options.maxTokens, options.stops, model.endTokens(), options.ignoreEos, options.parseReasoning,
                    opensReasoning, model.reasoningFormat(), cancel);
            GenerationResult result;
            try {
                result = new GenerationLoop(state, GenerationRun.decoder(model), spec).run(sink);
            } catch (RuntimeException | Error e) {
                // The state may hold part of this turn: forget it rather than trust it.
                state.truncate(0);
                cached = new int[0];
                throw e;
            }
            int[] all = Arrays.copyOf(tokens, tokens.length + result.tokens().length);
            System.arraycopy(result.tokens(), 0, all, tokens.length, result.tokens().length);
            cached = Arrays.copyOf(all, state.position());
            history.add(ChatMessage.user(userText));
            history.add(ChatMessage.assistant(result.text()));
            return new ChatResponse(result.text(), result.reasoning(), result.finishReason(), result.stats());
        } finally {
            turn.unlock();
        }
    }

    /** Length of the common prefix of {@code cached[0, cachedLength)} and {@code tokens}. */
    static int commonPrefix(int[] cached, int cachedLength, int[] tokens) {
        int n = Math.min(Math.min(cachedLength, cached.length), tokens.length);
        int i = 0;
        while (i < n && cached[i] == tokens[i]) {
            i++;
        }
        return i;
    }

    /** Options of a new chat session (from {@link Model#chat()}). Not thread-safe. */
    public static final class Builder {
        private final Model model;
        private String template;
        private String systemPrompt;

        Builder(Model model) {
            this.model = model;
        }

        /**
         * Uses this Jinja chat template instead of the model's own (needed when the file has none). It is rendered
         * with {@code messages}, {@code add_generation_prompt}, {@code bos_token} and {@code eos_token}.
         */
        public Builder template(String jinjaSource) {
            this.template = Objects.requireNonNull(jinjaSource, "jinjaSource");
            return this;
        }

        /** A system message placed before every turn (default: none). */
        public Builder systemPrompt(String systemPrompt) {
            this.systemPrompt = Objects.requireNonNull(systemPrompt, "systemPrompt");
            return this;
        }

        /**
         * Compiles the template and creates the session (no memory is allocated until the first turn).
         *
         * @throws Moe4jException if there is no template (the model has none and none was given) or it does not
         *                        compile; the message says which and why
         */
        public ChatSession build() {
            String source = template;
            String origin = "the chat template given to ChatSession.Builder.template(...)";
            if (source == null) {
                source = model.chatTemplate().orElseThrow(() -> new Moe4jException(model.path().getFileName()
                        + " has no chat template (no tokenizer.chat_template in the file); pass one with "
                        + "model.chat().template(jinjaSource).build()"));
                origin = "the chat template of " + model.path().getFileName() + " (tokenizer.chat_template)";
            }
            PromptFormat format = PromptFormat.compile(source, origin, model.tokenizer());
            return new ChatSession(model, new ChatPromptEncoder(format, model.tokenizer()), systemPrompt);
        }
    }
}
