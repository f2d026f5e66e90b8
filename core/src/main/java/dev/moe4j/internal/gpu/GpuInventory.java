package dev.moe4j.internal.gpu;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gpu.PlacementItem.Kind;
import dev.moe4j.internal.model.ExpertTensorNames;
import dev.moe4j.internal.quant.GgmlType;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A GGUF model's tensors as the GPU planner's items, each with the host memory it would upload: every {@code blk.N.*}
 * tensor but the routed experts as an always-active weight, {@code output*} as output, {@code token_embd} as the
 * embedding (or as output when the model ties its head to it), one item per routed expert (its gate, up and down
 * matrices: slices of the 3-D {@code *_exps} stacks, or the per-expert 2-D tensors of old files), one KV-cache item per
 * block, and the kernels' workspace. Tensors of a type the CUDA kernels do not take (see {@link #GPU_TYPES}; a routed
 * expert goes whole or not at all, so one such matrix keeps the expert's others on the CPU too) and model-wide extras
 * ({@code rope_freqs}, ...) are left out: they stay on the CPU, and {@link #of} logs which and why
 * ({@link #cpuOnly}).
 */
public final class GpuInventory {
    private static final Logger LOG = LoggerFactory.getLogger(GpuInventory.class);

    /**
     * The weight types libmoe4j_cuda has product kernels for: the rows of native-kernels/cuda/src/cuda_formats.def
     * (GpuTypesTest holds the two lists to each other on the library).
     */
    public static final Set<GgmlType> GPU_TYPES = EnumSet.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.IQ1_S, GgmlType.IQ1_M,
            GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.TQ1_0,
            GgmlType.TQ2_0, GgmlType.MXFP4);

    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\..*");

    private GpuInventory() {}

    /**
     * An item and the host memory behind it (empty for the KV cache and the workspace, which hold no weights).
     */
    public record Entry(PlacementItem item, List<MemorySegment> host) {
        public Entry {
            host = List.copyOf(host);
        }
    }

    /**
     * @param blocks          the model's blocks
     * @param kvBytesPerToken KV-cache bytes one token takes over all blocks
     * @param contextLength   tokens the planned session holds
     * @param maxBatch        most tokens one product takes (sizes the workspace)
     */
    public static List<Entry> of(GgufFile file, int blocks, long kvBytesPerToken, int contextLength, int maxBatch) {
        String cpuOnly = cpuOnly(file);
        if (!cpuOnly.isEmpty()) {
            LOG.info("GPU placement: {}", cpuOnly);
        }
        List<Entry> out = new ArrayList<>();
        boolean tied = file.tensor("output.weight").isEmpty();
        long widest = 0;
        Map<Long, List<MemorySegment>> experts = new TreeMap<>(); // (block << 32 | expert) → matrices
        Map<Long, Boolean> expertOk = new TreeMap<>();
        for (GgufTensor t : file.tensors()) {
            if (t.rank() >= 2) {
                widest = Math.max(widest, Math.max(t.dim(0), t.dim(1)));
            }
            boolean ok = GPU_TYPES.contains(t.type());
            var routed = ExpertTensorNames.parse(t.name()).filter(r -> !r.bias()); // biases are small: layer weights
            if (routed.isPresent() && routed.get().stacked() && t.rank() == 3) {
                int block = routed.get().block();
                long count = t.dim(2);
                long each = t.byteSize() / count;
                for (long e = 0; e < count; e++) {
                    long key = ((long) block << 32) | e;
                    experts.computeIfAbsent(key, k -> new ArrayList<>()).add(t.segment().asSlice(e * each, each));
                    expertOk.merge(key, ok, Boolean::logicalAnd);
                }
                continue;
            }
            if (routed.isPresent() && !routed.get().stacked()) {
                long key = ((long) routed.get().block() << 32) | routed.get().expert();
                experts.computeIfAbsent(key, k -> new ArrayList<>()).add(t.segment());
                expertOk.merge(key, ok, Boolean::logicalAnd);
                continue;
            }
            if (!ok) {
                continue;
            }
            Kind kind;
            int layer = -1;
            Matcher m = BLOCK.matcher(t.name());
            if (m.matches()) {
                kind = Kind.LAYER_WEIGHT;
                layer = Integer.parseInt(m.group(1));
            } else if (t.name().startsWith("output")) {
                kind = Kind.OUTPUT;
            } else if (t.name().equals("token_embd.weight")) {
                kind = tied ? Kind.OUTPUT : Kind.EMBEDDING;
            } else {
                continue;
            }
            out.add(new Entry(new PlacementItem(t.name(), kind, layer, -1, t.byteSize()), List.of(t.segment())));
        }
        for (var e : experts.entrySet()) {
            if (!expertOk.get(e.getKey())) {
                continue;
            }
            long bytes = e.getValue().stream().mapToLong(MemorySegment::byteSize).sum();
            int block = (int) (e.getKey() >>> 32);
            int expert = (int) (e.getKey() & 0xffffffffL);
            out.add(new Entry(PlacementItem.expert(block, expert, bytes), e.getValue()));
        }
        if (blocks > 0) {
            long perBlock = kvBytesPerToken * contextLength / blocks;
            for (int l = 0; l < blocks; l++) {
                out.add(new Entry(PlacementItem.kvCache(l, perBlock), List.of()));
            }
        }
        out.add(new Entry(new PlacementItem("workspace", Kind.WORKSPACE, -1, -1, workspaceBytes(widest, maxBatch)),
                List.of()));
        return out;
    }

    /**
     * Which weights stay on the CPU whatever the budget because libmoe4j_cuda has no kernels for their type, as one
     * line (empty when there are none): "3 tensors (1.5 MiB) stay on the CPU, libmoe4j_cuda has no kernels for
     * Q5_K (2 tensors), IQ4_XS (1 tensor)". Counts the tensors the inventory would otherwise place (block weights,
     * experts, output, embedding).
     */
    public static String cpuOnly(GgufFile file) {
        Map<GgmlType, long[]> left = new EnumMap<>(GgmlType.class); // type -> {tensors, bytes}
        for (GgufTensor t : file.tensors()) {
            String n = t.name();
            boolean weight = BLOCK.matcher(n).matches() || n.startsWith("output") || n.equals("token_embd.weight");
            if (weight && !GPU_TYPES.contains(t.type())) {
                long[] c = left.computeIfAbsent(t.type(), k -> new long[2]);
                c[0]++;
                c[1] += t.byteSize();
            }
        }
        if (left.isEmpty()) {
            return "";
        }
        long tensors = left.values().stream().mapToLong(c -> c[0]).sum();
        long bytes = left.values().stream().mapToLong(c -> c[1]).sum();
        return String.format(Locale.ROOT, "%d tensor%s (%.1f MiB) stay on the CPU, libmoe4j_cuda has no kernels for %s",
                tensors, tensors == 1 ? "" : "s", bytes / (double) (1 << 20), left.entrySet().stream()
                        .map(e -> e.getKey() + " (" + e.getValue()[0] + " tensor" + (e.getValue()[0] == 1 ? "" : "s")
                                + ")")
                        .collect(Collectors.joining(", ")));
    }

    /**
     * One kernel set's device scratch: the activations in and the products out of the widest matrix for a full batch,
     * what {@code CudaModelKernels} allocates at most. Planned once: a model with several worker groups makes one such
     * scratch per set it uses, beyond the plan.
     */
    static long workspaceBytes(long widest, int maxBatch) {
        return 2 * widest * maxBatch * Float.BYTES;
    }

    /** The items alone, for the planner. */
    public static List<PlacementItem> items(List<Entry> entries) {
        return entries.stream().map(Entry::item).toList();
    }
}
