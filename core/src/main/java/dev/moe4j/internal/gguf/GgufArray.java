package dev.moe4j.internal.gguf;

import dev.moe4j.ModelFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.RandomAccess;

/**
 * A metadata array, read lazily from the mapped file: nothing is copied until an element is asked for, so a 130k-entry
 * vocabulary costs one {@code long} per string (its offset) until used. All elements were validated (bounds, UTF-8)
 * when the file was opened. Valid only while its {@link GgufFile} is open; immutable and safe to share between
 * threads.
 */
public final class GgufArray {
    private final String file;
    private final String key;
    private final GgufValueType elementType;
    private final int size;
    private final MemorySegment data;
    private final long offset;
    private final long[] stringStarts;

    /**
     * @param data         the whole mapped file
     * @param offset       file offset of the first element
     * @param stringStarts for STRING arrays, the offset of each string's first byte (after its length); else null
     */
    GgufArray(String file, String key, GgufValueType elementType, int size, MemorySegment data, long offset,
              long[] stringStarts) {
        this.file = file;
        this.key = key;
        this.elementType = elementType;
        this.size = size;
        this.data = data;
        this.offset = offset;
        this.stringStarts = stringStarts;
    }

    public GgufValueType elementType() {
        return elementType;
    }

    public int size() {
        return size;
    }

    /** File offset of the first element. */
    public long offset() {
        return offset;
    }

    /**
     * Element {@code i} of an integer array as a long; UINT64 values above {@link Long#MAX_VALUE} come back as their
     * two's-complement bits (see {@link #isUnsignedOverflow}).
     */
    public long getLong(int i) {
        requireInteger("an integer");
        long at = at(i);
        return switch (elementType) {
            case UINT8 -> Byte.toUnsignedLong(data.get(ValueLayout.JAVA_BYTE, at));
            case INT8 -> data.get(ValueLayout.JAVA_BYTE, at);
            case UINT16 -> Short.toUnsignedLong(data.get(GgufCursor.U16, at));
            case INT16 -> data.get(GgufCursor.U16, at);
            case UINT32 -> Integer.toUnsignedLong(data.get(GgufCursor.I32, at));
            case INT32 -> data.get(GgufCursor.I32, at);
            default -> data.get(GgufCursor.I64, at);
        };
    }

    /** Whether element {@code i} is a UINT64 too large for a signed long. */
    public boolean isUnsignedOverflow(int i) {
        return elementType == GgufValueType.UINT64 && getLong(i) < 0;
    }

    /** Element {@code i} of a FLOAT32 or FLOAT64 array. */
    public double getDouble(int i) {
        if (!elementType.isFloat()) {
            throw mismatch("a float");
        }
        long at = at(i);
        return elementType == GgufValueType.FLOAT32 ? data.get(GgufCursor.F32, at) : data.get(GgufCursor.F64, at);
    }

    /** Element {@code i} of a BOOL array (any non-zero byte is true). */
    public boolean getBool(int i) {
        if (elementType != GgufValueType.BOOL) {
            throw mismatch("a bool");
        }
        return data.get(ValueLayout.JAVA_BYTE, at(i)) != 0;
    }

    /** Element {@code i} of a STRING array, decoded. */
    public String getString(int i) {
        MemorySegment b = stringBytes(i);
        return GgufCursor.decode(b, 0, b.byteSize());
    }

    /** The raw UTF-8 bytes of element {@code i} of a STRING array: a read-only slice of the mapping, no copy. */
    public MemorySegment stringBytes(int i) {
        if (elementType != GgufValueType.STRING) {
            throw mismatch("a string");
        }
        long start = stringStarts[checkIndex(i)];
        long len = data.get(GgufCursor.I64, start - 8);
        return data.asSlice(start, len).asReadOnly();
    }

    /** A read-only view of a STRING array that decodes each element when it is read. */
    public List<String> asStrings() {
        if (elementType != GgufValueType.STRING) {
            throw mismatch("a string");
        }
        return new StringView();
    }

    /** Copies an integer array into an int[]; every element must fit in an int. */
    public int[] toIntArray() {
        requireInteger("an int");
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            long v = getLong(i);
            if (v != (int) v || isUnsignedOverflow(i)) {
                throw new ModelFormatException(file + ": metadata '" + key + "' element " + i + " = "
                        + (isUnsignedOverflow(i) ? Long.toUnsignedString(v) : v) + " does not fit in an int", at(i));
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** Copies an integer array into a long[]; UINT64 elements must fit in a signed long. */
    public long[] toLongArray() {
        requireInteger("a long");
        long[] out = new long[size];
        for (int i = 0; i < size; i++) {
            if (isUnsignedOverflow(i)) {
                throw new ModelFormatException(file + ": metadata '" + key + "' element " + i + " = "
                        + Long.toUnsignedString(getLong(i)) + " does not fit in a long", at(i));
            }
            out[i] = getLong(i);
        }
        return out;
    }

    /** Copies a FLOAT32 (or FLOAT64, rounded) array into a float[]. */
    public float[] toFloatArray() {
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            out[i] = (float) getDouble(i);
        }
        return out;
    }

    /**
     * A detached, unmodifiable copy with Java values: Long for every integer type (java.math.BigInteger for UINT64
     * above Long.MAX_VALUE), Float, Double, Boolean or String. Usable after the file is closed.
     */
    public List<Object> toJavaList() {
        List<Object> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(switch (elementType) {
                case FLOAT32 -> (float) getDouble(i);
                case FLOAT64 -> getDouble(i);
                case BOOL -> getBool(i);
                case STRING -> getString(i);
                default -> isUnsignedOverflow(i)
                        ? new java.math.BigInteger(Long.toUnsignedString(getLong(i)))
                        : (Object) getLong(i);
            });
        }
        return Collections.unmodifiableList(out);
    }

    private long at(int i) {
        return offset + (long) checkIndex(i) * elementType.size();
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("index " + i + " of metadata array '" + key + "' (size " + size + ")");
        }
        return i;
    }

    private void requireInteger(String wanted) {
        if (!elementType.isInteger()) {
            throw mismatch(wanted);
        }
    }

    private ModelFormatException mismatch(String wanted) {
        return new ModelFormatException(file + ": metadata '" + key + "' is an array of " + elementType
                + ", expected elements of " + wanted + " type", offset);
    }

    private final class StringView extends AbstractList<String> implements RandomAccess {
        @Override
        public String get(int index) {
            return getString(index);
        }

        @Override
        public int size() {
            return size;
        }
    }
}
