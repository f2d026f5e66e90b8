package dev.moe4j.internal.gguf;

import dev.moe4j.ModelFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked little-endian reader over one mapped GGUF file. Every read first checks that the bytes exist, so a
 * truncated or lying file ends in a {@link ModelFormatException} that names the file, the field and the offset, never
 * in an {@code IndexOutOfBoundsException}. Not thread-safe; used only while parsing.
 */
final class GgufCursor {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Longest string we decode (Java arrays stop a little short of 2^31). */
    static final long MAX_STRING_BYTES = Integer.MAX_VALUE - 16;

    private final MemorySegment data;
    private final String file;
    private final long size;
    private long pos;

    GgufCursor(MemorySegment data, String file) {
        this.data = data;
        this.file = file;
        this.size = data.byteSize();
    }

    long position() {
        return pos;
    }

    long remaining() {
        return size - pos;
    }

    String file() {
        return file;
    }

    MemorySegment data() {
        return data;
    }

    /** An exception naming this file, with {@code what} and the given offset. */
    ModelFormatException error(String what, long offset) {
        return new ModelFormatException(file + ": " + what, offset);
    }

    /** Ensures {@code n} more bytes exist for {@code field}. */
    void need(long n, String field) {
        if (n < 0 || n > size - pos) {
            throw error("file truncated: " + field + " needs " + Long.toUnsignedString(n) + " bytes but only "
                    + (size - pos) + " remain", pos);
        }
    }

    int u8(String field) {
        need(1, field);
        return Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, pos++));
    }

    int u16(String field) {
        need(2, field);
        int v = Short.toUnsignedInt(data.get(U16, pos));
        pos += 2;
        return v;
    }

    int i32(String field) {
        need(4, field);
        int v = data.get(I32, pos);
        pos += 4;
        return v;
    }

    long i64(String field) {
        need(8, field);
        long v = data.get(I64, pos);
        pos += 8;
        return v;
    }

    float f32(String field) {
        need(4, field);
        float v = data.get(F32, pos);
        pos += 4;
        return v;
    }

    double f64(String field) {
        need(8, field);
        double v = data.get(F64, pos);
        pos += 8;
        return v;
    }

    void skip(long n, String field) {
        need(n, field);
        pos += n;
    }

    /**
     * Reads the length prefix of a string and checks its bytes exist and are valid UTF-8; leaves the cursor after the
     * string and returns the offset of its first byte. The length is then {@code position() - start}.
     */
    long stringBytes(String field) {
        long lenAt = pos;
        long len = i64(field + " length");
        if (len < 0 || len > size - pos) {
            throw error(field + " length " + Long.toUnsignedString(len) + " exceeds the " + (size - pos)
                    + " bytes left in the file", lenAt);
        }
        if (len > MAX_STRING_BYTES) {
            throw error(field + " length " + len + " is beyond what a Java String holds", lenAt);
        }
        long start = pos;
        long bad = Utf8.firstInvalid(data, start, len);
        if (bad >= 0) {
            throw error(field + " is not valid UTF-8", bad);
        }
        pos += len;
        return start;
    }

    /** Reads a length-prefixed UTF-8 string. */
    String string(String field) {
        long start = stringBytes(field);
        return decode(data, start, pos - start);
    }

    static String decode(MemorySegment data, long start, long len) {
        // stringBytes() refused anything longer when the file was opened
        byte[] bytes = new byte[(int) len];
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, start, bytes, 0, (int) len);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
