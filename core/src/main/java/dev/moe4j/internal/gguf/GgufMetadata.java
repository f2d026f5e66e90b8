package dev.moe4j.internal.gguf;

import dev.moe4j.ModelFormatException;

import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The key/value metadata of a GGUF file, in file order, with typed getters. A getter fails with a
 * {@link ModelFormatException} naming the file, the key and the value's offset when the key is missing or has a type
 * that cannot represent what was asked for; the {@code opt*} variants return empty only when the key is absent (a
 * present key of the wrong type is still an error: the file is malformed, not silent). Integer getters accept any
 * integer type whose value fits. Immutable; arrays are views into the mapping, so use this only while its
 * {@link GgufFile} is open.
 */
public final class GgufMetadata {
    /** One value: its type, its decoded scalar (or a {@link GgufArray}) and the file offset of the value. */
    record Entry(GgufValueType type, Object value, long offset) {
    }

    private final String file;
    private final Map<String, Entry> entries;

    GgufMetadata(String file, LinkedHashMap<String, Entry> entries) {
        this.file = file;
        this.entries = Collections.unmodifiableMap(entries);
    }

    /** The file the metadata came from, as used in error messages. */
    public String file() {
        return file;
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    /** All keys in file order (unmodifiable). */
    public Set<String> keys() {
        return entries.keySet();
    }

    public int size() {
        return entries.size();
    }

    /** The stored type of {@code key}. */
    public GgufValueType type(String key) {
        return entry(key).type();
    }

    /** The file offset of the value of {@code key} (after its key and type id). */
    public long offset(String key) {
        return entry(key).offset();
    }

    public String getString(String key) {
        return (String) expect(key, GgufValueType.STRING).value();
    }

    /** Any integer type whose value fits in an int. */
    public int getInt(String key) {
        Entry e = integer(key);
        long v = (Long) e.value();
        if (v != (int) v || unsignedOverflow(e)) {
            throw error("metadata '" + key + "' = " + show(e) + " does not fit in an int", e.offset());
        }
        return (int) v;
    }

    /** Any integer type whose value fits in a signed long (a UINT64 above Long.MAX_VALUE does not). */
    public long getLong(String key) {
        Entry e = integer(key);
        if (unsignedOverflow(e)) {
            throw error("metadata '" + key + "' = " + show(e) + " does not fit in a long", e.offset());
        }
        return (Long) e.value();
    }

    /** FLOAT32, or FLOAT64 rounded to float. */
    public float getFloat(String key) {
        return (float) getDouble(key);
    }

    /** FLOAT32 or FLOAT64. */
    public double getDouble(String key) {
        Entry e = entry(key);
        if (!e.type().isFloat()) {
            throw wrongType(key, e, "FLOAT32 or FLOAT64");
        }
        return ((Number) e.value()).doubleValue();
    }

    public boolean getBool(String key) {
        return (Boolean) expect(key, GgufValueType.BOOL).value();
    }

    /** Any array. */
    public GgufArray getArray(String key) {
        return (GgufArray) expect(key, GgufValueType.ARRAY).value();
    }

    /** An array of strings as a lazy, read-only list (no copy; each element is decoded when read). */
    public List<String> getStringArray(String key) {
        return elements(key, GgufValueType.STRING).asStrings();
    }

    /** An array of any integer type, copied; every element must fit in an int. */
    public int[] getIntArray(String key) {
        return integerArray(key).toIntArray();
    }

    /** An array of any integer type, copied. */
    public long[] getLongArray(String key) {
        return integerArray(key).toLongArray();
    }

    /** An array of FLOAT32 (or FLOAT64), copied. */
    public float[] getFloatArray(String key) {
        GgufArray a = getArray(key);
        if (!a.elementType().isFloat()) {
            throw error("metadata '" + key + "' is an array of " + a.elementType() + ", expected FLOAT32",
                    offset(key));
        }
        return a.toFloatArray();
    }

    public Optional<String> optString(String key) {
        return has(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    public Optional<Integer> optInt(String key) {
        return has(key) ? Optional.of(getInt(key)) : Optional.empty();
    }

    public Optional<Long> optLong(String key) {
        return has(key) ? Optional.of(getLong(key)) : Optional.empty();
    }

    public Optional<Float> optFloat(String key) {
        return has(key) ? Optional.of(getFloat(key)) : Optional.empty();
    }

    public Optional<Boolean> optBool(String key) {
        return has(key) ? Optional.of(getBool(key)) : Optional.empty();
    }

    public Optional<List<String>> optStringArray(String key) {
        return has(key) ? Optional.of(getStringArray(key)) : Optional.empty();
    }

    /**
     * A detached Java value for {@code key}, usable after the file is closed: Long for every integer type (BigInteger
     * for a UINT64 above Long.MAX_VALUE), Float, Double, Boolean, String, or an unmodifiable List of those for arrays.
     */
    public Object toJava(String key) {
        Entry e = entry(key);
        if (e.type() == GgufValueType.ARRAY) {
            return ((GgufArray) e.value()).toJavaList();
        }
        if (unsignedOverflow(e)) {
            return new BigInteger(Long.toUnsignedString((Long) e.value()));
        }
        return e.value();
    }

    private Entry entry(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw error("metadata key '" + key + "' is missing", -1);
        }
        return e;
    }

    private Entry expect(String key, GgufValueType type) {
        Entry e = entry(key);
        if (e.type() != type) {
            throw wrongType(key, e, type.name());
        }
        return e;
    }

    private Entry integer(String key) {
        Entry e = entry(key);
        if (!e.type().isInteger()) {
            throw wrongType(key, e, "an integer type");
        }
        return e;
    }

    private GgufArray elements(String key, GgufValueType elementType) {
        GgufArray a = getArray(key);
        if (a.elementType() != elementType) {
            throw error("metadata '" + key + "' is an array of " + a.elementType() + ", expected " + elementType,
                    offset(key));
        }
        return a;
    }

    private GgufArray integerArray(String key) {
        GgufArray a = getArray(key);
        if (!a.elementType().isInteger()) {
            throw error("metadata '" + key + "' is an array of " + a.elementType() + ", expected an integer type",
                    offset(key));
        }
        return a;
    }

    private static boolean unsignedOverflow(Entry e) {
        return e.type() == GgufValueType.UINT64 && (Long) e.value() < 0;
    }

    private static String show(Entry e) {
        return unsignedOverflow(e) ? Long.toUnsignedString((Long) e.value()) : String.valueOf(e.value());
    }

    private ModelFormatException wrongType(String key, Entry e, String wanted) {
        String got = e.type() == GgufValueType.ARRAY
                ? "ARRAY of " + ((GgufArray) e.value()).elementType()
                : e.type().name();
        return error("metadata '" + key + "' has type " + got + ", expected " + wanted, e.offset());
    }

    private ModelFormatException error(String what, long offset) {
        return new ModelFormatException(file + ": " + what, offset);
    }
}
