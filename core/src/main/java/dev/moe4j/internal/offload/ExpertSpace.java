package dev.moe4j.internal.offload;

/**
 * The routed experts of a model as dense integer keys: {@code key = moeLayer · experts + expert}, where
 * {@code moeLayer} counts only the model's MoE layers (0 = the first MoE layer), so every key of a model lies in
 * {@code [0, size())}. Cache policies, traces and the expert store all use these keys.
 *
 * @param layers  MoE layers (at least 1)
 * @param experts routed experts per layer (at least 1)
 * @param used    experts each token selects per layer (k), {@code 1 <= used <= experts}
 */
public record ExpertSpace(int layers, int experts, int used) {

    public ExpertSpace {
        if (layers < 1 || experts < 1 || used < 1 || used > experts) {
            throw new IllegalArgumentException("expert space needs layers >= 1, experts >= 1 and 1 <= used <= experts,"
                    + " got layers=" + layers + " experts=" + experts + " used=" + used);
        }
        if ((long) layers * experts > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(layers + " × " + experts + " experts do not fit int keys");
        }
    }

    /** Number of keys: {@code layers · experts}. */
    public int size() {
        return layers * experts;
    }

    public int key(int layer, int expert) {
        if (layer < 0 || layer >= layers || expert < 0 || expert >= experts) {
            throw new IndexOutOfBoundsException("expert " + expert + " of MoE layer " + layer + " is outside "
                    + layers + " × " + experts);
        }
        return layer * experts + expert;
    }

    public int layer(int key) {
        return key / experts;
    }

    public int expert(int key) {
        return key % experts;
    }

    /** Throws unless {@code key} is in {@code [0, size())}. */
    void check(int key) {
        if (key < 0 || key >= size()) {
            throw new IndexOutOfBoundsException("key " + key + " is outside [0, " + size() + ")");
        }
    }
}
