package dev.moe4j.internal.offload;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.model.InferenceState;
import dev.moe4j.internal.model.LanguageModel;
import dev.moe4j.internal.model.LanguageModels;
import dev.moe4j.internal.model.ModelOptions;
import dev.moe4j.internal.model.RoutedExperts;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The routing hook reports exactly what the forward pass computed: its trace of a real run (a batched prompt, then
 * decoding) equals the {@code ffn_moe_topk} tensors the independent {@code ForwardObserver} path sees.
 */
class RoutingRecordingTest {

    @Test
    void theRecordedTraceIsWhatTheModelRouted() throws IOException {
        try (GgufFile file = GgufFile.open(DemoTrace.model());
             LanguageModel model = LanguageModels.load(file, ModelOptions.defaults(2).withMaxBatch(5))) {
            int[] layers = RoutedExperts.moeLayers(model);
            assertArrayEquals(new int[] {1, 2, 3, 4, 5}, layers, "the demo model: block 0 dense, 1..5 MoE");
            ExpertSpace space = RoutedExperts.space(model).orElseThrow();
            assertEquals(new ExpertSpace(5, 16, 4), space);
            RoutingTrace.Recorder rec = RoutingTrace.recorder(layers, space.experts(), space.used());
            RoutedExperts.setRoutingListener(model, rec);
            int[] prompt = GgufTokenizerLoader.fromMetadata(file.metadata())
                    .encode("<｜User｜>Define harbour.<｜Assistant｜>", true, true);
            Map<String, int[]> observed = new HashMap<>();
            int positions;
            try (InferenceState s = model.newState(128)) {
                s.setObserver((name, layer, position, data) -> {
                    if (name.equals("ffn_moe_topk")) {
                        float[] f = data.toArray(JAVA_FLOAT);
                        int[] ids = new int[f.length];
                        for (int i = 0; i < f.length; i++) {
                            ids[i] = (int) f[i];
                        }
                        observed.put(layer + "@" + position, ids);
                    }
                });
                float[] logits = new float[model.config().vocabSize()];
                model.forward(s, prompt, 0, prompt.length, logits); // chunks of 5: batched routing
                for (int i = 0; i < 6; i++) {
                    model.forward(s, new int[] {DemoTrace.argmax(logits)}, 0, 1, logits);
                }
                positions = s.position();
            }
            RoutingTrace trace = rec.trace();
            assertEquals(positions, trace.tokens());
            for (int t = 0; t < positions; t++) {
                for (int l = 0; l < layers.length; l++) {
                    int[] ids = new int[space.used()];
                    for (int j = 0; j < ids.length; j++) {
                        ids[j] = trace.expert(t, l, j);
                    }
                    assertArrayEquals(observed.get(layers[l] + "@" + t), ids, "block " + layers[l] + " position " + t);
                }
            }
            RoutedExperts.setRoutingListener(model, null);
            try (InferenceState s = model.newState(16)) {
                model.forward(s, prompt, 0, 3, null);
            }
            assertEquals(positions, rec.trace().tokens(), "a removed listener hears nothing");
        }
    }
}
