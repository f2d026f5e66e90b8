package dev.moe4j.internal.json;

import dev.moe4j.ModelFormatException;

/**
 * A JSON document is malformed, or does not have the structure its reader expects. The message names the source, the
 * line and column (1-based) and what was expected; {@link #offset()} is the 0-based character offset in the text
 * (after UTF-8 decoding), or the byte offset when the bytes themselves are not valid UTF-8.
 */
public final class JsonParseException extends ModelFormatException {
    private static final long serialVersionUID = 1L;

    public JsonParseException(String message, long offset) {
        super(message, offset);
    }
}
