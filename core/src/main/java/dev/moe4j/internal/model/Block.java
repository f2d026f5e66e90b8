package dev.moe4j.internal.model;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One transformer block as the forward pass runs it: {@code h += attn(RMSNorm(h)); h += ffn(RMSNorm(h))}, or, with
 * DeepSeek-V4's hyper-connections, the same sublayers reading and writing several residual streams through their
 * mixers ({@link HyperConnections}).
 *
 * @param attnNorm RMSNorm weight before attention [D] ({@code attn_norm})
 * @param ffnNorm  RMSNorm weight before the FFN [D] ({@code ffn_norm}, or {@code post_attention_norm} in families
 *                 that name it so)
 * @param attnMix  the hyper-connection mixer around attention ({@code hc_attn_*}), or null: one residual stream
 * @param ffnMix   the mixer around the FFN ({@code hc_ffn_*}), null exactly when {@code attnMix} is
 */
public record Block(MemorySegment attnNorm, Attention attn, MemorySegment ffnNorm, FeedForward ffn,
                    HyperConnections attnMix, HyperConnections ffnMix) {
    public Block(MemorySegment attnNorm, Attention attn, MemorySegment ffnNorm, FeedForward ffn) {
        this(attnNorm, attn, ffnNorm, ffn, null, null);
    }

    public Block {
        if ((attnMix == null) != (ffnMix == null)) {
            throw new IllegalArgumentException("hyper-connections need a mixer at both sites");
        }
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
