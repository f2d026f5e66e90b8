package dev.moe4j.internal.generate;

import dev.moe4j.MemoryStats;
import dev.moe4j.internal.offload.ExpertReader;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The offload knobs of {@link ModelLoader.Settings} reach the expert store and win over the system properties, which
 * count only where a knob is absent; the new components are checked at once.
 */
class ModelLoaderSettingsTest {
    private static final int[] TOKENS = {1, 5, 9, 200, 17, 3, 44, 81, 7, 300};

    private static Path model() {
        return GoldenFiles.goldenDir().resolve("ds2-tiny-f32/model.gguf");
    }

    /** Loads, decodes {@link #TOKENS} one at a time (when prefetch predicts) in one session, returns the stats. */
    private static MemoryStats run(ModelLoader.Settings s) {
        ModelLoader.Loaded loaded = ModelLoader.load(model(), s, (f, m) -> { }, null);
        try (DecodingSession session = loaded.engine().newSession(64)) {
            float[] logits = new float[loaded.engine().vocabSize()];
            for (int i = 0; i < TOKENS.length; i++) {
                session.forward(TOKENS, i, 1, logits);
            }
            return loaded.engine().memoryStats();
        } finally {
            loaded.engine().close();
        }
    }

    @Test
    void explicitOffloadSettingsWinOverSystemProperties() {
        long experts = run(ModelLoader.Settings.of(1, 64)).expertBytes();
        ModelLoader.Settings budgeted = new ModelLoader.Settings(1, 64, false, experts / 8, null);
        Map<String, String> props = Map.of(OffloadTuning.POLICY_PROPERTY, "tinylfu",
                OffloadTuning.PREFETCH_PROPERTY, "true", ExpertReader.DIRECT_IO_PROPERTY, "true");
        OffloadTuningTest.withProperties(props, () -> {
            MemoryStats byProperty = run(budgeted);
            assertTrue(byProperty.offloading(), byProperty.summary());
            assertEquals("tinylfu", byProperty.policy(), "without a setting, the property decides");
            assertTrue(byProperty.prefetchReads() > 0, byProperty.summary());

            MemoryStats bySetting = run(budgeted.withOffloadPolicy("lru").withPrefetch(false).withDirectIo(false)
                    .withIoThreads(1));
            assertEquals("lru", bySetting.policy(), "the setting wins over -D" + OffloadTuning.POLICY_PROPERTY);
            assertEquals(0, bySetting.prefetchReads(), "prefetch off by setting: " + bySetting.summary());
            assertTrue(bySetting.misses() > 0, bySetting.summary());
            return null;
        });
    }

    @Test
    void newComponentsAreCheckedAndDefaultInTheOldConstructors() {
        ModelLoader.Settings s = new ModelLoader.Settings(2, 0, false, -1, null);
        assertEquals(1, s.workerGroups());
        assertEquals(1, s.maxSessions());
        assertEquals(OffloadTuning.DEFAULTS, s.offloadTuning());
        assertEquals(3, s.withWorkerGroups(3).workerGroups());
        assertThrows(IllegalArgumentException.class, () -> s.withWorkerGroups(0));
        assertThrows(IllegalArgumentException.class, () -> s.withWorkerGroups(65));
        assertThrows(IllegalArgumentException.class, () -> s.withMaxSessions(0));
        assertThrows(IllegalArgumentException.class, () -> s.withIoThreads(-1));
    }
}
