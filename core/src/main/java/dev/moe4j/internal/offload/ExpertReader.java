package dev.moe4j.internal.offload;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads byte ranges of the model file(s) into memory with explicit positional reads ({@code pread}), so what is in
 * memory is decided by the expert cache and not by the page cache's guesses. Thread-safe: reads of several I/O
 * threads run concurrently. The store never interrupts its I/O threads (an interrupt would close the channel).
 */
public interface ExpertReader extends AutoCloseable {

    /**
     * Fills all of {@code dst} with the bytes of file {@code shard} starting at {@code position}.
     *
     * @throws IOException if the read fails or the file ends first (it was truncated after the model was loaded)
     */
    void read(int shard, long position, MemorySegment dst) throws IOException;

    @Override
    void close();

    /**
     * The system property that gives {@link #directIoDefault()}: whether a reader tries direct I/O first when its
     * opener does not say.
     */
    String DIRECT_IO_PROPERTY = "moe4j.offload.directIo";

    /**
     * Whether to try direct I/O when nobody said: system property {@value #DIRECT_IO_PROPERTY}, else true. Only a
     * default: a load's settings say so explicitly ({@link #open(List, boolean)}).
     */
    static boolean directIoDefault() {
        return Boolean.parseBoolean(System.getProperty(DIRECT_IO_PROPERTY, "true"));
    }

    /** {@link #open(List, boolean)} with {@link #directIoDefault()}. */
    static ExpertReader open(List<Path> shards) throws IOException {
        return open(shards, directIoDefault());
    }

    /**
     * A reader of the given files (the shards of a split model, in order), opened now: with {@code directIo},
     * {@link DirectReader} where the file system supports direct I/O; otherwise, or where it does not, positional
     * reads through the page cache.
     */
    static ExpertReader open(List<Path> shards, boolean directIo) throws IOException {
        if (directIo) {
            try {
                return DirectReader.open(shards);
            } catch (IOException | UnsupportedOperationException e) {
                // e.g. tmpfs refuses O_DIRECT: the page-cache path below still works
            }
        }
        return buffered(shards);
    }

    /** Positional reads through the page cache. */
    static ExpertReader buffered(List<Path> shards) throws IOException {
        List<FileChannel> channels = new ArrayList<>();
        try {
            for (Path p : shards) {
                channels.add(FileChannel.open(p, StandardOpenOption.READ));
            }
        } catch (IOException | RuntimeException e) {
            DirectReader.closeAll(channels);
            throw e;
        }
        return new ChannelReader(List.copyOf(shards), channels);
    }

    /** {@link FileChannel#read(ByteBuffer, long)} straight into the off-heap destination: one copy, from the kernel. */
    final class ChannelReader implements ExpertReader {
        private static final long CHUNK = 1L << 30;
        private final List<Path> paths;
        private final List<FileChannel> channels;

        ChannelReader(List<Path> paths, List<FileChannel> channels) {
            this.paths = paths;
            this.channels = channels;
        }

        @Override
        public void read(int shard, long position, MemorySegment dst) throws IOException {
            FileChannel ch = channels.get(shard);
            for (long done = 0; done < dst.byteSize(); ) {
                ByteBuffer buf = dst.asSlice(done, Math.min(CHUNK, dst.byteSize() - done)).asByteBuffer();
                while (buf.hasRemaining()) {
                    int n = ch.read(buf, position + done + buf.position());
                    if (n < 0) {
                        throw new EOFException(paths.get(shard) + " ends at byte " + ch.size() + ", before byte "
                                + (position + dst.byteSize()) + " (was the file truncated after loading?)");
                    }
                }
                done += buf.capacity();
            }
        }

        @Override
        public void close() {
            DirectReader.closeAll(channels);
        }
    }
}
