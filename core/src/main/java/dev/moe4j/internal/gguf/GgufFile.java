package dev.moe4j.internal.gguf;

import dev.moe4j.ModelFormatException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A GGUF model (v2 or v3), memory-mapped read-only and fully validated by {@link #open}: header, metadata, tensor
 * infos and the placement of every tensor's data (see {@link GgufParser}). Nothing is copied: tensor
 * {@linkplain GgufTensor#segment() segments} and metadata arrays are views of the mapping, which lives in a shared
 * {@link Arena} owned by this object; {@link #close()} unmaps it, after which those views throw
 * {@link IllegalStateException}.
 *
 * <p>Split models ({@code name-00001-of-00003.gguf}, ...) are opened through their first shard: the others are found
 * next to it by the {@code %s-%05d-of-%05d.gguf} pattern and {@code split.count}; metadata comes from the first shard
 * and {@link #tensors()} lists every shard's tensors, shard by shard, each pointing into its own file.
 *
 * <p>Thread-safety: immutable after {@code open}; the getters and segments may be used from any thread until
 * {@code close()}, which must not race with readers.
 */
public final class GgufFile implements AutoCloseable {
    static final String SPLIT_NO = "split.no";
    static final String SPLIT_COUNT = "split.count";
    static final String SPLIT_TENSORS_COUNT = "split.tensors.count";
    private static final Pattern SPLIT_NAME = Pattern.compile("(.+)-(\\d{5})-of-(\\d{5})\\.gguf");

    private final Arena arena;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<GgufParser.Shard> shards;
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> byName;
    private final long fileSize;

    private GgufFile(Arena arena, List<GgufParser.Shard> shards) {
        this.arena = arena;
        this.shards = List.copyOf(shards);
        List<GgufTensor> all = new ArrayList<>();
        Map<String, GgufTensor> names = new LinkedHashMap<>();
        long size = 0;
        for (GgufParser.Shard s : shards) {
            for (GgufTensor t : s.tensors()) {
                GgufTensor before = names.putIfAbsent(t.name(), t);
                if (before != null) {
                    throw new ModelFormatException(s.path() + ": tensor '" + t.name() + "' is also in "
                            + before.shardPath(), t.fileOffset());
                }
                all.add(t);
            }
            size += s.size();
        }
        this.tensors = Collections.unmodifiableList(all);
        this.byName = Collections.unmodifiableMap(names);
        this.fileSize = size;
    }

    /**
     * Maps and validates {@code path} (and, for a split model, its sibling shards).
     *
     * @throws ModelFormatException if any shard is malformed, truncated, inconsistent or missing
     * @throws IOException          if a file cannot be opened or mapped
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            List<GgufParser.Shard> shards = new ArrayList<>();
            GgufParser.Shard first = GgufParser.parse(map(path, arena), path, 0);
            shards.add(first);
            int count = first.metadata().optInt(SPLIT_COUNT).orElse(1);
            if (count > 1 || first.metadata().has(SPLIT_NO)) {
                openSiblings(first, count, arena, shards);
            }
            return new GgufFile(arena, shards);
        } catch (RuntimeException | IOException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static MemorySegment map(Path path, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    private static void openSiblings(GgufParser.Shard first, int count, Arena arena, List<GgufParser.Shard> shards)
            throws IOException {
        Path path = first.path();
        GgufMetadata md = first.metadata();
        int no = md.optInt(SPLIT_NO).orElse(0);
        if (count < 1) {
            throw new ModelFormatException(path + ": " + SPLIT_COUNT + " = " + count + ", must be at least 1",
                    md.offset(SPLIT_COUNT));
        }
        if (no != 0) {
            throw new ModelFormatException(path + ": this is shard " + (no + 1) + " of " + count
                    + " of a split model; open the first shard (" + siblingName(path, 1, count) + ")",
                    md.offset(SPLIT_NO));
        }
        if (count > 1) {
            Matcher m = SPLIT_NAME.matcher(path.getFileName().toString());
            if (!m.matches() || Integer.parseInt(m.group(2)) != 1 || Integer.parseInt(m.group(3)) != count) {
                throw new ModelFormatException(path + ": " + SPLIT_COUNT + " = " + count
                        + " but the file name does not follow <name>-00001-of-" + String.format("%05d", count)
                        + ".gguf, so its other shards cannot be found", md.offset(SPLIT_COUNT));
            }
            for (int i = 2; i <= count; i++) {
                Path sibling = path.resolveSibling(String.format("%s-%05d-of-%05d.gguf", m.group(1), i, count));
                if (!Files.exists(sibling)) {
                    throw new ModelFormatException(path + ": shard " + i + " of " + count + " is missing (" + sibling
                            + ")", -1);
                }
                GgufParser.Shard s = GgufParser.parse(map(sibling, arena), sibling, i - 1);
                checkShardKeys(s, i - 1, count);
                shards.add(s);
            }
        }
        if (md.has(SPLIT_TENSORS_COUNT)) {
            long total = shards.stream().mapToLong(s -> s.tensors().size()).sum();
            int declared = md.getInt(SPLIT_TENSORS_COUNT);
            if (declared != total) {
                throw new ModelFormatException(path + ": " + SPLIT_TENSORS_COUNT + " = " + declared + " but the "
                        + count + " shard(s) hold " + total + " tensors", md.offset(SPLIT_TENSORS_COUNT));
            }
        }
    }

    /** A non-first shard must, where it says so, agree on its index and the shard count. */
    private static void checkShardKeys(GgufParser.Shard s, int expectedNo, int count) {
        GgufMetadata md = s.metadata();
        if (md.has(SPLIT_NO) && md.getInt(SPLIT_NO) != expectedNo) {
            throw new ModelFormatException(s.path() + ": " + SPLIT_NO + " = " + md.getInt(SPLIT_NO) + ", expected "
                    + expectedNo + " from its file name", md.offset(SPLIT_NO));
        }
        if (md.has(SPLIT_COUNT) && md.getInt(SPLIT_COUNT) != count) {
            throw new ModelFormatException(s.path() + ": " + SPLIT_COUNT + " = " + md.getInt(SPLIT_COUNT)
                    + ", but the first shard says " + count, md.offset(SPLIT_COUNT));
        }
    }

    private static String siblingName(Path path, int index, int count) {
        Matcher m = SPLIT_NAME.matcher(path.getFileName().toString());
        String base = m.matches() ? m.group(1) : "<name>";
        return String.format("%s-%05d-of-%05d.gguf", base, index, count);
    }

    /** Metadata of the (first) file. */
    public GgufMetadata metadata() {
        return shards.getFirst().metadata();
    }

    /** All tensors in file order (shard by shard for split models); unmodifiable. */
    public List<GgufTensor> tensors() {
        return tensors;
    }

    public Optional<GgufTensor> tensor(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** Total bytes of all shard files. */
    public long fileSize() {
        return fileSize;
    }

    /** The path that was opened (the first shard). */
    public Path path() {
        return shards.getFirst().path();
    }

    /** All shard files in order; one entry for a single-file model. */
    public List<Path> shardPaths() {
        return shards.stream().map(GgufParser.Shard::path).toList();
    }

    /** GGUF version of the (first) file: 2 or 3. */
    public int version() {
        return shards.getFirst().version();
    }

    /** The data alignment of the (first) file in bytes ({@code general.alignment}, default 32). */
    public int alignment() {
        return shards.getFirst().alignment();
    }

    /** Absolute offset where the tensor data of the (first) file begins. */
    public long dataStart() {
        return shards.getFirst().dataStart();
    }

    /** Unmaps every shard; segments obtained from this file become inaccessible. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
