package dev.moe4j.internal.offload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Both expert readers (direct I/O and buffered) on a file of random bytes: random unaligned ranges (inside one block,
 * across blocks, across the bounce buffer's pieces, up to the last byte) come back byte for byte; a range past the end
 * of a file truncated after opening is an {@link EOFException}, for either reader, never a crash. The direct reader's
 * tests are skipped where the temporary directory's file system refuses O_DIRECT (tmpfs).
 */
class ExpertReaderTest {
    static final long SEED = Long.getLong("moe4j.test.seed", System.nanoTime());

    @TempDir
    Path dir;

    private Path randomFile(byte[] content) throws IOException {
        Path p = dir.resolve("model.bin");
        Files.write(p, content);
        return p;
    }

    private static DirectReader directOrSkip(Path p) {
        try {
            return DirectReader.open(List.of(p));
        } catch (IOException | UnsupportedOperationException e) {
            assumeTrue(false, "no direct I/O in " + p.getParent() + ": " + e);
            return null;
        }
    }

    @Test
    void directAndBufferedReadsReturnTheFilesBytes() throws IOException {
        Random rnd = new Random(SEED);
        byte[] content = new byte[DirectReader.PIECE * 2 + 12_345];
        rnd.nextBytes(content);
        Path p = randomFile(content);
        try (DirectReader direct = directOrSkip(p); ExpertReader buffered = ExpertReader.buffered(List.of(p));
             Arena arena = Arena.ofConfined()) {
            long[][] ranges = {{0, 1}, {1, 100}, {4095, 2}, {4096, 4096}, {777, DirectReader.PIECE + 3},
                    {content.length - 5, 5}, {content.length - DirectReader.PIECE - 1, DirectReader.PIECE + 1}};
            for (int i = 0; i < ranges.length + 40; i++) {
                long pos;
                long len;
                if (i < ranges.length) {
                    pos = ranges[i][0];
                    len = ranges[i][1];
                } else {
                    pos = rnd.nextInt(content.length);
                    len = 1 + rnd.nextInt(Math.min(content.length - (int) pos, 3 * 1024 * 1024));
                }
                for (ExpertReader r : new ExpertReader[] {direct, buffered}) {
                    MemorySegment dst = arena.allocate(len + 8, 1).asSlice(3, len); // unaligned destination
                    r.read(0, pos, dst);
                    long mismatch = MemorySegment.mismatch(dst, 0, len, MemorySegment.ofArray(content), pos,
                            pos + len);
                    assertEquals(-1, mismatch, r.getClass().getSimpleName() + " read [" + pos + ", " + (pos + len)
                            + ") wrong at +" + mismatch + " (seed " + SEED + ")");
                }
            }
        }
    }

    @Test
    void aFileTruncatedAfterOpeningIsAnEofException() throws IOException {
        byte[] content = new byte[3 * 4096 + 100];
        new Random(SEED).nextBytes(content);
        Path p = randomFile(content);
        try (DirectReader direct = directOrSkip(p); ExpertReader buffered = ExpertReader.buffered(List.of(p));
             Arena arena = Arena.ofConfined()) {
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(4096 + 10);
            }
            for (ExpertReader r : new ExpertReader[] {direct, buffered}) {
                MemorySegment dst = arena.allocate(3000);
                EOFException e = assertThrows(EOFException.class, () -> r.read(0, 2 * 4096 + 7, dst));
                assertTrue(e.getMessage().contains("truncated"), e.getMessage());
                MemorySegment across = arena.allocate(200);
                assertThrows(EOFException.class, () -> r.read(0, 4000, across)); // starts inside, ends outside
                MemorySegment inside = arena.allocate(50);
                r.read(0, 4096 - 60, inside); // still inside the shorter file: fine
                assertEquals(content[4096 - 60], inside.get(JAVA_BYTE, 0));
            }
        }
    }

    /** The opener's word wins over the system property, which is only the default of {@link ExpertReader#open(List)}. */
    @Test
    void anExplicitChoiceWinsOverTheProperty() throws IOException {
        Path p = randomFile(new byte[8192]);
        directOrSkip(p).close();
        String old = System.getProperty(ExpertReader.DIRECT_IO_PROPERTY);
        System.setProperty(ExpertReader.DIRECT_IO_PROPERTY, "true");
        try (ExpertReader r = ExpertReader.open(List.of(p), false)) {
            assertTrue(!(r instanceof DirectReader), r.getClass().getName());
        } finally {
            if (old == null) {
                System.clearProperty(ExpertReader.DIRECT_IO_PROPERTY);
            } else {
                System.setProperty(ExpertReader.DIRECT_IO_PROPERTY, old);
            }
        }
        System.setProperty(ExpertReader.DIRECT_IO_PROPERTY, "false");
        try (ExpertReader r = ExpertReader.open(List.of(p), true)) {
            assertTrue(r instanceof DirectReader, r.getClass().getName());
        } finally {
            if (old == null) {
                System.clearProperty(ExpertReader.DIRECT_IO_PROPERTY);
            } else {
                System.setProperty(ExpertReader.DIRECT_IO_PROPERTY, old);
            }
        }
    }

    @Test
    void openPrefersDirectIoUnlessTurnedOff() throws IOException {
        Path p = randomFile(new byte[8192]);
        directOrSkip(p).close();
        try (ExpertReader r = ExpertReader.open(List.of(p))) {
            assertTrue(r instanceof DirectReader, r.getClass().getName());
        }
        String old = System.getProperty(ExpertReader.DIRECT_IO_PROPERTY);
        System.setProperty(ExpertReader.DIRECT_IO_PROPERTY, "false");
        try (ExpertReader r = ExpertReader.open(List.of(p))) {
            assertTrue(!(r instanceof DirectReader), r.getClass().getName());
        } finally {
            if (old == null) {
                System.clearProperty(ExpertReader.DIRECT_IO_PROPERTY);
            } else {
                System.setProperty(ExpertReader.DIRECT_IO_PROPERTY, old);
            }
        }
    }
}
