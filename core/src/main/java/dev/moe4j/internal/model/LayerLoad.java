package dev.moe4j.internal.model;

/**
 * What an {@link Architecture} builds a block from: the file's tensors, the hyper-parameters, the model's rotary
 * embedding, the experts' wiring, and kernels for what has to be derived at load (made on first use, closed by the
 * loader).
 */
public final class LayerLoad implements AutoCloseable {
    private final ModelTensors tensors;
    private final HyperParams params;
    private final RotaryEmbedding rope;
    private final ExpertWiring experts;
    private final ModelOptions options;
    private ModelKernels kernels;
    private final java.util.Map<Class<?>, Object> derived = new java.util.HashMap<>();

    LayerLoad(ModelTensors tensors, HyperParams params, RotaryEmbedding rope, ExpertWiring experts,
              ModelOptions options) {
        this.tensors = tensors;
        this.params = params;
        this.rope = rope;
        this.experts = experts;
        this.options = options;
    }

    public ModelTensors tensors() {
        return tensors;
    }

    public HyperParams params() {
        return params;
    }

    public RotaryEmbedding rope() {
        return rope;
    }

    public ExpertWiring experts() {
        return experts;
    }

    /** Single-threaded kernels of the model's backend, for tensors derived at load. */
    public ModelKernels kernels() {
        if (kernels == null) {
            kernels = options.createKernels(1);
        }
        return kernels;
    }

    /**
     * A value the family derives from the file once per load rather than once per block (its own reading of the
     * metadata, say), made by {@code make} on first use and kept under {@code type}.
     */
    public <T> T once(Class<T> type, java.util.function.Supplier<T> make) {
        Object v = derived.get(type);
        if (v == null) {
            v = make.get();
            derived.put(type, v);
        }
        return type.cast(v);
    }

    /** {@code blk.<l>.}: the prefix of block {@code l}'s tensors. */
    public static String prefix(int l) {
        return "blk." + l + ".";
    }

    @Override
    public void close() {
        if (kernels != null) {
            kernels.close();
        }
    }
}
