package dev.moe4j.internal.offload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoutingTraceTest {
    @TempDir
    Path dir;

    private static void assertSame(RoutingTrace a, RoutingTrace b) {
        assertEquals(a.space(), b.space());
        assertArrayEquals(a.layers(), b.layers());
        assertEquals(a.tokens(), b.tokens());
        for (int t = 0; t < a.tokens(); t++) {
            for (int l = 0; l < a.space().layers(); l++) {
                for (int j = 0; j < a.space().used(); j++) {
                    assertEquals(a.expert(t, l, j), b.expert(t, l, j));
                }
            }
        }
    }

    @Test
    void roundTripsWithOneByteIds() throws IOException {
        RoutingTrace t = SyntheticTraces.zipf(5, 256, 8, 77, 0.9, 0.2, 1);
        Path f = dir.resolve("t.trace");
        t.save(f);
        assertEquals(8 + 4 * 5 + 4 * 5 + 77L * 5 * 8, Files.size(f), "one byte per id");
        assertSame(t, RoutingTrace.load(f));
    }

    @Test
    void roundTripsWithTwoByteIds() throws IOException {
        RoutingTrace t = SyntheticTraces.zipf(3, 300, 4, 21, 1.1, 0.0, 2);
        Path f = dir.resolve("wide.trace");
        t.save(f);
        assertEquals(8 + 4 * 5 + 4 * 3 + 21L * 3 * 4 * 2, Files.size(f), "two bytes per id");
        RoutingTrace back = RoutingTrace.load(f);
        assertSame(t, back);
        boolean above255 = false;
        for (int tok = 0; tok < back.tokens(); tok++) {
            above255 |= back.expert(tok, 0, 0) > 255;
        }
        assertTrue(above255, "the trace exercises ids above 255");
    }

    @Test
    void countsAddUp() {
        RoutingTrace t = new RoutingTrace(new int[] {1, 3}, 4, 2, new int[] {0, 1, 2, 3, 1, 0, 3, 2});
        assertEquals(2, t.tokens());
        assertArrayEquals(new long[] {2, 2, 0, 0}, t.counts()[0]);
        assertArrayEquals(new long[] {0, 0, 2, 2}, t.counts()[1]);
        assertEquals(3, t.expert(1, 1, 0));
    }

    @Test
    void rejectsInconsistentTraces() {
        assertThrows(IllegalArgumentException.class, () -> new RoutingTrace(new int[] {1}, 4, 2, new int[] {0, 0}),
                "an expert chosen twice by one token");
        assertThrows(IllegalArgumentException.class, () -> new RoutingTrace(new int[] {1}, 4, 2, new int[] {0, 4}));
        assertThrows(IllegalArgumentException.class, () -> new RoutingTrace(new int[] {1}, 4, 2, new int[] {0}));
        assertThrows(IllegalArgumentException.class, () -> new RoutingTrace(new int[] {2, 1}, 4, 1, new int[] {0, 1}));
    }

    @Test
    void rejectsMalformedFiles() throws IOException {
        RoutingTrace t = SyntheticTraces.zipf(2, 8, 2, 10, 1, 0, 3);
        Path good = dir.resolve("good.trace");
        t.save(good);
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.trace");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 3));
        assertTrue(assertThrows(IOException.class, () -> RoutingTrace.load(truncated)).getMessage().contains("bytes"));

        Path magic = dir.resolve("magic.trace");
        byte[] m = bytes.clone();
        m[0] = 'X';
        Files.write(magic, m);
        assertTrue(assertThrows(IOException.class, () -> RoutingTrace.load(magic)).getMessage().contains("magic"));

        Path badId = dir.resolve("id.trace");
        byte[] b = bytes.clone();
        b[b.length - 1] = (byte) 200; // expert 200 of 8
        Files.write(badId, b);
        assertTrue(assertThrows(IOException.class, () -> RoutingTrace.load(badId)).getMessage().contains("200"));

        Path header = dir.resolve("header.trace");
        byte[] h = bytes.clone();
        ByteBuffer.wrap(h).putInt(12, 0); // experts = 0
        Files.write(header, h);
        assertThrows(IOException.class, () -> RoutingTrace.load(header));
    }

    @Test
    void theRecorderOrdersABatchByPosition() {
        RoutingTrace.Recorder rec = RoutingTrace.recorder(new int[] {1, 2}, 6, 2);
        // a batch of three tokens: layer 1 for all of them, then layer 2
        rec.onRouted(1, 0, new int[] {9, 0, 1, 9}, 1, 2);
        rec.onRouted(1, 1, new int[] {2, 3}, 0, 2);
        rec.onRouted(1, 2, new int[] {4, 5}, 0, 2);
        rec.onRouted(2, 0, new int[] {5, 4}, 0, 2);
        rec.onRouted(2, 1, new int[] {3, 2}, 0, 2);
        rec.onRouted(2, 2, new int[] {1, 0}, 0, 2);
        rec.endSequence();
        rec.onRouted(1, 0, new int[] {0, 5}, 0, 2); // the next sequence starts at position 0 again
        rec.onRouted(2, 0, new int[] {1, 4}, 0, 2);
        RoutingTrace t = rec.trace();
        assertEquals(4, t.tokens());
        int[] flat = new int[16];
        int i = 0;
        for (int tok = 0; tok < 4; tok++) {
            for (int l = 0; l < 2; l++) {
                for (int j = 0; j < 2; j++) {
                    flat[i++] = t.expert(tok, l, j);
                }
            }
        }
        assertArrayEquals(new int[] {0, 1, 5, 4, 2, 3, 3, 2, 4, 5, 1, 0, 0, 5, 1, 4}, flat);
    }

    @Test
    void theRecorderRefusesIncompleteTokensAndForeignLayers() {
        RoutingTrace.Recorder rec = RoutingTrace.recorder(new int[] {1, 2}, 6, 2);
        assertThrows(IllegalArgumentException.class, () -> rec.onRouted(0, 0, new int[] {0, 1}, 0, 2));
        assertThrows(IllegalArgumentException.class, () -> rec.onRouted(1, 0, new int[] {0, 1, 2}, 0, 3));
        rec.onRouted(1, 0, new int[] {0, 1}, 0, 2);
        assertThrows(IllegalStateException.class, rec::endSequence, "layer 2 never routed position 0");
    }

    @Test
    void syntheticTracesAreSkewedAsAsked() {
        RoutingTrace t = SyntheticTraces.zipf(1, 32, 1, 20000, 1.2, 0.0, new Random(4).nextLong());
        long[] c = t.counts()[0].clone();
        Arrays.sort(c);
        assertTrue(c[31] > 5 * c[16], "the top expert is far above the median: " + Arrays.toString(c));
    }
}
