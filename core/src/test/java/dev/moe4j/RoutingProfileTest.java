package dev.moe4j;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RoutingProfileTest {
    @TempDir
    Path dir;

    private static RoutingProfile sample() {
        return new RoutingProfile(4, 3, 2, new int[] {1, 3}, new long[] {5, 2},
                new long[][] {{4, 3, 3}, {0, 2, 2}});
    }

    @Test
    void savesAndLoads() {
        RoutingProfile p = sample();
        Path f = dir.resolve("p.txt");
        p.save(f);
        RoutingProfile back = RoutingProfile.load(f);
        assertEquals(p, back);
        assertEquals(p.hashCode(), back.hashCode());
        assertEquals(0, back.count(0, 1), "a dense block counts nothing");
        assertEquals(3, back.count(1, 2));
        assertEquals(2, back.tokens(3));
        assertArrayEquals(new int[] {1, 3}, back.moeLayers());
        assertEquals(4, back.maxCount());
        assertEquals(4, back.counts().length);
    }

    @Test
    void refusesCountsThatDoNotAddUp() {
        assertThrows(IllegalArgumentException.class, () -> new RoutingProfile(4, 3, 2, new int[] {1},
                new long[] {5}, new long[][] {{4, 3, 2}}), "9 choices are not 5 tokens × 2");
        assertThrows(IllegalArgumentException.class, () -> new RoutingProfile(4, 3, 2, new int[] {3, 1},
                new long[] {0, 0}, new long[][] {{0, 0, 0}, {0, 0, 0}}), "layers out of order");
        assertThrows(IllegalArgumentException.class, () -> new RoutingProfile(4, 3, 4, new int[] {1},
                new long[] {0}, new long[][] {{0, 0, 0}}), "4 used of 3");
        assertThrows(IllegalArgumentException.class, () -> new RoutingProfile(4, 3, 1, new int[] {4},
                new long[] {0}, new long[][] {{0, 0, 0}}), "block 4 of 4");
        assertNotEquals(sample(), new RoutingProfile(4, 3, 2, new int[] {1, 3}, new long[] {5, 2},
                new long[][] {{3, 4, 3}, {0, 2, 2}}));
    }

    @Test
    void malformedFilesNameTheLine() throws IOException {
        Path f = dir.resolve("bad.txt");
        Files.writeString(f, "moe4j-routing-profile 1\nblocks 4 experts 3 used 2\n# comment\nlayer 1 tokens 5 counts 4 3\n");
        Moe4jException e = assertThrows(Moe4jException.class, () -> RoutingProfile.load(f));
        assertTrue(e.getMessage().contains("bad.txt:4"), e.getMessage());

        Files.writeString(f, "moe4j-routing-profile 2\n");
        assertTrue(assertThrows(Moe4jException.class, () -> RoutingProfile.load(f)).getMessage().contains("version"));

        Files.writeString(f, "something else\n");
        assertTrue(assertThrows(Moe4jException.class, () -> RoutingProfile.load(f)).getMessage()
                .contains("moe4j-routing-profile"));

        Files.writeString(f, "moe4j-routing-profile 1\nblocks 4 experts 3 used 2\nlayer 1 tokens 5 counts 4 3 x\n");
        assertTrue(assertThrows(Moe4jException.class, () -> RoutingProfile.load(f)).getMessage().contains("'x'"));

        Files.writeString(f, "moe4j-routing-profile 1\nblocks 4 experts 3 used 2\nlayer 1 tokens 5 counts 4 3 2\n");
        assertTrue(assertThrows(Moe4jException.class, () -> RoutingProfile.load(f)).getMessage().contains("add up"));

        Files.writeString(f, "");
        assertThrows(Moe4jException.class, () -> RoutingProfile.load(f));
    }

    /** Through the public API: a generation's routing on the demo model (block 0 dense, blocks 1..5 MoE, top-4). */
    @Test
    void aModelRecordsItsRouting() {
        try (Model model = Model.builder(GoldenFixture.wordnetModel()).threads(2).recordRouting(true).build()) {
            GenerationResult r = model.request("<｜User｜>What does \"river\" mean?<｜Assistant｜>")
                    .temperature(0).maxTokens(8).ignoreEos(true).generate();
            RoutingProfile p = model.routingProfile();
            assertArrayEquals(new int[] {1, 2, 3, 4, 5}, p.moeLayers());
            assertEquals(16, p.experts());
            assertEquals(4, p.used());
            long tokens = p.tokens(1);
            // the prompt and every generated token but the last went through the model
            assertEquals(r.promptTokenIds().length + r.tokenIds().length - 1, tokens);
            for (int l = 1; l <= 5; l++) {
                assertEquals(tokens, p.tokens(l));
                long sum = 0;
                for (int e = 0; e < 16; e++) {
                    sum += p.count(l, e);
                }
                assertEquals(4 * tokens, sum);
            }
            assertEquals(0, p.tokens(0));
        }
        try (Model model = Model.builder(GoldenFixture.wordnetModel()).threads(1).build()) {
            assertTrue(assertThrows(IllegalStateException.class, model::routingProfile).getMessage()
                    .contains("recordRouting"));
        }
    }
}
