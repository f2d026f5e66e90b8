package dev.moe4j.internal.generate;

/**
 * A loaded model as the public API drives it: it hands out independent {@link DecodingSession}s (each with its own KV
 * cache and worker threads). Thread-safe: sessions may be created and run concurrently from several threads.
 */
public interface Engine extends AutoCloseable {

    /** Length of a logits row. */
    int vocabSize();

    /** The longest context a session may have (the model's trained context). */
    int maxContextLength();

    /**
     * A new session at position 0 holding up to {@code contextLength} tokens; the caller closes it.
     *
     * @throws IllegalArgumentException if {@code contextLength} is not in {@code 1 .. maxContextLength()}
     */
    DecodingSession newSession(int contextLength);

    /**
     * The routing counted since load, when the engine was loaded to record it and the model has routed experts.
     * Thread-safe.
     */
    default java.util.Optional<dev.moe4j.RoutingProfile> routingProfile() {
        return java.util.Optional.empty();
    }

    /** What the expert memory manager did so far; not offloading (all zeros) by default. Thread-safe. */
    default dev.moe4j.MemoryStats memoryStats() {
        return dev.moe4j.internal.ApiValues.get().memoryStats(false, 0, 0, 0, "none", java.util.List.of(), 0, 0,
                java.time.Duration.ZERO, java.time.Duration.ZERO, 0, 0, 0, 0, 0, "");
    }

    /** Frees the model; sessions must be closed first. Idempotent. */
    @Override
    void close();
}
