package dev.moe4j;

import org.jspecify.annotations.Nullable;

/**
 * The root of every exception moe4j throws on purpose. Unchecked, so fluent calls stay fluent; each subclass says what
 * went wrong and where (a file offset, a tensor name, a native status).
 */
public class Moe4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message.
     *
     * @param message what went wrong
     */
    public Moe4jException(String message) {
        super(message);
    }

    /**
     * An exception with a message and the exception that caused it.
     *
     * @param message what went wrong
     * @param cause   the cause, or null if unknown
     */
    public Moe4jException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
