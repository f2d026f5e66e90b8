package dev.moe4j.tooling;

import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.gguf.GgufWriter;
import org.jspecify.annotations.Nullable;

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
         *
         * @param offset the offset of the chunk's first byte in the tensor's data
         * @param chunk  the buffer to fill, from its position to its limit
         */
        void fill(long offset, ByteBuffer chunk);
    }

    private final GgufWriter writer = new GgufWriter();

    /** A writer of an empty file: no metadata, no tensors. */
    public GgufFileWriter() {
    }

    /**
     * A STRING value.
     *
     * @param key   the metadata key, e.g. {@code general.name}
     * @param value the string
     * @return this writer
     */
    public GgufFileWriter putString(String key, String value) {
        writer.putString(key, Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * A UINT32 value.
     *
     * @param key   the metadata key
     * @param value the value, {@code 0 .. 2^32 - 1} (only its low 32 bits are written)
     * @return this writer
     */
    public GgufFileWriter putUInt32(String key, long value) {
        writer.putUInt32(key, value);
        return this;
    }

    /**
     * A FLOAT32 value.
     *
     * @param key   the metadata key
     * @param value the value
     * @return this writer
     */
    public GgufFileWriter putFloat32(String key, float value) {
        writer.putFloat32(key, value);
        return this;
    }

    /**
     * A BOOL value.
     *
     * @param key   the metadata key
     * @param value the value
     * @return this writer
     */
    public GgufFileWriter putBool(String key, boolean value) {
        writer.putBool(key, value);
        return this;
    }

    /**
     * An ARRAY of STRING (copied).
     *
     * @param key    the metadata key, e.g. {@code tokenizer.ggml.tokens}
     * @param values the strings, in order
     * @return this writer
     */
    public GgufFileWriter putStringArray(String key, List<String> values) {
        writer.putArray(key, GgufValueType.STRING, values);
        return this;
    }

    /**
     * An ARRAY of INT32 (copied).
     *
     * @param key    the metadata key, e.g. {@code tokenizer.ggml.token_type}
     * @param values the values, in order
     * @return this writer
     */
    public GgufFileWriter putInt32Array(String key, int[] values) {
        writer.putArray(key, GgufValueType.INT32, java.util.Arrays.stream(values).boxed().toList());
        return this;
    }

    /**
     * An ARRAY of FLOAT32 (copied).
     *
     * @param key    the metadata key, e.g. {@code deepseek4.swiglu_clamp_exp}
     * @param values the values, in order
     * @return this writer
     */
    public GgufFileWriter putFloat32Array(String key, float[] values) {
        List<Float> boxed = new java.util.ArrayList<>(values.length);
        for (float v : values) {
            boxed.add(v);
        }
        writer.putArray(key, GgufValueType.FLOAT32, boxed);
        return this;
    }

    /**
     * A tensor of {@code type.bytesFor(elements)} bytes that {@code data} produces while the file is written.
     *
     * @param name the tensor's name, e.g. {@code blk.0.attn_q.weight}
     * @param type the tensor's data type
     * @param dims the dimensions, innermost (row length) first
     * @param data produces the tensor's bytes when {@link #write} asks for them
     * @return this writer
     * @throws IllegalArgumentException if the dims are not a whole number of blocks of {@code type}
     * @throws ArithmeticException      if the element or byte count overflows a long
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
     * @param path     the file to write (created, or truncated if it exists)
     * @param threads  threads that fill and write the chunks, at least 1
     * @param progress if not null, told the byte count of each chunk once it is written (from the writer threads)
     * @return the size of the file written, in bytes
     * @throws IOException              if the file cannot be written (the partial file is left behind)
     * @throws IllegalArgumentException if {@code threads} is less than 1
     * @throws IllegalStateException    if a {@link TensorData} source did not fill its whole chunk
     * @throws RuntimeException         whatever a {@link TensorData} source threw
     */
    public long write(Path path, int threads, @Nullable LongConsumer progress) throws IOException {
        writer.write(path, threads, progress);
        return writer.layout().fileSize();
    }
}
