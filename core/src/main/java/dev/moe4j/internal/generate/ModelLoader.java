package dev.moe4j.internal.generate;

import dev.moe4j.LoadProgressListener;
import dev.moe4j.ModelInfo;
import dev.moe4j.RoutingProfile;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.model.InferenceState;
import dev.moe4j.internal.model.LanguageModel;
import dev.moe4j.internal.model.LanguageModels;
import dev.moe4j.internal.model.ModelOptions;
import dev.moe4j.internal.model.RoutedExperts;
import dev.moe4j.internal.offload.RoutingCounts;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Opens a GGUF file and assembles what {@link dev.moe4j.Model} needs: the description, the tokenizer, the runnable
 * model, the tokens that end generation and the chat template.
 */
public final class ModelLoader {
    static final String EOS_KEY = "tokenizer.ggml.eos_token_id";
    static final String EOT_KEY = "tokenizer.ggml.eot_token_id";
    static final String TEMPLATE_KEY = "tokenizer.chat_template";

    private ModelLoader() {}

    /**
     * What a load produced.
     *
     * @param endTokens    ids that end generation: {@code eos_token_id} and {@code eot_token_id} when the file has them
     * @param chatTemplate {@code tokenizer.chat_template}, or null
     */
    public record Loaded(ModelInfo info, Tokenizer tokenizer, Engine engine, int contextLength, int[] endTokens,
                         String chatTemplate) {}

    /**
     * How to load.
     *
     * @param threads       worker threads per session
     * @param contextLength requested context, or 0 for {@code min(trained, 4096)}
     * @param recordRouting count every token's routing for {@link Engine#routingProfile()}
     */
    public record Settings(int threads, int contextLength, boolean recordRouting) {
        public static Settings of(int threads, int contextLength) {
            return new Settings(threads, contextLength, false);
        }
    }

    /**
     * @param contextLength requested context, or 0 for {@code min(trained, 4096)}
     * @throws IllegalArgumentException if {@code contextLength} exceeds the model's trained context
     */
    public static Loaded load(Path path, int threads, int contextLength, LoadProgressListener progress) {
        return load(path, Settings.of(threads, contextLength), progress);
    }

    /**
     * @throws IllegalArgumentException if the context length exceeds the model's trained context
     */
    public static Loaded load(Path path, Settings settings, LoadProgressListener progress) {
        int threads = settings.threads();
        int contextLength = settings.contextLength();
        progress.onProgress(0.0, "reading " + path.getFileName());
        ModelInfo info = ModelInfo.read(path);
        GgufFile file;
        try {
            file = GgufFile.open(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + path + ": " + e.getMessage(), e);
        }
        LanguageModel model = null;
        try {
            GgufMetadata md = file.metadata();
            progress.onProgress(0.1, "reading the tokenizer");
            Tokenizer tokenizer = GgufTokenizerLoader.fromMetadata(md);
            progress.onProgress(0.2, "loading " + info.tensorCount() + " tensors");
            model = LanguageModels.load(file, ModelOptions.defaults(threads));
            int trained = model.config().contextLength();
            int ctx = contextLength == 0 ? Math.min(trained, dev.moe4j.Model.DEFAULT_MAX_CONTEXT) : contextLength;
            if (ctx > trained) {
                throw new IllegalArgumentException("contextLength " + contextLength + " exceeds the context "
                        + trained + " that " + path.getFileName() + " was trained for ("
                        + info.architecture() + ".context_length)");
            }
            int[] endTokens = endTokens(md, model.config().vocabSize());
            String template = md.optString(TEMPLATE_KEY).orElse(null);
            RoutingCounts counts = null;
            if (settings.recordRouting()) {
                counts = routingCounts(model);
                RoutedExperts.setRoutingListener(model, counts);
            }
            Engine engine = new LanguageModelEngine(file, model, counts);
            progress.onProgress(1.0, "ready");
            return new Loaded(info, tokenizer, engine, ctx, endTokens, template);
        } catch (RuntimeException | Error e) {
            if (model != null) {
                model.close();
            }
            file.close();
            throw e;
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

    /** EOS and EOT ids present in the file and inside the vocabulary, without duplicates. */
    static int[] endTokens(GgufMetadata md, int vocabSize) {
        return java.util.stream.Stream.of(EOS_KEY, EOT_KEY)
                .map(md::optLong).filter(java.util.Optional::isPresent).mapToLong(java.util.Optional::get)
                .filter(id -> id >= 0 && id < vocabSize).mapToInt(id -> (int) id).distinct().toArray();
    }

    /** A loaded {@link LanguageModel} as an {@link Engine}: one {@link InferenceState} per session. */
    static final class LanguageModelEngine implements Engine {
        private final GgufFile file;
        private final LanguageModel model;
        private final RoutingCounts counts;
        private boolean closed;

        LanguageModelEngine(GgufFile file, LanguageModel model, RoutingCounts counts) {
            this.file = file;
            this.model = model;
            this.counts = counts;
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
                    model.close();
                } finally {
                    file.close();
                }
            }
        }
    }
}
