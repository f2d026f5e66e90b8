package dev.moe4j.internal.offload;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ExpertLayoutTest {

    /** Three 3-D stacks far apart: three runs per expert, back to back in the slot at 64-byte boundaries. */
    @Test
    void separateStacksAreThreeRuns() {
        int experts = 4;
        long[] bytes = {1000, 1000, 900};
        long[][] off = new long[3][experts];
        int[][] shard = new int[3][experts];
        for (int e = 0; e < experts; e++) {
            off[0][e] = 5000 + e * 1000L;
            off[1][e] = 20000 + e * 1000L;
            off[2][e] = 40000 + e * 900L;
        }
        ExpertLayout l = ExpertLayout.of(shard, off, bytes);
        assertEquals(3, l.runs());
        assertEquals(0, l.matrixSlotOffset(0));
        assertEquals(1024, l.matrixSlotOffset(1), "1000 rounded up to 64");
        assertEquals(2048, l.matrixSlotOffset(2));
        assertEquals(2048 + 960, l.slotBytes());
        assertEquals(2900, l.readBytes());
        assertEquals(20000 + 3000, l.runOffset(3, 1));
    }

    /** A fused gate_up tensor: gate and up of an expert touch, so they are one read. */
    @Test
    void touchingMatricesAreOneRun() {
        int experts = 3;
        long[] bytes = {512, 512, 700};
        long[][] off = new long[3][experts];
        int[][] shard = new int[3][experts];
        for (int e = 0; e < experts; e++) {
            off[0][e] = 100 + e * 1024L;       // gate: first half of the expert's fused block
            off[1][e] = 100 + e * 1024L + 512; // up: second half
            off[2][e] = 9000 + e * 700L;
        }
        ExpertLayout l = ExpertLayout.of(shard, off, bytes);
        assertEquals(2, l.runs());
        assertEquals(1024, l.runBytes(0));
        assertEquals(0, l.matrixSlotOffset(0));
        assertEquals(512, l.matrixSlotOffset(1));
        assertEquals(1024, l.matrixSlotOffset(2));
        assertEquals(100 + 2048, l.runOffset(2, 0));
    }

    /** Per-expert tensors placed differently for different experts: no common run structure, one run per matrix. */
    @Test
    void irregularPlacementFallsBackToOneRunPerMatrix() {
        long[] bytes = {64, 64, 64};
        long[][] off = {{0, 1000}, {64, 5000}, {128, 2000}};
        int[][] shard = {{0, 0}, {0, 1}, {0, 0}};
        ExpertLayout l = ExpertLayout.of(shard, off, bytes);
        assertEquals(3, l.runs());
        assertEquals(1, l.runShard(1, 1));
        assertEquals(5000, l.runOffset(1, 1));
    }

    @Test
    void rejectsOverlapsAndMismatches() {
        assertThrows(IllegalArgumentException.class,
                () -> ExpertLayout.of(new int[][] {{0}, {0}}, new long[][] {{0}, {10}}, new long[] {20, 20}));
        assertThrows(IllegalArgumentException.class,
                () -> ExpertLayout.of(new int[][] {{0}}, new long[][] {{0, 1}}, new long[] {20}));
        assertThrows(IllegalArgumentException.class,
                () -> ExpertLayout.of(new int[][] {{0}}, new long[][] {{0}}, new long[] {0}));
    }
}
