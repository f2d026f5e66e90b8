package dev.moe4j;

/**
 * The root of every exception moe4j throws on purpose. Unchecked, so fluent calls stay fluent; each subclass says what
 * went wrong and where (a file offset, a tensor name, a native status).
 */
public class Moe4jException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Moe4jException(String message) {
        super(message);
    }

    public Moe4jException(String message, Throwable cause) {
        super(message, cause);
    }
}
