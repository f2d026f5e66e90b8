package dev.moe4j;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How often each routed expert was chosen over a workload: per MoE layer, the tokens that went through it and, per
 * expert, how many of them chose it. Recorded by a model loaded with {@link Model.Builder#recordRouting(boolean)}
 * ({@link Model#routingProfile()}), saved with {@link #save} and given back at load time with
 * {@link Model.Builder#routingProfile(Path)}, which keeps the hottest experts in memory for good when the model runs
 * under a {@linkplain Model.Builder#memoryBudget(long) memory budget}.
 *
 * <p>Layers are the model's block indices ({@code blk.N}); dense blocks have no routing and count 0 everywhere. Every
 * token chooses {@link #used()} experts per MoE layer, so a layer's counts add up to {@code used · tokens(layer)}.
 *
 * <p>File format (UTF-8 text, one layer per line, {@code #} starts a comment line):
 * <pre>
 * moe4j-routing-profile 1
 * blocks 6 experts 16 used 4
 * layer 1 tokens 120 counts 31 0 17 ...   (experts counts, expert 0 first)
 * </pre>
 * An immutable value; thread-safe.
 */
public final class RoutingProfile {
    private static final String MAGIC = "moe4j-routing-profile";
    private static final int VERSION = 1;

    private final int blocks;
    private final int experts;
    private final int used;
    private final int[] moeLayers;
    private final long[] tokens;   // [blocks]
    private final long[][] counts; // [blocks][experts]

    /**
     * @param moeLayers the MoE blocks, ascending
     * @param tokens    tokens routed per MoE layer, in the order of {@code moeLayers}
     * @param counts    per MoE layer (same order), how many tokens chose each expert
     * @throws IllegalArgumentException if the arrays do not fit together (sizes, order, negative counts, counts that
     *                                  do not add up to {@code used · tokens})
     */
    RoutingProfile(int blocks, int experts, int used, int[] moeLayers, long[] tokens, long[][] counts) {
        if (blocks < 1 || experts < 1 || used < 1 || used > experts) {
            throw new IllegalArgumentException("a routing profile needs blocks >= 1, experts >= 1 and 1 <= used <= "
                    + "experts, got blocks=" + blocks + " experts=" + experts + " used=" + used);
        }
        if (moeLayers.length == 0 || tokens.length != moeLayers.length || counts.length != moeLayers.length) {
            throw new IllegalArgumentException("a routing profile needs one tokens value and one counts row per MoE "
                    + "layer and at least one layer: " + moeLayers.length + " layers, " + tokens.length + " tokens, "
                    + counts.length + " rows");
        }
        this.blocks = blocks;
        this.experts = experts;
        this.used = used;
        this.moeLayers = moeLayers.clone();
        this.tokens = new long[blocks];
        this.counts = new long[blocks][experts];
        for (int i = 0; i < moeLayers.length; i++) {
            int l = moeLayers[i];
            if (l < 0 || l >= blocks || (i > 0 && l <= moeLayers[i - 1])) {
                throw new IllegalArgumentException("MoE layers must be ascending block indices in [0, " + blocks
                        + "), got " + Arrays.toString(moeLayers));
            }
            if (counts[i].length != experts) {
                throw new IllegalArgumentException("layer " + l + " has " + counts[i].length + " counts for "
                        + experts + " experts");
            }
            long sum = 0;
            for (long c : counts[i]) {
                if (c < 0) {
                    throw new IllegalArgumentException("layer " + l + " has a negative count " + c);
                }
                sum += c;
            }
            if (tokens[i] < 0 || sum != tokens[i] * used) {
                throw new IllegalArgumentException("layer " + l + ": counts add up to " + sum + ", but " + tokens[i]
                        + " tokens choosing " + used + " experts each make " + tokens[i] * used);
            }
            this.tokens[l] = tokens[i];
            this.counts[l] = counts[i].clone();
        }
    }

    /**
     * Blocks (layers) of the model, dense ones included.
     *
     * @return the number of blocks, {@code >= 1}
     */
    public int blocks() {
        return blocks;
    }

    /**
     * Routed experts per MoE layer.
     *
     * @return the number of experts, {@code >= 1}
     */
    public int experts() {
        return experts;
    }

    /**
     * Experts each token chooses per MoE layer.
     *
     * @return the number of experts used per token, in {@code 1 .. experts()}
     */
    public int used() {
        return used;
    }

    /**
     * The MoE blocks, ascending.
     *
     * @return a new array of the MoE blocks' indices
     */
    public int[] moeLayers() {
        return moeLayers.clone();
    }

    /**
     * Tokens routed through block {@code layer} (0 for a dense block).
     *
     * @param layer a block index, in {@code [0, blocks())}
     * @return the number of tokens
     * @throws IndexOutOfBoundsException if {@code layer} is outside {@code [0, blocks())}
     */
    public long tokens(int layer) {
        Objects.checkIndex(layer, blocks);
        return tokens[layer];
    }

    /**
     * How many tokens chose {@code expert} in block {@code layer} (0 for a dense block).
     *
     * @param layer  a block index, in {@code [0, blocks())}
     * @param expert an expert index, in {@code [0, experts())}
     * @return the number of tokens
     * @throws IndexOutOfBoundsException if {@code layer} or {@code expert} is out of range
     */
    public long count(int layer, int expert) {
        Objects.checkIndex(layer, blocks);
        Objects.checkIndex(expert, experts);
        return counts[layer][expert];
    }

    /**
     * All counts, {@code [blocks][experts]} (dense blocks are rows of zeros); a copy.
     *
     * @return new arrays of the counts, indexed by block, then expert
     */
    public long[][] counts() {
        long[][] out = new long[blocks][];
        for (int l = 0; l < blocks; l++) {
            out[l] = counts[l].clone();
        }
        return out;
    }

    /**
     * The largest count over all layers and experts.
     *
     * @return the largest count; 0 when no token was routed
     */
    public long maxCount() {
        long max = 0;
        for (long[] row : counts) {
            for (long c : row) {
                max = Math.max(max, c);
            }
        }
        return max;
    }

    /**
     * Writes the profile to {@code file} in the text format above (replacing it).
     *
     * @param file where to write
     * @throws UncheckedIOException if the file cannot be written
     */
    public void save(Path file) {
        StringBuilder sb = new StringBuilder();
        sb.append("# moe4j routing profile: per MoE layer, the tokens routed and how many chose each expert\n");
        sb.append(MAGIC).append(' ').append(VERSION).append('\n');
        sb.append("blocks ").append(blocks).append(" experts ").append(experts).append(" used ").append(used)
                .append('\n');
        for (int l : moeLayers) {
            sb.append("layer ").append(l).append(" tokens ").append(tokens[l]).append(" counts");
            for (long c : counts[l]) {
                sb.append(' ').append(c);
            }
            sb.append('\n');
        }
        try {
            Files.writeString(file, sb, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the routing profile " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a profile written by {@link #save}.
     *
     * @param file the profile's file
     * @return the profile
     * @throws Moe4jException          if the file is not a routing profile or is malformed (the message names the line)
     * @throws UncheckedIOException    if it cannot be read
     */
    public static RoutingProfile load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the routing profile " + file + ": " + e.getMessage(), e);
        }
        Parser p = new Parser(file, lines);
        p.expect(MAGIC);
        int version = p.intValue(0, Integer.MAX_VALUE);
        if (version != VERSION) {
            throw p.error("format version " + version + " is not supported (this moe4j reads " + VERSION + ")");
        }
        p.nextLine();
        p.expect("blocks");
        int blocks = p.intValue(1, 1 << 20);
        p.expect("experts");
        int experts = p.intValue(1, 1 << 20);
        p.expect("used");
        int used = p.intValue(1, experts);
        List<Integer> layers = new ArrayList<>();
        List<Long> tokens = new ArrayList<>();
        List<long[]> rows = new ArrayList<>();
        while (p.nextLine()) {
            p.expect("layer");
            layers.add(p.intValue(0, blocks - 1));
            p.expect("tokens");
            tokens.add(p.longValue());
            p.expect("counts");
            long[] row = new long[experts];
            for (int e = 0; e < experts; e++) {
                row[e] = p.longValue();
            }
            p.end();
            rows.add(row);
        }
        try {
            return new RoutingProfile(blocks, experts, used, layers.stream().mapToInt(Integer::intValue).toArray(),
                    tokens.stream().mapToLong(Long::longValue).toArray(), rows.toArray(new long[0][]));
        } catch (IllegalArgumentException e) {
            throw new Moe4jException(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof RoutingProfile p && p.blocks == blocks && p.experts == experts && p.used == used
                && Arrays.equals(p.moeLayers, moeLayers) && Arrays.equals(p.tokens, tokens)
                && Arrays.deepEquals(p.counts, counts);
    }

    @Override
    public int hashCode() {
        return Objects.hash(blocks, experts, used, Arrays.hashCode(moeLayers), Arrays.deepHashCode(counts));
    }

    @Override
    public String toString() {
        return "RoutingProfile[" + moeLayers.length + " MoE layers of " + blocks + ", " + experts + " experts, "
                + used + " used, " + (moeLayers.length > 0 ? tokens[moeLayers[0]] : 0) + " tokens]";
    }

    /** Reads whitespace-separated words line by line, skipping blank and comment lines; errors name the line. */
    private static final class Parser {
        private final Path file;
        private final List<String> lines;
        private int line = -1;
        private String[] words = new String[0];
        private int word;

        Parser(Path file, List<String> lines) {
            this.file = file;
            this.lines = lines;
            if (!nextLine()) {
                throw new Moe4jException(file + ": empty file, not a moe4j routing profile");
            }
        }

        boolean nextLine() {
            if (line >= 0 && word < words.length) {
                throw error("unexpected '" + words[word] + "'");
            }
            while (++line < lines.size()) {
                String s = lines.get(line).strip();
                if (!s.isEmpty() && !s.startsWith("#")) {
                    words = s.split("\\s+");
                    word = 0;
                    return true;
                }
            }
            words = new String[0];
            word = 0;
            return false;
        }

        void end() {
            if (word < words.length) {
                throw error("unexpected '" + words[word] + "' after the last expert's count");
            }
        }

        void expect(String keyword) {
            String w = next(keyword);
            if (!w.equals(keyword)) {
                throw error("expected '" + keyword + "', found '" + w + "'");
            }
        }

        int intValue(int min, int max) {
            long v = longValue();
            if (v < min || v > max) {
                throw error(v + " is outside [" + min + ", " + max + "]");
            }
            return (int) v;
        }

        long longValue() {
            String w = next("a number");
            try {
                return Long.parseLong(w);
            } catch (NumberFormatException e) {
                throw error("'" + w + "' is not a whole number");
            }
        }

        private String next(String what) {
            if (line >= lines.size() || word >= words.length) {
                throw error("expected " + what + " before the end of the line");
            }
            return words[word++];
        }

        Moe4jException error(String message) {
            return new Moe4jException(file + ":" + (Math.min(line, lines.size() - 1) + 1) + ": " + message);
        }
    }
}
