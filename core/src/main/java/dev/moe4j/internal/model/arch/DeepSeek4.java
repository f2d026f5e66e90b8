package dev.moe4j.internal.model.arch;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.model.Architecture;
import dev.moe4j.internal.model.Block;
import dev.moe4j.internal.model.CompressedAttention;
import dev.moe4j.internal.model.ExpertGating;
import dev.moe4j.internal.model.ExpertRouter;
import dev.moe4j.internal.model.HashRouter;
import dev.moe4j.internal.model.HyperConnections;
import dev.moe4j.internal.model.HyperParams;
import dev.moe4j.internal.model.LayerLoad;
import dev.moe4j.internal.model.ModelTensors;
import dev.moe4j.internal.model.MoeFfn;
import dev.moe4j.internal.model.SharedExpert;
import dev.moe4j.internal.model.TopKRouter;
import dev.moe4j.internal.nativeio.RopeParams;

import java.util.Arrays;

import static dev.moe4j.internal.model.HyperParams.positive;

/**
 * DeepSeek-V4 ({@code deepseek4}), following docs/arch-deepseek4.md and llama.cpp's {@code deepseek4} graph: the
 * residual stream is {@code hyper_connection.count} streams mixed by {@link HyperConnections} around every sublayer;
 * attention is {@link CompressedAttention} (one shared key/value head over a sliding window, plus per-layer compressed
 * rows: none, every 4 tokens with a lightning indexer, or every 128 tokens), with sinks and a grouped low-rank output;
 * every block is MoE with sqrt-softplus affinities, hash routing by token id in the first {@code hash_layer_count}
 * blocks, a shared expert, and SwiGLU clamped at {@code swiglu_clamp_exp} / {@code swiglu_clamp_shexp}. The NextN
 * (MTP) blocks after the main ones are not part of the forward pass.
 */
public final class DeepSeek4 implements Architecture {
    public static final String ARCH = "deepseek4";
    private static final String P = ARCH + ".";

    /**
     * What a {@code deepseek4} file says beyond the common keys.
     *
     * @param ratios     compression ratio of each main layer (0, 4 or 128)
     * @param clampExp   the routed experts' SwiGLU limit per layer
     * @param clampShexp the shared expert's SwiGLU limit per layer
     */
    record Config(HyperParams hp, int hc, int sinkhornIterations, float hcEps, int[] ratios, int qLoraRank, int groups,
                  int oRank, int idxHeads, int idxDim, int idxTopK, int hashLayers, float[] clampExp,
                  float[] clampShexp, boolean weightsNorm, float weightsScale, RopeParams ropeRaw,
                  RopeParams ropeCompressed) {

        CompressedAttention.Dims attention(int l) {
            int r = ratios[l];
            return new CompressedAttention.Dims(hp.embd(), hp.heads(), hp.headDimK(), hp.ropeDim(), qLoraRank,
                    hp.slidingWindow(), r, groups, oRank, hp.eps(), r == 0 ? ropeRaw : ropeCompressed,
                    r == 4 ? idxHeads : 0, r == 4 ? idxDim : 0, r == 4 ? idxTopK : 0);
        }
    }

    @Override
    public String name() {
        return ARCH;
    }

    @Override
    public HyperParams hyperParams(ModelTensors t) {
        return read(t.metadata(), t.source()).hp();
    }

    @Override
    public HyperConnections headMixer(ModelTensors t, HyperParams hp) {
        Config c = read(t.metadata(), t.source());
        return HyperConnections.loadHead(t, c.hc(), hp.embd(), hp.eps(), c.hcEps());
    }

    /** The compressed rows' bytes per token over all layers (the raw window is a ring of fixed size). */
    @Override
    public long cacheBytesPerToken(HyperParams hp, ModelTensors t) {
        Config c = read(t.metadata(), t.source());
        long sum = 0;
        for (int l = 0; l < hp.layers(); l++) {
            sum += CompressedAttention.bytesPerToken(c.attention(l));
        }
        return sum;
    }

    @Override
    public Block block(LayerLoad load, int l) {
        ModelTensors t = load.tensors();
        Config c = load.once(Config.class, () -> read(t.metadata(), t.source()));
        HyperParams hp = c.hp();
        String p = LayerLoad.prefix(l);
        int d = hp.embd();
        int e = hp.experts();
        int f = hp.expertWidth();
        int used = hp.expertsUsed();
        CompressedAttention attn = CompressedAttention.load(t, p, c.attention(l));
        ExpertRouter router;
        if (l < c.hashLayers()) {
            router = new HashRouter(t.ints(p + "ffn_gate_tid2eid.weight", used, e), e, used,
                    ExpertGating.SQRT_SOFTPLUS, c.weightsNorm(), c.weightsScale());
        } else {
            float[] bias = t.has(p + "exp_probs_b.bias") ? t.floats(p + "exp_probs_b.bias", e) : null;
            router = Common.router(t, hp, () -> new TopKRouter(ExpertGating.SQRT_SOFTPLUS, bias, e, used, 1, 1,
                    c.weightsNorm(), c.weightsScale()));
        }
        float shexpLimit = c.clampShexp()[l];
        java.util.function.Supplier<SharedExpert> shared = hp.expertsShared() > 0
                ? () -> SharedExpert.load(t, p, d, f * hp.expertsShared()).clamped(shexpLimit) : null;
        MoeFfn ffn = MoeFfn.load(t, p, d, f, router,
                new MoeFfn.Options(MoeFfn.Activation.clamped(c.clampExp()[l]), false), shared, load.experts());
        HyperConnections attnMix = HyperConnections.load(t, p + "hc_attn", c.hc(), d, hp.eps(), c.hcEps(),
                c.sinkhornIterations());
        HyperConnections ffnMix = HyperConnections.load(t, p + "hc_ffn", c.hc(), d, hp.eps(), c.hcEps(),
                c.sinkhornIterations());
        return new Block(t.vector(p + "attn_norm.weight", d), attn, t.vector(p + "ffn_norm.weight", d), ffn,
                attnMix, ffnMix);
    }

    /**
     * Reads the keys llama.cpp reads for deepseek4 (docs/arch-deepseek4.md, "GGUF keys").
     *
     * @throws ModelFormatException if a key is missing or the values do not describe a model
     */
    static Config read(GgufMetadata md, String source) {
        HyperParams hp = HyperParams.read(md, ARCH, RopeParams.MODE_NORM, 1e-6f, source);
        int layers = hp.layers();
        int hc = positive(md, P + "hyper_connection.count", source);
        int iters = positive(md, P + "hyper_connection.sinkhorn_iterations", source);
        float hcEps = md.optFloat(P + "hyper_connection.epsilon").orElse(1e-6f);
        int window = hp.slidingWindow();
        if (window <= 0) {
            throw new ModelFormatException(source + ": " + P + "attention.sliding_window must be positive", -1);
        }
        int[] ratios = intArray(md, P + "attention.compress_ratios", layers, source);
        for (int r : ratios) {
            if (r != 0 && r != 4 && r != 128) {
                throw new ModelFormatException(source + ": " + P + "attention.compress_ratios holds " + r
                        + " (llama.cpp's deepseek4 compresses by 4 or 128, or not at all)",
                        md.offset(P + "attention.compress_ratios"));
            }
        }
        int qRank = positive(md, P + "attention.q_lora_rank", source);
        int groups = positive(md, P + "attention.output_group_count", source);
        int oRank = positive(md, P + "attention.output_lora_rank", source);
        if (hp.heads() % groups != 0) {
            throw new ModelFormatException(source + ": " + hp.heads() + " heads do not split into " + groups
                    + " output groups", md.offset(P + "attention.output_group_count"));
        }
        int ropeDim = hp.ropeDim();
        if (ropeDim > hp.headDimK() || ropeDim % 2 != 0) {
            throw new ModelFormatException(source + ": " + P + "rope.dimension_count = " + ropeDim
                    + " must be even and at most the head size " + hp.headDimK(), -1);
        }
        boolean csa = Arrays.stream(ratios).anyMatch(r -> r == 4);
        int idxHeads = csa ? positive(md, P + "attention.indexer.head_count", source) : 0;
        int idxDim = csa ? positive(md, P + "attention.indexer.key_length", source) : 0;
        int idxTopK = csa ? positive(md, P + "attention.indexer.top_k", source) : 0;
        if (csa && idxDim < ropeDim) {
            throw new ModelFormatException(source + ": " + P + "attention.indexer.key_length " + idxDim
                    + " is smaller than the rope dimension " + ropeDim, -1);
        }
        if (hp.experts() <= 0 || hp.expertWidth() <= 0) {
            throw new ModelFormatException(source + ": deepseek4 needs expert_count and expert_feed_forward_length",
                    -1);
        }
        int gating = hp.gatingKey();
        if (gating != 0 && gating != 4) {
            throw new ModelFormatException(source + ": " + P + "expert_gating_func = " + gating
                    + " is not supported for deepseek4 (4 = sqrt(softplus))", md.offset(P + "expert_gating_func"));
        }
        int hash = md.optInt(P + "hash_layer_count").orElse(0);
        if (hash < 0 || hash > layers) {
            throw new ModelFormatException(source + ": " + P + "hash_layer_count = " + hash + " does not fit "
                    + layers + " layers", md.offset(P + "hash_layer_count"));
        }
        float[] clampExp = floatArray(md, P + "swiglu_clamp_exp", layers, null, source);
        float[] clampShexp = floatArray(md, P + "swiglu_clamp_shexp", layers, clampExp, source);
        boolean norm = hp.weightsNorm() != null && hp.weightsNorm();
        float scale = hp.expertsScale() == 0f ? 1f : hp.expertsScale();

        RopeParams raw = new RopeParams(RopeParams.MODE_NORM, md.optFloat(P + "rope.freq_base").orElse(10000f), 1f,
                0f, 1f, 32f, 1f, hp.contextLength());
        boolean yarn = md.optString(P + "rope.scaling.type").orElse("none").equals("yarn");
        float factor = md.optFloat(P + "rope.scaling.factor").orElse(0f);
        float freqScale = yarn && factor > 0f ? 1f / factor : 1f;
        // the graph cancels ggml's YaRN magnitude (1 + 0.1·ln(1/fs)): cos and sin stay plain
        float attn = yarn ? 1f / (1f + 0.1f * (float) Math.log(1f / freqScale)) : 1f;
        RopeParams compressed = new RopeParams(RopeParams.MODE_NORM,
                md.optFloat(P + "attention.compress_rope_freq_base").orElse(raw.freqBase()), freqScale,
                yarn ? 1f : 0f, attn, 32f, 1f,
                md.optInt(P + "rope.scaling.original_context_length").orElse(hp.contextLength()));
        return new Config(hp, hc, iters, hcEps, ratios, qRank, groups, oRank, idxHeads, idxDim, idxTopK, hash,
                clampExp, clampShexp, norm, scale, raw, compressed);
    }

    /** The first {@code n} values of an integer array key (one per block; NextN blocks may follow). */
    private static int[] intArray(GgufMetadata md, String key, int n, String source) {
        int[] v = md.getIntArray(key);
        if (v.length < n) {
            throw new ModelFormatException(source + ": " + key + " has " + v.length + " values for " + n + " layers",
                    md.offset(key));
        }
        return Arrays.copyOf(v, n);
    }

    /** A float per layer from an array key, or {@code fallback} (a limit of 0 means no clamp) when it is absent. */
    private static float[] floatArray(GgufMetadata md, String key, int n, float[] fallback, String source) {
        if (!md.has(key)) {
            return fallback != null ? fallback : new float[n];
        }
        float[] v = md.getFloatArray(key);
        if (v.length < n) {
            throw new ModelFormatException(source + ": " + key + " has " + v.length + " values for " + n + " layers",
                    md.offset(key));
        }
        return Arrays.copyOf(v, n);
    }
}
