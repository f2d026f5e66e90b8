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
     * @param path the GGUF file, or the first shard of a split model
     * @return the reader; the caller closes it
     * @throws ModelFormatException if a shard is malformed, truncated, inconsistent or missing
     * @throws IOException          if a file cannot be opened or mapped
     */
    public static GgufReader open(Path path) throws IOException {
        return new GgufReader(GgufFile.open(path));
    }

    /**
     * The file opened (the first shard of a split model).
     *
     * @return the path given to {@link #open}
     */
    public Path path() {
        return file.path();
    }

    /**
     * Bytes of the file, all shards together.
     *
     * @return the size in bytes
     */
    public long fileSize() {
        return file.fileSize();
    }

    /**
     * Whether the metadata has {@code key}.
     *
     * @param key a metadata key, e.g. {@code general.architecture}
     * @return true if the file has a value for the key
     */
    public boolean has(String key) {
        return metadata.has(key);
    }

    /**
     * The string value of {@code key}, if the file has the key.
     *
     * @param key a metadata key
     * @return the value, or empty if the file has no such key
     * @throws ModelFormatException if the value is not a string
     */
    public Optional<String> optString(String key) {
        return metadata.optString(key);
    }

    /**
     * The value of {@code key}, of any integer type, as an int.
     *
     * @param key a metadata key, e.g. {@code deepseek2.block_count}
     * @return the value
     * @throws ModelFormatException if the key is missing, not an integer or out of the int range
     */
    public int getInt(String key) {
        return metadata.getInt(key);
    }

    /**
     * The value of {@code key}, of any float type, as a float.
     *
     * @param key a metadata key, e.g. {@code deepseek2.rope.freq_base}
     * @return the value
     * @throws ModelFormatException if the key is missing or not a float
     */
    public float getFloat(String key) {
        return metadata.getFloat(key);
    }

    /**
     * Every metadata key, in file order; unmodifiable.
     *
     * @return the keys
     */
    public java.util.Set<String> keys() {
        return metadata.keys();
    }

    /**
     * The value of {@code key} as a plain Java value: {@code Long} for integers ({@code BigInteger} for a UINT64 above
     * {@link Long#MAX_VALUE}), {@code Float}/{@code Double}, {@code Boolean}, {@code String}, or an unmodifiable
     * {@code List} of those for arrays. The value is copied: it stays usable after {@link #close()}.
     *
     * @param key a metadata key
     * @return the value
     * @throws ModelFormatException if the key is missing
     */
    public Object value(String key) {
        return metadata.toJava(key);
    }

    /**
     * The value of {@code key}, an array of strings, as a read-only list decoded as it is read (valid until
     * {@link #close()}).
     *
     * @param key a metadata key, e.g. {@code tokenizer.ggml.tokens}
     * @return the strings, in file order
     * @throws ModelFormatException if the key is missing or not an array of strings
     */
    public List<String> getStringArray(String key) {
        return metadata.getStringArray(key);
    }

    /**
     * The file offset of the value of {@code key}, for {@link ModelFormatException#offset()}.
     *
     * @param key a metadata key
     * @return the offset of the value's first byte in the file
     * @throws ModelFormatException if the key is missing
     */
    public long offset(String key) {
        return metadata.offset(key);
    }

    /**
     * Every tensor, in file order (all shards); unmodifiable.
     *
     * @return the tensor infos
     */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The tensor called {@code name}, if there is one.
     *
     * @param name a tensor name, e.g. {@code token_embd.weight}
     * @return the tensor's info, or empty if the file has no such tensor
     */
    public Optional<TensorInfo> tensor(String name) {
        return file.tensor(name).map(GgufReader::info);
    }

    /**
     * The values of an F32 tensor, copied (small tensors: norms, biases, sinks).
     *
     * @param name a tensor name, e.g. {@code output_norm.weight}
     * @return the tensor's values, in file order (innermost dimension first)
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
