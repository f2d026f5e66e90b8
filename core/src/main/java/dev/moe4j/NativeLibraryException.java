package dev.moe4j;

import org.jspecify.annotations.Nullable;

/**
 * The native kernel library could not be found, extracted or loaded (for example on a platform for which no library is
 * packaged), or it is not the version this jar was built with.
 */
public class NativeLibraryException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message.
     *
     * @param message what could not be loaded, and why
     */
    public NativeLibraryException(String message) {
        super(message);
    }

    /**
     * An exception with a message and the exception that caused it.
     *
     * @param message what could not be loaded, and why
     * @param cause   the cause, or null if unknown
     */
    public NativeLibraryException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
