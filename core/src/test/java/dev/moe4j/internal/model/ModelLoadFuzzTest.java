package dev.moe4j.internal.model;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.moe4j.Moe4jException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.testing.GoldenFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Fuzz target for what a model file's metadata tells the loader (untrusted input): a small model of every family the
 * repository has a fixture for (GLM-4.5, gpt-oss f32 and MXFP4, DeepSeek-V3.2, DeepSeek-V4), with fuzzed values
 * for its hyper-parameters (the keys it has and those a family may read: NextN layers, sliding window and its
 * pattern, expert groups, gating, rotary scaling), sometimes a tensor missing, is loaded and runs a few tokens. It must either work or fail with a typed
 * {@link Moe4jException} (the loader's {@code ModelFormatException}, a context error); any other exception, a crash or
 * a hang is a bug. A normal test run replays the saved inputs ({@code src/test/resources/.../ModelLoadFuzzTestInputs});
 * {@code JAZZER_FUZZ=1} fuzzes.
 */
class ModelLoadFuzzTest {
    private static final String[] FIXTURES = {"glm4moe-tiny-f32", "gptoss-tiny-f32", "gptoss-tiny-mxfp4",
            "deepseek32-tiny-f32", "deepseek4-tiny-f32"};
    /** Keys a family may read whether or not the fixture has them (under {@code <arch>.}). */
    private static final String[] OPTIONAL_KEYS = {"nextn_predict_layers", "attention.sliding_window",
            "attention.sliding_window_pattern", "expert_group_count", "expert_group_used_count", "expert_gating_func",
            "expert_shared_count", "leading_dense_block_count", "rope.scaling.factor", "rope.dimension_count",
            "expert_feed_forward_length", "attention.head_count_kv", "attention.key_length", "context_length"};
    private static final Map<String, GgufFile> OPEN = new HashMap<>();
    private static Path dir;

    @FuzzTest(maxDuration = "60s")
    void anyHyperParametersLoadOrFailTyped(FuzzedDataProvider data) throws IOException {
        GgufFile src = fixture(data.pickValue(FIXTURES));
        String arch = src.metadata().getString("general.architecture");
        Set<String> keys = new TreeSet<>();
        for (String k : src.metadata().keys()) {
            if (k.startsWith(arch + ".")) {
                keys.add(k.substring(arch.length() + 1));
            }
        }
        keys.addAll(List.of(OPTIONAL_KEYS));
        List<String> candidates = new ArrayList<>(keys);
        Map<String, Long> ints = new HashMap<>();
        Map<String, Float> floats = new HashMap<>();
        Set<String> removed = new TreeSet<>();
        int edits = data.consumeInt(1, 3);
        for (int i = 0; i < edits; i++) {
            String key = arch + "." + data.pickValue(candidates);
            switch (data.consumeInt(0, 3)) {
                case 0 -> removed.add(key);
                case 1 -> floats.put(key, data.consumeFloat());
                case 2 -> ints.put(key, (long) data.consumeInt(0, 300));
                default -> ints.put(key, data.consumeLong(0, 0xFFFF_FFFFL));
            }
        }
        String dropTensor = data.consumeBoolean() ? data.pickValue(src.tensors()).name() : null;
        GgufWriter w = GgufRewrite.copy(src, k -> !removed.contains(k) && !ints.containsKey(k) && !floats.containsKey(k),
                t -> !t.equals(dropTensor));
        ints.forEach(w::putUInt32);
        floats.forEach(w::putFloat32);
        Path file = dir().resolve("fuzzed.gguf");
        w.write(file);
        try (GgufFile f = GgufFile.open(file);
             LanguageModel model = LanguageModels.load(f, ModelOptions.defaults(1));
             InferenceState s = model.newState(Math.min(8, model.config().contextLength()))) {
            int[] tokens = {1, 2, 3};
            int n = Math.min(tokens.length, s.contextLength());
            model.forward(s, tokens, 0, n, new float[model.config().vocabSize()]);
        } catch (Moe4jException expected) {
            // refused with a typed exception: what a bad file must get
        }
    }

    private static synchronized GgufFile fixture(String name) {
        return OPEN.computeIfAbsent(name, n -> {
            try {
                return GgufFile.open(GoldenFiles.repoGoldenDir().resolve(n).resolve("model.gguf"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static synchronized Path dir() throws IOException {
        if (dir == null) {
            dir = Files.createTempDirectory("moe4j-load-fuzz");
            dir.toFile().deleteOnExit();
        }
        return dir;
    }
}
