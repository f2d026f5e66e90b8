package dev.moe4j.tooling;

import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.gguf.GgufWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Builds a GGUF v3 file (metadata in the order put, then tensors in the order added) and writes it, streaming tensor
 * data from {@link TensorData} sources so that a file of any size takes a few chunks of memory. Not thread-safe.
 */
public final class GgufFileWriter {
    /**
     * Produces a tensor's bytes on demand. The writer asks for consecutive chunks that start and end on whole blocks
     * of the tensor's type, possibly from several threads at once and in any order, so an implementation must derive
     * a chunk's bytes from {@code offset} alone.
     */
    @FunctionalInterface
    public interface TensorData {
        /**
         * Puts exactly {@code chunk.remaining()} bytes (relative puts; the buffer is little-endian) that are the
         * tensor's bytes {@code [offset, offset + chunk.remaining())}.
         */
        void fill(long offset, ByteBuffer chunk);
    }

    private final GgufWriter writer = new GgufWriter();

    /** A STRING value. */
    public GgufFileWriter putString(String key, String value) {
        writer.putString(key, Objects.requireNonNull(value, "value"));
        return this;
    }

    /** A UINT32 value. */
    public GgufFileWriter putUInt32(String key, long value) {
        writer.putUInt32(key, value);
        return this;
    }

    /** A FLOAT32 value. */
    public GgufFileWriter putFloat32(String key, float value) {
        writer.putFloat32(key, value);
        return this;
    }

    /** A BOOL value. */
    public GgufFileWriter putBool(String key, boolean value) {
        writer.putBool(key, value);
        return this;
    }

    /** An ARRAY of STRING (copied). */
    public GgufFileWriter putStringArray(String key, List<String> values) {
        writer.putArray(key, GgufValueType.STRING, values);
        return this;
    }

    /** An ARRAY of INT32 (copied). */
    public GgufFileWriter putInt32Array(String key, int[] values) {
        writer.putArray(key, GgufValueType.INT32, java.util.Arrays.stream(values).boxed().toList());
        return this;
    }

    /**
     * A tensor of {@code type.bytesFor(elements)} bytes that {@code data} produces while the file is written.
     *
     * @param dims the dimensions, innermost (row length) first
     * @throws IllegalArgumentException if the dims are not a whole number of blocks of {@code type}
     */
    public GgufFileWriter tensor(String name, TensorType type, long[] dims, TensorData data) {
        Objects.requireNonNull(data, "data");
        writer.tensor(name, type.internal(), dims, data::fill);
        return this;
    }

    /**
     * Writes the file (replacing it), the tensor data in chunks of a few MiB that {@code threads} threads fill and
     * write at their place.
     *
     * @param progress if not null, told the byte count of each chunk once it is written (from the writer threads)
     * @return the size of the file written, in bytes
     * @throws IOException      if the file cannot be written (the partial file is left behind)
     * @throws RuntimeException whatever a {@link TensorData} source threw
     */
    public long write(Path path, int threads, LongConsumer progress) throws IOException {
        writer.write(path, threads, progress);
        return writer.layout().fileSize();
    }
}
