package dev.moe4j.internal.gguf;

import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A file larger than 4 GiB (sparse, so it costs no disk) with tensors beyond 2 GiB and 4 GiB: offsets, sizes and
 * slices must all be 64-bit (no int-indexed ByteBuffer anywhere).
 */
class GgufLargeFileTest {
    @TempDir
    Path dir;

    @Test
    void tensorsBeyondTwoAndFourGiB() throws IOException {
        byte[] small = new byte[4 * 3 * 7];
        new Random(11).nextBytes(small);
        byte[] tail = new byte[34 * 5];
        new Random(12).nextBytes(tail);
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .tensorHole("big.a", GgmlType.F32, new long[] {1L << 14, 1L << 15}) // 2 GiB
                .tensor("mid", GgmlType.F32, new long[] {3, 7}, small)
                .tensorHole("big.b", GgmlType.Q8_0, new long[] {1L << 15, 70_000}) // ~2.3 GiB, >2^31 bytes
                .tensor("tail", GgmlType.Q8_0, new long[] {32, 5}, tail);
        Path p = w.write(dir.resolve("large.gguf"));
        assertTrue(Files.size(p) > (4L << 30), "file size " + Files.size(p));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(Files.size(p), f.fileSize());
            GgufTensor mid = f.tensor("mid").orElseThrow();
            assertTrue(mid.fileOffset() > (2L << 30));
            assertArrayEquals(small, mid.segment().toArray(ValueLayout.JAVA_BYTE));
            GgufTensor bigB = f.tensor("big.b").orElseThrow();
            assertEquals(34L * 1024 * 70_000, bigB.byteSize());
            assertTrue(bigB.byteSize() > Integer.MAX_VALUE);
            assertEquals(bigB.byteSize(), bigB.segment().byteSize());
            assertEquals(0, bigB.segment().get(ValueLayout.JAVA_BYTE, bigB.byteSize() - 1)); // a hole reads as 0
            GgufTensor t = f.tensor("tail").orElseThrow();
            assertTrue(t.fileOffset() > (4L << 30));
            assertEquals(w.layout().info("tail").dataAt(), t.fileOffset());
            assertArrayEquals(tail, t.segment().toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
