package dev.moe4j.internal.gguf;

import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GgufWriter} with {@link GgufWriter.TensorData} sources: tensors larger than one chunk, block-aligned chunks,
 * several writer threads, progress accounting, and sources that misbehave.
 */
class GgufWriterStreamingTest {
    @TempDir
    Path dir;

    /** Byte {@code i} of tensor {@code t}: a hash, so a misplaced chunk shows. */
    private static byte expected(int t, long i) {
        long h = (i + 1) * 0x9E3779B97F4A7C15L ^ (t + 1) * 0xC2B2AE3D27D4EB4FL;
        return (byte) (h ^ (h >>> 29) ^ (h >>> 47));
    }

    private static GgufWriter.TensorData source(int t) {
        return (offset, chunk) -> {
            for (long i = offset; chunk.hasRemaining(); i++) {
                chunk.put(expected(t, i));
            }
        };
    }

    /** Q6_K (210-byte blocks) over 2.5 chunks, Q8_0 just under a chunk, an F32 vector, and a hole between them. */
    private static GgufWriter writer() {
        long q6Rows = (5L * GgufWriter.CHUNK_BYTES / 2) / 210; // 256 elements = one 210-byte block per row
        return new GgufWriter()
                .putString("general.architecture", "test")
                .tensor("a", GgmlType.Q6_K, new long[] {256, q6Rows}, source(0))
                .tensorHole("hole", GgmlType.F32, new long[] {1000})
                .tensor("b", GgmlType.Q8_0, new long[] {32, GgufWriter.CHUNK_BYTES / 34 - 3}, source(1))
                .tensor("c", GgmlType.F32, new long[] {7}, source(2));
    }

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2, 3})
    void streamedTensorsReadBackByteForByte(int threads) throws IOException {
        GgufWriter w = writer();
        AtomicLong reported = new AtomicLong();
        Path p = w.write(dir.resolve("s.gguf"), threads, reported::addAndGet);
        long dataBytes = 0;
        try (GgufFile f = GgufFile.open(p)) {
            String[] names = {"a", "b", "c"};
            for (int t = 0; t < names.length; t++) {
                GgufTensor tensor = f.tensor(names[t]).orElseThrow();
                MemorySegment seg = tensor.segment();
                dataBytes += seg.byteSize();
                for (long i = 0; i < seg.byteSize(); i++) {
                    if (seg.get(ValueLayout.JAVA_BYTE, i) != expected(t, i)) {
                        throw new AssertionError("tensor " + names[t] + " byte " + i + " differs");
                    }
                }
            }
            MemorySegment hole = f.tensor("hole").orElseThrow().segment();
            for (long i = 0; i < hole.byteSize(); i++) {
                assertEquals(0, hole.get(ValueLayout.JAVA_BYTE, i));
            }
        }
        assertEquals(dataBytes, reported.get(), "progress counts every streamed byte once");
        assertEquals(w.layout().fileSize(), Files.size(p));
    }

    @Test
    void chunksStartOnWholeBlocks() throws IOException {
        AtomicLong misaligned = new AtomicLong();
        long rows = 3L * GgufWriter.CHUNK_BYTES / 210;
        new GgufWriter().tensor("q", GgmlType.Q6_K, new long[] {256, rows}, (offset, chunk) -> {
            if (offset % 210 != 0 || chunk.remaining() % 210 != 0) {
                misaligned.incrementAndGet();
            }
            chunk.put(new byte[chunk.remaining()]);
        }).write(dir.resolve("aligned.gguf"), 2, null);
        assertEquals(0, misaligned.get());
    }

    @Test
    void toBytesMatchesTheWrittenFile() throws IOException {
        GgufWriter small = new GgufWriter().putString("general.architecture", "test")
                .tensor("x", GgmlType.Q4_0, new long[] {64, 5}, source(3))
                .tensor("y", GgmlType.F16, new long[] {3, 2}, new byte[12]);
        byte[] inMemory = small.toBytes();
        Path p = small.write(dir.resolve("small.gguf"), 2, null);
        assertArrayEquals(inMemory, Files.readAllBytes(p));
    }

    @Test
    void aSourceThatPutsTooFewBytesIsReported() {
        GgufWriter w = new GgufWriter().tensor("short", GgmlType.F32, new long[] {100},
                (offset, chunk) -> chunk.put(new byte[chunk.remaining() - 4]));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> w.write(dir.resolve("short.gguf"), 2, null));
        assertTrue(e.getMessage().contains("'short'") && e.getMessage().contains("396 of 400"), e.getMessage());
    }

    @Test
    void aSourceFailureReachesTheCaller() {
        RuntimeException boom = new IllegalArgumentException("boom");
        GgufWriter w = new GgufWriter().tensor("bad", GgmlType.F32, new long[] {4 << 20}, (offset, chunk) -> {
            if (offset > 0) {
                throw boom;
            }
            chunk.put(ByteBuffer.allocate(chunk.remaining()));
        });
        assertSame(boom, assertThrows(IllegalArgumentException.class, () -> w.write(dir.resolve("bad.gguf"), 3, null)));
    }

    @Test
    void threadCountMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> writer().write(dir.resolve("z.gguf"), 0, null));
    }
}
