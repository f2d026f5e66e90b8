package dev.moe4j.internal.gpu;

import dev.moe4j.RoutingProfile;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gpu.PlacementItem.Kind;
import dev.moe4j.internal.model.GpuBinding;
import dev.moe4j.internal.model.ModelConfig;

import java.util.List;

/**
 * Plans a loaded model's GPU placement, uploads what the plan places and binds it, so the model's next states run
 * those products on the GPU. The one sequence both the model loader and the tests use.
 */
public final class GpuSetup {
    private GpuSetup() {}

    /**
     * What to plan for.
     *
     * @param budget          device bytes the plan may use
     * @param contextLength   tokens of the session the KV cache is planned for
     * @param maxBatch        most tokens one product takes
     * @param profile         routing counts that rank the experts, or null (block order)
     * @param expertsOffloaded the routed experts run from the CPU expert cache: they are not planned (the products
     *                         on them read the cache's slots, which the GPU never sees)
     */
    public record Request(long budget, int contextLength, int maxBatch, RoutingProfile profile,
                          boolean expertsOffloaded) {}

    /**
     * @return the uploaded weights, bound to {@code binding}; the caller closes them after the model's last state
     * @throws dev.moe4j.Moe4jException if the device refuses an allocation or a copy
     */
    public static GpuWeights attach(GgufFile file, ModelConfig config, GpuBinding binding, CudaApi api, int device,
                                    Request r) {
        List<GpuInventory.Entry> entries = GpuInventory.of(file, config.layerCount(), config.kvBytesPerToken(),
                r.contextLength(), r.maxBatch());
        if (r.expertsOffloaded()) {
            entries = entries.stream().filter(e -> e.item().kind() != Kind.ROUTED_EXPERT).toList();
        }
        PlacementPlan plan = PlacementPlanner.plan(GpuInventory.items(entries), r.budget(), r.profile());
        GpuWeights w = GpuWeights.upload(api, device, plan, entries);
        binding.bind(w);
        return w;
    }
}
