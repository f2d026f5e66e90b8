package dev.moe4j;

import dev.moe4j.internal.generate.DecodingSession;
import dev.moe4j.internal.generate.Engine;
import dev.moe4j.internal.generate.ModelLoader;
import dev.moe4j.internal.generate.ReasoningFormat;
import dev.moe4j.internal.offload.MemoryBudget;
import dev.moe4j.internal.tokenizer.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A language model loaded from a GGUF file, ready to generate text.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("models/demo-countries-q8_0.gguf"))) {
 *     System.out.println(model.generate("The quick brown fox").text());
 *     GenerationResult r = model.request("Once upon a time").maxTokens(64).temperature(0).generate();
 *     try (ChatSession chat = model.newChat()) {
 *         ChatResponse answer = chat.send("What is the capital of Japan?");
 *     }
 * }
 * }</pre>
 *
 * <p><b>Threading.</b> A model is thread-safe. Every generation and every chat session gets its own inference state
 * (KV cache, scratch memory and a pool of {@link Builder#threads} worker threads), so generations on several threads run
 * in parallel without locking, each on its own workers: {@code n} concurrent generations use {@code n × threads}
 * threads, so size {@code threads} for the concurrency you expect. The weights are shared and never copied.
 *
 * <p><b>Memory.</b> Weights are memory-mapped from the file, not read into the heap. Each running generation allocates
 * a KV cache for {@link #contextLength()} tokens (native memory, freed when it ends). A model whose routed experts do
 * not fit in memory runs them from a budget ({@link Builder#memoryBudget(long)}, automatic by default): they are read
 * from the file into a managed cache, with the same output.
 *
 * <p><b>Lifetime.</b> {@link #close()} refuses new work at once and frees the model when the last running generation
 * and the last open {@link ChatSession} have ended (it never frees memory under a running computation).
 *
 * <p>The library writes nothing to stdout; it logs through SLF4J (a one-line load summary at INFO).
 */
public final class Model implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Model.class);

    /** The default upper bound of {@link Builder#contextLength}: the model's trained context, at most this. */
    public static final int DEFAULT_MAX_CONTEXT = ModelLoader.DEFAULT_MAX_CONTEXT;

    private final Path path;
    private final ModelInfo info;
    private final Tokenizer tokenizer;
    private final Engine engine;
    private final int contextLength;
    private final int threads;
    private final int[] endTokens;
    private final String chatTemplate;
    private final boolean reasoningFamily;
    private final ReasoningFormat reasoningFormat;

    private final Object lifecycle = new Object();
    private int activeSessions;
    private boolean closed;
    private boolean freed;

    Model(Path path, ModelInfo info, Tokenizer tokenizer, Engine engine, int contextLength, int threads,
          int[] endTokens, String chatTemplate) {
        this.path = path;
        this.info = info;
        this.tokenizer = tokenizer;
        this.engine = engine;
        this.contextLength = contextLength;
        this.threads = threads;
        this.endTokens = endTokens.clone();
        this.chatTemplate = chatTemplate;
        this.reasoningFamily = chatTemplate != null && chatTemplate.contains("<think>");
        this.reasoningFormat = ReasoningFormat.of(tokenizer);
    }

    /**
     * Loads a model with the default options (all available processors, context {@code min(trained, 4096)}).
     *
     * @throws ModelFormatException if the file is not a GGUF model moe4j can run
     * @throws java.io.UncheckedIOException if the file cannot be read
     */
    public static Model load(Path path) {
        return builder(path).build();
    }

    /** Starts configuring the loading of the model at {@code path}. */
    public static Builder builder(Path path) {
        return new Builder(path);
    }

    /** What the file says about the model: architecture, parameter counts, trained context, chat template, .... */
    public ModelInfo info() {
        return info;
    }

    /** The GGUF file the model was loaded from. */
    public Path path() {
        return path;
    }

    /** Tokens each generation or chat session can hold (prompt and output together). */
    public int contextLength() {
        return contextLength;
    }

    /** Worker threads each generation computes with (the calling thread included). */
    public int threads() {
        return threads;
    }

    /** The model's Jinja chat template ({@code tokenizer.chat_template}), if the file has one. */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    /**
     * Whether the model is of the DeepSeek-R1 family (its chat template mentions {@code <think>}): this decides the
     * sampling defaults (see {@link GenerationOptions}).
     */
    public boolean isReasoningModel() {
        return reasoningFamily;
    }

    /**
     * Token ids of {@code text}, with BOS prepended when the model asks for it.
     *
     * @param parseSpecial recognise special-token strings such as {@code <｜User｜>} in the text; when false they are
     *                     plain text (use false for untrusted input)
     */
    public int[] tokenize(String text, boolean parseSpecial) {
        return tokenize(text, true, parseSpecial);
    }

    /**
     * Token ids of {@code text}.
     *
     * @param addSpecial   add BOS/EOS as the model asks for them
     * @param parseSpecial recognise special-token strings in the text
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        Objects.requireNonNull(text, "text");
        return tokenizer.encode(text, addSpecial, parseSpecial);
    }

    /**
     * The text of token ids, special tokens rendered as their text.
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String detokenize(int[] tokenIds) {
        return tokenizer.decode(tokenIds);
    }

    /** Size of the vocabulary, i.e. the length of a logits row. */
    public int vocabularySize() {
        return engine.vocabSize();
    }

    /**
     * Runs the model over {@code tokenIds} in a fresh context and returns the logits that follow the last token (one
     * float per vocabulary entry, unnormalised). Blocks until computed.
     *
     * @throws IllegalArgumentException if there are no tokens or an id is outside the vocabulary
     * @throws ContextLengthExceededException if the tokens do not fit in {@link #contextLength()}
     */
    public float[] logits(int[] tokenIds) {
        if (tokenIds.length == 0) {
            throw new IllegalArgumentException("tokenIds is empty: nothing to compute logits for");
        }
        if (tokenIds.length > contextLength) {
            throw new ContextLengthExceededException(0, tokenIds.length, contextLength);
        }
        float[] out = new float[engine.vocabSize()];
        try (DecodingSession s = openSession()) {
            s.forward(tokenIds.clone(), 0, tokenIds.length, out);
        }
        return out;
    }

    /** Generates from {@code prompt} with the default options; see {@link #request(String)}. */
    public GenerationResult generate(String prompt) {
        return request(prompt).generate();
    }

    /**
     * A generation request for a plain-text prompt (no chat template applied; BOS added when the model asks for it).
     * Configure it, then run it with {@link GenerationRequest#generate()}, {@link GenerationRequest#stream},
     * {@link GenerationRequest#tokens()} or {@link GenerationRequest#start()}.
     */
    public GenerationRequest request(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        ensureOpen();
        return new GenerationRequest(this, prompt, null);
    }

    /** A generation request for a prompt given as token ids, used as they are (no BOS added). */
    public GenerationRequest request(int[] promptTokens) {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("promptTokens is empty: nothing to generate from");
        }
        for (int id : promptTokens) {
            if (id < 0 || id >= engine.vocabSize()) {
                throw new IllegalArgumentException("prompt token id " + id + " is outside the vocabulary [0, "
                        + engine.vocabSize() + ")");
            }
        }
        ensureOpen();
        return new GenerationRequest(this, null, promptTokens.clone());
    }

    /**
     * A chat session with the model's own chat template and no system prompt.
     *
     * @throws Moe4jException if the model has no chat template or it does not compile (then use {@link #chat()} and
     *                        {@link ChatSession.Builder#template(String)})
     */
    public ChatSession newChat() {
        return chat().build();
    }

    /** Configures a chat session: system prompt, a template of your own. */
    public ChatSession.Builder chat() {
        ensureOpen();
        return new ChatSession.Builder(this);
    }

    /**
     * What the expert memory manager did since the model was loaded: whether the routed experts run from a memory
     * budget, how often the experts a token needed were in memory, per layer, bytes read, prefetch recall and time
     * stalled on reads. Thread-safe; a snapshot.
     */
    public MemoryStats memoryStats() {
        return engine.memoryStats();
    }

    /**
     * How often each routed expert was chosen since the model was loaded, over every generation and chat session
     * (a consistent snapshot: whole tokens only). Save it with {@link RoutingProfile#save} and give it to
     * {@link Builder#routingProfile(Path)} to keep the hottest experts in memory in later runs.
     *
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
            freeIfIdle();
        }
    }

    @Override
    public String toString() {
        return "Model[" + path.getFileName() + ", " + info.architecture() + ", context " + contextLength + ", threads "
                + threads + "]";
    }

    // ---- package-private plumbing for requests and chat sessions ----

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
    DecodingSession openSession() {
        synchronized (lifecycle) {
            ensureOpen();
            activeSessions++;
        }
        DecodingSession s;
        try {
            s = engine.newSession(contextLength);
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
        private RoutingProfile profile;

        Builder(Path path) {
            this.path = Objects.requireNonNull(path, "path");
        }

        /**
         * Worker threads per generation, the calling thread included: 1..256 (default: the available processors,
         * {@link Runtime#availableProcessors()}).
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
         * context (checked by {@link #build()}). Default: {@code min(trained context, 4096)}.
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
         * <p>Tuning (system properties, not API, for experiments): {@code moe4j.offload.policy} = {@code layered}
         * (default), {@code tinylfu} or {@code lru}; {@code moe4j.offload.ioThreads} (default 4);
         * {@code moe4j.offload.prefetch} = {@code true} (default) or {@code false}.
         *
         * @param bytes at least 1; {@link #build()} refuses a budget smaller than one expert of the model
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
         * @throws IllegalArgumentException if {@code size} is not such a size (the message says what is wrong)
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
         * @throws Moe4jException       if the file is not a routing profile
         * @throws java.io.UncheckedIOException if it cannot be read
         */
        public Builder routingProfile(Path file) {
            return routingProfile(RoutingProfile.load(file));
        }

        /**
         * {@link #routingProfile(Path)} from a profile in memory; {@link #build()} refuses one of another model
         * (other layers or expert counts) with an {@link IllegalArgumentException}.
         */
        public Builder routingProfile(RoutingProfile profile) {
            this.profile = Objects.requireNonNull(profile, "profile");
            return this;
        }

        /** Receives progress while the file is opened and its tensors are mapped and prepared. */
        public Builder onLoadProgress(LoadProgressListener listener) {
            this.progress = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Opens the file and loads the model; blocks until it is ready.
         *
         * @throws IllegalArgumentException if {@link #contextLength} exceeds the model's trained context
         * @throws ModelFormatException     if the file is not a GGUF model moe4j can run
         * @throws java.io.UncheckedIOException if the file cannot be read
         */
        public Model build() {
            long start = System.nanoTime();
            progress.onProgress(0.0, "reading " + path.getFileName());
            ModelInfo info = ModelInfo.read(path);
            ModelLoader.Loaded loaded = ModelLoader.load(path,
                    new ModelLoader.Settings(threads, contextLength, recordRouting, memoryBudget, profile,
                            gpuMemoryBudget), progress);
            int ctx = loaded.contextLength();
            Model model = new Model(path, info, loaded.tokenizer(), loaded.engine(), ctx, threads,
                    loaded.endTokens(), loaded.chatTemplate());
            LOG.info("loaded {} ({}, {} parameters, {} active) in {} ms: context {}, {} threads",
                    path.getFileName(), info.architecture(), info.parametersTotal(),
                    info.parametersActive(), (System.nanoTime() - start) / 1_000_000, ctx, threads);
            return model;
        }
    }
}
