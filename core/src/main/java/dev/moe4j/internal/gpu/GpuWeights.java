package dev.moe4j.internal.gpu;

import dev.moe4j.internal.gpu.PlacementItem.Kind;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights a {@link PlacementPlan} puts on the GPU, uploaded once, and the map from their host memory to the device
 * copies. A product's weight is found by its host address: a weight the model passes (a whole tensor, one expert's
 * slice of a stack, some rows of a fused pair) is on the GPU when its bytes lie inside one uploaded range. Host memory
 * that was never uploaded (the expert cache's slots, tensors the model derived at load, the KV cache) is never found,
 * so those products stay on the CPU.
 *
 * <p>Thread-safe: immutable after construction (any number of sessions look up concurrently); {@link #close()} only
 * once no session computes any more.
 */
public final class GpuWeights implements AutoCloseable {
    private final CudaApi api;
    private final int device;
    private final PlacementPlan plan;
    private final TreeMap<Long, Range> byAddress;
    private final long uploadedBytes;
    private boolean closed;

    /** One uploaded host range. */
    private record Range(long address, long bytes, MemorySegment buffer) {}

    /** Where a weight is on the device: a buffer and the byte offset of the weight in it. */
    public record Location(MemorySegment buffer, long offset) {}

    private GpuWeights(CudaApi api, int device, PlacementPlan plan, TreeMap<Long, Range> byAddress, long uploaded) {
        this.api = api;
        this.device = device;
        this.plan = plan;
        this.byAddress = byAddress;
        this.uploadedBytes = uploaded;
    }

    /**
     * Uploads the host memory of every entry the plan places on the GPU (weights only: the workspace and the KV cache
     * are per session) and waits until the copies are done.
     *
     * @throws dev.moe4j.Moe4jException if the device refuses an allocation or a copy (everything allocated so far is
     *                                  freed first)
     */
    public static GpuWeights upload(CudaApi api, int device, PlacementPlan plan, List<GpuInventory.Entry> entries) {
        TreeMap<Long, Range> map = new TreeMap<>();
        List<MemorySegment> allocated = new ArrayList<>();
        MemorySegment ctx = api.ctxCreate(device);
        long bytes = 0;
        try {
            for (GpuInventory.Entry e : entries) {
                if (!plan.onGpu(e.item()) || e.item().kind() == Kind.WORKSPACE || e.item().kind() == Kind.KV_CACHE) {
                    continue;
                }
                for (MemorySegment host : e.host()) {
                    if (host.byteSize() == 0 || map.containsKey(host.address())) {
                        continue; // a tied head is the embedding: one copy
                    }
                    MemorySegment buf = api.alloc(ctx, host.byteSize());
                    allocated.add(buf);
                    api.upload(ctx, buf, 0, host, host.byteSize());
                    map.put(host.address(), new Range(host.address(), host.byteSize(), buf));
                    bytes += host.byteSize();
                }
            }
            api.synchronize(ctx); // later contexts read these buffers on their own streams
        } catch (RuntimeException | Error e) {
            allocated.forEach(b -> freeQuietly(api, b));
            throw e;
        } finally {
            api.ctxDestroy(ctx);
        }
        return new GpuWeights(api, device, plan, map, bytes);
    }

    private static void freeQuietly(CudaApi api, MemorySegment b) {
        try {
            api.free(b);
        } catch (RuntimeException ignored) {
            // already failing: the first error is the one to report
        }
    }

    /** The device copy of {@code weight}, or null when its bytes are not (all) on the GPU. */
    public Location find(MemorySegment weight) {
        if (!weight.isNative() || weight.byteSize() == 0) {
            return null;
        }
        Map.Entry<Long, Range> e = byAddress.floorEntry(weight.address());
        if (e == null) {
            return null;
        }
        Range r = e.getValue();
        long offset = weight.address() - r.address();
        return offset + weight.byteSize() <= r.bytes() ? new Location(r.buffer(), offset) : null;
    }

    public CudaApi api() {
        return api;
    }

    public int device() {
        return device;
    }

    public PlacementPlan plan() {
        return plan;
    }

    /** Bytes of weights held on the device. */
    public long uploadedBytes() {
        return uploadedBytes;
    }

    /** Frees the device copies. Idempotent; call when no session computes any more. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (Range r : byAddress.values()) {
            try {
                api.free(r.buffer());
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
