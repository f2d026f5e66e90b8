package dev.moe4j.internal.offload;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.InferenceState;
import dev.moe4j.internal.model.LanguageModel;
import dev.moe4j.internal.model.LanguageModels;
import dev.moe4j.internal.model.ModelOptions;
import dev.moe4j.internal.model.RoutedExperts;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.Tokenizer;
import dev.moe4j.testing.GoldenFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A routing trace recorded from the trained demo model (shared/models/demo-wordnet-q8_0.gguf, 5 MoE layers of 16
 * experts, top-4): chat prompts in its training format, each prefilled and then decoded greedily. Recorded once per
 * test JVM.
 */
final class DemoTrace {
    static final List<String> WORDS = List.of("lantern", "river", "happiness", "violin", "quickly", "mountain",
            "oxygen", "democracy", "tremble", "purple", "carpenter", "whisper", "glacier", "theorem", "bicycle",
            "anxious");
    static final int GENERATED = 32;
    private static RoutingTrace trace;

    private DemoTrace() {}

    static Path model() {
        return GoldenFiles.goldenDir().resolve("../models/demo-wordnet-q8_0.gguf").normalize();
    }

    static synchronized RoutingTrace get() {
        if (trace == null) {
            trace = record(model(), WORDS, GENERATED);
        }
        return trace;
    }

    /** One prompt per word ({@code What does "w" mean?} as a chat turn), prefilled, then {@code generate} greedy tokens. */
    static RoutingTrace record(Path path, List<String> words, int generate) {
        try (GgufFile file = GgufFile.open(path);
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(2))) {
            Tokenizer tok = GgufTokenizerLoader.fromMetadata(file.metadata());
            ExpertSpace space = RoutedExperts.space(model).orElseThrow();
            RoutingTrace.Recorder rec = RoutingTrace.recorder(RoutedExperts.moeLayers(model), space.experts(),
                    space.used());
            RoutedExperts.setRoutingListener(model, rec);
            float[] logits = new float[model.config().vocabSize()];
            for (String w : words) {
                int[] prompt = tok.encode("<｜User｜>What does \"" + w + "\" mean?<｜Assistant｜><think>\n", true, true);
                try (InferenceState s = model.newState(256)) {
                    model.forward(s, prompt, 0, prompt.length, logits);
                    for (int i = 0; i < generate; i++) {
                        int next = argmax(logits);
                        model.forward(s, new int[] {next}, 0, 1, logits);
                    }
                }
                rec.endSequence();
            }
            return rec.trace();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
