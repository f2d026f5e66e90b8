package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;

/**
 * Sees intermediate tensors of a forward pass, named like llama.cpp's eval-callback names ({@code attn_norm}, {@code q},
 * {@code kv_cmpr}, {@code k_pe}, {@code Qcur}, {@code Kcur}, {@code Vcur}, {@code kqv_out}, {@code ffn_inp},
 * {@code ffn_moe_probs}, {@code ffn_moe_topk}, {@code ffn_shexp}, {@code ffn_out}, {@code l_out}, {@code result_norm},
 * {@code result_output}, ...), one call per token, so a run can be diffed against llama.cpp op by op.
 * {@code ffn_moe_selection} (moe4j's own) holds the scores the experts were chosen on: affinities plus selection bias,
 * -inf for experts of groups that were not kept. Debugging aid: when no observer is set the forward pass does not even
 * build the arguments.
 */
@FunctionalInterface
public interface ForwardObserver {

    /**
     * @param name     the tensor's name (without llama.cpp's {@code -<layer>} suffix)
     * @param layer    block index, or -1 for tensors outside the blocks
     * @param position the token's position in the sequence
     * @param data     the token's values as f32, valid only during the call (copy what you keep); integer tensors such
     *                 as {@code ffn_moe_topk} are passed as exact float values
     */
    void onTensor(String name, int layer, int position, MemorySegment data);
}
