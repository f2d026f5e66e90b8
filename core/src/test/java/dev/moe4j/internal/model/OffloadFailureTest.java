package dev.moe4j.internal.model;

import dev.moe4j.Moe4jException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.offload.ExpertLayout;
import dev.moe4j.internal.offload.ExpertReader;
import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.Policies;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An I/O error while reading an expert surfaces as a {@link Moe4jException} from {@code forward}, leaves the state where
 * it was, and the model and the same state compute correctly (bit-identical logits) once reads work again.
 */
class OffloadFailureTest {

    /** Delegates to the file, or fails every read while {@code failing} is set. */
    private static final class Flaky implements ExpertReader {
        private final ExpertReader inner;
        volatile boolean failing;

        Flaky(ExpertReader inner) {
            this.inner = inner;
        }

        @Override
        public void read(int shard, long position, MemorySegment dst) throws IOException {
            if (failing) {
                throw new IOException("injected: device not ready");
            }
            inner.read(shard, position, dst);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void anInjectedReadErrorIsAnExceptionAndTheModelRecovers() throws IOException {
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        int vocab;
        float[] expected;
        float[] expectedNext;
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel m = LanguageModels.load(file, ModelOptions.defaults(1));
             InferenceState s = m.newState(64)) {
            vocab = m.config().vocabSize();
            expected = new float[vocab];
            expectedNext = new float[vocab];
            m.forward(s, g.prompt(), 0, g.prompt().length, expected);
            m.forward(s, g.generated(), 0, 1, expectedNext);
        }
        try (GgufFile file = GgufFile.open(g.model());
             LanguageModel m = LanguageModels.load(file, ModelOptions.defaults(1))) {
            ExpertLayout[] layouts = ExpertOffload.layouts(m, file);
            Flaky reader = new Flaky(ExpertReader.open(file.shardPaths()));
            var settings = new ExpertOffload.Settings(4 * ExpertStore.slotBytes(layouts), Policies.LAYERED, null, 0, 2,
                    true);
            try (ExpertStore store = ExpertOffload.attach(m, layouts, reader, settings);
                 InferenceState s = m.newState(64)) {
                float[] logits = new float[vocab];
                reader.failing = true;
                Moe4jException e = assertThrows(Moe4jException.class,
                        () -> m.forward(s, g.prompt(), 0, g.prompt().length, logits));
                assertTrue(e.getMessage().contains("cannot read expert") && e.getMessage().contains("device not ready")
                        && e.getMessage().contains("ffn_gate_exps"), e.getMessage());
                assertEquals(0, s.position(), "the failed forward did not advance the state");
                assertTrue(store.stats().failedReads() > 0);

                reader.failing = false;
                m.forward(s, g.prompt(), 0, g.prompt().length, logits);
                assertArrayEquals(expected, logits, "the same state, after the failure");

                reader.failing = true;
                assertThrows(Moe4jException.class, () -> m.forward(s, g.generated(), 0, 1, logits),
                        "a decode step fails too (the 4-slot budget cannot hold the next token's experts)");
                assertEquals(g.prompt().length, s.position());
                reader.failing = false;
                m.forward(s, g.generated(), 0, 1, logits);
                assertArrayEquals(expectedNext, logits, "the decode step, after the failure");
                assertTrue(store.stats().residentBytes() <= 4 * ExpertStore.slotBytes(layouts));
            }
        }
    }
}
