package dev.moe4j.internal.gguf;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates one GGUF file (one shard) that is already mapped: header, metadata, tensor infos, and the
 * placement of every tensor's data. Nothing is trusted: every count is checked against the bytes that could hold it
 * before anything is allocated for it, every read is bounds-checked, and tensors must lie inside the file, aligned and
 * without overlapping each other. Layout: shared/spec/gguf-format.md §1.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final int DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    static final int MAX_DIMS = 4;

    // Smallest possible encodings, used to bound counts by the bytes left in the file.
    private static final long MIN_KV_BYTES = 8 + 4 + 1; // empty key, type id, 1-byte value
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8; // 1-byte name, n_dims, 1 dim, type, offset
    private static final int LARGEST_JAVA_ARRAY = Integer.MAX_VALUE - 8;

    /** One parsed shard. Tensors are in file (tensor-info) order. */
    record Shard(Path path, int version, GgufMetadata metadata, List<GgufTensor> tensors, int alignment,
                 long dataStart, long size) {
    }

    private final GgufCursor in;
    private final Path path;
    private final int shardIndex;

    private GgufParser(MemorySegment data, Path path, int shardIndex) {
        this.in = new GgufCursor(data, path.toString());
        this.path = path;
        this.shardIndex = shardIndex;
    }

    static Shard parse(MemorySegment data, Path path, int shardIndex) {
        return new GgufParser(data, path, shardIndex).parse();
    }

    private Shard parse() {
        int version = header();
        long nTensorsAt = in.position();
        long nTensors = in.i64("n_tensors");
        long nKvAt = in.position();
        long nKv = in.i64("n_kv");
        checkCount(nKv, MIN_KV_BYTES, "n_kv (metadata count)", nKvAt);
        GgufMetadata metadata = metadata((int) nKv);
        checkCount(nTensors, MIN_TENSOR_INFO_BYTES, "n_tensors (tensor count)", nTensorsAt);
        int alignment = alignment(metadata);
        List<TensorInfo> infos = tensorInfos((int) nTensors);
        long dataStart = infos.isEmpty() ? in.position() : alignUp(in.position(), alignment);
        List<GgufTensor> tensors = place(infos, dataStart, alignment);
        return new Shard(path, version, metadata, tensors, alignment, dataStart, in.data().byteSize());
    }

    private int header() {
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw in.error(String.format("not a GGUF file: magic is 0x%08x, expected 0x%08x (\"GGUF\")",
                    magic, MAGIC), 0);
        }
        long at = in.position();
        int version = in.i32("version");
        if (version == 2 || version == 3) {
            return version;
        }
        if (version == 1) {
            throw in.error("GGUF version 1 is not supported (it predates 64-bit counts); re-convert the model with a"
                    + " current llama.cpp", at);
        }
        if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
            throw in.error("big-endian GGUF (version " + Integer.reverseBytes(version) + ") is not supported", at);
        }
        throw in.error("unsupported GGUF version " + Integer.toUnsignedString(version) + " (moe4j reads 2 and 3)", at);
    }

    /** Rejects a count that is negative or larger than the rest of the file could hold at minBytes per item. */
    private void checkCount(long count, long minBytes, String field, long at) {
        long possible = in.remaining() / minBytes;
        if (count < 0 || count > possible || count > LARGEST_JAVA_ARRAY) {
            throw in.error(field + " = " + Long.toUnsignedString(count) + " is impossible: the remaining "
                    + in.remaining() + " bytes hold at most " + possible, at);
        }
    }

    private GgufMetadata metadata(int nKv) {
        LinkedHashMap<String, GgufMetadata.Entry> entries = new LinkedHashMap<>();
        for (int i = 0; i < nKv; i++) {
            long keyAt = in.position();
            String key = in.string("metadata key #" + i);
            if (entries.containsKey(key)) {
                throw in.error("duplicate metadata key '" + key + "'", keyAt);
            }
            long typeAt = in.position();
            GgufValueType type = valueType(in.i32("type of metadata '" + key + "'"), "metadata '" + key + "'",
                    typeAt);
            long valueAt = in.position();
            Object value = type == GgufValueType.ARRAY ? array(key) : scalar(type, "metadata '" + key + "'");
            entries.put(key, new GgufMetadata.Entry(type, value, valueAt));
        }
        return new GgufMetadata(in.file(), entries);
    }

    private GgufValueType valueType(int id, String field, long at) {
        return GgufValueType.byId(id).orElseThrow(
                () -> in.error(field + " has unknown value type id " + id, at));
    }

    /** Reads one scalar: integers as Long (UINT64 as raw bits), Float, Double, Boolean or String. */
    private Object scalar(GgufValueType type, String field) {
        return switch (type) {
            case UINT8 -> (long) in.u8(field);
            case INT8 -> (long) (byte) in.u8(field);
            case UINT16 -> (long) in.u16(field);
            case INT16 -> (long) (short) in.u16(field);
            case UINT32 -> Integer.toUnsignedLong(in.i32(field));
            case INT32 -> (long) in.i32(field);
            case UINT64, INT64 -> in.i64(field);
            case FLOAT32 -> in.f32(field);
            case FLOAT64 -> in.f64(field);
            case BOOL -> in.u8(field) != 0;
            case STRING -> in.string(field);
            case ARRAY -> throw new IllegalStateException("arrays are read by array()");
        };
    }

    private GgufArray array(String key) {
        String field = "metadata array '" + key + "'";
        long typeAt = in.position();
        GgufValueType elem = valueType(in.i32(field + " element type"), field, typeAt);
        if (elem == GgufValueType.ARRAY) {
            throw in.error(field + " contains nested arrays, which GGUF models do not use", typeAt);
        }
        long countAt = in.position();
        long count = in.i64(field + " count");
        checkCount(count, elem == GgufValueType.STRING ? 8 : elem.size(), field + " count", countAt);
        long first = in.position();
        int n = (int) count;
        long[] starts = null;
        if (elem == GgufValueType.STRING) {
            // Grow as strings are actually read, so the allocation follows real bytes, not the claimed count.
            starts = new long[Math.min(n, 1024)];
            for (int i = 0; i < n; i++) {
                if (i == starts.length) {
                    starts = Arrays.copyOf(starts, (int) Math.min(n, 2L * starts.length));
                }
                starts[i] = in.stringBytes(field + " element " + i);
            }
        } else {
            in.skip(count * elem.size(), field + " elements");
        }
        return new GgufArray(in.file(), key, elem, n, in.data(), first, starts);
    }

    private int alignment(GgufMetadata md) {
        if (!md.has(ALIGNMENT_KEY)) {
            return DEFAULT_ALIGNMENT;
        }
        long at = md.offset(ALIGNMENT_KEY);
        if (md.type(ALIGNMENT_KEY) != GgufValueType.UINT32) {
            throw in.error(ALIGNMENT_KEY + " has type " + md.type(ALIGNMENT_KEY) + ", must be UINT32", at);
        }
        long a = md.getLong(ALIGNMENT_KEY); // UINT32, so 0..2^32-1
        if (a == 0 || Long.bitCount(a) != 1 || a > (1 << 30)) {
            throw in.error(ALIGNMENT_KEY + " = " + a + " is not a power of two (up to 2^30)", at);
        }
        return (int) a;
    }

    /** A tensor-info record before its data is placed. */
    private record TensorInfo(String name, GgmlType type, long[] dims, long elements, long bytes, long rowBytes,
                              long relOffset, long infoAt, long offsetAt) {
    }

    private List<TensorInfo> tensorInfos(int nTensors) {
        List<TensorInfo> infos = new ArrayList<>(Math.min(nTensors, 4096));
        Map<String, Long> seen = new HashMap<>();
        for (int i = 0; i < nTensors; i++) {
            long infoAt = in.position();
            String name = in.string("tensor #" + i + " name");
            if (name.isEmpty()) {
                throw in.error("tensor #" + i + " has an empty name", infoAt);
            }
            Long previous = seen.putIfAbsent(name, infoAt);
            if (previous != null) {
                throw in.error("duplicate tensor name '" + name + "' (first at offset " + previous + ")", infoAt);
            }
            String t = "tensor '" + name + "'";
            long nDimsAt = in.position();
            int nDims = in.i32(t + " n_dims");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw in.error(t + " has n_dims = " + Integer.toUnsignedString(nDims) + ", must be 1.." + MAX_DIMS,
                        nDimsAt);
            }
            long[] dims = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long dimAt = in.position();
                dims[d] = in.i64(t + " ne[" + d + "]");
                if (dims[d] < 1) {
                    throw in.error(t + " ne[" + d + "] = " + dims[d] + ", must be at least 1", dimAt);
                }
                try {
                    elements = Math.multiplyExact(elements, dims[d]);
                } catch (ArithmeticException e) {
                    throw in.error(t + " shape " + Arrays.toString(Arrays.copyOf(dims, d + 1))
                            + " has more elements than a 64-bit count holds", dimAt);
                }
            }
            long typeAt = in.position();
            int typeId = in.i32(t + " type");
            GgmlType type = GgmlType.byId(typeId).orElseThrow(
                    () -> in.error(t + " has unknown ggml type id " + typeId, typeAt));
            if (dims[0] % type.blockElems() != 0) {
                throw in.error(t + " ne[0] = " + dims[0] + " is not a multiple of the " + type + " block size "
                        + type.blockElems(), typeAt);
            }
            long rowBytes;
            long bytes;
            try {
                rowBytes = type.bytesFor(dims[0]);
                bytes = Math.multiplyExact(rowBytes, elements / dims[0]);
            } catch (ArithmeticException e) {
                throw in.error(t + " data size overflows 64 bits", typeAt);
            }
            long offsetAt = in.position();
            long relOffset = in.i64(t + " offset");
            infos.add(new TensorInfo(name, type, dims, elements, bytes, rowBytes, relOffset, infoAt, offsetAt));
        }
        return infos;
    }

    /** Checks each tensor's data range and slices the mapping for it. */
    private List<GgufTensor> place(List<TensorInfo> infos, long dataStart, int alignment) {
        long fileSize = in.data().byteSize();
        List<GgufTensor> tensors = new ArrayList<>(infos.size());
        for (TensorInfo ti : infos) {
            String t = "tensor '" + ti.name() + "'";
            if (Long.remainderUnsigned(ti.relOffset(), alignment) != 0) {
                throw in.error(t + " data offset " + Long.toUnsignedString(ti.relOffset())
                        + " is not a multiple of the alignment " + alignment, ti.offsetAt());
            }
            // relOffset is unsigned in the file; a negative long here is an offset beyond 2^63, outside any file.
            long start = ti.relOffset() < 0 || ti.relOffset() > fileSize ? -1 : dataStart + ti.relOffset();
            if (start < 0 || start > fileSize || ti.bytes() > fileSize - start) {
                throw in.error(t + " data [" + Long.toUnsignedString(ti.relOffset()) + " + " + ti.bytes()
                        + " bytes after the data start " + dataStart + "] extends past the end of the file ("
                        + fileSize + " bytes)", ti.offsetAt());
            }
            MemorySegment slice = in.data().asSlice(start, ti.bytes()).asReadOnly();
            tensors.add(new GgufTensor(ti.name(), ti.type(), ti.dims(), ti.elements(), ti.bytes(), ti.rowBytes(),
                    start, shardIndex, path, slice));
        }
        List<GgufTensor> byStart = new ArrayList<>(tensors);
        byStart.sort(Comparator.comparingLong(GgufTensor::fileOffset));
        for (int i = 1; i < byStart.size(); i++) {
            GgufTensor prev = byStart.get(i - 1);
            GgufTensor cur = byStart.get(i);
            if (cur.fileOffset() < prev.fileOffset() + prev.byteSize()) {
                throw in.error("tensor '" + cur.name() + "' data at " + cur.fileOffset() + " overlaps tensor '"
                        + prev.name() + "' data [" + prev.fileOffset() + ", " + (prev.fileOffset() + prev.byteSize())
                        + ")", cur.fileOffset());
            }
        }
        return tensors;
    }

    private static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }
}
