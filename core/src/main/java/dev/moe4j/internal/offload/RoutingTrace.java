package dev.moe4j.internal.offload;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which experts every token chose in every MoE layer, in token order: the input of the {@link TraceSimulator}.
 * Recorded from real runs with a {@link Recorder} (a {@link RoutingListener}) or generated.
 *
 * <p>File format (big-endian): the 8 bytes {@code MOE4JRTR}, then u32 version (1), u32 experts, u32 used, u32 layer
 * count L, L × u32 the model block of each MoE layer, u32 tokens T, then T × L × used expert ids in token-major order
 * (token, then layer, then the token's choices in router order), one byte each when experts ≤ 256, else two. A
 * 58-layer top-8 model takes 464 bytes per token.
 *
 * <p>Immutable; thread-safe.
 */
public final class RoutingTrace {
    private static final byte[] MAGIC = {'M', 'O', 'E', '4', 'J', 'R', 'T', 'R'};
    private static final int VERSION = 1;

    private final ExpertSpace space;
    private final int[] layers;
    private final int tokens;
    private final short[] ids; // [token][layer][used]

    /**
     * @param layers the model block of each MoE layer, ascending
     * @param ids    {@code tokens × layers.length × used} expert ids, token-major; each token's choices in a layer are
     *               distinct
     * @throws IllegalArgumentException if the sizes or ids do not fit
     */
    public RoutingTrace(int[] layers, int experts, int used, int[] ids) {
        this.space = new ExpertSpace(layers.length, experts, used);
        if (experts > 65536) {
            throw new IllegalArgumentException("at most 65536 experts per layer, got " + experts);
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || (i > 0 && layers[i] <= layers[i - 1])) {
                throw new IllegalArgumentException("layers must be ascending block indices, got "
                        + Arrays.toString(layers));
            }
        }
        int perToken = layers.length * used;
        if (ids.length % perToken != 0) {
            throw new IllegalArgumentException(ids.length + " ids are not whole tokens of " + perToken);
        }
        this.layers = layers.clone();
        this.tokens = ids.length / perToken;
        this.ids = new short[ids.length];
        boolean[] seen = new boolean[experts];
        for (int g = 0; g < ids.length; g += used) {
            for (int j = 0; j < used; j++) {
                int e = ids[g + j];
                if (e < 0 || e >= experts) {
                    throw new IllegalArgumentException("expert id " + e + " of token " + g / perToken
                            + " is outside [0, " + experts + ")");
                }
                if (seen[e]) {
                    throw new IllegalArgumentException("token " + g / perToken + " chose expert " + e
                            + " twice in MoE layer " + (g % perToken) / used);
                }
                seen[e] = true;
                this.ids[g + j] = (short) e;
            }
            for (int j = 0; j < used; j++) {
                seen[ids[g + j]] = false;
            }
        }
    }

    /** The keys of this trace's experts. */
    public ExpertSpace space() {
        return space;
    }

    /** The model block of each MoE layer. */
    public int[] layers() {
        return layers.clone();
    }

    public int tokens() {
        return tokens;
    }

    /** The {@code j}-th expert (router order) that {@code token} chose in MoE layer {@code layer} (0-based). */
    public int expert(int token, int layer, int j) {
        return Short.toUnsignedInt(ids[((token * layers.length) + layer) * space.used() + j]);
    }

    /** Per-MoE-layer, per-expert counts of this trace. */
    public long[][] counts() {
        long[][] c = new long[layers.length][space.experts()];
        for (int t = 0; t < tokens; t++) {
            for (int l = 0; l < layers.length; l++) {
                for (int j = 0; j < space.used(); j++) {
                    c[l][expert(t, l, j)]++;
                }
            }
        }
        return c;
    }

    /** Writes the trace in the format above. */
    public void save(Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, 1 << 16))) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(space.experts());
            out.writeInt(space.used());
            out.writeInt(layers.length);
            for (int l : layers) {
                out.writeInt(l);
            }
            out.writeInt(tokens);
            boolean narrow = space.experts() <= 256;
            for (short id : ids) {
                if (narrow) {
                    out.writeByte(id);
                } else {
                    out.writeShort(id);
                }
            }
        }
    }

    /**
     * Reads a trace written by {@link #save}.
     *
     * @throws IOException if the file cannot be read, or is not a valid trace (the message says what is wrong)
     */
    public static RoutingTrace load(Path file) throws IOException {
        try (InputStream is = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(is, 1 << 16))) {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(file + ": not a moe4j routing trace (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(file + ": routing trace version " + version + " is not supported");
            }
            int experts = in.readInt();
            int used = in.readInt();
            int n = in.readInt();
            if (experts < 1 || experts > 65536 || used < 1 || used > experts || n < 1 || n > 1 << 16) {
                throw new IOException(file + ": implausible header: experts " + experts + ", used " + used
                        + ", layers " + n);
            }
            int[] layers = new int[n];
            for (int i = 0; i < n; i++) {
                layers[i] = in.readInt();
            }
            int tokens = in.readInt();
            long count = (long) tokens * n * used;
            long bytes = count * (experts <= 256 ? 1 : 2);
            long left = Files.size(file) - (8 + 4 * 5 + 4L * n);
            if (tokens < 0 || bytes != left || count > Integer.MAX_VALUE - 8) {
                throw new IOException(file + ": " + tokens + " tokens need " + bytes + " bytes of ids, the file has "
                        + left);
            }
            int[] ids = new int[(int) count];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = experts <= 256 ? in.readUnsignedByte() : in.readUnsignedShort();
            }
            try {
                return new RoutingTrace(layers, experts, used, ids);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage(), e);
            }
        } catch (EOFException e) {
            throw new IOException(file + ": truncated routing trace", e);
        }
    }

    /** A recorder for a model whose MoE layers are the blocks {@code layers}. */
    public static Recorder recorder(int[] layers, int experts, int used) {
        return new Recorder(layers, experts, used);
    }

    /**
     * Collects a trace from routing events, sequence by sequence: tokens are ordered by position within a sequence
     * (a batch reports all its tokens layer after layer) and sequences are appended in the order they end. Call
     * {@link #endSequence()} before a new sequence starts at position 0 again. Thread-safe, but events of two
     * sequences must not interleave.
     */
    public static final class Recorder implements RoutingListener {
        private final int[] layers;
        private final int experts;
        private final int used;
        private final int[] indexOfLayer;
        private final TreeMap<Integer, int[]> sequence = new TreeMap<>();
        private int[] done = new int[0];
        private int doneLength;

        Recorder(int[] layers, int experts, int used) {
            new ExpertSpace(layers.length, experts, used); // validates
            this.layers = layers.clone();
            this.experts = experts;
            this.used = used;
            int max = Arrays.stream(layers).max().orElse(0);
            indexOfLayer = new int[max + 1];
            Arrays.fill(indexOfLayer, -1);
            for (int i = 0; i < layers.length; i++) {
                indexOfLayer[layers[i]] = i;
            }
        }

        @Override
        public synchronized void onRouted(int layer, int position, int[] ids, int off, int k) {
            int l = layer < indexOfLayer.length ? indexOfLayer[layer] : -1;
            if (l < 0 || k != used) {
                throw new IllegalArgumentException("routing of block " + layer + " with " + k
                        + " experts does not fit a trace of blocks " + Arrays.toString(layers) + ", " + used + " used");
            }
            int[] row = sequence.computeIfAbsent(position, p -> {
                int[] r = new int[layers.length * used];
                Arrays.fill(r, -1);
                return r;
            });
            System.arraycopy(ids, off, row, l * used, used);
        }

        /**
         * Appends the current sequence's tokens to the trace.
         *
         * @throws IllegalStateException if a token misses the routing of some layer
         */
        public synchronized void endSequence() {
            for (Map.Entry<Integer, int[]> e : sequence.entrySet()) {
                int[] row = e.getValue();
                for (int v : row) {
                    if (v < 0) {
                        throw new IllegalStateException("position " + e.getKey()
                                + " was not routed in every MoE layer");
                    }
                }
                if (doneLength + row.length > done.length) {
                    done = Arrays.copyOf(done, Math.max(done.length * 2, doneLength + row.length));
                }
                System.arraycopy(row, 0, done, doneLength, row.length);
                doneLength += row.length;
            }
            sequence.clear();
        }

        /** The trace so far (ending the current sequence first). */
        public synchronized RoutingTrace trace() {
            endSequence();
            return new RoutingTrace(layers, experts, used, Arrays.copyOf(done, doneLength));
        }
    }
}
