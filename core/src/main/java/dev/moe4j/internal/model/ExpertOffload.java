package dev.moe4j.internal.model;

import dev.moe4j.RoutingProfile;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.offload.ExpertLayout;
import dev.moe4j.internal.offload.ExpertReader;
import dev.moe4j.internal.offload.ExpertSpace;
import dev.moe4j.internal.offload.ExpertStore;
import dev.moe4j.internal.offload.Policies;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.TreeMap;

/**
 * Connects a loaded model's MoE blocks to an {@link ExpertStore}: finds where each routed expert's matrices are in the
 * file (from the views the model holds) and makes the blocks compute from the store's slots instead of the mapping.
 */
public final class ExpertOffload {
    private ExpertOffload() {}

    /**
     * How the store is set up.
     *
     * @param budget    bytes for expert slots
     * @param policy    cache policy name ({@link Policies#create})
     * @param profile   routing profile whose hottest experts are pinned, or null
     * @param pinShare  share of the cache the pinned experts may take, 0..1
     * @param ioThreads threads reading experts
     * @param prefetch  predict the next layer's experts and read them early
     * @param directIo  read with direct I/O where the file system allows ({@link ExpertReader#open(java.util.List,
     *                  boolean)}), bypassing the page cache
     */
    public record Settings(long budget, String policy, RoutingProfile profile, double pinShare, int ioThreads,
                           boolean prefetch, boolean directIo) {
        public Settings {
            if (budget < 1 || pinShare < 0 || pinShare > 1 || ioThreads < 1) {
                throw new IllegalArgumentException("budget " + budget + ", pin share " + pinShare + ", I/O threads "
                        + ioThreads);
            }
        }

        /** Direct I/O as {@link ExpertReader#directIoDefault()} says. */
        public Settings(long budget, String policy, RoutingProfile profile, double pinShare, int ioThreads,
                        boolean prefetch) {
            this(budget, policy, profile, pinShare, ioThreads, prefetch, ExpertReader.directIoDefault());
        }

        /** The defaults for a budget: the layer-aware policy, pins up to a quarter of the cache, 4 I/O threads. */
        public static Settings of(long budget, RoutingProfile profile) {
            return new Settings(budget, Policies.LAYERED, profile, 0.25, 4, true);
        }
    }

    /** Where the routed experts of every MoE layer are in the file; empty for a dense model. */
    public static ExpertLayout[] layouts(LanguageModel model, GgufFile file) {
        int[] layers = RoutedExperts.moeLayers(model);
        ExpertLayout[] out = new ExpertLayout[layers.length];
        if (layers.length == 0) {
            return out;
        }
        TreeMap<Long, GgufTensor> byAddress = new TreeMap<>();
        for (GgufTensor t : file.tensors()) {
            byAddress.put(t.segment().address(), t);
        }
        for (int i = 0; i < layers.length; i++) {
            MoeFfn moe = ((MoeModel) model).moe(layers[i]);
            Weight[] w = {moe.gateExps, moe.upExps, moe.downExps};
            int experts = moe.routing.experts();
            int[][] shard = new int[w.length][experts];
            long[][] offset = new long[w.length][experts];
            long[] bytes = new long[w.length];
            for (int m = 0; m < w.length; m++) {
                bytes[m] = w[m].matrix(0).byteSize();
                for (int e = 0; e < experts; e++) {
                    MemorySegment seg = w[m].matrix(e);
                    GgufTensor t = owner(byAddress, seg, w[m].name);
                    shard[m][e] = t.shard();
                    offset[m][e] = t.fileOffset() + (seg.address() - t.segment().address());
                }
            }
            out[i] = ExpertLayout.of(shard, offset, bytes);
        }
        return out;
    }

    private static GgufTensor owner(TreeMap<Long, GgufTensor> byAddress, MemorySegment seg, String name) {
        Map.Entry<Long, GgufTensor> e = byAddress.floorEntry(seg.address());
        if (e == null || seg.address() + seg.byteSize() > e.getKey() + e.getValue().byteSize()) {
            throw new IllegalStateException(name + ": an expert matrix is not a view of the file's tensors");
        }
        return e.getValue();
    }

    /** Bytes of all routed experts (what offloading keeps out of memory); 0 for a dense model. */
    public static long expertBytes(ExpertLayout[] layouts) {
        long sum = 0;
        for (ExpertLayout l : layouts) {
            sum += l.readBytes() * l.experts();
        }
        return sum;
    }

    /**
     * Opens a reader of the model's files (direct I/O as the settings say) and
     * {@link #attach(LanguageModel, ExpertLayout[], ExpertReader, Settings)}.
     */
    public static ExpertStore attach(LanguageModel model, GgufFile file, ExpertLayout[] layouts, Settings settings) {
        ExpertReader reader;
        try {
            reader = ExpertReader.open(file.shardPaths(), settings.directIo());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file.path() + " for reading experts: " + e.getMessage(), e);
        }
        return attach(model, layouts, reader, settings);
    }

    /**
     * Makes every MoE block of {@code model} compute from a new store. Call once, right after loading and before any
     * state computes. The caller closes the store after the model's last state.
     *
     * @param reader owned by the store from now on
     * @throws IllegalArgumentException if the budget does not hold one expert, or the model is dense
     */
    public static ExpertStore attach(LanguageModel model, ExpertLayout[] layouts, ExpertReader reader,
                                     Settings settings) {
        int[] layers = RoutedExperts.moeLayers(model);
        ExpertSpace space = RoutedExperts.space(model).orElseThrow(() -> {
            reader.close();
            return new IllegalArgumentException("a dense model has no routed experts to offload");
        });
        String[] names = new String[layers.length];
        for (int i = 0; i < layers.length; i++) {
            MoeFfn moe = ((MoeModel) model).moe(layers[i]);
            names[i] = moe.gateExps.name + ", " + moe.upExps.name + ", " + moe.downExps.name;
        }
        int[] pinned = new int[0];
        long slot = ExpertStore.slotBytes(layouts);
        if (settings.profile() != null) {
            long cacheEntries = ExpertStore.cacheCapacity(Math.max(settings.budget(), slot), slot, space.used()) / slot;
            try {
                pinned = Policies.hottest(settings.profile(), space, layers,
                        (int) (cacheEntries * settings.pinShare()));
            } catch (IllegalArgumentException e) {
                reader.close();
                throw e;
            }
        }
        ExpertStore store = ExpertStore.create(layers, layouts, names, space.used(), settings.budget(),
                settings.policy(), pinned, reader, settings.ioThreads());
        ((MoeModel) model).experts().bindStore(store, settings.prefetch());
        store.preloadPinned();
        return store;
    }
}
