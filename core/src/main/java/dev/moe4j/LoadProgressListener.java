package dev.moe4j;

/**
 * Receives the progress of {@link Model.Builder#build()}: called on the loading thread, in order, with a fraction that
 * never decreases, ending with exactly {@code 1.0} when the model is ready. Keep it quick; an exception it throws
 * aborts the load.
 */
@FunctionalInterface
public interface LoadProgressListener {

    /**
     * Called at each step of the load.
     *
     * @param fraction how much of the load is done, in {@code [0, 1]}
     * @param message  what is being done, e.g. {@code "loading tensors (12/240)"}
     */
    void onProgress(double fraction, String message);
}
