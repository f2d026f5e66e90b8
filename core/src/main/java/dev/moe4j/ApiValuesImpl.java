package dev.moe4j;

import dev.moe4j.internal.ApiValues;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.List;

/** The internals' way to this package's non-public constructors (see {@link ApiValues}). */
final class ApiValuesImpl extends ApiValues {
    static {
        install(new ApiValuesImpl());
    }

    private ApiValuesImpl() {
    }

    @Override
    public GenerationStats generationStats(int promptTokens, int promptTokensReused, int promptTokensEvaluated,
                                           int generatedTokens, Duration prefillTime, Duration decodeTime,
                                           Duration totalTime) {
        return new GenerationStats(promptTokens, promptTokensReused, promptTokensEvaluated, generatedTokens,
                prefillTime, decodeTime, totalTime);
    }

    @Override
    public KernelException kernelException(String call, int status, String statusName) {
        return new KernelException(call, status, statusName);
    }

    @Override
    public ContextLengthExceededException contextLengthExceeded(int position, int requested, int capacity) {
        return new ContextLengthExceededException(position, requested, capacity);
    }

    @Override
    public RoutingProfile routingProfile(int blocks, int experts, int used, int[] moeLayers, long[] tokens,
                                         long[][] counts) {
        return new RoutingProfile(blocks, experts, used, moeLayers, tokens, counts);
    }

    @Override
    public MemoryStats.LayerStats layerStats(int block, long hits, long misses, long prefetchHits) {
        return new MemoryStats.LayerStats(block, hits, misses, prefetchHits);
    }

    @Override
    public MemoryStats memoryStats(boolean offloading, long budgetBytes, long expertBytes, long residentExpertBytes,
                                   String policy, List<MemoryStats.LayerStats> layers, long bytesRead, long reads,
                                   Duration ioStall, Duration readTime, long evictions, long prefetchReads,
                                   long prefetchUnused, double prefetchRecall, long failedReads,
                                   @Nullable String gpuPlacement) {
        return new MemoryStats(offloading, budgetBytes, expertBytes, residentExpertBytes, policy, layers, bytesRead,
                reads, ioStall, readTime, evictions, prefetchReads, prefetchUnused, prefetchRecall, failedReads,
                gpuPlacement);
    }
}
