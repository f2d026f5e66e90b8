package dev.moe4j.cli;

import dev.moe4j.RoutingProfile;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A routing profile as a picture: one row per MoE layer, one column per expert, each cell coloured by the share of the
 * layer's tokens that chose the expert, on a dark-to-bright scale (dark blue, teal, green, yellow) with a labelled
 * colour bar, axis labels and a title. Rendered headless with Java2D and written as PNG.
 */
final class RoutingHeatmap {
    /** Anchors of the colour scale, low to high: monotone in lightness, readable in grey and by most colour-blind. */
    private static final int[][] SCALE = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    private static final int LEFT = 84;
    private static final int TOP = 64;
    private static final int BOTTOM = 64;
    private static final int RIGHT = 120;

    private RoutingHeatmap() {}

    /** The colour of {@code v} in [0, 1] (clamped). */
    static Color colour(double v) {
        double x = Math.max(0, Math.min(1, v)) * (SCALE.length - 1);
        int i = Math.min(SCALE.length - 2, (int) x);
        double f = x - i;
        int[] a = SCALE[i];
        int[] b = SCALE[i + 1];
        return new Color((int) Math.round(a[0] + f * (b[0] - a[0])), (int) Math.round(a[1] + f * (b[1] - a[1])),
                (int) Math.round(a[2] + f * (b[2] - a[2])));
    }

    /** Renders {@code profile} and writes it to {@code file} as PNG. */
    static BufferedImage write(RoutingProfile profile, String title, Path file) throws IOException {
        BufferedImage img = render(profile, title);
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
        return img;
    }

    static BufferedImage render(RoutingProfile profile, String title) {
        int[] layers = profile.moeLayers();
        int experts = profile.experts();
        int cellW = Math.max(2, Math.min(36, 1100 / experts));
        int cellH = Math.max(6, Math.min(36, 640 / layers.length));
        int mapW = cellW * experts;
        int mapH = cellH * layers.length;
        int width = LEFT + Math.max(mapW, 420) + RIGHT;
        int height = TOP + mapH + BOTTOM;
        double max = 0;
        for (int l : layers) {
            for (int e = 0; e < experts; e++) {
                max = Math.max(max, share(profile, l, e));
            }
        }
        double top = max > 0 ? max : 1;

        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            for (int row = 0; row < layers.length; row++) {
                for (int e = 0; e < experts; e++) {
                    g.setColor(colour(share(profile, layers[row], e) / top));
                    g.fillRect(LEFT + e * cellW, TOP + row * cellH, cellW, cellH);
                }
            }
            int barX = LEFT + Math.max(mapW, 420) + 24;
            int barW = 18;
            for (int y = 0; y < mapH; y++) {
                g.setColor(colour(1.0 - (double) y / Math.max(1, mapH - 1)));
                g.fillRect(barX, TOP + y, barW, 1);
            }
            g.setColor(Color.DARK_GRAY);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(LEFT - 1, TOP - 1, mapW + 1, mapH + 1);
            g.drawRect(barX - 1, TOP - 1, barW + 1, mapH + 1);
            try {
                labels(g, profile, layers, title, cellW, cellH, mapW, mapH, barX, barW, top);
            } catch (RuntimeException | Error e) { // a JVM without fonts: the picture without text
                Console.stderr().println("moe4j profile: heatmap labels omitted (no usable font: " + e + ")");
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void labels(Graphics2D g, RoutingProfile p, int[] layers, String title, int cellW, int cellH,
                               int mapW, int mapH, int barX, int barW, double top) {
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, LEFT, 26);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        g.drawString(String.format(Locale.ROOT, "%d tokens per layer, %d of %d experts each; colour: share of tokens"
                + " choosing the expert", p.tokens(layers[0]), p.used(), p.experts()), LEFT, 46);
        // layers: every row when they fit, else every n-th
        int every = Math.max(1, (int) Math.ceil((fm.getHeight() + 2.0) / cellH));
        for (int row = 0; row < layers.length; row += every) {
            String s = "blk " + layers[row];
            int y = TOP + row * cellH + cellH / 2 + fm.getAscent() / 2 - 1;
            g.drawString(s, LEFT - 8 - fm.stringWidth(s), y);
        }
        // experts: ticks at a round step that leaves room for the numbers
        int widest = fm.stringWidth(String.valueOf(p.experts() - 1)) + 8;
        int step = 1;
        while (step * cellW < widest) {
            step = step == 1 ? 2 : step == 2 ? 4 : step == 4 ? 8 : step * 2;
        }
        for (int e = 0; e < p.experts(); e += step) {
            String s = String.valueOf(e);
            int x = LEFT + e * cellW + cellW / 2;
            g.drawLine(x, TOP + mapH, x, TOP + mapH + 4);
            g.drawString(s, x - fm.stringWidth(s) / 2, TOP + mapH + 6 + fm.getAscent());
        }
        String xLabel = "expert";
        g.drawString(xLabel, LEFT + mapW / 2 - fm.stringWidth(xLabel) / 2, TOP + mapH + 22 + 2 * fm.getAscent());
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        String yLabel = "MoE layer";
        g.drawString(yLabel, -(TOP + mapH / 2 + fm.stringWidth(yLabel) / 2), 16);
        g.setTransform(saved);
        // colour bar: round percentages from 0 to the largest share (the top of the scale)
        g.drawString(String.format(Locale.ROOT, "max %.1f%%", 100 * top), barX - 4, TOP - 8);
        double tick = niceStep(100 * top / 4);
        for (double pct = 0; pct <= 100 * top + 1e-9; pct += tick) {
            int y = TOP + (int) Math.round((1 - pct / (100 * top)) * (mapH - 1));
            g.drawLine(barX + barW, y, barX + barW + 4, y);
            g.drawString(String.format(Locale.ROOT, tick < 1 ? "%.1f%%" : "%.0f%%", pct), barX + barW + 7,
                    y + fm.getAscent() / 2 - 1);
        }
    }

    /** The round number (1, 2, 2.5 or 5 times a power of ten) nearest above {@code raw}. */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * p >= raw) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** Share of block {@code layer}'s tokens that chose {@code expert}. */
    static double share(RoutingProfile p, int layer, int expert) {
        long t = p.tokens(layer);
        return t == 0 ? 0 : (double) p.count(layer, expert) / t;
    }
}
