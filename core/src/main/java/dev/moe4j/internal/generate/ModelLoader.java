package dev.moe4j.internal.generate;

import dev.moe4j.LoadProgressListener;
import dev.moe4j.MemoryStats;
import dev.moe4j.RoutingProfile;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.model.InferenceState;
import dev.moe4j.internal.model.LanguageModel;
import dev.moe4j.internal.model.LanguageModels;
import dev.moe4j.internal.model.ExpertTensorNames;
import dev.moe4j.internal.model.ModelOptions;
import dev.moe4j.internal.model.RoutedExperts;
import dev.moe4j.internal.model.ExpertOffload;
import dev.moe4j.internal.model.GpuBinding;
import dev.moe4j.internal.gpu.CudaApi;
import dev.moe4j.internal.gpu.GpuSetup;
import dev.moe4j.internal.gpu.GpuWeights;
import dev.moe4j.internal.nativeio.Backend;
import dev.moe4j.internal.nativeio.BackendChoice;
import dev.moe4j.internal.nativeio.BackendSelector;
import dev.moe4j.internal.nativeio.CudaLibrary;
import dev.moe4j.internal.nativeio.CudaProbe;
import dev.moe4j.internal.offload.ExpertLayout;
import dev.moe4j.internal.offload.ExpertSpace;
import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.MemoryBudget;
import dev.moe4j.internal.offload.Policies;
import dev.moe4j.internal.offload.RoutingCounts;
import dev.moe4j.internal.offload.StoreStats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Opens a GGUF file and assembles what {@link dev.moe4j.Model} needs: the tokenizer, the runnable model, the tokens
 * that end generation and the chat template. (The file's description, {@link dev.moe4j.ModelInfo}, is read by the
 * public layer: the internals never call back into the API's facades.)
 */
public final class ModelLoader {
    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);
    static final String EOS_KEY = "tokenizer.ggml.eos_token_id";
    static final String EOT_KEY = "tokenizer.ggml.eot_token_id";
    /** End of message: GLM-4.5's {@code <|observation|>}, written after a tool call (llama.cpp ends on it too). */
    static final String EOM_KEY = "tokenizer.ggml.eom_token_id";
    static final String TEMPLATE_KEY = "tokenizer.chat_template";

    /**
     * Was the cap of the context a load gives when none is asked for; now the least such context while memory holds it
     * ({@link ContextDefault}: the default is the trained context as far as memory allows). Kept because
     * {@link dev.moe4j.Model#DEFAULT_MAX_CONTEXT} publishes it and the tooling's {@code RawModel} still defaults its
     * session length to {@code min(trained, DEFAULT_MAX_CONTEXT)}.
     */
    public static final int DEFAULT_MAX_CONTEXT = 4096;

    private ModelLoader() {}

    /**
     * What a load produced.
     *
     * @param endTokens    ids that end generation: {@code eos_token_id}, {@code eot_token_id} and {@code eom_token_id}
     *                     when the file has them, adjusted for the model's {@link ReasoningFormat}
     * @param chatTemplate {@code tokenizer.chat_template}, or null
     */
    public record Loaded(Tokenizer tokenizer, Engine engine, int contextLength, int[] endTokens, String chatTemplate,
                         Optional<FimTokens> fim) {}

    /**
     * How to load.
     *
     * <p>The offload knobs ({@code offloadPolicy}, {@code ioThreads}, {@code prefetch}, {@code directIo}) may be
     * absent (null, or 0 for {@code ioThreads}); only then is their system property read ({@link OffloadTuning}), so a
     * setting given here wins over the command line's {@code -Dmoe4j.offload.*}.
     *
     * @param threads         worker threads of each worker group (the calling thread included)
     * @param contextLength   requested context, or 0 for the default: the trained context as far as the KV caches of
     *                        {@code maxSessions} sessions fit in a share of memory ({@link ContextDefault})
     * @param recordRouting   count every token's routing for {@link Engine#routingProfile()}
     * @param memoryBudget    bytes for routed experts in memory, or a negative value for automatic
     * @param profile         routing profile whose hottest experts stay in memory when offloading (and go to the GPU
     *                        first), or null
     * @param gpuMemoryBudget device bytes for weights and the KV cache when the CUDA backend is chosen, or a negative
     *                        value for automatic ({@link #AUTO_GPU_SHARE} of the device's memory)
     * @param workerGroups    kernel sets the model keeps for all its sessions, 1..64
     *                        ({@link ModelOptions#workerGroups}): how many sessions compute at once; the others wait
     *                        their turn
     * @param maxSessions     sessions expected at once, at least 1: the default context and the automatic memory
     *                        budget count the KV caches of this many
     * @param offloadPolicy   the expert cache's policy ({@link Policies}: layered, tinylfu, lru), or null:
     *                        {@value OffloadTuning#POLICY_PROPERTY}, else layered
     * @param ioThreads       threads reading offloaded experts, or 0: {@value OffloadTuning#IO_THREADS_PROPERTY}, else 4
     * @param prefetch        read the next layer's predicted experts early, or null:
     *                        {@value OffloadTuning#PREFETCH_PROPERTY}, else true
     * @param directIo        read offloaded experts with direct I/O where the file system allows, or null:
     *                        {@code moe4j.offload.directIo}, else true
     * @param maxBatch        most tokens one forward step of a session takes (prompts run in batches of this size;
     *                        scratch memory per session grows with it)
     */
    public record Settings(int threads, int contextLength, boolean recordRouting, long memoryBudget,
                           RoutingProfile profile, long gpuMemoryBudget, int workerGroups, int maxSessions,
                           String offloadPolicy, int ioThreads, Boolean prefetch, Boolean directIo, int maxBatch) {
        public Settings {
            if (maxBatch < 1 || maxBatch > 65536) {
                throw new IllegalArgumentException("maxBatch must be in 1..65536, got " + maxBatch);
            }
            if (workerGroups < 1 || workerGroups > ModelOptions.MAX_WORKER_GROUPS) {
                throw new IllegalArgumentException("workerGroups must be in 1.." + ModelOptions.MAX_WORKER_GROUPS
                        + ", got " + workerGroups);
            }
            if (maxSessions < 1) {
                throw new IllegalArgumentException("maxSessions must be >= 1, got " + maxSessions);
            }
            if (ioThreads < 0) {
                throw new IllegalArgumentException("ioThreads must be >= 0 (0: the default), got " + ioThreads);
            }
        }

        /** One worker group, one session, the offload knobs absent, {@link ModelOptions#defaults}' batch. */
        public Settings(int threads, int contextLength, boolean recordRouting, long memoryBudget,
                        RoutingProfile profile, long gpuMemoryBudget) {
            this(threads, contextLength, recordRouting, memoryBudget, profile, gpuMemoryBudget, 1, 1, null, 0, null,
                    null, ModelOptions.defaults(1).maxBatch());
        }

        /** Without a GPU budget (automatic), one worker group, one session, the offload knobs absent. */
        public Settings(int threads, int contextLength, boolean recordRouting, long memoryBudget,
                        RoutingProfile profile) {
            this(threads, contextLength, recordRouting, memoryBudget, profile, -1);
        }

        public static Settings of(int threads, int contextLength) {
            return new Settings(threads, contextLength, false, -1, null, -1);
        }

        public Settings withWorkerGroups(int n) {
            return new Settings(threads, contextLength, recordRouting, memoryBudget, profile, gpuMemoryBudget, n,
                    maxSessions, offloadPolicy, ioThreads, prefetch, directIo, maxBatch);
        }

        public Settings withMaxSessions(int n) {
            return new Settings(threads, contextLength, recordRouting, memoryBudget, profile, gpuMemoryBudget,
                    workerGroups, n, offloadPolicy, ioThreads, prefetch, directIo, maxBatch);
        }

        public Settings withOffloadPolicy(String policy) {
            return new Settings(threads, contextLength, recordRouting, memoryBudget, profile, gpuMemoryBudget,
                    workerGroups, maxSessions, policy, ioThreads, prefetch, directIo, maxBatch);
        }

        public Settings withIoThreads(int n) {
            return new Settings(threads, contextLength, recordRouting, memoryBudget, profile, gpuMemoryBudget,
                    workerGroups, maxSessions, offloadPolicy, n, prefetch, directIo, maxBatch);
        }

        public Settings withPrefetch(Boolean on) {
            return new Settings(threads, contextLength, recordRouting, memoryBudget, profile, gpuMemoryBudget,
                    workerGroups, maxSessions, offloadPolicy, ioThreads, on, directIo, maxBatch);
        }

        public Settings withDirectIo(Boolean on) {
            return new Settings(threads, contextLength, recordRouting, memoryBudget, profile, gpuMemoryBudget,
                    workerGroups, maxSessions, offloadPolicy, ioThreads, prefetch, on, maxBatch);
        }

        /** The offload knobs as given (absent ones resolved when the store is made). */
        public OffloadTuning offloadTuning() {
            return new OffloadTuning(offloadPolicy, ioThreads, prefetch, directIo);
        }
    }

    /** The automatic GPU budget: this share of the device's memory (the rest for the CUDA context and scratch). */
    public static final double AUTO_GPU_SHARE = 0.9;

    /**
     * The GPU a load places weights on.
     *
     * @param api         the CUDA library
     * @param device      device index
     * @param deviceBytes the device's memory, for the automatic budget
     * @param describe    the device for the log
     */
    record GpuTarget(CudaApi api, int device, long deviceBytes, String describe) {}

    /**
     * @param contextLength requested context, or 0 for the default ({@link ContextDefault})
     * @throws IllegalArgumentException if {@code contextLength} exceeds the model's trained context
     */
    public static Loaded load(Path path, int threads, int contextLength, LoadProgressListener progress) {
        return load(path, Settings.of(threads, contextLength), progress);
    }

    /**
     * Loads the model; reports progress from 0.1 (the caller reports 0.0 as it starts reading the file) to 1.0.
     *
     * @throws IllegalArgumentException if the context length exceeds the model's trained context
     */
    public static Loaded load(Path path, Settings settings, LoadProgressListener progress) {
        boolean java = BackendSelector.selected().backend() == Backend.JAVA;
        return load(path, settings, progress, java ? null : gpuTarget(path, settings), java);
    }

    /**
     * The GPU of this process when the CUDA backend is chosen ({@link BackendSelector}), else null; a GPU budget
     * without one is logged once at INFO and ignored.
     */
    private static GpuTarget gpuTarget(Path path, Settings settings) {
        BackendChoice choice = BackendSelector.selected();
        if (choice.backend() != Backend.CUDA) {
            if (settings.gpuMemoryBudget() >= 0) {
                LOG.info("{}: gpuMemoryBudget ignored, the model runs on the CPU ({})", path.getFileName(),
                        choice.reason());
            }
            return null;
        }
        Path library = CudaLibrary.locate().path();
        CudaProbe.Device d = choice.device();
        return new GpuTarget(CudaApi.at(library), d.index(), d.totalBytes(), d.describe());
    }

    /**
     * {@link #load(Path, Settings, LoadProgressListener)} on a given GPU (null: the CPU alone), for tests that drive
     * the CUDA emulation library.
     */
    static Loaded load(Path path, Settings settings, LoadProgressListener progress, GpuTarget gpu) {
        return load(path, settings, progress, gpu, false);
    }

    /**
     * {@link #load(Path, Settings, LoadProgressListener)} on a given GPU (null: the CPU alone), with the plain-Java
     * reference kernels instead of the native ones when {@code javaKernels} (the fallback where no native library can
     * be loaded; tests use it on machines that have one).
     */
    static Loaded load(Path path, Settings settings, LoadProgressListener progress, GpuTarget gpu,
                       boolean javaKernels) {
        int threads = settings.threads();
        int contextLength = settings.contextLength();
        GgufFile file;
        try {
            file = GgufFile.open(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + path + ": " + e.getMessage(), e);
        }
        LanguageModel model = null;
        ExpertStore store = null;
        GpuWeights gpuWeights = null;
        try {
            GgufMetadata md = file.metadata();
            progress.onProgress(0.1, "reading the tokenizer");
            Tokenizer parsed = GgufTokenizerLoader.fromMetadata(md);
            Optional<FimTokens> fim = FimTokens.find(md, parsed);
            // As llama.cpp does at load: FIM tokens found by their text (DeepSeek-Coder types them USER_DEFINED)
            // become CONTROL, so no text (a pasted file, a chat message) can produce them.
            Tokenizer tokenizer = fim.map(f -> parsed.withControlTokens(f.ids())).orElse(parsed);
            progress.onProgress(0.2, "loading " + file.tensors().size() + " tensors");
            GpuBinding binding = gpu == null ? null : new GpuBinding();
            ModelOptions options = ModelOptions.defaults(threads).withMaxBatch(settings.maxBatch()).withGpu(binding)
                    .withBackend(javaKernels ? ModelOptions.Backend.REFERENCE : ModelOptions.Backend.NATIVE)
                    .withWorkerGroups(settings.workerGroups());
            model = LanguageModels.load(file, options);
            int trained = model.config().contextLength();
            if (contextLength > trained) {
                throw new IllegalArgumentException("contextLength " + contextLength + " exceeds the context "
                        + trained + " that " + path.getFileName() + " was trained for ("
                        + md.getString("general.architecture") + ".context_length)");
            }
            ExpertLayout[] layouts = ExpertOffload.layouts(model, file);
            int ctx = contextLength;
            if (ctx == 0) {
                ContextDefault.Choice c = defaultContext(file, model, layouts, settings);
                LOG.info("{}: {}", path.getFileName(), c.reason());
                ctx = c.contextLength();
            }
            store = offload(file, model, layouts, settings, ctx);
            if (gpu != null) {
                progress.onProgress(0.9, "uploading weights to " + gpu.describe());
                long budget = settings.gpuMemoryBudget() >= 0 ? settings.gpuMemoryBudget()
                        : (long) (gpu.deviceBytes() * AUTO_GPU_SHARE);
                gpuWeights = GpuSetup.attach(file, model.config(), binding, gpu.api(), gpu.device(),
                        new GpuSetup.Request(budget, ctx, options.maxBatch(), settings.profile(), store != null));
                LOG.info("{} on {}: {}", path.getFileName(), gpu.describe(), gpuWeights.plan().summary());
            }
            int[] endTokens = ReasoningFormat.of(tokenizer).endTokens(endTokens(md, model.config().vocabSize()),
                    tokenizer);
            String template = md.optString(TEMPLATE_KEY).orElse(null);
            RoutingCounts counts = null;
            if (settings.recordRouting()) {
                counts = routingCounts(model);
                RoutedExperts.setRoutingListener(model, counts);
            }
            Engine engine = new LanguageModelEngine(file, model, counts, store,
                    ExpertOffload.expertBytes(layouts), gpuWeights);
            progress.onProgress(1.0, "ready");
            return new Loaded(tokenizer, engine, ctx, endTokens, template, fim);
        } catch (RuntimeException | Error e) {
            if (gpuWeights != null) {
                gpuWeights.close();
            }
            if (store != null) {
                store.close();
            }
            if (model != null) {
                model.close();
            }
            file.close();
            throw e;
        }
    }

    /**
     * {@link ContextDefault#choose} with this machine's memory and the weights that will stay resident: all of them
     * when a budget holds the experts or, without a budget, when they fit beside the heap and overhead (the experts
     * stay memory-mapped); otherwise the weights other than the routed experts plus the experts' budget, if one was
     * given (automatic offloading gives the experts what the sessions leave).
     */
    private static ContextDefault.Choice defaultContext(GgufFile file, LanguageModel model, ExpertLayout[] layouts,
                                                        Settings settings) {
        long available = MemoryBudget.available();
        long heap = Runtime.getRuntime().maxMemory();
        long experts = ExpertOffload.expertBytes(layouts);
        long weights = file.fileSize();
        long other = weights - experts;
        long resident;
        if (settings.memoryBudget() >= 0) {
            resident = other + Math.min(settings.memoryBudget(), experts);
        } else {
            resident = weights <= available - heap - MemoryBudget.OVERHEAD ? weights : other;
        }
        return ContextDefault.choose(model.config().contextLength(), model.config().kvBytesPerToken(),
                settings.maxSessions(), available, heap, resident);
    }

    /**
     * Puts the routed experts in an {@link ExpertStore} when the budget asks for it (or, without one, when they do not
     * fit in the memory the process may use beside {@code maxSessions} sessions); null when they stay memory-mapped.
     *
     * @throws IllegalArgumentException if the budget cannot hold one expert, or the profile is not of this model
     */
    private static ExpertStore offload(GgufFile file, LanguageModel model, ExpertLayout[] layouts, Settings settings,
                                       int ctx) {
        return offloadExperts(file, model, layouts, settings.memoryBudget(), settings.profile(), ctx,
                settings.maxSessions(), settings.offloadTuning());
    }

    /**
     * What {@link #load} does with a model's routed experts, for tools that load a {@link LanguageModel} themselves (the
     * CLI's {@code bench}): puts them in an {@link ExpertStore} attached to the model when {@code memoryBudget} asks
     * for it, or, when negative (automatic), when they do not fit in the memory the process may use
     * ({@link MemoryBudget#plan}); then reads the resident weights in. Null when the experts stay memory-mapped.
     *
     * @param layouts       {@link ExpertOffload#layouts} of the model
     * @param contextLength tokens of one session (its KV cache counts against the automatic budget)
     * @param policy        cache policy name ({@link Policies}), or null for the default (system property
     *                      {@code moe4j.offload.policy}, else layer-aware); the other knobs as {@link OffloadTuning}'s
     *                      defaults
     * @throws IllegalArgumentException if the budget cannot hold one expert, or the profile is not of this model
     */
    public static ExpertStore offloadExperts(GgufFile file, LanguageModel model, ExpertLayout[] layouts,
                                             long memoryBudget, RoutingProfile profile, int contextLength,
                                             String policy) {
        return offloadExperts(file, model, layouts, memoryBudget, profile, contextLength, 1,
                new OffloadTuning(policy, 0, null, null));
    }

    /**
     * {@link #offloadExperts(GgufFile, LanguageModel, ExpertLayout[], long, RoutingProfile, int, String)} for
     * {@code sessions} sessions at once (their KV caches count against the automatic budget), with the store tuned as
     * {@code tuning} says (absent knobs from the system properties, else the defaults).
     */
    public static ExpertStore offloadExperts(GgufFile file, LanguageModel model, ExpertLayout[] layouts,
                                             long memoryBudget, RoutingProfile profile, int contextLength,
                                             int sessions, OffloadTuning tuning) {
        int ctx = contextLength;
        if (layouts.length == 0) {
            if (memoryBudget >= 0) {
                LOG.info("{} is dense: the memory budget does not apply", file.path().getFileName());
            }
            return null;
        }
        int[] blocks = RoutedExperts.moeLayers(model);
        ExpertSpace space = RoutedExperts.space(model).orElseThrow();
        if (profile != null) {
            Policies.hottest(profile, space, blocks, 0); // checks it is this model's
        }
        long experts = ExpertOffload.expertBytes(layouts);
        long sessionsKv = model.config().kvBytesPerToken() * ctx * Math.max(1, sessions);
        MemoryBudget.Plan plan = MemoryBudget.plan(memoryBudget, experts, file.fileSize() - experts,
                sessionsKv, MemoryBudget.available(), Runtime.getRuntime().maxMemory(), ExpertStore.slotBytes(layouts));
        if (!plan.offload()) {
            LOG.debug("{}: {}", file.path().getFileName(), plan.reason());
            return null;
        }
        LOG.info("{}: {}", file.path().getFileName(), plan.reason());
        prefaultResident(file);
        return ExpertOffload.attach(model, file, layouts, tuning.settings(plan.budget(), profile));
    }


    /**
     * Reads every tensor but the routed experts into memory now, so the weights every token uses are resident from the
     * first token on rather than faulted in between expert reads. (Routed experts are never touched through the
     * mapping when offloading.)
     */
    private static void prefaultResident(GgufFile file) {
        for (GgufTensor t : file.tensors()) {
            if (!ExpertTensorNames.isRouted(t.name()) && t.segment().isMapped()) {
                t.segment().load();
            }
        }
    }

    /** Counters for every MoE layer of {@code model}, or null for a dense model. */
    private static RoutingCounts routingCounts(LanguageModel model) {
        int[] layers = RoutedExperts.moeLayers(model);
        return RoutedExperts.space(model)
                .map(sp -> new RoutingCounts(blocks(model), layers, sp.experts(), sp.used()))
                .orElse(null);
    }

    private static int blocks(LanguageModel model) {
        return model.config().layerCount();
    }

    /** EOS, EOT and EOM ids present in the file and inside the vocabulary, without duplicates. */
    static int[] endTokens(GgufMetadata md, int vocabSize) {
        return java.util.stream.Stream.of(EOS_KEY, EOT_KEY, EOM_KEY)
                .map(md::optLong).filter(java.util.Optional::isPresent).mapToLong(java.util.Optional::get)
                .filter(id -> id >= 0 && id < vocabSize).mapToInt(id -> (int) id).distinct().toArray();
    }

    /** A loaded {@link LanguageModel} as an {@link Engine}: one {@link InferenceState} per session. */
    static final class LanguageModelEngine implements Engine {
        private final GgufFile file;
        private final LanguageModel model;
        private final RoutingCounts counts;
        private final ExpertStore store;
        private final long expertBytes;
        private final GpuWeights gpu;
        private final String gpuPlacement;
        private boolean closed;

        /** @param gpu the weights placed on the GPU (closed with the engine), or null */
        LanguageModelEngine(GgufFile file, LanguageModel model, RoutingCounts counts, ExpertStore store,
                            long expertBytes, GpuWeights gpu) {
            this.file = file;
            this.model = model;
            this.counts = counts;
            this.store = store;
            this.expertBytes = expertBytes;
            this.gpu = gpu;
            this.gpuPlacement = gpu == null ? "" : gpu.plan().summary();
        }

        @Override
        public MemoryStats memoryStats() {
            if (store == null) {
                return dev.moe4j.internal.ApiValues.get().memoryStats(false, 0, expertBytes, 0, "none", List.of(), 0, 0,
                        Duration.ZERO, Duration.ZERO, 0, 0, 0, 0, 0, gpuPlacement);
            }
            StoreStats s = store.stats();
            int[] blocks = RoutedExperts.moeLayers(model);
            List<MemoryStats.LayerStats> layers = new ArrayList<>();
            for (int i = 0; i < blocks.length; i++) {
                layers.add(dev.moe4j.internal.ApiValues.get().layerStats(blocks[i], s.hits()[i], s.misses()[i], s.prefetchHits()[i]));
            }
            return dev.moe4j.internal.ApiValues.get().memoryStats(true, s.budgetBytes(), expertBytes,
                    s.residentBytes(), s.policy(), layers,
                    s.bytesRead(), s.reads(), Duration.ofNanos(s.stallNanos()), Duration.ofNanos(s.readNanos()),
                    s.evictions(), s.prefetchReads(), s.prefetchUnused(), s.prefetchRecall(), s.failedReads(),
                    gpuPlacement);
        }

        @Override
        public Optional<RoutingProfile> routingProfile() {
            return counts == null ? Optional.empty() : Optional.of(counts.snapshot());
        }

        @Override
        public int vocabSize() {
            return model.config().vocabSize();
        }

        @Override
        public int maxContextLength() {
            return model.config().contextLength();
        }

        @Override
        public DecodingSession newSession(int contextLength) {
            InferenceState state = model.newState(contextLength);
            return new DecodingSession() {
                @Override
                public int vocabSize() {
                    return model.config().vocabSize();
                }

                @Override
                public int capacity() {
                    return state.contextLength();
                }

                @Override
                public int position() {
                    return state.position();
                }

                @Override
                public void truncate(int position) {
                    state.truncate(position);
                }

                @Override
                public void forward(int[] tokens, int offset, int count, float[] logitsOut) {
                    model.forward(state, tokens, offset, count, logitsOut);
                }

                @Override
                public void close() {
                    state.close();
                }
            };
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                try {
                    if (store != null) {
                        store.close(); // waits for reads in flight
                    }
                    model.close();
                    if (gpu != null) {
                        gpu.close(); // the model's kernel sets, whose CUDA contexts used these buffers, are closed
                    }
                } finally {
                    file.close();
                }
            }
        }
    }
}
