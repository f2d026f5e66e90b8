package dev.moe4j.internal.gpu;

import dev.moe4j.Moe4jException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.internal.gpu.PlacementItem.Kind;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.testing.CudaTestLibrary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The GPU inventory of a model stored in the i-quant, ternary and MXFP4 formats: their tensors become items of their
 * exact byte sizes (a stacked expert tensor split evenly per expert) and the planner places them; tensors of types
 * libmoe4j_cuda does not take stay on the CPU, an expert with one such matrix entirely, with the reason in one line.
 * And {@link GpuInventory#GPU_TYPES} is exactly what the CUDA library (its emulation here) accepts.
 */
class GpuInventoryTest {
    @TempDir
    Path dir;

    private static byte[] bytes(Random rnd, GgmlType type, long... dims) {
        byte[] b = new byte[Math.toIntExact(GgufWriter.bytesOf(type, dims))];
        rnd.nextBytes(b); // the inventory never decodes: any bytes will do
        return b;
    }

    @Test
    void newFormatsArePlacedAndOthersStayOnTheCpuWithAReason() throws IOException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        record T(String name, GgmlType type, long[] dims) {}
        List<T> specs = List.of(
                new T("token_embd.weight", GgmlType.Q5_K, new long[] {256, 5}), // no CUDA kernel
                new T("blk.0.attn_norm.weight", GgmlType.F32, new long[] {256}),
                new T("blk.0.attn_q.weight", GgmlType.IQ2_XXS, new long[] {512, 3}),
                new T("blk.0.attn_kv_a_mqa.weight", GgmlType.MXFP4, new long[] {96, 5}),
                new T("blk.0.attn_output.weight", GgmlType.IQ2_S, new long[] {256, 7}),
                new T("blk.0.ffn_gate_exps.weight", GgmlType.IQ1_S, new long[] {256, 3, 4}),
                new T("blk.0.ffn_up_exps.weight", GgmlType.IQ1_M, new long[] {256, 3, 4}),
                new T("blk.0.ffn_down_exps.weight", GgmlType.TQ1_0, new long[] {768, 2, 4}),
                new T("blk.1.attn_q.weight", GgmlType.IQ2_XS, new long[] {256, 3}),
                new T("blk.1.attn_output.weight", GgmlType.IQ3_XXS, new long[] {256, 3}),
                new T("blk.1.ffn_gate_exps.weight", GgmlType.TQ2_0, new long[] {256, 3, 2}),
                new T("blk.1.ffn_up_exps.weight", GgmlType.IQ4_XS, new long[] {256, 3, 2}), // no CUDA kernel
                new T("blk.1.ffn_down_exps.weight", GgmlType.IQ3_S, new long[] {256, 2, 2}),
                new T("output.weight", GgmlType.IQ3_S, new long[] {512, 5}));
        GgufWriter w = new GgufWriter().putString("general.architecture", "deepseek2");
        for (T t : specs) {
            w.tensor(t.name(), t.type(), t.dims(), bytes(rnd, t.type(), t.dims()));
        }
        Path p = w.write(dir.resolve("iq.gguf"));
        String where = "seed " + seed;
        try (GgufFile file = GgufFile.open(p)) {
            List<GpuInventory.Entry> entries = GpuInventory.of(file, 2, 64, 16, 4);
            Map<String, PlacementItem> items = entries.stream().map(GpuInventory.Entry::item)
                    .collect(Collectors.toMap(PlacementItem::name, Function.identity()));
            for (T t : specs) {
                boolean placed = GpuInventory.GPU_TYPES.contains(t.type()) && !t.name().contains("_exps");
                assertEquals(placed, items.containsKey(t.name()), t.name() + " " + where);
                if (placed) {
                    PlacementItem i = items.get(t.name());
                    assertEquals(GgufWriter.bytesOf(t.type(), t.dims()), i.bytes(), t.name());
                    assertEquals(t.name().startsWith("output") ? Kind.OUTPUT : Kind.LAYER_WEIGHT, i.kind(), t.name());
                }
            }
            // block 0's four experts: a quarter of each stack; block 1's stay on the CPU (IQ4_XS up)
            long perExpert = (3 * 50 + 3 * 56 + 2 * 3 * 54);
            List<PlacementItem> experts = entries.stream().map(GpuInventory.Entry::item)
                    .filter(i -> i.kind() == Kind.ROUTED_EXPERT).toList();
            assertEquals(4, experts.size(), experts.toString());
            for (PlacementItem e : experts) {
                assertEquals(0, e.layer(), e.name());
                assertEquals(perExpert, e.bytes(), e.name());
            }
            for (GpuInventory.Entry e : entries) {
                if (e.item().kind() == Kind.KV_CACHE || e.item().kind() == Kind.WORKSPACE) {
                    assertTrue(e.host().isEmpty(), e.item().name());
                    continue;
                }
                assertEquals(e.item().bytes(), e.host().stream().mapToLong(MemorySegment::byteSize).sum(),
                        e.item().name() + ": item size and host bytes");
            }
            // with room for all of it, the planner places every item, the new formats included
            List<PlacementItem> all = GpuInventory.items(entries);
            long total = all.stream().mapToLong(PlacementItem::bytes).sum();
            PlacementPlan plan = PlacementPlanner.plan(all, total, null);
            assertEquals(all.size(), plan.gpuItems().size(), plan.summary());
            assertEquals(total, plan.usedBytes());

            String reason = GpuInventory.cpuOnly(file);
            long leftBytes = GgufWriter.bytesOf(GgmlType.Q5_K, new long[] {256, 5})
                    + GgufWriter.bytesOf(GgmlType.IQ4_XS, new long[] {256, 3, 2});
            assertEquals(String.format(java.util.Locale.ROOT, "2 tensors (%.1f MiB) stay on the CPU, libmoe4j_cuda has "
                    + "no kernels for Q5_K (1 tensor), IQ4_XS (1 tensor)", leftBytes / (double) (1 << 20)), reason);
        }
    }

    @Test
    void aModelOfGpuTypesOnlyHasNoReasonLine() throws IOException {
        Random rnd = new Random(1);
        GgufWriter w = new GgufWriter().putString("general.architecture", "deepseek2");
        w.tensor("blk.0.attn_q.weight", GgmlType.MXFP4, new long[] {64, 3}, bytes(rnd, GgmlType.MXFP4, 64, 3));
        w.tensor("rope_freqs.weight", GgmlType.Q5_K, new long[] {256}, bytes(rnd, GgmlType.Q5_K, 256)); // no weight
        try (GgufFile file = GgufFile.open(w.write(dir.resolve("ok.gguf")))) {
            assertEquals("", GpuInventory.cpuOnly(file));
        }
    }

    /**
     * Every ggml type: the CUDA library runs a one-row product with it exactly when {@link GpuInventory#GPU_TYPES}
     * says so, and refuses the others as types without a kernel.
     */
    @Test
    void gpuTypesAreWhatTheCudaLibraryTakes() {
        Path library = CudaTestLibrary.path();
        assumeTrue(library != null, CudaTestLibrary.missing());
        CudaApi api = CudaApi.at(library);
        MemorySegment ctx = api.ctxCreate(0);
        List<MemorySegment> bufs = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            long cols = 256;
            MemorySegment zeros = arena.allocate(4096, 16);
            MemorySegment w = api.alloc(ctx, 4096);
            MemorySegment x = api.alloc(ctx, cols * Float.BYTES);
            MemorySegment y = api.alloc(ctx, 64);
            bufs.addAll(List.of(w, x, y));
            api.upload(ctx, w, 0, zeros, 4096);
            api.upload(ctx, x, 0, zeros, cols * Float.BYTES);
            for (GgmlType t : GgmlType.values()) {
                long rowBytes = t.bytesFor(cols);
                if (GpuInventory.GPU_TYPES.contains(t)) {
                    api.matmul(ctx, t.id(), w, rowBytes, 1, cols, x, cols, 1, y, 1);
                } else {
                    Moe4jException e = assertThrows(Moe4jException.class,
                            () -> api.matmul(ctx, t.id(), w, rowBytes, 1, cols, x, cols, 1, y, 1), t.name());
                    assertTrue(e.getMessage().contains("has no CUDA kernel"), t + ": " + e.getMessage());
                }
            }
            assertFalse(GpuInventory.GPU_TYPES.isEmpty());
        } finally {
            bufs.forEach(api::free);
            api.ctxDestroy(ctx);
        }
    }
}
