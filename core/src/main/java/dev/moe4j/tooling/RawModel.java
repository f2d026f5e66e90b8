package dev.moe4j.tooling;

import dev.moe4j.internal.generate.ModelLoader;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gpu.CudaApi;
import dev.moe4j.internal.gpu.GpuSetup;
import dev.moe4j.internal.gpu.GpuWeights;
import dev.moe4j.internal.model.ExpertOffload;
import dev.moe4j.internal.model.GpuBinding;
import dev.moe4j.internal.model.InferenceState;
import dev.moe4j.internal.model.LanguageModel;
import dev.moe4j.internal.model.LanguageModels;
import dev.moe4j.internal.model.ModelOptions;
import dev.moe4j.internal.nativeio.Backend;
import dev.moe4j.internal.nativeio.BackendChoice;
import dev.moe4j.internal.nativeio.BackendSelector;
import dev.moe4j.internal.nativeio.CudaLibrary;
import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.MemoryBudget;
import dev.moe4j.internal.offload.StoreStats;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A GGUF model loaded for its bare forward pass ({@link ForwardModel}), with the placement choices of
 * {@link dev.moe4j.Model} made explicit: threads, the largest internal batch, routed experts offloaded to a memory
 * budget (as {@link dev.moe4j.Model.Builder#memoryBudget(long)} does) and weights placed on a GPU (as
 * {@link dev.moe4j.Model.Builder#gpuMemoryBudget(long)} does, but only when asked). No tokenizer is loaded. For
 * benchmarks and tests.
 */
public final class RawModel implements ForwardModel {
    private final GgufFile file;
    private final LanguageModel model;
    private final @Nullable ExpertStore store;
    private final @Nullable GpuWeights gpu;
    private final @Nullable String gpuPlacement;
    private boolean closed;

    private RawModel(GgufFile file, LanguageModel model, @Nullable ExpertStore store, @Nullable GpuWeights gpu,
                     @Nullable String gpuPlacement) {
        this.file = file;
        this.model = model;
        this.store = store;
        this.gpu = gpu;
        this.gpuPlacement = gpuPlacement;
    }

    /**
     * Starts configuring the loading of the model at {@code gguf}.
     *
     * @param gguf the GGUF model file (the first shard of a split model)
     * @return a builder with the defaults
     */
    public static Builder builder(Path gguf) {
        return new Builder(gguf);
    }

    /**
     * The {@code general.architecture} values this build of moe4j loads, e.g. {@code deepseek2}, {@code qwen3moe}.
     *
     * @return the architecture names
     */
    public static List<String> supportedArchitectures() {
        return LanguageModels.supportedArchitectures();
    }

    @Override
    public int vocabSize() {
        return model.config().vocabSize();
    }

    @Override
    public int contextLength() {
        return model.config().contextLength();
    }

    @Override
    public ForwardSession newSession(int capacity) {
        return new Session(model, model.newState(capacity));
    }

    /**
     * The expert cache's counters so far; empty when the routed experts stay memory-mapped (or the model is dense).
     *
     * @return a snapshot of the counters, or empty without an expert cache
     */
    public Optional<ExpertCacheStats> expertCache() {
        if (store == null) {
            return Optional.empty();
        }
        StoreStats s = store.stats();
        return Optional.of(new ExpertCacheStats(s.policy(), s.budgetBytes(), s.slots(), s.totalHits(),
                s.totalPrefetchHits(), s.totalMisses(), s.bytesRead(), s.stallNanos(), s.prefetchRecall()));
    }

    /**
     * What the GPU holds ({@code "<device>: <placement summary>"}) or why there is none ({@code "none (<reason>)"},
     * e.g. no CUDA library); empty when {@link Builder#gpuMemoryBudget(long)} was not called.
     *
     * @return the placement summary, or empty when no GPU was asked for
     */
    public Optional<String> gpuPlacement() {
        return Optional.ofNullable(gpuPlacement);
    }

    /** Frees the expert cache (waiting for reads in flight), the model, the GPU's weights and the file mapping. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (store != null) {
                store.close();
            }
            model.close();
            if (gpu != null) {
                gpu.close();
            }
        } finally {
            file.close();
        }
    }

    private record Session(LanguageModel model, InferenceState state) implements ForwardSession {
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
        public void forward(int[] tokens, int offset, int count, float @Nullable [] logitsOut) {
            model.forward(state, tokens, offset, count, logitsOut);
        }

        @Override
        public void close() {
            state.close();
        }
    }

    /** Options for loading a {@link RawModel}. Setters check their argument at once. Not thread-safe. */
    public static final class Builder {
        private final Path path;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int workerGroups = 1;
        private int maxBatch = ModelOptions.defaults(1).maxBatch();
        private int sessionLength;
        private long memoryBudget = -1;
        private @Nullable String cachePolicy;
        private long gpuMemoryBudget = -1;
        private boolean referenceKernels;
        private boolean prefault;

        private Builder(Path path) {
            this.path = Objects.requireNonNull(path, "path");
        }

        /**
         * Worker threads of each worker group, the calling thread included: 1..256 (default: the available
         * processors).
         *
         * @param threads the thread count
         * @return this builder
         * @throws IllegalArgumentException if {@code threads} is not in 1..256
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("threads must be in 1..256, got " + threads);
            }
            this.threads = threads;
            return this;
        }

        /**
         * Worker groups (pools of {@link #threads} threads) the model keeps for all its sessions: 1..64 (default 1).
         * A forward call borrows one for its duration, so at most this many sessions compute at once and the others
         * wait their turn.
         *
         * @param groups the number of worker groups
         * @return this builder
         * @throws IllegalArgumentException if {@code groups} is not in 1..64
         */
        public Builder workerGroups(int groups) {
            if (groups < 1 || groups > ModelOptions.MAX_WORKER_GROUPS) {
                throw new IllegalArgumentException("workerGroups must be in 1.." + ModelOptions.MAX_WORKER_GROUPS
                        + ", got " + groups);
            }
            this.workerGroups = groups;
            return this;
        }

        /**
         * Most tokens one internal forward step takes, 1..65536 (default 64); longer inputs run in steps.
         *
         * @param tokens the largest step, in tokens
         * @return this builder
         * @throws IllegalArgumentException if {@code tokens} is not in 1..65536
         */
        public Builder maxBatch(int tokens) {
            if (tokens < 1 || tokens > 65536) {
                throw new IllegalArgumentException("maxBatch must be in 1..65536, got " + tokens);
            }
            this.maxBatch = tokens;
            return this;
        }

        /**
         * Tokens the sessions will hold (default: the trained context, at most
         * {@link dev.moe4j.Model#DEFAULT_MAX_CONTEXT}): one session's KV cache counts against the automatic memory
         * budget and is what the GPU plan reserves. {@link #build()} refuses more than the trained context.
         *
         * @param tokens the session length, in tokens
         * @return this builder
         * @throws IllegalArgumentException if {@code tokens} is less than 1
         */
        public Builder sessionLength(int tokens) {
            if (tokens < 1) {
                throw new IllegalArgumentException("sessionLength must be >= 1, got " + tokens);
            }
            this.sessionLength = tokens;
            return this;
        }

        /**
         * Bytes of memory for the routed experts, as {@link dev.moe4j.Model.Builder#memoryBudget(long)}: below the
         * experts' size they are read from the file into a cache of that size. Default: automatic (offloads only when
         * the experts do not fit in the memory the process may use).
         *
         * @param bytes the budget in bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is less than 1
         */
        public Builder memoryBudget(long bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("memoryBudget must be at least 1 byte, got " + bytes);
            }
            this.memoryBudget = bytes;
            return this;
        }

        /**
         * {@link #memoryBudget(long)} from a size such as {@code "3GiB"}, in the units of {@link ByteSizes}.
         *
         * @param size the budget with its unit
         * @return this builder
         * @throws IllegalArgumentException if {@code size} is not a size ({@link ByteSizes#parse})
         */
        public Builder memoryBudget(String size) {
            return memoryBudget(ByteSizes.parse(size));
        }

        /**
         * The expert cache's policy when the experts are offloaded: {@code layered} (default), {@code tinylfu} or
         * {@code lru}; {@link #build()} refuses another name when it offloads.
         *
         * @param name the policy's name
         * @return this builder
         */
        public Builder cachePolicy(String name) {
            this.cachePolicy = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Places weights on the GPU up to {@code bytes} when the CUDA backend is chosen, in
         * {@link dev.moe4j.Model.Builder#gpuMemoryBudget(long)}'s order; the routed experts then stay memory-mapped
         * (no expert cache). Without a usable GPU the model runs on the CPU and {@link RawModel#gpuPlacement()} says
         * why.
         * Default: the CPU alone, whatever the backend.
         *
         * @param bytes the GPU memory for weights, in bytes
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder gpuMemoryBudget(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("gpuMemoryBudget must be at least 0 bytes, got " + bytes);
            }
            this.gpuMemoryBudget = bytes;
            return this;
        }

        /**
         * {@link #gpuMemoryBudget(long)} from a size such as {@code "60GiB"}, in the units of {@link ByteSizes}.
         *
         * @param size the GPU memory for weights, with its unit
         * @return this builder
         * @throws IllegalArgumentException if {@code size} is not a size ({@link ByteSizes#parse})
         */
        public Builder gpuMemoryBudget(String size) {
            return gpuMemoryBudget(ByteSizes.parse(size));
        }

        /**
         * Computes with the plain-Java reference kernels instead of the native ones (default false): single-threaded
         * and slow, but they decode every weight type moe4j reads, for checking numerics.
         *
         * @param reference true for the reference kernels
         * @return this builder
         */
        public Builder referenceKernels(boolean reference) {
            this.referenceKernels = reference;
            return this;
        }

        /**
         * Reads every page of the memory-mapped weights once at load (default false), so that page faults of a
         * freshly mapped file do not land in the first timed forward pass (llama.cpp reads its weights at load for the
         * same effect). With an expert cache, the weights other than the routed experts are read in at load anyway.
         *
         * @param prefault true to read the mapped weights at load
         * @return this builder
         */
        public Builder prefault(boolean prefault) {
            this.prefault = prefault;
            return this;
        }

        /**
         * Opens the file and loads the model.
         *
         * @return the loaded model; the caller closes it
         * @throws IllegalArgumentException if the session length exceeds the trained context (the message says
         *                                  {@code "N tokens exceed the model's context of M"}), the budget cannot hold
         *                                  one expert or the cache policy is unknown (both when offloading)
         * @throws dev.moe4j.ModelFormatException if the file is not a GGUF model moe4j can run
         * @throws IOException              if the file cannot be read
         */
        public RawModel build() throws IOException {
            GgufFile file = GgufFile.open(path);
            LanguageModel model = null;
            GpuWeights gpu = null;
            ExpertStore store = null;
            try {
                GpuBinding binding = gpuMemoryBudget < 0 ? null : new GpuBinding();
                ModelOptions options = ModelOptions.defaults(threads).withMaxBatch(maxBatch).withGpu(binding)
                        .withBackend(referenceKernels ? ModelOptions.Backend.REFERENCE : ModelOptions.Backend.NATIVE)
                        .withWorkerGroups(workerGroups);
                model = LanguageModels.load(file, options);
                int trained = model.config().contextLength();
                int ctx = sessionLength > 0 ? sessionLength : Math.min(trained, ModelLoader.DEFAULT_MAX_CONTEXT);
                if (ctx > trained) {
                    throw new IllegalArgumentException(ctx + " tokens exceed the model's context of " + trained);
                }
                String placement = null;
                if (binding != null) {
                    BackendChoice c = BackendSelector.selected();
                    if (c.backend() != Backend.CUDA) {
                        placement = "none (" + c.reason() + ")";
                    } else {
                        gpu = GpuSetup.attach(file, model.config(), binding, CudaApi.at(CudaLibrary.locate().path()),
                                c.device().index(), new GpuSetup.Request(gpuMemoryBudget, ctx, maxBatch, null, false));
                        placement = c.device().describe() + ": " + gpu.plan().summary();
                    }
                }
                if (gpu == null) {
                    store = ModelLoader.offloadExperts(file, model, ExpertOffload.layouts(model, file), memoryBudget,
                            null, ctx, cachePolicy);
                }
                if (store == null && prefault) {
                    touchEveryPage(file); // with a store, offloadExperts has read the resident weights in
                }
                return new RawModel(file, model, store, gpu, placement);
            } catch (RuntimeException | Error e) {
                if (store != null) {
                    store.close();
                }
                if (model != null) {
                    model.close();
                }
                if (gpu != null) {
                    gpu.close();
                }
                file.close();
                throw e;
            }
        }

        private static void touchEveryPage(GgufFile file) {
            long sum = 0;
            for (GgufTensor t : file.tensors()) {
                MemorySegment s = t.segment();
                for (long i = 0; i < s.byteSize(); i += 4096) {
                    sum += s.get(ValueLayout.JAVA_BYTE, i);
                }
            }
            if (sum == Long.MIN_VALUE) { // unreachable (a byte sum); the test keeps the loads from being optimised away
                throw new AssertionError();
            }
        }
    }
}
