package dev.moe4j;

import dev.moe4j.internal.generate.ChatPromptEncoder;
import dev.moe4j.internal.generate.DecodingSession;
import dev.moe4j.internal.generate.Engine;
import dev.moe4j.internal.generate.FimTokens;
import dev.moe4j.internal.generate.InfillPrompt;
import dev.moe4j.internal.generate.InfillRequest;
import dev.moe4j.internal.generate.GenerationLoop;
import dev.moe4j.internal.generate.ModelLoader;
import dev.moe4j.internal.generate.PromptFormat;
import dev.moe4j.internal.generate.ReasoningFormat;
import dev.moe4j.internal.generate.TokenArrays;
import dev.moe4j.internal.offload.MemoryBudget;
import dev.moe4j.internal.tokenizer.Tokenizer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A language model loaded from a GGUF file, ready to generate text.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("models/demo-countries-q8_0.gguf"))) {
 *     System.out.println(model.generate("The quick brown fox").text());
 *     GenerationResult r = model.request("Once upon a time").maxTokens(64).temperature(0).generate();
 *     GenerationResult answer = model.chat(List.of(
 *             ChatMessage.system("Answer in one word."),
 *             ChatMessage.user("What is the capital of Japan?"))).generate();
 * }
 * }</pre>
 *
 * <p><b>Threading.</b> A model is thread-safe. Generations may be started from any number of threads; at most
 * {@link Builder#maxConcurrentGenerations} run at once, the next {@link Builder#maxQueuedGenerations} wait in order,
 * and more are refused with {@link ModelBusyException}. Running generations take turns, token by token, on the model's
 * one pool of {@link Builder#threads} worker threads, so concurrency never oversubscribes the cores. Asynchronous runs
 * ({@link GenerationRequest#submit()}, {@link GenerationRequest#publisher()}) run on {@link Builder#executor} (virtual
 * threads by default). The weights are shared and never copied.
 *
 * <p><b>Memory.</b> Weights are memory-mapped from the file, not read into the heap. Each running generation holds a
 * KV cache sized for its prompt and {@code maxTokens} (in steps of 1024 tokens, at most {@link #contextLength()}), and
 * up to {@link Builder#promptCacheSize} finished ones are kept for the next requests that share their prefix (native
 * memory, freed by {@link #close()}). A model whose routed experts do not fit in memory runs them from a budget
 * ({@link Builder#memoryBudget(long)}, automatic by default): they are read from the file into a managed cache, with
 * the same output.
 *
 * <p><b>Lifetime.</b> {@link #close()} refuses new work at once and frees the model when the last running generation
 * and the last open {@link ChatSession} have ended (it never frees memory under a running computation).
 *
 * <p>The library writes nothing to stdout; it logs through SLF4J (a one-line load summary at INFO).
 */
public final class Model implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Model.class);

    /**
     * The least default context, memory allowing: {@link Builder#contextLength}'s default is the trained context,
     * bounded by memory but not below {@code min(trained, DEFAULT_MAX_CONTEXT)} while that fits.
     */
    public static final int DEFAULT_MAX_CONTEXT = ModelLoader.DEFAULT_MAX_CONTEXT;
    /** The default of {@link Builder#maxConcurrentGenerations}. */
    public static final int DEFAULT_MAX_CONCURRENT_GENERATIONS = 4;
    /** The default of {@link Builder#maxQueuedGenerations}. */
    public static final int DEFAULT_MAX_QUEUED_GENERATIONS = 256;
    /** The default of {@link Builder#batchSize}: llama.cpp's default physical batch ({@code n_ubatch}). */
    public static final int DEFAULT_BATCH_SIZE = 512;
    /** The default of {@link Builder#promptCacheSize}. */
    public static final int DEFAULT_PROMPT_CACHE_SIZE = 2;

    private final Path path;
    private final ModelInfo info;
    private final Tokenizer tokenizer;
    private final Engine engine;
    private final int contextLength;
    private final int threads;
    private final int[] endTokens;
    private final @Nullable String chatTemplate;
    private final String templateOrigin;
    private final boolean reasoningFamily;
    private final ReasoningFormat reasoningFormat;
    private final GenerationGate gate;
    private final PromptCache promptCache;
    private final Executor executor;
    /** The model's FIM tokens and prompt layout, or null when it has none. */
    private final @Nullable InfillPrompt infillPrompt;
    /** The compiled chat template, made on first use (null until then). */
    private volatile @Nullable ChatPromptEncoder chatEncoder;

    private final Object lifecycle = new Object();
    private int activeSessions;
    private boolean closed;
    private boolean freed;

    Model(Path path, ModelInfo info, Tokenizer tokenizer, Engine engine, int contextLength, int threads,
          int[] endTokens, @Nullable String chatTemplate, Optional<FimTokens> fim, Builder options) {
        this.path = path;
        this.info = info;
        this.tokenizer = tokenizer;
        this.engine = engine;
        this.contextLength = contextLength;
        this.threads = threads;
        this.endTokens = endTokens.clone();
        this.chatTemplate = options.chatTemplate != null ? options.chatTemplate : chatTemplate;
        this.templateOrigin = options.chatTemplate != null ? "the chat template given to Model.Builder.chatTemplate"
                : "the chat template of " + path.getFileName() + " (tokenizer.chat_template)";
        this.reasoningFamily = this.chatTemplate != null && this.chatTemplate.contains("<think>");
        this.reasoningFormat = ReasoningFormat.of(tokenizer);
        this.infillPrompt = fim.map(f -> new InfillPrompt(tokenizer, f)).orElse(null);
        this.gate = new GenerationGate(options.maxConcurrent, options.maxQueued);
        this.promptCache = new PromptCache(this, options.promptCacheSize);
        this.executor = options.executor != null ? options.executor : VIRTUAL_THREADS;
    }

    private static final AtomicLong RUNS = new AtomicLong();
    /** The default executor: a new virtual thread per asynchronous run. */
    private static final Executor VIRTUAL_THREADS =
            task -> Thread.ofVirtual().name("moe4j-generation-", RUNS.incrementAndGet()).start(task);

    /**
     * Loads a model with the default options (all available processors, the context of
     * {@link Builder#contextLength}'s default). Blocks until the model is ready.
     *
     * @param path the GGUF file, or the first shard of a split model
     * @return the loaded model; the caller closes it
     * @throws ModelFormatException if the file is not a GGUF model moe4j can run
     * @throws java.io.UncheckedIOException if the file cannot be read
     * @throws NativeLibraryException if {@code -Dmoe4j.backend=cpu} or {@code cuda} asks for native kernels that cannot
     *                                be loaded (by default a platform without them runs the plain-Java kernels, with a
     *                                WARN log line)
     * @throws NullPointerException if {@code path} is null
     */
    public static Model load(Path path) {
        return builder(path).build();
    }

    /**
     * Starts configuring the loading of the model at {@code path}. Nothing is read until {@link Builder#build()}.
     *
     * @param path the GGUF file, or the first shard of a split model
     * @return a builder with the default options
     * @throws NullPointerException if {@code path} is null
     */
    public static Builder builder(Path path) {
        return new Builder(path);
    }

    /**
     * What the file says about the model: architecture, parameter counts, trained context, chat template, ....
     *
     * @return the file's description, read at load
     */
    public ModelInfo info() {
        return info;
    }

    /**
     * The GGUF file the model was loaded from.
     *
     * @return the path given to {@link #load} or {@link #builder}
     */
    public Path path() {
        return path;
    }

    /**
     * The most tokens a generation or chat session can hold (prompt and output together).
     *
     * @return the context length in tokens
     */
    public int contextLength() {
        return contextLength;
    }

    /**
     * Worker threads of the model's pool, which its generations compute with in turn.
     *
     * @return {@link Builder#threads}
     */
    public int threads() {
        return threads;
    }

    /**
     * The model's Jinja chat template ({@code tokenizer.chat_template}), if the file has one.
     *
     * @return the template's source (the one given to {@link Builder#chatTemplate}, if any), or an empty optional
     */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /**
     * Whether the model is of the DeepSeek-R1 family (its chat template mentions {@code <think>}): this decides the
     * sampling defaults (see {@link GenerationOptions}).
     *
     * @return {@code true} if the chat template in use contains {@code <think>}
     */
    public boolean isReasoningModel() {
        return reasoningFamily;
    }

    /**
     * The options every request of this model starts from: {@link GenerationOptions#reasoningDefaults()} for a
     * {@linkplain #isReasoningModel() reasoning model}, else {@link GenerationOptions#defaults()}.
     *
     * @return the default options
     */
    public GenerationOptions defaultOptions() {
        return reasoningFamily ? GenerationOptions.reasoningDefaults() : GenerationOptions.defaults();
    }

    /**
     * Token ids of {@code text}, with BOS prepended when the model asks for it.
     *
     * @param text         the text to encode
     * @param parseSpecial recognise special-token strings such as {@code <｜User｜>} in the text; when false they are
     *                     plain text (use false for untrusted input)
     * @return the token ids
     * @throws NullPointerException if {@code text} is null
     */
    public int[] tokenize(String text, boolean parseSpecial) {
        return tokenize(text, true, parseSpecial);
    }

    /**
     * Token ids of {@code text}.
     *
     * @param text         the text to encode
     * @param addSpecial   add BOS/EOS as the model asks for them
     * @param parseSpecial recognise special-token strings in the text
     * @return the token ids
     * @throws NullPointerException if {@code text} is null
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        return tokenizer.encode(text, addSpecial, parseSpecial);
    }

    /**
     * The text of token ids, special tokens rendered as their text.
     *
     * @param tokenIds the token ids
     * @return the decoded text (invalid UTF-8 becomes U+FFFD)
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String detokenize(int[] tokenIds) {
        return tokenizer.decode(tokenIds);
    }

    /**
     * Size of the vocabulary, i.e. the length of a logits row.
     *
     * @return the number of tokens in the vocabulary
     */
    public int vocabularySize() {
        return engine.vocabSize();
    }

    /**
     * Runs the model over {@code tokenIds} in a fresh context and returns the logits that follow the last token (one
     * float per vocabulary entry, unnormalised). Blocks until computed.
     *
     * @param tokenIds the tokens to run, used as they are (no BOS added)
     * @return a new array of {@link #vocabularySize()} logits
     * @throws IllegalArgumentException if there are no tokens or an id is outside the vocabulary
     * @throws ContextLengthExceededException if the tokens do not fit in {@link #contextLength()}
     * @throws IllegalStateException if the model is closed
     */
    public float[] logits(int[] tokenIds) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("tokenIds is empty: nothing to compute logits for");
        }
        checkIds(tokenIds, "token");
        if (tokenIds.length > contextLength) {
            throw new ContextLengthExceededException(0, tokenIds.length, contextLength);
        }
        float[] out = new float[engine.vocabSize()];
        try (DecodingSession s = openSession(tokenIds.length)) {
            s.forward(tokenIds.clone(), 0, tokenIds.length, out);
        }
        return out;
    }

    /**
     * Generates from {@code prompt} with the default options; see {@link #request(String)}. Blocks until done; throws
     * what {@link GenerationRequest#generate()} throws.
     *
     * @param prompt the prompt, plain text
     * @return the result
     * @throws IllegalStateException if the model is closed
     * @throws NullPointerException  if {@code prompt} is null
     */
    public GenerationResult generate(String prompt) {
        return request(prompt).generate();
    }

    /**
     * A generation request for a plain-text prompt (no chat template applied; BOS added when the model asks for it).
     * Configure it, then run it (see {@link GenerationRequest}).
     *
     * @param prompt the prompt, tokenized when a run starts
     * @return a request with the model's {@linkplain #defaultOptions() default options}
     * @throws IllegalStateException if the model is closed
     * @throws NullPointerException  if {@code prompt} is null
     */
    public GenerationRequest request(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        ensureOpen();
        return new GenerationRequest(this, (parseSpecial, maxTokens) -> cachedTurn(
                tokenizer.encode(prompt, true, parseSpecial), prompt));
    }

    /**
     * A generation request for a prompt given as token ids, used as they are (no BOS added).
     *
     * @param promptTokens the prompt's token ids; copied
     * @return a request with the model's {@linkplain #defaultOptions() default options}
     * @throws IllegalArgumentException if there are none or one is outside the vocabulary
     * @throws IllegalStateException    if the model is closed
     */
    public GenerationRequest request(int[] promptTokens) {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("promptTokens is empty: nothing to generate from");
        }
        checkIds(promptTokens, "prompt token");
        ensureOpen();
        int[] ids = promptTokens.clone();
        return new GenerationRequest(this, (parseSpecial, maxTokens) -> cachedTurn(ids, tokenizer.decode(ids)));
    }

    /**
     * A generation request for the assistant's next turn of a conversation: {@code messages} (system, user, assistant
     * with or without reasoning, tool results, in order) rendered through the model's chat template (or the one given
     * to {@link Builder#chatTemplate}) with the generation prompt. Every message text stays plain text: what it
     * holds, special-token text such as {@code <｜Assistant｜>} or {@code <|im_end|>} included, can never become a
     * control token (where the template rewrites such a message so that it cannot be kept apart, the run fails with
     * {@link UnsafePromptException}). The run reuses the model's prompt cache, so sending the conversation again with
     * one more turn computes only the new turn. The template is compiled here, the conversation rendered when a run
     * starts.
     *
     * @param messages the conversation; copied
     * @return a request with the model's {@linkplain #defaultOptions() default options}
     * @throws IllegalArgumentException if {@code messages} is empty
     * @throws NullPointerException     if {@code messages} is null or holds null
     * @throws Moe4jException           if the model has no chat template or it does not compile
     * @throws IllegalStateException    if the model is closed
     */
    public GenerationRequest chat(List<ChatMessage> messages) {
        List<ChatMessage> copy = List.copyOf(messages);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("messages is empty: a conversation needs at least one message");
        }
        ensureOpen();
        ChatPromptEncoder encoder = chatEncoder();
        return new GenerationRequest(this, (parseSpecial, maxTokens) -> {
            ChatPromptEncoder.Encoded e = encoder.encode(copy, true);
            return cachedTurn(e.tokens(), e.text());
        });
    }

    /**
     * Whether the model has fill-in-the-middle tokens ({@link #infill}): the GGUF file's
     * {@code tokenizer.ggml.fim_*_token_id} keys, or the FIM token texts of DeepSeek-Coder(-V2), Qwen2.5-Coder,
     * StarCoder, CodeLlama, Codestral and the other sets llama.cpp knows.
     *
     * @return {@code true} if {@link #infill} can be used
     */
    public boolean supportsInfill() {
        return infillPrompt != null;
    }

    /**
     * A code completion at a cursor: {@code infill(InfillInput.of(prefix, suffix))}.
     *
     * @param prefix the code before the cursor
     * @param suffix the code after the cursor
     * @return a request with the model's {@linkplain #defaultOptions() default options}
     * @throws UnsupportedOperationException if the model has no FIM tokens ({@link #supportsInfill()})
     * @throws IllegalStateException         if the model is closed
     * @throws NullPointerException          if an argument is null
     */
    public GenerationRequest infill(String prefix, String suffix) {
        return infill(InfillInput.of(prefix, suffix));
    }

    /**
     * A code completion request (fill-in-the-middle), for IDE plugins: the model's own FIM tokens around the code
     * before and after the cursor, with other files as extra context, laid out as llama.cpp's {@code /infill} does
     * (extra context first, then prefix and suffix: the prefix keeps its last 1536 tokens, the suffix its first
     * 510, or ¾ and ¼ of the context when it is shorter than 2048 tokens), and {@link InfillInput#middle()} after the
     * FIM middle token. Every text is plain text: code that contains FIM or other special-token text cannot produce
     * those tokens. Generation ends at the model's end tokens and its
     * FIM end tokens (pad, repository and file separators); the output is all answer (no reasoning is split off).
     * Runs reuse the model's prompt cache: a request after an edit computes only the prompt from the edit on, so with
     * {@link InfillInput#atCursor} typing on a line costs a few tokens (see {@code docs/PERFORMANCE.md}).
     *
     * @param input the code around the cursor
     * @return a request with the model's {@linkplain #defaultOptions() default options}
     * @throws UnsupportedOperationException if the model has no FIM tokens ({@link #supportsInfill()})
     * @throws IllegalStateException         if the model is closed
     * @throws NullPointerException          if {@code input} is null
     */
    public GenerationRequest infill(InfillInput input) {
        Objects.requireNonNull(input, "input");
        ensureOpen();
        InfillPrompt layout = infillPrompt;
        if (layout == null) {
            throw new UnsupportedOperationException(path.getFileName() + " has no fill-in-the-middle tokens (neither "
                    + "tokenizer.ggml.fim_pre/suf/mid_token_id keys nor the FIM token texts of a code model such as "
                    + "DeepSeek-Coder or Qwen2.5-Coder): it cannot do infill");
        }
        List<InfillRequest.Chunk> chunks = input.extraFiles().stream()
                .map(f -> new InfillRequest.Chunk(f.name(), f.text())).toList();
        int[] fimEnd = layout.fimTokens().endTokens();
        return new GenerationRequest(this, (parseSpecial, maxTokens) -> {
            InfillRequest request = new InfillRequest(input.prefix(), input.suffix(), "", chunks,
                    input.suffixFirst(), new InfillRequest.Budget(
                    Math.min(InfillRequest.Budget.DEFAULT_BATCH, contextLength), contextLength, maxTokens));
            int[] layoutIds = layout.build(request).ids();
            int[] middle = tokenizer.encode(input.middle(), false, false);
            return new CachedTurn(TokenArrays.concat(layoutIds, middle), "", fimEnd, false);
        });
    }

    /**
     * The prompt text {@link #chat(List)} gives the model for {@code messages}: the chat template's rendering.
     *
     * @param messages            the conversation
     * @param addGenerationPrompt end with the opening of the assistant's turn, as {@link #chat(List)} does
     * @return the rendered prompt text
     * @throws Moe4jException if the model has no chat template, it does not compile, or it fails on the conversation
     * @throws NullPointerException if {@code messages} is null or holds null
     */
    public String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return chatEncoder().render(List.copyOf(messages), addGenerationPrompt);
    }

    /**
     * A chat session with the model's own chat template and no system prompt.
     *
     * @throws Moe4jException if the model has no chat template or it does not compile (then use
     *                        {@link #chatSession()} and {@link ChatSession.Builder#template(String)})
     * @return a new session; the caller closes it
     * @throws IllegalStateException if the model is closed
     */
    public ChatSession newChat() {
        return chatSession().build();
    }

    /**
     * Configures a chat session: system prompt, earlier messages, a template of your own.
     *
     * @return a builder for a session on this model
     * @throws IllegalStateException if the model is closed
     */
    public ChatSession.Builder chatSession() {
        ensureOpen();
        return new ChatSession.Builder(this);
    }

    /**
     * What the expert memory manager did since the model was loaded: whether the routed experts run from a memory
     * budget, how often the experts a token needed were in memory, per layer, bytes read, prefetch recall and time
     * stalled on reads; and the KV cache's bytes per token of context. Thread-safe; a snapshot.
     *
     * @return the statistics at the time of the call
     */
    public MemoryStats memoryStats() {
        return engine.memoryStats().withKvCache(info.kvCacheBytesPerToken().orElse(-1), contextLength);
    }

    /**
     * How often each routed expert was chosen since the model was loaded, over every generation and chat session
     * (a consistent snapshot: whole tokens only). Save it with {@link RoutingProfile#save} and give it to
     * {@link Builder#routingProfile(Path)} to keep the hottest experts in memory in later runs.
     *
     * @return the counts so far
     * @throws IllegalStateException if the model was not loaded with {@link Builder#recordRouting(boolean)
     *                               recordRouting(true)}, or is dense (has no routed experts)
     */
    public RoutingProfile routingProfile() {
        return engine.routingProfile().orElseThrow(() -> new IllegalStateException(info.expertCount() == 0
                ? path.getFileName() + " is a dense model: it has no routed experts"
                : "routing is not recorded: load the model with Model.builder(path).recordRouting(true)"));
    }

    /**
     * Refuses new requests and chat sessions from now on; the weights are freed as soon as nothing runs on them any
     * more (at once when idle). Idempotent.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            closed = true;
        }
        promptCache.close();
        synchronized (lifecycle) {
            freeIfIdle();
        }
    }

    @Override
    public String toString() {
        return "Model[" + path.getFileName() + ", " + info.architecture() + ", context " + contextLength + ", threads "
                + threads + "]";
    }

    // ---- package-private plumbing for requests and chat sessions ----

    GenerationGate gate() {
        return gate;
    }

    Executor executor() {
        return executor;
    }

    /** Idle states in the prompt cache (for tests). */
    int promptCacheEntries() {
        return promptCache.size();
    }

    /** The model's chat template, compiled once. */
    ChatPromptEncoder chatEncoder() {
        ChatPromptEncoder e = chatEncoder;
        if (e == null) {
            String source = chatTemplate;
            if (source == null) {
                throw new Moe4jException(path.getFileName() + " has no chat template (no tokenizer.chat_template "
                        + "in the file); pass one with Model.builder(path).chatTemplate(jinjaSource)");
            }
            e = compileTemplate(source, templateOrigin);
            chatEncoder = e;
        }
        return e;
    }

    ChatPromptEncoder compileTemplate(String source, String origin) {
        return new ChatPromptEncoder(PromptFormat.compile(source, origin, tokenizer), tokenizer);
    }

    private void checkIds(int[] ids, String what) {
        for (int id : ids) {
            if (id < 0 || id >= engine.vocabSize()) {
                throw new IllegalArgumentException(what + " id " + id + " is outside the vocabulary [0, "
                        + engine.vocabSize() + ")");
            }
        }
    }

    /** A run of a prompt through the model's prompt cache. */
    Turn cachedTurn(int[] tokens, String text) {
        return new CachedTurn(tokens, text, new int[0], true);
    }

    private final class CachedTurn implements Turn {
        private final int[] tokens;
        private final String text;
        private final int[] extraEndTokens;
        private final boolean allowsReasoning;
        private @Nullable DecodingSession session;
        private boolean done;

        CachedTurn(int[] tokens, String text, int[] extraEndTokens, boolean allowsReasoning) {
            this.tokens = tokens;
            this.text = text;
            this.extraEndTokens = extraEndTokens;
            this.allowsReasoning = allowsReasoning;
        }

        @Override
        public int[] extraEndTokens() {
            return extraEndTokens;
        }

        @Override
        public boolean allowsReasoning() {
            return allowsReasoning;
        }

        @Override
        public int[] tokens() {
            return tokens;
        }

        @Override
        public String text() {
            return text;
        }

        @Override
        public DecodingSession open(int maxTokens) {
            if (tokens.length > contextLength) {
                throw new ContextLengthExceededException(0, tokens.length, contextLength);
            }
            session = promptCache.acquire(tokens,
                    PromptCache.capacityFor(tokens.length, maxTokens, contextLength)).session();
            return session;
        }

        @Override
        public void finish(GenerationLoop.Outcome outcome) {
            if (done) {
                return;
            }
            done = true;
            promptCache.release(session, outcome.sequence());
        }

        @Override
        public void abort() {
            if (!done) {
                done = true;
                if (session != null) {
                    promptCache.discard(session);
                }
            }
        }
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    int[] endTokens() {
        return endTokens;
    }

    /** How the model writes its reasoning: decides the output splitter and the control tokens shown as text. */
    ReasoningFormat reasoningFormat() {
        return reasoningFormat;
    }

    /**
     * A new inference state, counted so that {@link #close()} waits for it.
     *
     * @throws IllegalStateException if the model is closed
     */
    DecodingSession openSession(int capacity) {
        synchronized (lifecycle) {
            ensureOpen();
            activeSessions++;
        }
        DecodingSession s;
        try {
            s = engine.newSession(capacity);
        } catch (RuntimeException | Error e) {
            release();
            throw e;
        }
        return new CountedSession(s);
    }

    private void ensureOpen() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("the model " + path.getFileName() + " is closed");
            }
        }
    }

    private void release() {
        synchronized (lifecycle) {
            activeSessions--;
            freeIfIdle();
        }
    }

    private void freeIfIdle() {
        if (closed && activeSessions == 0 && !freed) {
            freed = true;
            engine.close();
            LOG.debug("model {} freed", path.getFileName());
        }
    }

    /** Releases its slot in the model's count when closed. */
    private final class CountedSession implements DecodingSession {
        private final DecodingSession inner;
        private boolean done;

        CountedSession(DecodingSession inner) {
            this.inner = inner;
        }

        @Override
        public int vocabSize() {
            return inner.vocabSize();
        }

        @Override
        public int capacity() {
            return inner.capacity();
        }

        @Override
        public int position() {
            return inner.position();
        }

        @Override
        public void truncate(int position) {
            inner.truncate(position);
        }

        @Override
        public void forward(int[] tokens, int offset, int count, float[] logitsOut) {
            inner.forward(tokens, offset, count, logitsOut);
        }

        @Override
        public void close() {
            if (!done) {
                done = true;
                try {
                    inner.close();
                } finally {
                    release();
                }
            }
        }
    }

    /**
     * Options for loading a model. Setters check their argument at once ({@link IllegalArgumentException} naming the
     * option); {@link #build()} checks them against the file. Not thread-safe.
     */
    public static final class Builder {
        private final Path path;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int contextLength;
        private LoadProgressListener progress = (f, m) -> { };
        private boolean recordRouting;
        private long memoryBudget = -1;
        private long gpuMemoryBudget = -1;
        private @Nullable RoutingProfile profile;
        private int maxConcurrent = DEFAULT_MAX_CONCURRENT_GENERATIONS;
        private int workerGroups = 1;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private @Nullable ExpertCachePolicy expertCachePolicy;
        private int expertIoThreads;
        private @Nullable Boolean expertPrefetch;
        private @Nullable Boolean directIo;
        private int maxQueued = DEFAULT_MAX_QUEUED_GENERATIONS;
        private int promptCacheSize = DEFAULT_PROMPT_CACHE_SIZE;
        private @Nullable Executor executor;
        private @Nullable String chatTemplate;

        Builder(Path path) {
            this.path = Objects.requireNonNull(path, "path");
        }

        /**
         * Worker threads per generation, the calling thread included: 1..256 (default: the available processors,
         * {@link Runtime#availableProcessors()}).
         *
         * @param threads worker threads, in {@code 1..256}
         * @return this builder
         * @throws IllegalArgumentException if outside 1..256
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("threads must be in 1..256, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * Tokens each generation or chat session can hold, prompt included, at least 1 and at most the model's trained
         * context (checked by {@link #build()}). Default: the trained context, bounded so that the KV caches of
         * {@link #maxConcurrentGenerations} full-length generations take at most a quarter of the memory left after
         * the weights (never below {@code min(trained, 4096)} while that fits); the INFO log says which and why.
         * Generations allocate KV caches for what they need, not for the whole context.
         *
         * @param contextLength the context in tokens, {@code >= 1}
         * @return this builder
         * @throws IllegalArgumentException if {@code contextLength < 1}
         */
        public Builder contextLength(int contextLength) {
            if (contextLength < 1) {
                throw new IllegalArgumentException("contextLength must be >= 1, got " + contextLength);
            }
            this.contextLength = contextLength;
            return this;
        }

        /**
         * Counts which experts every token is routed to, for {@link Model#routingProfile()} (default: off). The cost
         * is a few atomic increments per token and layer.
         *
         * @param record {@code true} to count the routing
         * @return this builder
         */
        public Builder recordRouting(boolean record) {
            this.recordRouting = record;
            return this;
        }

        /**
         * The most memory the model's routed experts may take, in bytes. Experts then live in the model file and are
         * read on demand, with explicit reads on I/O threads, into a cache of that size, which keeps the experts most
         * likely to be needed next and reads the next layer's predicted experts ahead of time; attention, norms,
         * embeddings, dense layers and shared experts stay memory-mapped and resident. Output is bit-identical to a
         * run without a budget. A budget that holds every routed expert changes nothing (they stay memory-mapped).
         *
         * <p>Default (no call): automatic. If the routed experts fit in the memory the process may use (the smaller of
         * the machine's memory and the container's cgroup limit, minus the JVM's maximum heap, a stated overhead of
         * 256 MiB, the other weights and one session's KV cache), the model runs memory-mapped as without offloading;
         * otherwise the experts get what is left, so a plain {@link Model#load} does not overcommit. The decision is
         * logged at INFO; {@link Model#memoryStats()} shows the result.
         *
         * <p>Tuning: {@link #expertCachePolicy}, {@link #expertIoThreads}, {@link #expertPrefetch},
         * {@link #directIo}.
         *
         * @param bytes at least 1; {@link #build()} refuses a budget smaller than one expert of the model
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes < 1}
         */
        public Builder memoryBudget(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("memoryBudget must be at least 1 byte, got " + bytes);
            }
            this.memoryBudget = bytes;
            return this;
        }

        /**
         * {@link #memoryBudget(long)} from a size such as {@code "6GiB"}, {@code "512M"} or {@code "1.5GB"}: binary
         * units {@code K M G T} and {@code KiB MiB GiB TiB}, decimal {@code KB MB GB TB}, {@code B} or none for bytes;
         * case-insensitive.
         *
         * @param size a size of at least 1 byte, e.g. {@code "6GiB"}
         * @return this builder
         * @throws IllegalArgumentException if {@code size} is not such a size, is null, is 0 or exceeds
         *                                  {@link Long#MAX_VALUE} bytes (the message says what is wrong)
         */
        public Builder memoryBudget(String size) {
            return memoryBudget(MemoryBudget.parse(size));
        }

        /**
         * The most GPU memory the model may take, in bytes, when it runs on a GPU. The GPU is used when the CUDA
         * kernels are on the class path ({@code dev.moe4j:moe4j-native-kernels} with classifier {@code cuda}, or a
         * library named by {@code -Dmoe4j.cuda.library}) and a CUDA device is usable; {@code -Dmoe4j.backend=cpu}
         * keeps a process on the CPU, {@code -Dmoe4j.backend=cuda} makes a missing GPU an error.
         *
         * <p>At load, the budget is filled in this order, each piece if it still fits: scratch for the activations
         * of one session, then block by block the weights every token uses (norms, attention, router, dense FFN,
         * shared experts) with that block's KV cache for {@link #contextLength} tokens, then the output head, then
         * the embedding table, then the routed experts, most often routed first by the {@link #routingProfile} when
         * one is given, else in block order. Everything else stays in host memory and runs on the CPU, with the same
         * output up to the order of floating-point sums. Under a {@link #memoryBudget} that offloads the routed
         * experts, they stay with the CPU's expert cache and only the rest is placed. {@link Model#memoryStats()}
         * ({@link MemoryStats#gpuPlacement()}) and the INFO log say what went where.
         *
         * <p>Default (no call): 90% of the device's memory. Without a usable GPU the budget is ignored (one INFO log
         * line says so) and the model runs on the CPU exactly as without this call.
         *
         * @param bytes at least 0 (0 places nothing on the GPU)
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes < 0}
         */
        public Builder gpuMemoryBudget(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("gpuMemoryBudget must be at least 0 bytes, got " + bytes);
            }
            this.gpuMemoryBudget = bytes;
            return this;
        }

        /**
         * {@link #gpuMemoryBudget(long)} from a size such as {@code "6GiB"}, {@code "512M"} or {@code "1.5GB"}, in the
         * units of {@link #memoryBudget(String)}.
         *
         * @param size a size of at least 1 byte, e.g. {@code "6GiB"}
         * @return this builder
         * @throws IllegalArgumentException if {@code size} is not such a size of at least 1 byte (the message says
         *                                  what is wrong)
         */
        public Builder gpuMemoryBudget(String size) {
            return gpuMemoryBudget(MemoryBudget.parse(size));
        }

        /**
         * A routing profile recorded from an earlier run of this model ({@link Model#routingProfile()}): when the
         * model runs under a memory budget, its hottest experts are read at load and kept in memory for good (up to a
         * quarter of the expert cache). Without offloading it is checked and otherwise unused.
         *
         * @param file a profile written by {@link RoutingProfile#save}; read now
         * @return this builder
         * @throws Moe4jException       if the file is not a routing profile
         * @throws java.io.UncheckedIOException if it cannot be read
         */
        public Builder routingProfile(Path file) {
            return routingProfile(RoutingProfile.load(file));
        }

        /**
         * {@link #routingProfile(Path)} from a profile in memory; {@link #build()} refuses one of another model
         * (other layers or expert counts) with an {@link IllegalArgumentException}.
         *
         * @param profile the profile
         * @return this builder
         * @throws NullPointerException if {@code profile} is null
         */
        public Builder routingProfile(RoutingProfile profile) {
            this.profile = Objects.requireNonNull(profile, "profile");
            return this;
        }

        /**
         * The most generations that run at once, 1..1024 (default {@value #DEFAULT_MAX_CONCURRENT_GENERATIONS}): they
         * take turns token by token on the model's worker pool, each with its own KV cache. Requests beyond it wait
         * in the queue ({@link #maxQueuedGenerations}).
         *
         * @param max generations at once, in {@code 1..1024}
         * @return this builder
         * @throws IllegalArgumentException if outside 1..1024
         */
        public Builder maxConcurrentGenerations(int max) {
            if (max < 1 || max > 1024) {
                throw new IllegalArgumentException("maxConcurrentGenerations must be in 1..1024, got " + max);
            }
            this.maxConcurrent = max;
            return this;
        }

        /**
         * The most generations that wait for a place to run, 0..1_000_000 (default
         * {@value #DEFAULT_MAX_QUEUED_GENERATIONS}); beyond it a run fails at once with {@link ModelBusyException}.
         *
         * @param max generations waiting, in {@code 0..1_000_000} (0: no queue)
         * @return this builder
         * @throws IllegalArgumentException if outside 0..1_000_000
         */
        public Builder maxQueuedGenerations(int max) {
            if (max < 0 || max > 1_000_000) {
                throw new IllegalArgumentException("maxQueuedGenerations must be in 0..1000000, got " + max);
            }
            this.maxQueued = max;
            return this;
        }

        /**
         * How many finished generations' inference states the model keeps, 0..64 (default
         * {@value #DEFAULT_PROMPT_CACHE_SIZE}), so that a request whose prompt starts like a recent one (a system
         * prompt, a conversation one turn shorter, a file edited near the cursor) computes only the rest. Each holds
         * a KV cache sized for its request; 0 turns the cache off.
         *
         * @param entries inference states kept, in {@code 0..64}
         * @return this builder
         * @throws IllegalArgumentException if outside 0..64
         */
        public Builder promptCacheSize(int entries) {
            if (entries < 0 || entries > 64) {
                throw new IllegalArgumentException("promptCacheSize must be in 0..64, got " + entries);
            }
            this.promptCacheSize = entries;
            return this;
        }

        /**
         * Where asynchronous runs ({@link GenerationRequest#submit()}, {@link GenerationRequest#publisher()}) run
         * (default: a new virtual thread each). The executor is not shut down by the model.
         *
         * @param executor the executor; each run is one task
         * @return this builder
         * @throws NullPointerException if {@code executor} is null
         */
        public Builder executor(Executor executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * A Jinja chat template to use instead of the file's {@code tokenizer.chat_template} (or where the file has
         * none), for {@link Model#chat}, {@link Model#renderChat} and chat sessions. It is compiled on first use.
         *
         * @param jinjaSource the template's source
         * @return this builder
         * @throws NullPointerException if {@code jinjaSource} is null
         */
        public Builder chatTemplate(String jinjaSource) {
            this.chatTemplate = Objects.requireNonNull(jinjaSource, "jinjaSource");
            return this;
        }

        /**
         * The most prompt tokens one forward step computes together, 1..4096 (default
         * {@value #DEFAULT_BATCH_SIZE}, as llama.cpp's {@code n_ubatch}): larger batches read each routed expert's
         * weights once for more tokens, so prompts run faster, at the cost of scratch memory per generation that grows
         * linearly with it.
         *
         * @param tokens the batch size in tokens
         * @return this builder
         * @throws IllegalArgumentException if outside 1..4096
         */
        public Builder batchSize(int tokens) {
            if (tokens < 1 || tokens > 4096) {
                throw new IllegalArgumentException("batchSize must be in 1..4096, got " + tokens);
            }
            this.batchSize = tokens;
            return this;
        }

        /**
         * How many sets of {@link #threads} workers the model's running generations share, 1..64 (default 1): with 1,
         * generations take turns on one pool, token by token, which suits a CPU whose cores one generation already
         * fills; more let that many compute at the same time (for machines with cores to spare, or a GPU).
         *
         * @param groups sets of workers, in {@code 1..64}
         * @return this builder
         * @throws IllegalArgumentException if outside 1..64
         */
        public Builder workerGroups(int groups) {
            if (groups < 1 || groups > 64) {
                throw new IllegalArgumentException("workerGroups must be in 1..64, got " + groups);
            }
            this.workerGroups = groups;
            return this;
        }

        /**
         * The expert cache's policy under a {@link #memoryBudget} (default: {@code -Dmoe4j.offload.policy} if set,
         * else {@link ExpertCachePolicy#LAYERED}).
         *
         * @param policy the policy
         * @return this builder
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder expertCachePolicy(ExpertCachePolicy policy) {
            this.expertCachePolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * Threads reading offloaded experts from the file, 1..256 (default: {@code -Dmoe4j.offload.ioThreads} if set,
         * else 4).
         *
         * @param threads reading threads, in {@code 1..256}
         * @return this builder
         * @throws IllegalArgumentException if outside 1..256
         */
        public Builder expertIoThreads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("expertIoThreads must be in 1..256, got " + threads);
            }
            this.expertIoThreads = threads;
            return this;
        }

        /**
         * Whether offloaded experts the next layer is predicted to route to are read ahead (default:
         * {@code -Dmoe4j.offload.prefetch} if set, else true).
         *
         * @param prefetch {@code true} to read ahead
         * @return this builder
         */
        public Builder expertPrefetch(boolean prefetch) {
            this.expertPrefetch = prefetch;
            return this;
        }

        /**
         * Whether offloaded experts are read with direct I/O, bypassing the page cache where the file system allows
         * (default: {@code -Dmoe4j.offload.directIo} if set, else true).
         *
         * @param directIo {@code true} to use direct I/O
         * @return this builder
         */
        public Builder directIo(boolean directIo) {
            this.directIo = directIo;
            return this;
        }

        /**
         * Receives progress while the file is opened and its tensors are mapped and prepared.
         *
         * @param listener called on the loading thread during {@link #build()}
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder onLoadProgress(LoadProgressListener listener) {
            this.progress = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Opens the file and loads the model; blocks until it is ready.
         *
         * @return the loaded model; the caller closes it
         * @throws IllegalArgumentException if {@link #contextLength} exceeds the model's trained context, the
         *                                  {@link #memoryBudget} cannot hold one expert, or the
         *                                  {@link #routingProfile} is of another model
         * @throws ModelFormatException     if the file is not a GGUF model moe4j can run
         * @throws java.io.UncheckedIOException if the file cannot be read
         * @throws NativeLibraryException   if {@code -Dmoe4j.backend=cpu} or {@code cuda} asks for native kernels that
         *                                  cannot be loaded, or {@code cuda} finds no usable GPU (by default a
         *                                  platform without native kernels runs the plain-Java ones)
         */
        public Model build() {
            long start = System.nanoTime();
            progress.onProgress(0.0, "reading " + path.getFileName());
            ModelInfo info = ModelInfo.read(path);
            ModelLoader.Loaded loaded = ModelLoader.load(path,
                    new ModelLoader.Settings(threads, contextLength, recordRouting, memoryBudget, profile,
                            gpuMemoryBudget, workerGroups, maxConcurrent,
                            expertCachePolicy == null ? null : expertCachePolicy.id(), expertIoThreads,
                            expertPrefetch, directIo, batchSize), progress);
            int ctx = loaded.contextLength();
            Model model = new Model(path, info, loaded.tokenizer(), loaded.engine(), ctx, threads,
                    loaded.endTokens(), loaded.chatTemplate(), loaded.fim(), this);
            LOG.info("loaded {} ({}, {} parameters, {} active) in {} ms: context {}, {} threads",
                    path.getFileName(), info.architecture(), info.parametersTotal(),
                    info.parametersActive(), (System.nanoTime() - start) / 1_000_000, ctx, threads);
            return model;
        }
    }
}
