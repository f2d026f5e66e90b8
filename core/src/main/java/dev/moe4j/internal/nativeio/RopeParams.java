package dev.moe4j.internal.nativeio;

/**
 * Rotary-embedding parameters with ggml_rope_ext semantics (see moe4j.h, moe_op_rope).
 *
 * @param mode       0 = NORM (adjacent pairs), 2 = NEOX (pairs i, i + n_rot/2)
 * @param freqBase   theta base, e.g. 10000
 * @param freqScale  1 / YaRN factor (1 for plain RoPE)
 * @param extFactor  YaRN ramp mix (1 when YaRN is on, 0 off)
 * @param attnFactor multiplies cos/sin (YaRN's mscale is applied on top when extFactor != 0)
 * @param betaFast   YaRN beta_fast (32)
 * @param betaSlow   YaRN beta_slow (1)
 * @param nCtxOrig   context length the model was trained with before YaRN
 */
public record RopeParams(int mode, float freqBase, float freqScale, float extFactor, float attnFactor, float betaFast,
                         float betaSlow, int nCtxOrig) {
    public static final int MODE_NORM = 0;
    public static final int MODE_NEOX = 2;

    /** Plain RoPE without scaling. */
    public static RopeParams plain(int mode, float freqBase) {
        return new RopeParams(mode, freqBase, 1f, 0f, 1f, 32f, 1f, 0);
    }
}
