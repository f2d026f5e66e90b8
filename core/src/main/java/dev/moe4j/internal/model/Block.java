package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One transformer block as the forward pass runs it: {@code h += attn(RMSNorm(h)); h += ffn(RMSNorm(h))}.
 *
 * @param attnNorm RMSNorm weight before attention [D] ({@code attn_norm})
 * @param ffnNorm  RMSNorm weight before the FFN [D] ({@code ffn_norm}, or {@code post_attention_norm} in families
 *                 that name it so)
 */
public record Block(MemorySegment attnNorm, Attention attn, MemorySegment ffnNorm, FeedForward ffn) {
    public Block {
        Objects.requireNonNull(attnNorm, "attnNorm");
        Objects.requireNonNull(attn, "attn");
        Objects.requireNonNull(ffnNorm, "ffnNorm");
        Objects.requireNonNull(ffn, "ffn");
    }

    /** The routed experts of this block, or null for a dense block. */
    MoeFfn moe() {
        return ffn instanceof MoeFfn m ? m : null;
    }
}
