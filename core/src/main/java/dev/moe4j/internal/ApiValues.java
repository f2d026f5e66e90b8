package dev.moe4j.internal;

import dev.moe4j.ContextLengthExceededException;
import dev.moe4j.GenerationStats;
import dev.moe4j.KernelException;
import dev.moe4j.MemoryStats;
import dev.moe4j.RoutingProfile;

import java.time.Duration;
import java.util.List;

/**
 * How the internals make the API's values and exceptions whose constructors are not public (so that applications
 * cannot make them and the API can change their fields without breaking anyone): the API package installs the only
 * implementation when it is initialised, as the JDK's {@code SharedSecrets} do. This package is not exported.
 */
public abstract class ApiValues {
    private static volatile ApiValues instance;

    /** Called once, by {@code dev.moe4j}'s implementation as it is initialised. */
    protected static void install(ApiValues values) {
        if (instance == null) {
            instance = values;
        }
    }

    /** The implementation; initialises the API's class that installs it if nothing has yet. */
    public static ApiValues get() {
        ApiValues v = instance;
        if (v == null) {
            try {
                Class.forName("dev.moe4j.ApiValuesImpl", true, ApiValues.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("dev.moe4j.ApiValuesImpl is missing from the module", e);
            }
            v = instance;
        }
        return v;
    }

    /** Counts and timings of one generation; see {@link GenerationStats} for the arguments. */
    public abstract GenerationStats generationStats(int promptTokens, int promptTokensReused,
                                                    int promptTokensEvaluated, int generatedTokens,
                                                    Duration prefillTime, Duration decodeTime, Duration totalTime);

    /** See {@link KernelException}. */
    public abstract KernelException kernelException(String call, int status, String statusName);

    /** See {@link ContextLengthExceededException}. */
    public abstract ContextLengthExceededException contextLengthExceeded(int position, int requested, int capacity);

    /**
     * A routing profile; see {@link RoutingProfile} for the arguments.
     *
     * @throws IllegalArgumentException if the arrays do not fit together
     */
    public abstract RoutingProfile routingProfile(int blocks, int experts, int used, int[] moeLayers, long[] tokens,
                                                  long[][] counts);

    /** One MoE layer's expert uses; see {@link MemoryStats.LayerStats}. */
    public abstract MemoryStats.LayerStats layerStats(int block, long hits, long misses, long prefetchHits);

    /** The expert memory manager's statistics; see {@link MemoryStats} for the arguments. */
    public abstract MemoryStats memoryStats(boolean offloading, long budgetBytes, long expertBytes,
                                            long residentExpertBytes, String policy,
                                            List<MemoryStats.LayerStats> layers, long bytesRead, long reads,
                                            Duration ioStall, Duration readTime, long evictions, long prefetchReads,
                                            long prefetchUnused, double prefetchRecall, long failedReads,
                                            String gpuPlacement);
}
