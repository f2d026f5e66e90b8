package dev.moe4j;

import dev.moe4j.internal.generate.ChatPromptEncoder;
import dev.moe4j.internal.generate.DecodingSession;
import dev.moe4j.internal.generate.GenerationLoop;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;

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
 * {@link GenerationStats#promptTokensEvaluated()} of each reply show the split. (For a conversation kept by the
 * application, {@link Model#chat(List)} renders any message list the same way and reuses the model's prompt cache.)
 *
 * <p>R1-style templates end the generation prompt with {@code <think>\n}: the reply then starts inside the reasoning,
 * which is returned apart from the answer. GLM-4.5/4.6 open {@code <think>} in the reply itself, gpt-oss writes its
 * reasoning in the harmony analysis channel before the final one; both are split the same way. Only the answer is kept
 * in the history (these templates drop reasoning from earlier turns anyway).
 *
 * <p>Threading: a session may be used from any thread, one turn at a time (a second concurrent turn waits for the
 * first, before it queues for the model). The session holds an inference state from the first turn until
 * {@link #close()} (a KV cache sized for the conversation and the reply's {@code maxTokens}, in steps of 1024 tokens,
 * doubled when outgrown, at most the model's context); close it (try-with-resources). A session that is dropped unclosed
 * is freed eventually, after garbage collection.
 */
public final class ChatSession implements AutoCloseable {
    private final Model model;
    private final ChatPromptEncoder prompts;
    private final @Nullable String systemPrompt;
    private final List<ChatMessage> seed;
    private final List<ChatMessage> history = new ArrayList<>();
    /** Held from a turn's prompt to its end; a semaphore, since a pull stream may step a turn from several threads. */
    private final Semaphore turn = new Semaphore(1, true);

    private @Nullable DecodingSession state;
    private java.lang.ref.Cleaner.@Nullable Cleanable cleanable;
    /** The capacity of the last state made (0 before the first): a state that is outgrown is replaced by one twice
     *  as large. */
    private int grownFrom;
    /** The tokens in {@link #state}, in order. */
    private int[] cached = new int[0];
    private boolean closed;

    private ChatSession(Model model, ChatPromptEncoder prompts, @Nullable String systemPrompt,
                        List<ChatMessage> seed) {
        this.model = model;
        this.prompts = prompts;
        this.systemPrompt = systemPrompt;
        this.seed = seed;
        this.history.addAll(seed);
    }

    /**
     * Sends a user message with the model's default options and returns the reply; blocks until done. See
     * {@link GenerationRequest#generate()} for what it throws.
     *
     * @param userText the user's message, plain text
     * @return the assistant's reply
     * @throws NullPointerException  if {@code userText} is null
     * @throws IllegalStateException if the session or the model is closed
     */
    public GenerationResult send(String userText) {
        return request(userText).generate();
    }

    /**
     * The next turn, a user's message, as a request with options (sampling, stops, cancellation, async, ...).
     *
     * @param userText the user's message, plain text
     * @return a request for the assistant's reply; see {@link #request(ChatMessage)}
     * @throws NullPointerException if {@code userText} is null
     */
    public GenerationRequest request(String userText) {
        Objects.requireNonNull(userText, "userText");
        return request(ChatMessage.user(userText));
    }

    /**
     * The next turn as a request: {@code message} (a user's message, or a tool's result) is added to the conversation
     * and the assistant's reply generated. When a run of it ends (also when cancelled or timed out), the message and
     * the reply's answer join the history; when it fails, neither does. A run fails with
     * {@link IllegalStateException} if the session is closed when it starts.
     *
     * @param message the message to add
     * @return a request for the assistant's reply
     * @throws NullPointerException if {@code message} is null
     */
    public GenerationRequest request(ChatMessage message) {
        Objects.requireNonNull(message, "message");
        return new GenerationRequest(model, (parseSpecial, maxTokens) -> new SessionTurn(message));
    }

    /**
     * Adds a message to the conversation without generating (it is computed with the next turn). Waits for a running
     * turn to end.
     *
     * @param message the message to append
     * @throws NullPointerException if {@code message} is null
     */
    public void add(ChatMessage message) {
        Objects.requireNonNull(message, "message");
        turn.acquireUninterruptibly();
        try {
            history.add(message);
        } finally {
            turn.release();
        }
    }

    /**
     * The conversation so far, system prompt first (if any); an unmodifiable copy. Waits for a running turn to end.
     *
     * @return the messages, in order
     */
    public List<ChatMessage> messages() {
        turn.acquireUninterruptibly();
        try {
            return List.copyOf(conversation());
        } finally {
            turn.release();
        }
    }

    /**
     * Forgets the conversation back to how the session was built (system prompt and the messages given to
     * {@link Builder#messages}). The KV cache is kept: the next turn reuses whatever prefix it shares with the new
     * conversation (typically BOS and the system prompt). Waits for a running turn to end.
     */
    public void reset() {
        turn.acquireUninterruptibly();
        try {
            history.clear();
            history.addAll(seed);
        } finally {
            turn.release();
        }
    }

    /**
     * Tokens currently held in the session's KV cache. Waits for a running turn to end.
     *
     * @return the number of tokens; 0 before the first turn and after {@link #close()}
     */
    public int cachedTokens() {
        turn.acquireUninterruptibly();
        try {
            return state == null ? 0 : state.position();
        } finally {
            turn.release();
        }
    }

    /** Frees the session's inference state. Idempotent; waits for a running turn to finish. */
    @Override
    public void close() {
        turn.acquireUninterruptibly();
        try {
            closed = true;
            if (cleanable != null) {
                cleanable.clean(); // closes the state, once
                cleanable = null;
                state = null;
            }
        } finally {
            turn.release();
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

    /** One turn: holds the session from its prompt to its end. */
    private final class SessionTurn implements Turn {
        private final ChatMessage message;
        private final ChatPromptEncoder.Encoded encoded;
        private boolean opened;
        private boolean done;

        SessionTurn(ChatMessage message) {
            this.message = message;
            turn.acquireUninterruptibly();
            try {
                if (closed) {
                    throw new IllegalStateException("the chat session is closed");
                }
                List<ChatMessage> next = conversation();
                next.add(message);
                encoded = prompts.encode(next, true);
            } catch (RuntimeException | Error e) {
                turn.release();
                throw e;
            }
        }

        @Override
        public int[] tokens() {
            return encoded.tokens();
        }

        @Override
        public String text() {
            return encoded.text();
        }

        @Override
        public DecodingSession open(int maxTokens) {
            if (encoded.tokens().length > model.contextLength()) {
                throw new ContextLengthExceededException(0, encoded.tokens().length, model.contextLength());
            }
            int[] tokens = encoded.tokens();
            int ctx = model.contextLength();
            int need = (int) Math.min(ctx, (long) tokens.length + maxTokens);
            if (state != null && state.capacity() < need) {
                // Outgrown: a larger state computes the conversation again (sizes double, so this stays rare).
                cleanable.clean();
                cleanable = null;
                state = null;
                cached = new int[0];
            }
            if (state == null) {
                int capacity = Math.max(PromptCache.capacityFor(tokens.length, maxTokens, ctx),
                        (int) Math.min(ctx, 2L * grownFrom));
                state = model.openSession(capacity);
                grownFrom = capacity;
                cleanable = GenerationRun.CLEANER.register(ChatSession.this, new CloseSession(state));
            }
            opened = true;
            int keep = Math.min(state.position(), PromptCache.commonPrefix(cached, tokens));
            state.truncate(keep);
            cached = Arrays.copyOf(cached, state.position()); // a windowed cache may resume earlier
            return state;
        }

        @Override
        public void finish(GenerationLoop.Outcome outcome) {
            if (done) {
                return;
            }
            done = true;
            int[] all = outcome.sequence();
            cached = Arrays.copyOf(all, Math.min(all.length, state.position()));
            history.add(message);
            // Only the answer: the templates drop reasoning of earlier turns, and the cache stays a prefix.
            history.add(ChatMessage.assistant(outcome.text()));
            turn.release();
        }

        @Override
        public void abort() {
            if (done) {
                return;
            }
            done = true;
            if (opened && state != null) {
                // The state may hold part of this turn: forget it rather than trust it.
                state.truncate(0);
                cached = new int[0];
            }
            turn.release();
        }
    }

    /** A cleaning action that holds only the state, never the session it guards. */
    private record CloseSession(DecodingSession session) implements Runnable {
        @Override
        public void run() {
            session.close();
        }
    }

    /** Options of a new chat session (from {@link Model#chatSession()}). Not thread-safe. */
    public static final class Builder {
        private final Model model;
        private @Nullable String template;
        private @Nullable String systemPrompt;
        private List<ChatMessage> messages = List.of();
        private @Nullable Boolean thinking;

        Builder(Model model) {
            this.model = model;
        }

        /**
         * Uses this Jinja chat template instead of the model's own (needed when the file has none). It is rendered
         * with {@code messages}, {@code add_generation_prompt}, {@code bos_token} and {@code eos_token}.
         *
         * @param jinjaSource the template's source; compiled by {@link #build()}
         * @return this builder
         * @throws NullPointerException if {@code jinjaSource} is null
         */
        public Builder template(String jinjaSource) {
            this.template = Objects.requireNonNull(jinjaSource, "jinjaSource");
            return this;
        }

        /**
         * A system message placed before every turn (default: none).
         *
         * @param systemPrompt the system message's content
         * @return this builder
         * @throws NullPointerException if {@code systemPrompt} is null
         */
        public Builder systemPrompt(String systemPrompt) {
            this.systemPrompt = Objects.requireNonNull(systemPrompt, "systemPrompt");
            return this;
        }

        /**
         * Starts the session with these messages after the system prompt: earlier turns of a saved conversation,
         * assistant turns included (default: none). They are computed with the first turn.
         *
         * @param messages the earlier messages, in order; copied
         * @return this builder
         * @throws NullPointerException if {@code messages} is null or holds null
         */
        public Builder messages(List<ChatMessage> messages) {
            this.messages = List.copyOf(messages);
            return this;
        }

        /**
         * Asks the model to reason before it answers, or not, where its chat template has that switch (the template
         * variable {@code enable_thinking}: Qwen3, GLM-4.5 and later, DeepSeek-V3.1, V3.2 and V4). Default: the
         * template's own default (DeepSeek-V3.1/V3.2/V4 answer without reasoning, Qwen3 and GLM reason; R1 always
         * reasons and has no switch). The reasoning comes back apart from the answer
         * ({@link GenerationResult#reasoning()}); with thinking off all output is the answer.
         *
         * @param enabled whether the model should reason first
         * @return this builder
         */
        public Builder thinking(boolean enabled) {
            this.thinking = enabled;
            return this;
        }

        /**
         * Compiles the template and creates the session (no memory is allocated until the first turn).
         *
         * @throws Moe4jException if there is no template (the model has none and none was given) or it does not
         *                        compile; the message says which and why
         * @return a new session, with no turn yet; the caller closes it
         */
        public ChatSession build() {
            ChatPromptEncoder encoder = template == null ? model.chatEncoder()
                    : model.compileTemplate(template, "the chat template given to ChatSession.Builder.template(...)");
            if (thinking != null) {
                encoder = encoder.withThinking(thinking);
            }
            return new ChatSession(model, encoder, systemPrompt, messages);
        }
    }
}
