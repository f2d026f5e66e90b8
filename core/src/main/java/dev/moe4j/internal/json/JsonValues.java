package dev.moe4j.internal.json;

import java.util.List;
import java.util.Map;

/**
 * Typed access to values produced by {@link JsonParser}, for readers of JSON files with a known structure. Each method
 * takes the JSON path of the value (e.g. {@code $.model.merges[3]}) and the source name, so that a wrong type is
 * reported as {@code "tokenizer.json: $.model.merges[3]: expected a string, found a number"}.
 */
public final class JsonValues {
    private JsonValues() {
    }

    /** The value as an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object value, String path, String source) {
        if (value instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw mismatch(value, "an object", path, source);
    }

    /** The value as an array. */
    @SuppressWarnings("unchecked")
    public static List<Object> array(Object value, String path, String source) {
        if (value instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw mismatch(value, "an array", path, source);
    }

    /** The value as a string. */
    public static String string(Object value, String path, String source) {
        if (value instanceof String s) {
            return s;
        }
        throw mismatch(value, "a string", path, source);
    }

    /** The value as a boolean. */
    public static boolean bool(Object value, String path, String source) {
        if (value instanceof Boolean b) {
            return b;
        }
        throw mismatch(value, "a boolean", path, source);
    }

    /** The value as an int: an integer literal within [{@code min}, {@code max}]. */
    public static int integer(Object value, int min, int max, String path, String source) {
        if (value instanceof Long l) {
            if (l < min || l > max) {
                throw new JsonParseException(source + ": " + path + ": " + l + " is outside [" + min + ", " + max + "]",
                        -1);
            }
            return (int) (long) l;
        }
        throw mismatch(value, "an integer", path, source);
    }

    /** A member of an object that must be present (it may be JSON null, returned as Java null). */
    public static Object member(Map<String, Object> object, String key, String path, String source) {
        if (!object.containsKey(key)) {
            throw new JsonParseException(source + ": " + path + ": missing member \"" + key + "\"", -1);
        }
        return object.get(key);
    }

    /** A short name of the JSON type of a parsed value, for messages. */
    public static String typeName(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map<?, ?>) {
            return "an object";
        }
        if (value instanceof List<?>) {
            return "an array";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        return "a number";
    }

    private static JsonParseException mismatch(Object value, String expected, String path, String source) {
        return new JsonParseException(source + ": " + path + ": expected " + expected + ", found " + typeName(value),
                -1);
    }
}
