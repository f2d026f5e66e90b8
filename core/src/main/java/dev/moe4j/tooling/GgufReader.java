package dev.moe4j.tooling;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.gguf.GgufTensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A GGUF file's metadata and tensor infos, read without touching the weights (the file is memory-mapped until
 * {@link #close()}). For a file's summary as an immutable value, {@link dev.moe4j.ModelInfo} is the public API; this
 * reader gives typed access to single keys and to every tensor. Not thread-safe while being closed.
 */
public final class GgufReader implements AutoCloseable {
    private final GgufFile file;
    private final GgufMetadata metadata;
    private final List<TensorInfo> tensors;

    private GgufReader(GgufFile file) {
        this.file = file;
        this.metadata = file.metadata();
        List<TensorInfo> all = new ArrayList<>(file.tensors().size());
        for (GgufTensor t : file.tensors()) {
            all.add(info(t));
        }
        this.tensors = Collections.unmodifiableList(all);
    }

    private static TensorInfo info(GgufTensor t) {
        return new TensorInfo(t.name(), TensorType.of(t.type()), Arrays.stream(t.dims()).boxed().toList(),
                t.byteSize(), t.rowBytes());
    }

    /**
     * Maps and validates a GGUF file (for a split model, its first shard {@code *-00001-of-0000N.gguf} and the
     * siblings).
     *
     * @throws ModelFormatException if a shard is malformed, truncated, inconsistent or missing
     * @throws IOException          if a file cannot be opened or mapped
     */
    public static GgufReader open(Path path) throws IOException {
        return new GgufReader(GgufFile.open(path));
    }

    /** The file opened (the first shard of a split model). */
    public Path path() {
        return file.path();
    }

    /** Bytes of the file, all shards together. */
    public long fileSize() {
        return file.fileSize();
    }

    /** Whether the metadata has {@code key}. */
    public boolean has(String key) {
        return metadata.has(key);
    }

    /**
     * The string value of {@code key}, if the file has the key.
     *
     * @throws ModelFormatException if the value is not a string
     */
    public Optional<String> optString(String key) {
        return metadata.optString(key);
    }

    /**
     * The value of {@code key}, of any integer type, as an int.
     *
     * @throws ModelFormatException if the key is missing, not an integer or out of the int range
     */
    public int getInt(String key) {
        return metadata.getInt(key);
    }

    /**
     * The value of {@code key}, of any float type, as a float.
     *
     * @throws ModelFormatException if the key is missing or not a float
     */
    public float getFloat(String key) {
        return metadata.getFloat(key);
    }

    /** Every metadata key, in file order; unmodifiable. */
    public java.util.Set<String> keys() {
        return metadata.keys();
    }

    /**
     * The value of {@code key} as a plain Java value: {@code Long} for integers, {@code Float}/{@code Double}, {@code
     * Boolean}, {@code String}, or a {@code List} of those for arrays.
     *
     * @throws ModelFormatException if the key is missing
     */
    public Object value(String key) {
        return metadata.toJava(key);
    }

    /**
     * The value of {@code key}, an array of strings, as a read-only list decoded as it is read (valid until
     * {@link #close()}).
     *
     * @throws ModelFormatException if the key is missing or not an array of strings
     */
    public List<String> getStringArray(String key) {
        return metadata.getStringArray(key);
    }

    /**
     * The file offset of the value of {@code key}, for {@link ModelFormatException#offset()}.
     *
     * @throws ModelFormatException if the key is missing
     */
    public long offset(String key) {
        return metadata.offset(key);
    }

    /** Every tensor, in file order (all shards); unmodifiable. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor called {@code name}, if there is one. */
    public Optional<TensorInfo> tensor(String name) {
        return file.tensor(name).map(GgufReader::info);
    }

    /**
     * The values of an F32 tensor, copied (small tensors: norms, biases, sinks).
     *
     * @throws IllegalArgumentException if there is no such tensor, it is not F32, or it has more than 2^31 - 1 values
     */
    public float[] f32(String name) {
        GgufTensor t = file.tensor(name).orElseThrow(() -> new IllegalArgumentException("no tensor '" + name + "'"));
        if (t.type() != dev.moe4j.internal.quant.GgmlType.F32 || t.elementCount() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + name + "' is " + t.type() + " with " + t.elementCount()
                    + " values, not a small F32 tensor");
        }
        return t.segment().asSlice(0, t.elementCount() * Float.BYTES)
                .toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN));
    }

    /** Unmaps the file; lists already returned by {@link #getStringArray} become unusable. Idempotent. */
    @Override
    public void close() {
        file.close();
    }
}
