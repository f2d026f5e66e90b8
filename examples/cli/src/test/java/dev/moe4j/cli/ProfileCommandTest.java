package dev.moe4j.cli;

import dev.moe4j.RoutingProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code moe4j profile} on the trained demo model: the table, the routing profile file and the heatmap PNG. */
class ProfileCommandTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int exit = Main.run(args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static Path shared() {
        return Path.of(System.getProperty("moe4j.shared"));
    }

    private static Path demo() {
        return shared().resolve("models/demo-wordnet-q8_0.gguf");
    }

    @Test
    void profilesPromptsIntoATableAProfileAndAHeatmap() throws IOException {
        Path png = dir.resolve("heat.png");
        Path profileFile = dir.resolve("demo.profile");
        Path prompts = Files.writeString(dir.resolve("prompts.txt"),
                "<｜User｜>Define lantern.<｜Assistant｜>\n\n<｜User｜>What is a glacier?<｜Assistant｜>\n");
        Result r = run("profile", "-m", demo().toString(), "-t", "2", "--no-progress", "--parse-special",
                "-p", "<｜User｜>What does \"river\" mean?<｜Assistant｜>", "-f", prompts.toString(), "-n", "12",
                "--heatmap", png.toString(), "--save-profile", profileFile.toString());
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(6, lines.length, r.out()); // header + 5 MoE layers
        assertTrue(lines[0].contains("hottest experts"), lines[0]);
        assertTrue(lines[1].startsWith("1 "), lines[1]);

        RoutingProfile p = RoutingProfile.load(profileFile);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5}, p.moeLayers());
        assertEquals(16, p.experts());
        assertTrue(p.tokens(1) > 3 * 12, "three prompts and their tokens: " + p.tokens(1));
        assertTrue(lines[1].contains(" " + p.tokens(1) + " "), lines[1]);

        BufferedImage img = ImageIO.read(png.toFile());
        assertTrue(img.getWidth() > 500 && img.getHeight() > 200, img.getWidth() + "×" + img.getHeight());
        // the cell of the hottest expert of layer 1 is the brightest colour of the scale, a never-chosen one the darkest
        int hottest = 0;
        for (int e = 1; e < 16; e++) {
            hottest = p.count(1, e) > p.count(1, hottest) ? e : hottest;
        }
        Color bright = new Color(RoutingHeatmap.colour(1).getRGB());
        int cellW = Math.min(36, 1100 / 16);
        int cellH = Math.min(36, 640 / 5);
        int x = 84 + hottest * cellW + cellW / 2;
        int y = 64 + cellH / 2;
        if (p.maxCount() == p.count(1, hottest)) {
            assertEquals(bright.getRGB(), img.getRGB(x, y), "the maximum is drawn in the top colour");
        }
        assertNotEquals(Color.WHITE.getRGB(), img.getRGB(x, y));
        assertTrue(r.err().contains("wrote the heatmap"), r.err());
    }

    @Test
    void refusesNoPromptAndDenseModels() {
        Result none = run("profile", "-m", demo().toString(), "--no-progress");
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("no prompt"), none.err());
        Result dense = run("profile", "-m", shared().resolve("golden/llama-dense-tiny-f32/model.gguf").toString(),
                "--no-progress", "-p", "hello", "-n", "2");
        assertEquals(2, dense.exit());
        assertTrue(dense.err().contains("dense"), dense.err());
        Result budget = run("profile", "-m", demo().toString(), "--no-progress", "-p", "x", "--memory-budget", "lots");
        assertEquals(2, budget.exit());
        assertTrue(budget.err().contains("lots"), budget.err());
    }

    @Test
    void runsUnderAMemoryBudget() {
        Result r = run("generate", "-m", demo().toString(), "--no-progress", "-t", "2", "-p", "A river is", "-n", "8",
                "--temp", "0", "--memory-budget", "4MiB");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("experts: budget 4.0 MiB"), r.err());
    }
}
