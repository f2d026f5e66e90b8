package dev.moe4j.internal.model;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one definition of how routed-expert tensors are named in GGUF files, for everything that must tell them apart:
 * the loader ({@link MoeFfn#load}), {@link dev.moe4j.ModelInfo}'s active-parameter count, the GPU planner, offloading
 * and the model loader's prefaulting.
 * <ul>
 * <li>stacked, all experts of a block in one 3-D tensor: {@code blk.N.ffn_{gate,up,down}_exps.weight}, the fused
 *     {@code blk.N.ffn_gate_up_exps.weight}, and their per-expert biases {@code blk.N.ffn_*_exps.bias} (gpt-oss);</li>
 * <li>one 2-D tensor per expert, in old Mixtral conversions: {@code blk.N.ffn_{gate,up,down}.E.weight}.</li>
 * </ul>
 * Block and expert numbers have at most 9 digits (a name with more is not an expert tensor), so parsing never
 * overflows. Not routed experts: shared experts ({@code *_shexp}), routers ({@code ffn_gate_inp}) and the selection bias
 * ({@code exp_probs_b}).
 */
public final class ExpertTensorNames {
    private static final Pattern STACKED = Pattern.compile("blk\\.(\\d{1,9})\\.ffn_(gate|up|down|gate_up)_exps\\.(weight|bias)");
    private static final Pattern PER_EXPERT = Pattern.compile("blk\\.(\\d{1,9})\\.ffn_(gate|up|down)\\.(\\d{1,9})\\.weight");

    private ExpertTensorNames() {}

    /**
     * A routed-expert tensor name, parsed.
     *
     * @param block  N of {@code blk.N}
     * @param matrix {@code gate}, {@code up}, {@code down} or {@code gate_up}
     * @param expert the expert of a per-expert tensor, -1 for a stacked one
     * @param bias   whether it is a bias ({@code .bias}) rather than a weight matrix
     */
    public record Parsed(int block, String matrix, int expert, boolean bias) {
        public boolean stacked() {
            return expert < 0;
        }
    }

    /** The parts of {@code tensorName} if it names routed-expert weights or biases. */
    public static Optional<Parsed> parse(String tensorName) {
        Matcher m = STACKED.matcher(tensorName);
        if (m.matches()) {
            return Optional.of(new Parsed(Integer.parseInt(m.group(1)), m.group(2), -1, m.group(3).equals("bias")));
        }
        m = PER_EXPERT.matcher(tensorName);
        if (m.matches()) {
            return Optional.of(new Parsed(Integer.parseInt(m.group(1)), m.group(2), Integer.parseInt(m.group(3)),
                    false));
        }
        return Optional.empty();
    }

    /** Whether {@code tensorName} holds routed experts (weights or biases). */
    public static boolean isRouted(String tensorName) {
        return STACKED.matcher(tensorName).matches() || PER_EXPERT.matcher(tensorName).matches();
    }

    /** {@code <prefix>ffn_<matrix>_exps.weight}: the stacked experts of one block. */
    static String stacked(String blockPrefix, String matrix) {
        return blockPrefix + "ffn_" + matrix + "_exps.weight";
    }

    /** {@code <prefix>ffn_<matrix>_exps.bias}: the stacked per-expert biases of one block. */
    static String stackedBias(String blockPrefix, String matrix) {
        return blockPrefix + "ffn_" + matrix + "_exps.bias";
    }

    /** {@code <prefix>ffn_<matrix>.<e>.weight}: one expert's matrix in the old per-expert layout. */
    static String perExpert(String blockPrefix, String matrix, int e) {
        return blockPrefix + "ffn_" + matrix + "." + e + ".weight";
    }
}
