package dev.moe4j;

/**
 * The native kernel library could not be found, extracted or loaded (for example on a platform for which no library is
 * packaged), or it is not the version this jar was built with.
 */
public class NativeLibraryException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
