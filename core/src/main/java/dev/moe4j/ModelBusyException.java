package dev.moe4j;

/**
 * A generation was refused because the model already runs as many as it may
 * ({@link Model.Builder#maxConcurrentGenerations}) and its queue is full ({@link Model.Builder#maxQueuedGenerations}).
 * Nothing was started; try again later (an HTTP server would answer 429 or 503).
 */
public final class ModelBusyException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    private final int maxRunning;
    private final int maxQueued;

    ModelBusyException(String message, int maxRunning, int maxQueued) {
        super(message);
        this.maxRunning = maxRunning;
        this.maxQueued = maxQueued;
    }

    /** The model's limit of generations running at once. */
    public int maxRunning() {
        return maxRunning;
    }

    /** The model's limit of generations waiting. */
    public int maxQueued() {
        return maxQueued;
    }
}
