package dev.moe4j.internal.gguf;

import dev.moe4j.internal.quant.GgmlType;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;

/**
 * Writes GGUF files: any metadata (every value type, arrays of every element type) and tensors of any {@link GgmlType}
 * and shape, GGUF v3 (or v2 on request), any alignment. Tensor bytes come from a byte array or from a
 * {@link TensorData} source that produces them chunk by chunk while the file is written, so files far larger than
 * memory (synthetic models of real size) stream to disk, optionally filled by several threads.
 *
 * <p>It writes what it is told, valid or not (a dims array of any length, any type id), and records where every field
 * landed ({@link #layout()}) so a test can corrupt exactly one field of an otherwise valid file. Validity is the
 * caller's business; {@link GgufFile} is the validating reader.
 *
 * <p>Metadata values: integers as any {@link Number} (UINT64 also as {@link BigInteger}), FLOAT32/FLOAT64 as
 * Number, BOOL as Boolean, STRING as String; arrays as a {@link List} of those.
 *
 * <p>Not thread-safe while being built; {@link #write(Path, int, LongConsumer)} runs its own worker threads.
 */
public final class GgufWriter {
    /** Bytes a writer thread fills and writes at a time (rounded down to whole blocks of the tensor's type). */
    static final int CHUNK_BYTES = 4 << 20;

    /**
     * Produces a tensor's bytes on demand. The writer asks for consecutive chunks that start and end on whole blocks
     * of the tensor's type (except a raw tensor's last chunk), possibly from several threads at once and in any
     * order, so an implementation must derive a chunk's bytes from {@code offset} alone.
     */
    @FunctionalInterface
    public interface TensorData {
        /**
         * Puts exactly {@code chunk.remaining()} bytes (relative puts; the buffer is little-endian) that are the
         * tensor's bytes {@code [offset, offset + chunk.remaining())}.
         */
        void fill(long offset, ByteBuffer chunk);
    }

    /** Where a metadata record landed: key length prefix, type id, value (for arrays: element type id) and end. */
    public record KvAt(String key, long keyAt, long typeAt, long valueAt, long end) {
        /** For arrays: offset of the element count (after the element type id). */
        public long countAt() {
            return valueAt + 4;
        }
    }

    /** Where a tensor-info record landed, and where its data starts (absolute). */
    public record InfoAt(String name, long nameAt, long nDimsAt, long dimsAt, long typeAt, long offsetAt, long end,
                  long dataAt, long dataSize) {
    }

    /** Offsets of every section of the last written file. */
    public record Layout(List<KvAt> kvs, List<InfoAt> infos, long infosEnd, long dataStart, long fileSize) {
        /** End of the last tensor's bytes (the file goes on with padding up to {@link #fileSize}). */
        public long dataEnd() {
            return infos.stream().mapToLong(i -> i.dataAt() + i.dataSize()).max().orElse(dataStart);
        }

        public KvAt kv(String key) {
            return kvs.stream().filter(k -> k.key().equals(key)).findFirst().orElseThrow();
        }

        public InfoAt info(String name) {
            return infos.stream().filter(i -> i.name().equals(name)).findFirst().orElseThrow();
        }
    }

    private record Kv(String key, GgufValueType type, GgufValueType elemType, Object value) {
    }

    /** {@code data == null}: a hole of {@code size} zero bytes (sparse when written to a file). */
    private record Tensor(String name, int typeId, long[] dims, TensorData data, long size, int blockBytes) {
    }

    private int version = 3;
    private int alignment = GgufParser.DEFAULT_ALIGNMENT;
    private final List<Kv> kvs = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private Layout layout;

    public GgufWriter version(int v) {
        this.version = v;
        return this;
    }

    /** Lays out data at {@code a} and records it as {@code general.alignment} (UINT32) unless that key is put. */
    public GgufWriter alignment(int a) {
        this.alignment = a;
        if (kvs.stream().noneMatch(k -> k.key().equals(GgufParser.ALIGNMENT_KEY))) {
            put(GgufParser.ALIGNMENT_KEY, GgufValueType.UINT32, a);
        }
        return this;
    }

    /** Lays out data at {@code a} without writing any key (to build files that lie about their alignment). */
    public GgufWriter layoutAlignment(int a) {
        this.alignment = a;
        return this;
    }

    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (type == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("use putArray");
        }
        kvs.add(new Kv(key, type, null, value));
        return this;
    }

    public GgufWriter putArray(String key, GgufValueType elemType, List<?> values) {
        kvs.add(new Kv(key, GgufValueType.ARRAY, elemType, List.copyOf(values)));
        return this;
    }

    public GgufWriter putString(String key, String v) {
        return put(key, GgufValueType.STRING, v);
    }

    public GgufWriter putUInt32(String key, long v) {
        return put(key, GgufValueType.UINT32, v);
    }

    public GgufWriter putInt32(String key, int v) {
        return put(key, GgufValueType.INT32, v);
    }

    public GgufWriter putFloat32(String key, float v) {
        return put(key, GgufValueType.FLOAT32, v);
    }

    public GgufWriter putBool(String key, boolean v) {
        return put(key, GgufValueType.BOOL, v);
    }

    /** A tensor with exactly {@code type.bytesFor(elements)} bytes of data (copied). */
    public GgufWriter tensor(String name, GgmlType type, long[] dims, byte[] data) {
        long size = bytesOf(type, dims);
        if (data.length != size) {
            throw new IllegalArgumentException(name + ": " + data.length + " bytes given, " + size + " needed");
        }
        byte[] copy = data.clone();
        tensors.add(new Tensor(name, type.id(), dims.clone(),
                (offset, chunk) -> chunk.put(copy, Math.toIntExact(offset), chunk.remaining()), size, type.blockBytes()));
        return this;
    }

    /**
     * A tensor of {@code type.bytesFor(elements)} bytes produced by {@code data} while the file is written.
     *
     * @throws IllegalArgumentException if the dims are not a whole number of blocks of {@code type}
     */
    public GgufWriter tensor(String name, GgmlType type, long[] dims, TensorData data) {
        java.util.Objects.requireNonNull(data, "data");
        tensors.add(new Tensor(name, type.id(), dims.clone(), data, bytesOf(type, dims), type.blockBytes()));
        return this;
    }

    /** A tensor whose data is left as a hole of zeros (sparse in {@link #write}); for huge files. */
    public GgufWriter tensorHole(String name, GgmlType type, long[] dims) {
        tensors.add(new Tensor(name, type.id(), dims.clone(), null, bytesOf(type, dims), type.blockBytes()));
        return this;
    }

    /** A tensor info written verbatim (any type id, any dims, even invalid ones) followed by {@code dataSize} bytes. */
    public GgufWriter rawTensor(String name, int typeId, long[] dims, long dataSize) {
        tensors.add(new Tensor(name, typeId, dims.clone(), null, dataSize, 1));
        return this;
    }

    /** Number of tensors added so far. */
    public int tensorCount() {
        return tensors.size();
    }

    public static long bytesOf(GgmlType type, long[] dims) {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return type.bytesFor(n);
    }

    /** Where every field of the last {@link #toBytes} / {@link #write} landed. */
    public Layout layout() {
        return layout;
    }

    /** The whole file in memory (holes as zeros). */
    public byte[] toBytes() {
        byte[] head = header();
        long size = layout.fileSize();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("too big for a byte[]; use write(Path)");
        }
        byte[] out = Arrays.copyOf(head, (int) size);
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if (t.data() != null) {
                ByteBuffer b = ByteBuffer.wrap(out, (int) layout.infos().get(i).dataAt(), (int) t.size()).slice()
                        .order(ByteOrder.LITTLE_ENDIAN);
                fillChecked(t, 0, b);
            }
        }
        return out;
    }

    /** Writes the file on the calling thread; holes are skipped so that the file is sparse. */
    public Path write(Path path) throws IOException {
        return write(path, 1, null);
    }

    /**
     * Writes the file, the tensor data in chunks of about {@value #CHUNK_BYTES} bytes that {@code threads} threads fill
     * and write at their place, so memory use stays at {@code threads} chunks whatever the file size. Holes are skipped
     * so that the file is sparse.
     *
     * @param progress if not null, told the byte count of each chunk once it is written (from the writer threads)
     * @throws IOException if the file cannot be written (the partial file is left behind)
     * @throws RuntimeException whatever a {@link TensorData} source threw
     */
    public Path write(Path path, int threads, LongConsumer progress) throws IOException {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        byte[] head = header();
        // chunk j of the file is chunk (j - firstChunk[i]) of tensor i
        long[] firstChunk = new long[tensors.size() + 1];
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            firstChunk[i + 1] = firstChunk[i] + (t.data() == null ? 0 : ceilDiv(t.size(), chunkBytes(t)));
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, ByteBuffer.wrap(head), 0);
            AtomicLong next = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Runnable worker = () -> {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                try {
                    for (long j; failure.get() == null && (j = next.getAndIncrement()) < firstChunk[tensors.size()]; ) {
                        int i = tensorOfChunk(firstChunk, j);
                        Tensor t = tensors.get(i);
                        long at = (j - firstChunk[i]) * chunkBytes(t);
                        int len = (int) Math.min(chunkBytes(t), t.size() - at);
                        buf.clear().limit(len);
                        fillChecked(t, at, buf);
                        buf.flip();
                        writeFully(ch, buf, layout.infos().get(i).dataAt() + at);
                        if (progress != null) {
                            progress.accept(len);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            };
            runWorkers(worker, threads);
            switch (failure.get()) {
                case null -> { }
                case IOException io -> throw io;
                case RuntimeException re -> throw re;
                case Error err -> throw err;
                case Throwable other -> throw new IllegalStateException(other);
            }
            if (ch.size() < layout.fileSize()) {
                writeFully(ch, ByteBuffer.wrap(new byte[1]), layout.fileSize() - 1);
            }
        }
        return path;
    }

    private static void runWorkers(Runnable worker, int threads) {
        if (threads == 1) {
            worker.run();
            return;
        }
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            ts[i] = Thread.ofPlatform().name("gguf-writer-" + i).start(worker);
        }
        boolean interrupted = false;
        for (Thread t : ts) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the workers finish their chunks; the interrupt is passed on afterwards
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The tensor whose chunks include file chunk {@code j}: the last i with {@code firstChunk[i] <= j}. */
    private static int tensorOfChunk(long[] firstChunk, long j) {
        int lo = 0;
        int hi = firstChunk.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (firstChunk[mid] <= j) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private static long chunkBytes(Tensor t) {
        return Math.max(t.blockBytes(), CHUNK_BYTES / t.blockBytes() * (long) t.blockBytes());
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    private static void fillChecked(Tensor t, long offset, ByteBuffer chunk) {
        int want = chunk.remaining();
        t.data().fill(offset, chunk);
        if (chunk.hasRemaining()) {
            throw new IllegalStateException("tensor '" + t.name() + "': its data source put "
                    + (want - chunk.remaining()) + " of " + want + " bytes at offset " + offset);
        }
    }

    public static Path writeBytes(Path path, byte[] bytes) throws IOException {
        return Files.write(path, bytes);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            at += ch.write(b, at);
        }
    }

    /** Serializes header, metadata, tensor infos and the padding up to the data start; computes the layout. */
    private byte[] header() {
        Out o = new Out();
        o.bytes("GGUF".getBytes(StandardCharsets.US_ASCII));
        o.i32(version);
        o.i64(tensors.size());
        o.i64(kvs.size());
        List<KvAt> kvAt = new ArrayList<>();
        for (Kv kv : kvs) {
            long keyAt = o.pos();
            o.string(kv.key());
            long typeAt = o.pos();
            o.i32(kv.type().id());
            long valueAt = o.pos();
            if (kv.type() == GgufValueType.ARRAY) {
                List<?> values = (List<?>) kv.value();
                o.i32(kv.elemType().id());
                o.i64(values.size());
                for (Object v : values) {
                    o.value(kv.elemType(), v);
                }
            } else {
                o.value(kv.type(), kv.value());
            }
            kvAt.add(new KvAt(kv.key(), keyAt, typeAt, valueAt, o.pos()));
        }
        long[] rel = new long[tensors.size()];
        long running = 0;
        for (int i = 0; i < tensors.size(); i++) {
            rel[i] = running;
            running = pad(running + tensors.get(i).size(), alignment);
        }
        List<long[]> infoFields = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            long nameAt = o.pos();
            o.string(t.name());
            long nDimsAt = o.pos();
            o.i32(t.dims().length);
            long dimsAt = o.pos();
            for (long d : t.dims()) {
                o.i64(d);
            }
            long typeAt = o.pos();
            o.i32(t.typeId());
            long offsetAt = o.pos();
            o.i64(rel[i]);
            infoFields.add(new long[] {nameAt, nDimsAt, dimsAt, typeAt, offsetAt, o.pos()});
        }
        long infosEnd = o.pos();
        long dataStart = tensors.isEmpty() ? infosEnd : pad(infosEnd, alignment);
        while (o.pos() < dataStart) {
            o.u8(0);
        }
        List<InfoAt> infoAt = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            long[] f = infoFields.get(i);
            infoAt.add(new InfoAt(tensors.get(i).name(), f[0], f[1], f[2], f[3], f[4], f[5], dataStart + rel[i],
                    tensors.get(i).size()));
        }
        layout = new Layout(List.copyOf(kvAt), List.copyOf(infoAt), infosEnd, dataStart, dataStart + running);
        return o.toArray();
    }

    private static long pad(long x, int a) {
        return (x + a - 1) / a * a;
    }

    /** A growing little-endian byte buffer. */
    private static final class Out {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);

        long pos() {
            return buf.position();
        }

        private void room(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n))
                        .order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        void u8(int v) {
            room(1);
            buf.put((byte) v);
        }

        void i16(int v) {
            room(2);
            buf.putShort((short) v);
        }

        void i32(int v) {
            room(4);
            buf.putInt(v);
        }

        void i64(long v) {
            room(8);
            buf.putLong(v);
        }

        void bytes(byte[] b) {
            room(b.length);
            buf.put(b);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            bytes(b);
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> u8(((Number) v).intValue());
                case UINT16, INT16 -> i16(((Number) v).intValue());
                case UINT32, INT32 -> i32((int) ((Number) v).longValue());
                case UINT64, INT64 -> i64(((Number) v).longValue()); // BigInteger.longValue keeps the low 64 bits
                case FLOAT32 -> {
                    room(4);
                    buf.putFloat(((Number) v).floatValue());
                }
                case FLOAT64 -> {
                    room(8);
                    buf.putDouble(((Number) v).doubleValue());
                }
                case BOOL -> u8((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> throw new IllegalArgumentException("nested arrays are not written");
            }
        }

        byte[] toArray() {
            return Arrays.copyOf(buf.array(), buf.position());
        }
    }
}
