package dev.moe4j.internal.offload;

import com.sun.nio.file.ExtendedOpenOption;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Expert reads with direct I/O ({@code O_DIRECT}): the bytes go from the disk to memory without passing through the
 * page cache. Under a memory limit that counts the page cache (a container's cgroup), buffered reads would fill it
 * with expert bytes already copied into the cache's slots, and the kernel would spend its time reclaiming them; here
 * the only copy is the one the store keeps.
 *
 * <p>Direct I/O wants the file position, the length and the memory address aligned to the file system's block size,
 * and an expert's bytes start anywhere. So each read covers the enclosing aligned range, in pieces of at most
 * {@value #PIECE} bytes, into a bounce buffer of the calling thread (allocated once, {@value #PIECE} bytes plus two
 * blocks, part of the stated overhead), and copies the wanted bytes out. Thread-safe: each I/O thread has its own
 * bounce buffer.
 */
final class DirectReader implements ExpertReader {
    /** Bytes read into the bounce buffer at a time. */
    static final int PIECE = 4 << 20;

    private final List<Path> paths;
    private final List<FileChannel> channels;
    private final long[] blocks; // block size per shard
    private final Arena arena = Arena.ofShared();
    private final ThreadLocal<MemorySegment> bounce;

    private DirectReader(List<Path> paths, List<FileChannel> channels, long[] blocks) {
        this.paths = paths;
        this.channels = channels;
        this.blocks = blocks;
        long most = 0;
        for (long b : blocks) {
            most = Math.max(most, b);
        }
        long align = most;
        long size = PIECE + 2 * most;
        this.bounce = ThreadLocal.withInitial(() -> {
            synchronized (arena) { // the arena may be closing; allocation itself is thread-safe
                return arena.allocate(size, align);
            }
        });
    }

    /**
     * Opens every shard with {@code O_DIRECT}.
     *
     * @throws IOException                   if a file cannot be opened so (the file system does not support it)
     * @throws UnsupportedOperationException if this platform has no direct I/O
     */
    static DirectReader open(List<Path> shards) throws IOException {
        List<FileChannel> channels = new ArrayList<>();
        long[] blocks = new long[shards.size()];
        try {
            for (int i = 0; i < shards.size(); i++) {
                Path p = shards.get(i);
                blocks[i] = Files.getFileStore(p).getBlockSize();
                if (blocks[i] < 1 || blocks[i] > (1 << 20) || Long.bitCount(blocks[i]) != 1) {
                    throw new IOException(p + ": unusable block size " + blocks[i] + " for direct I/O");
                }
                channels.add(FileChannel.open(p, StandardOpenOption.READ, ExtendedOpenOption.DIRECT));
            }
        } catch (IOException | RuntimeException e) {
            closeAll(channels);
            throw e;
        }
        return new DirectReader(List.copyOf(shards), channels, blocks);
    }

    @Override
    public void read(int shard, long position, MemorySegment dst) throws IOException {
        FileChannel ch = channels.get(shard);
        long block = blocks[shard];
        MemorySegment buf = bounce.get();
        for (long done = 0; done < dst.byteSize(); ) {
            long want = Math.min(PIECE, dst.byteSize() - done);
            long from = position + done;
            long start = from - Math.floorMod(from, block);
            long end = Math.ceilDiv(from + want, block) * block;
            ByteBuffer bb = buf.asSlice(0, end - start).asByteBuffer();
            long got = 0;
            while (got < from + want - start) {
                int n = ch.read(bb, start + got);
                if (n <= 0 || (n % block != 0 && start + got + n < from + want)) {
                    // the end of the file, or a short read before it: the next aligned read cannot follow on
                    throw new EOFException(paths.get(shard) + " ends at byte " + ch.size() + ", before byte "
                            + (position + dst.byteSize()) + " (was the file truncated after loading?)");
                }
                got += n;
            }
            MemorySegment.copy(buf, from - start, dst, done, want);
            done += want;
        }
    }

    @Override
    public void close() {
        closeAll(channels);
        synchronized (arena) {
            arena.close();
        }
    }

    /** Closes every channel, ignoring failures (the callers are failing already, or closing for good). */
    static void closeAll(List<FileChannel> channels) {
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // nothing left to do with a channel that does not close
            }
        }
    }
}
