package dev.moe4j.internal.gguf;

import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor of a GGUF file: its name, ggml type, shape in ggml order ({@code dims()[0]} is the innermost, contiguous
 * dimension: a matrix {@code {in, out}} is {@code out} rows of {@code in} values) and its bytes as a read-only,
 * zero-copy slice of the memory mapping. All sizes were validated when the file was opened. Immutable and
 * thread-safe; {@link #segment()} is usable only while its {@link GgufFile} is open.
 */
public final class GgufTensor {
    private final String name;
    private final GgmlType type;
    private final long[] dims;
    private final long elementCount;
    private final long byteSize;
    private final long rowBytes;
    private final long fileOffset;
    private final int shard;
    private final Path shardPath;
    private final MemorySegment segment;

    GgufTensor(String name, GgmlType type, long[] dims, long elementCount, long byteSize, long rowBytes,
               long fileOffset, int shard, Path shardPath, MemorySegment segment) {
        this.name = name;
        this.type = type;
        this.dims = dims.clone();
        this.elementCount = elementCount;
        this.byteSize = byteSize;
        this.rowBytes = rowBytes;
        this.fileOffset = fileOffset;
        this.shard = shard;
        this.shardPath = shardPath;
        this.segment = segment;
    }

    public String name() {
        return name;
    }

    public GgmlType type() {
        return type;
    }

    /** The shape, {@code ne[0]} (innermost) first; 1 to 4 entries, each at least 1. A copy. */
    public long[] dims() {
        return dims.clone();
    }

    /** Number of dimensions (1..4). */
    public int rank() {
        return dims.length;
    }

    /** {@code dims()[i]}, or 1 for {@code i >= rank()} (ggml pads shapes with ones). */
    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    /** Product of the dimensions. */
    public long elementCount() {
        return elementCount;
    }

    /** Bytes of data: {@code rows() * rowBytes()}. */
    public long byteSize() {
        return byteSize;
    }

    /** Bytes of one row of {@code dims()[0]} elements (whole quantization blocks). */
    public long rowBytes() {
        return rowBytes;
    }

    /** Number of rows: {@code elementCount() / dims()[0]}. */
    public long rows() {
        return elementCount / dims[0];
    }

    /** Absolute offset of the first byte in its shard file. */
    public long fileOffset() {
        return fileOffset;
    }

    /** 0-based index of the shard file that holds the data (0 for single-file models). */
    public int shard() {
        return shard;
    }

    /** The file that holds the data. */
    public Path shardPath() {
        return shardPath;
    }

    /** The tensor's bytes: a read-only slice of the mapping, {@link #byteSize()} long, no copy. */
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + fileOffset + " (" + byteSize + " bytes)";
    }
}
