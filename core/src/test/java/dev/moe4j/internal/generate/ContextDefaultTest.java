package dev.moe4j.internal.generate;

import dev.moe4j.internal.offload.MemoryBudget;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default context ({@link ContextDefault#choose}): the trained context when its KV caches fit in a quarter of the
 * memory left, else bounded by that quarter in steps of 256, never below min(trained, 4096) while that fits in the
 * memory left at all, never below min(trained, 512).
 */
class ContextDefaultTest {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    /** DeepSeek-V2-Lite's MLA cache in f32: 27 layers × (512 + 64 + 512) floats. */
    static final long V2_LITE_KV = 27L * (512 + 64 + 512) * 4;

    /** Memory left = {@code left} with a 4 GiB heap and 3 GiB of weights. */
    private static ContextDefault.Choice choose(int trained, long kv, int sessions, long left) {
        long heap = 4 * GIB;
        long weights = 3 * GIB;
        return ContextDefault.choose(trained, kv, sessions, left + heap + MemoryBudget.OVERHEAD + weights, heap,
                weights);
    }

    @Test
    void theTrainedContextWhenItFits() {
        ContextDefault.Choice c = choose(32768, 64 * 1024, 1, 16 * GIB); // 2 GiB of KV in 4 GiB
        assertEquals(32768, c.contextLength());
        assertTrue(c.reason().startsWith("context 32768 (trained): KV 2.0 GiB for 1 session fits in 25% of 16.0 GiB"),
                c.reason());
        assertEquals(4000, choose(4000, 64 * 1024, 1, 16 * GIB).contextLength(), "not rounded when it fits");
        assertEquals(256, choose(256, V2_LITE_KV, 1, 0).contextLength(), "never below a trained context under 512");
    }

    @Test
    void boundedByAQuarterOfTheMemoryLeft() {
        // 163840 tokens of V2-Lite take 17.9 GiB; a quarter of 16 GiB holds 36 550, rounded down to 256s
        ContextDefault.Choice c = choose(163840, V2_LITE_KV, 1, 16 * GIB);
        long expect = (long) (4 * GIB / V2_LITE_KV) / 256 * 256;
        assertEquals(expect, c.contextLength());
        assertEquals(0, c.contextLength() % 256);
        assertTrue((long) c.contextLength() * V2_LITE_KV <= 4 * GIB);
        assertTrue(c.reason().startsWith("context " + expect + " of trained 163840: KV "), c.reason());
        assertTrue(c.reason().contains("for 1 session, bounded by 25% of 16.0 GiB left"), c.reason());
        // four sessions share the same quarter
        ContextDefault.Choice four = choose(163840, V2_LITE_KV, 4, 16 * GIB);
        assertEquals(expect / 4 / 256 * 256, four.contextLength(), four.reason());
        assertTrue(four.reason().contains("for 4 sessions"), four.reason());
    }

    @Test
    void neverBelow4096WhileThatFitsInTheMemoryLeft() {
        // a quarter of 1 GiB holds 2284 tokens of V2-Lite; 4096 (459 MiB) still fit in the whole 1 GiB
        ContextDefault.Choice c = choose(163840, V2_LITE_KV, 1, GIB);
        assertEquals(4096, c.contextLength());
        assertTrue(c.reason().contains("the least default context while memory holds it"), c.reason());
        assertEquals(2048, choose(2048, V2_LITE_KV, 1, 300 * MIB).contextLength(), "min(trained, 4096)");
    }

    @Test
    void tinyMemoryGivesWhatFitsButAtLeast512() {
        // 300 MiB hold 2560 tokens of V2-Lite (in steps of 256): less than 4096, more than 512
        ContextDefault.Choice c = choose(163840, V2_LITE_KV, 1, 300 * MIB);
        assertEquals((300 * MIB / V2_LITE_KV) / 256 * 256, c.contextLength());
        assertTrue(c.reason().contains("memory is short"), c.reason());
        // nothing left at all (weights beyond memory): 512, or the trained context when shorter
        ContextDefault.Choice none = choose(163840, V2_LITE_KV, 1, -5 * GIB);
        assertEquals(512, none.contextLength());
        assertTrue(none.reason().contains("512 is the least default"), none.reason());
        assertEquals(300, choose(300, V2_LITE_KV, 1, -5 * GIB).contextLength());
    }

    @Test
    void noKvCacheAndBadInputs() {
        assertEquals(163840, choose(163840, 0, 1, 0).contextLength());
        assertThrows(IllegalArgumentException.class, () -> choose(0, 1, 1, GIB));
        assertThrows(IllegalArgumentException.class, () -> choose(10, 1, 0, GIB));
    }
}
