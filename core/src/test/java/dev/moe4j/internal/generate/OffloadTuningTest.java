package dev.moe4j.internal.generate;

import dev.moe4j.internal.offload.ExpertReader;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each offload knob a load gives wins over its system property; the property counts only where the knob is absent,
 * and the built-in default where neither says.
 */
class OffloadTuningTest {

    @Test
    void anExplicitKnobWinsTheSystemPropertyIsTheDefault() {
        Map<String, String> props = Map.of(OffloadTuning.POLICY_PROPERTY, "tinylfu",
                OffloadTuning.IO_THREADS_PROPERTY, "7", OffloadTuning.PREFETCH_PROPERTY, "false",
                ExpertReader.DIRECT_IO_PROPERTY, "false");
        withProperties(props, () -> {
            OffloadTuning given = new OffloadTuning("lru", 2, true, true);
            assertEquals("lru", given.policyOrDefault());
            assertEquals(2, given.ioThreadsOrDefault());
            assertTrue(given.prefetchOrDefault());
            assertTrue(given.directIoOrDefault());
            var s = given.settings(1 << 20, null);
            assertEquals("lru", s.policy());
            assertEquals(2, s.ioThreads());
            assertTrue(s.prefetch() && s.directIo());

            OffloadTuning absent = OffloadTuning.DEFAULTS;
            assertEquals("tinylfu", absent.policyOrDefault());
            assertEquals(7, absent.ioThreadsOrDefault());
            assertFalse(absent.prefetchOrDefault());
            assertFalse(absent.directIoOrDefault());
            return null;
        });
        withProperties(Map.of(), () -> {
            OffloadTuning absent = OffloadTuning.DEFAULTS;
            assertEquals("layered", absent.policyOrDefault());
            assertEquals(4, absent.ioThreadsOrDefault());
            assertTrue(absent.prefetchOrDefault());
            assertTrue(absent.directIoOrDefault());
            return null;
        });
    }

    /** Runs {@code body} with the four properties set as {@code props} says (absent ones cleared), then restores them. */
    static <T> T withProperties(Map<String, String> props, Supplier<T> body) {
        String[] keys = {OffloadTuning.POLICY_PROPERTY, OffloadTuning.IO_THREADS_PROPERTY,
                OffloadTuning.PREFETCH_PROPERTY, ExpertReader.DIRECT_IO_PROPERTY};
        String[] old = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            old[i] = System.getProperty(keys[i]);
            if (props.containsKey(keys[i])) {
                System.setProperty(keys[i], props.get(keys[i]));
            } else {
                System.clearProperty(keys[i]);
            }
        }
        try {
            return body.get();
        } finally {
            for (int i = 0; i < keys.length; i++) {
                if (old[i] == null) {
                    System.clearProperty(keys[i]);
                } else {
                    System.setProperty(keys[i], old[i]);
                }
            }
        }
    }
}
