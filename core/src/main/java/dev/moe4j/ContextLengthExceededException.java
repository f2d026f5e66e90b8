package dev.moe4j;

/**
 * Tokens would not fit in a session's context: the message says how many were asked for, the position and the
 * capacity. Nothing was computed or changed; the session is still usable (e.g. after truncating it or with fewer
 * tokens).
 */
public final class ContextLengthExceededException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    /** Tokens already in the context. */
    private final int position;
    /** Tokens that were to be added. */
    private final int requested;
    /** Tokens the context holds. */
    private final int capacity;

    ContextLengthExceededException(int position, int requested, int capacity) {
        super("context length exceeded: " + requested + " token(s) at position " + position + " need "
                + ((long) position + requested) + " slots, the context holds " + capacity);
        this.position = position;
        this.requested = requested;
        this.capacity = capacity;
    }

    /**
     * Tokens already in the context.
     *
     * @return the session's position, in tokens
     */
    public int position() {
        return position;
    }

    /**
     * Tokens that were to be added.
     *
     * @return the number of tokens asked for
     */
    public int requested() {
        return requested;
    }

    /**
     * Tokens the context holds.
     *
     * @return the context's capacity, in tokens
     */
    public int capacity() {
        return capacity;
    }
}
