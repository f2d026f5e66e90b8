package dev.moe4j.internal.gguf;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Split models {@code name-0000i-of-0000n.gguf}: one tensor map over all shards, and every inconsistency rejected. */
class GgufSplitTest {
    @TempDir
    Path dir;

    private static final int SHARDS = 3;
    private static final int PER_SHARD = 2;

    /** The bytes of tensor {@code t} of shard {@code s} (F32 {5, 3} = 60 bytes, odd width). */
    private static byte[] data(int s, int t) {
        byte[] b = new byte[60];
        new Random(31L * s + t).nextBytes(b);
        return b;
    }

    /** Writes a valid split model; {@code fix} may alter each shard's writer before it is written. */
    private Path writeSplit(String base, int count, int declaredTensors, ShardTweak fix) throws IOException {
        Path first = null;
        for (int s = 0; s < count; s++) {
            GgufWriter w = new GgufWriter();
            if (s == 0) {
                w.putString("general.architecture", "llama").putUInt32("llama.block_count", 2);
            }
            w.put("split.no", GgufValueType.UINT16, s)
                    .put("split.count", GgufValueType.UINT16, count)
                    .put("split.tensors.count", GgufValueType.INT32, declaredTensors);
            for (int t = 0; t < PER_SHARD; t++) {
                w.tensor("s" + s + ".t" + t, GgmlType.F32, new long[] {5, 3}, data(s, t));
            }
            fix.apply(s, w);
            Path p = w.write(dir.resolve(String.format("%s-%05d-of-%05d.gguf", base, s + 1, count)));
            if (s == 0) {
                first = p;
            }
        }
        return first;
    }

    interface ShardTweak {
        void apply(int shard, GgufWriter w);
    }

    @Test
    void opensAllShardsThroughTheFirst() throws IOException {
        Path first = writeSplit("model", SHARDS, SHARDS * PER_SHARD, (s, w) -> { });
        try (GgufFile f = GgufFile.open(first)) {
            assertEquals(SHARDS * PER_SHARD, f.tensors().size());
            assertEquals(SHARDS, f.shardPaths().size());
            long total = 0;
            for (Path p : f.shardPaths()) {
                total += Files.size(p);
            }
            assertEquals(total, f.fileSize());
            assertEquals(2, f.metadata().getInt("llama.block_count"));
            for (int s = 0; s < SHARDS; s++) {
                for (int t = 0; t < PER_SHARD; t++) {
                    GgufTensor g = f.tensor("s" + s + ".t" + t).orElseThrow();
                    assertEquals(s, g.shard());
                    assertEquals(f.shardPaths().get(s), g.shardPath());
                    assertArrayEquals(data(s, t), g.segment().toArray(ValueLayout.JAVA_BYTE));
                    assertEquals(g, f.tensors().get(s * PER_SHARD + t), "file order, shard by shard");
                }
            }
        }
    }

    @Test
    void rejectsAWrongTotalTensorCount() throws IOException {
        Path first = writeSplit("model", SHARDS, SHARDS * PER_SHARD + 1, (s, w) -> { });
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(first));
        assertTrue(e.getMessage().contains("split.tensors.count = 7 but the 3 shard(s) hold 6"), e.getMessage());
    }

    @Test
    void rejectsAMissingShard() throws IOException {
        Path first = writeSplit("model", SHARDS, SHARDS * PER_SHARD, (s, w) -> { });
        Files.delete(dir.resolve("model-00002-of-00003.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(first));
        assertTrue(e.getMessage().contains("shard 2 of 3 is missing"), e.getMessage());
    }

    @Test
    void rejectsOpeningALaterShard() throws IOException {
        writeSplit("model", SHARDS, SHARDS * PER_SHARD, (s, w) -> { });
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> GgufFile.open(dir.resolve("model-00002-of-00003.gguf")));
        assertTrue(e.getMessage().contains("shard 2 of 3") && e.getMessage().contains("model-00001-of-00003.gguf"),
                e.getMessage());
    }

    @Test
    void rejectsATensorInTwoShards() throws IOException {
        Path first = writeSplit("model", SHARDS, SHARDS * (PER_SHARD + 1),
                (s, w) -> w.tensor(s == 2 ? "s0.t0" : "extra" + s, GgmlType.F32, new long[] {1}, new byte[4]));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(first));
        assertTrue(e.getMessage().contains("'s0.t0' is also in"), e.getMessage());
    }

    @Test
    void rejectsAShardThatDisagreesOnItsIndexOrCount() throws IOException {
        Path a = writeSplit("a", SHARDS, SHARDS * PER_SHARD, (s, w) -> { });
        // rewrite shard 3 claiming to be shard 2
        GgufWriter w = new GgufWriter().put("split.no", GgufValueType.UINT16, 1)
                .put("split.count", GgufValueType.UINT16, SHARDS)
                .tensor("s2.t0", GgmlType.F32, new long[] {5, 3}, data(2, 0))
                .tensor("s2.t1", GgmlType.F32, new long[] {5, 3}, data(2, 1));
        w.write(dir.resolve("a-00003-of-00003.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(a));
        assertTrue(e.getMessage().contains("split.no = 1, expected 2"), e.getMessage());

        Path b = writeSplit("b", 2, 2 * PER_SHARD, (s, x) -> { });
        new GgufWriter().put("split.no", GgufValueType.UINT16, 1).put("split.count", GgufValueType.UINT16, 5)
                .write(dir.resolve("b-00002-of-00002.gguf"));
        e = assertThrows(ModelFormatException.class, () -> GgufFile.open(b));
        assertTrue(e.getMessage().contains("split.count = 5, but the first shard says 2"), e.getMessage());
    }

    @Test
    void rejectsASplitCountThatTheFileNameCannotFollow() throws IOException {
        Path p = new GgufWriter().put("split.no", GgufValueType.UINT16, 0)
                .put("split.count", GgufValueType.UINT16, 2).write(dir.resolve("renamed.gguf"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(p));
        assertTrue(e.getMessage().contains("does not follow <name>-00001-of-00002.gguf"), e.getMessage());
    }

    @Test
    void aSingleShardSplitIsAPlainFile() throws IOException {
        Path p = writeSplit("one", 1, PER_SHARD, (s, w) -> { });
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(List.of(p), f.shardPaths());
            assertEquals(PER_SHARD, f.tensors().size());
        }
    }
}
