package dev.moe4j;

/**
 * A generation was refused because the model already runs as many as it may
 * ({@link Model.Builder#maxConcurrentGenerations}) and its queue is full ({@link Model.Builder#maxQueuedGenerations}).
 * Nothing was started; try again later (an HTTP server would answer 429 or 503).
 */
public final class ModelBusyException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    /** The model's limit of generations running at once. */
    private final int maxRunning;
    /** The model's limit of generations waiting. */
    private final int maxQueued;

    ModelBusyException(String message, int maxRunning, int maxQueued) {
        super(message);
        this.maxRunning = maxRunning;
        this.maxQueued = maxQueued;
    }

    /**
     * The model's limit of generations running at once.
     *
     * @return {@link Model.Builder#maxConcurrentGenerations}
     */
    public int maxRunning() {
        return maxRunning;
    }

    /**
     * The model's limit of generations waiting.
     *
     * @return {@link Model.Builder#maxQueuedGenerations}
     */
    public int maxQueued() {
        return maxQueued;
    }
}
