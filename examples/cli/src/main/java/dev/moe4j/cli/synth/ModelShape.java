package dev.moe4j.cli.synth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hyper-parameters of a synthetic Mixture-of-Experts model: what {@link SynthModel} writes, in the terms of the
 * GGUF keys llama.cpp reads (and llama.cpp's converter writes). Seven architectures are supported:
 * <ul>
 * <li>{@code deepseek2}: MLA attention (optional query compression), leading dense layers, routed + shared experts,
 *     softmax or sigmoid gating with group-limited routing, YaRN;</li>
 * <li>{@code deepseek32} (DeepSeek-V3.2): deepseek2 with compressed queries and a lightning indexer;</li>
 * <li>{@code deepseek4} (DeepSeek-V4, docs/arch-deepseek4.md): {@link #hc()} hyper-connection streams, one K = V head
 *     with per-head sinks over a sliding window, per layer compressed rows ({@link #compressRatios()}: 0 = window only,
 *     4 = CSA with a lightning indexer, 128 = HCA), grouped low-rank output, sqrt-softplus routing with hash-routed
 *     leading layers ({@link #hashLayers()}), a shared expert, clamped SwiGLU, YaRN on the compressed layers, and
 *     {@code nextnLayers} NextN blocks (window only) after the main layers;</li>
 * <li>{@code qwen3moe}: GQA with per-head q/k RMSNorm, every layer MoE, no shared expert;</li>
 * <li>{@code llama} with experts (Mixtral): GQA, every layer MoE, experts as wide as {@code feed_forward_length};</li>
 * <li>{@code glm4moe} (GLM-4.5, GLM-4.5-Air): GQA with q/k/v biases, optional per-head q/k RMSNorm (GLM-4.5, not
 *     Air), partial rotary embedding (NEOX, {@link #rotaryDims()} of each head), leading dense layers, routed + one
 *     shared expert, sigmoid gating with {@code exp_probs_b} selection bias, normalised weights times a scale, and
 *     {@code nextnLayers} NextN (multi-token prediction) blocks after the {@code layers} main ones;</li>
 * <li>{@code gpt-oss}: GQA with biases on q/k/v/o and per-head attention sinks, a sliding window on every other
 *     layer (from layer 0), YaRN, every layer MoE with a router bias, per-expert biases and softmax over the selected
 *     experts' logits, clamped SwiGLU.</li>
 * </ul>
 * Immutable; build with {@link #builder(String)} or start from {@link Shapes#named}.
 *
 * @param layers  main (transformer) layers; glm4moe's and deepseek4's NextN blocks come on top ({@link #blockCount()})
 * @param headDim GQA head size (qwen3moe, llama, glm4moe, gpt-oss); deepseek4's head size (also its K = V head);
 *                unused by deepseek2
 * @param ffn     dense FFN width: deepseek2's and glm4moe's leading dense layers; llama's experts (Mixtral) — llama.cpp
 *                reads the expert width from {@code feed_forward_length} there; gpt-oss writes the expert width
 * @param qLoraRank deepseek2 query compression rank, 0 = direct {@code attn_q} (V2-Lite); deepseek4's (required)
 * @param ropeDim deepseek2, deepseek4: per-head dims with RoPE (deepseek4: the rotated tail of a head); glm4moe:
 *                rotary dims per head, 0 = half the head
 *                ({@code partial_rotary_factor} 0.5); unused otherwise (the whole head rotates)
 * @param ropeScaling YaRN factor, 0 = no scaling
 * @param yarnLogMul {@code rope.scaling.yarn_log_multiplier} as GGUF stores it (0.1 · mscale_all_dim), 0 = absent
 * @param nextnLayers glm4moe, deepseek4: NextN blocks ({@code nextn_predict_layers}) after the main layers, 0 otherwise
 * @param qkNorm  per-head q/k RMSNorm: always for qwen3moe, optional for glm4moe (GLM-4.5 has it, Air not)
 * @param slidingWindow gpt-oss: the window of its sliding-window layers; deepseek4: of every layer; 0 otherwise
 * @param indexerHeads deepseek32, deepseek4: heads of the lightning indexer ({@code attention.indexer.head_count}), 0
 *                     otherwise
 * @param indexerDim  deepseek32, deepseek4: the indexer's head size ({@code attention.indexer.key_length})
 * @param indexerTopK deepseek32: cached positions each query attends to; deepseek4: compressed rows a CSA layer keeps
 *                    ({@code attention.indexer.top_k})
 * @param hc          deepseek4: hyper-connection streams ({@code hyper_connection.count}; llama.cpp's graph wants 4),
 *                    0 otherwise
 * @param sinkhornIterations deepseek4: Sinkhorn iterations of the stream mixing
 * @param outputGroups deepseek4: groups of heads of the low-rank output ({@code attention.output_group_count})
 * @param outputRank  deepseek4: the output's rank per group ({@code attention.output_lora_rank})
 * @param compressRatios deepseek4: per main layer 0 (window only), 4 (CSA) or 128 (HCA); NextN blocks are 0; empty
 *                    otherwise
 * @param compressTheta deepseek4: RoPE base of the compressed layers ({@code attention.compress_rope_freq_base})
 * @param hashLayers  deepseek4: leading layers that route by a token-id → experts table
 * @param swigluLimit deepseek4: the SwiGLU clamp of routed and shared experts, every layer; 0 = none
 */
public record ModelShape(String arch, String name, int layers, int denseLayers, int hidden, int heads, int kvHeads,
                         int headDim, int vocab, int context, int ffn, int experts, int expertsUsed, int expertFfn,
                         int sharedExperts, int qLoraRank, int kvLoraRank, int nopeDim, int ropeDim, int vHeadDim,
                         boolean sigmoidGating, int groups, int groupsUsed, boolean weightsNorm, float weightsScale,
                         float ropeTheta, float eps, float ropeScaling, int ropeOrigContext, float yarnLogMul,
                         int nextnLayers, boolean qkNorm, int slidingWindow, int indexerHeads, int indexerDim,
                         int indexerTopK, int hc, int sinkhornIterations, int outputGroups, int outputRank,
                         List<Integer> compressRatios, float compressTheta, int hashLayers, float swigluLimit) {

    public static final String DEEPSEEK2 = "deepseek2";
    public static final String DEEPSEEK32 = "deepseek32";
    public static final String DEEPSEEK4 = "deepseek4";
    public static final String QWEN3MOE = "qwen3moe";
    public static final String LLAMA = "llama";
    public static final String GLM4MOE = "glm4moe";
    public static final String GPT_OSS = "gpt-oss";

    /** The byte-level vocabulary needs the 256 byte tokens, BOS, EOS and three FIM tokens. */
    public static final int MIN_VOCAB = ByteVocabulary.SIZE;

    /** What a tensor is, which decides its type and its random values. */
    public enum Role {
        /** RMSNorm weight vector (F32, values near 1). */
        NORM,
        /** {@code exp_probs_b}: the selection bias of sigmoid routing (F32; the skew goes here). */
        EXPERT_BIAS,
        /** {@code ffn_gate_inp}: the router (F32, as llama.cpp's quantizer leaves it). */
        ROUTER,
        /** gpt-oss's {@code ffn_gate_inp.bias}: added to the router logits (F32; the skew goes here too). */
        ROUTER_BIAS,
        /** An additive bias vector of attention ({@code attn_q.bias}, ..., F32). */
        BIAS,
        /** gpt-oss's per-expert biases {@code ffn_*_exps.bias}, [width, experts] (F32; routed-expert parameters). */
        EXPERT_BIASES,
        /** gpt-oss's and deepseek4's {@code attn_sinks.weight}: one logit per head (F32). */
        SINKS,
        /** deepseek4's hyper-connection mixers {@code hc_*_fn}: matrices kept F32, as the converter keeps them. */
        MIXER,
        /** deepseek4's {@code hc_*_base} and compressor position biases {@code *_compressor_ape} (F32). */
        MIX_BIAS,
        /** deepseek4's {@code hc_*_scale}: positive scales (F32). */
        MIX_SCALE,
        /** deepseek4's {@code ffn_gate_tid2eid}: each token id's row of distinct experts (I32). */
        HASH,
        /** Token embedding table. */
        EMBEDDING,
        /** A dense weight matrix (attention, dense FFN, shared experts, output). */
        MATRIX,
        /** A 3-D stack of routed experts. */
        EXPERTS
    }

    /** One tensor of the model: GGUF name, dims ({@code ne}, innermost first), role. */
    public record TensorSpec(String name, long[] dims, Role role) {
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    public ModelShape {
        if (!List.of(DEEPSEEK2, DEEPSEEK32, DEEPSEEK4, QWEN3MOE, LLAMA, GLM4MOE, GPT_OSS).contains(arch)) {
            throw new IllegalArgumentException("architecture '" + arch + "' cannot be synthesised (deepseek2,"
                    + " deepseek32, deepseek4, qwen3moe, llama, glm4moe, gpt-oss)");
        }
        compressRatios = List.copyOf(compressRatios);
        positive("layers", layers);
        positive("hidden size", hidden);
        positive("heads", heads);
        positive("context", context);
        positive("experts", experts);
        positive("experts used", expertsUsed);
        if (expertsUsed > experts) {
            throw new IllegalArgumentException("experts used (" + expertsUsed + ") > experts (" + experts + ")");
        }
        if (vocab < MIN_VOCAB) {
            throw new IllegalArgumentException("vocab must be at least " + MIN_VOCAB
                    + " (256 bytes + BOS + EOS + 3 FIM tokens), got " + vocab);
        }
        if (arch.equals(DEEPSEEK2) || arch.equals(DEEPSEEK32)) { // isMla(), before the fields are set
            denseAndShared(layers, denseLayers, ffn, sharedExperts);
            positive("expert FFN width", expertFfn);
            positive("kv_lora_rank", kvLoraRank);
            positive("nope dim", nopeDim);
            positive("v head dim", vHeadDim);
            if (ropeDim <= 0 || ropeDim % 2 != 0) {
                throw new IllegalArgumentException("rope dim must be positive and even, got " + ropeDim);
            }
            if (qLoraRank < 0) {
                throw new IllegalArgumentException("q_lora_rank must not be negative");
            }
            groupsRoute(experts, expertsUsed, groups, groupsUsed);
            if (arch.equals(DEEPSEEK32)) {
                positive("q_lora_rank (the indexer reads the compressed query)", qLoraRank);
                positive("indexer heads", indexerHeads);
                positive("indexer top-k", indexerTopK);
                if (indexerDim < ropeDim) {
                    throw new IllegalArgumentException("indexer head size (" + indexerDim
                            + ") must be at least the rope dim (" + ropeDim + ")");
                }
            }
        } else if (arch.equals(DEEPSEEK4)) {
            deepseek4(layers, denseLayers, heads, headDim, ropeDim, expertFfn, sharedExperts, qLoraRank, slidingWindow,
                    indexerHeads, indexerDim, indexerTopK, hc, sinkhornIterations, outputGroups, outputRank,
                    compressRatios, hashLayers, swigluLimit);
        } else {
            boolean glm = arch.equals(GLM4MOE);
            if (glm) {
                denseAndShared(layers, denseLayers, ffn, sharedExperts);
                groupsRoute(experts, expertsUsed, groups, groupsUsed);
            } else if (denseLayers != 0 || sharedExperts != 0) {
                throw new IllegalArgumentException(arch + " has no dense layers and no shared experts");
            }
            positive("kv heads", kvHeads);
            positive("head dim", headDim);
            if (heads % kvHeads != 0) {
                throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of kv heads (" + kvHeads
                        + ")");
            }
            if (headDim % 2 != 0) {
                throw new IllegalArgumentException("head dim must be even, got " + headDim);
            }
            positive(arch.equals(LLAMA) ? "FFN width (= expert width)" : "expert FFN width",
                    arch.equals(LLAMA) ? ffn : expertFfn);
            int rotary = ropeDim > 0 ? ropeDim : headDim / 2; // rotaryDims(), before the fields are set
            if (glm && (ropeDim < 0 || rotary % 2 != 0 || rotary > headDim)) {
                throw new IllegalArgumentException("rotary dims must be even and at most the head dim (" + headDim
                        + "), got " + rotary);
            }
            if (arch.equals(GPT_OSS)) {
                positive("sliding window", slidingWindow);
            }
        }
        boolean v4 = arch.equals(DEEPSEEK4);
        if (nextnLayers < 0 || nextnLayers > 0 && !arch.equals(GLM4MOE) && !v4) {
            throw new IllegalArgumentException("NextN layers: glm4moe and deepseek4 only, and not negative (got "
                    + nextnLayers + ")");
        }
        if (slidingWindow != 0 && !arch.equals(GPT_OSS) && !v4) {
            throw new IllegalArgumentException("a sliding window is gpt-oss's and deepseek4's only");
        }
        if (!v4 && (hc != 0 || outputGroups != 0 || !compressRatios.isEmpty() || hashLayers != 0)) {
            throw new IllegalArgumentException("hyper-connections, grouped output, compression and hash routing are"
                    + " deepseek4's only");
        }
        if (arch.equals(QWEN3MOE) && !qkNorm) {
            throw new IllegalArgumentException("qwen3moe always normalises q and k");
        }
        if (indexerHeads != 0 && !arch.equals(DEEPSEEK32) && !v4) {
            throw new IllegalArgumentException("a sparse-attention indexer is deepseek32's and deepseek4's only");
        }
        if (qkNorm && !arch.equals(QWEN3MOE) && !arch.equals(GLM4MOE)) {
            throw new IllegalArgumentException("q/k norms: qwen3moe and glm4moe only");
        }
    }

    /** The checks of a deepseek4 shape: what llama.cpp's loader and graph require (docs/arch-deepseek4.md). */
    private static void deepseek4(int layers, int denseLayers, int heads, int headDim, int ropeDim, int expertFfn,
                                  int sharedExperts, int qLoraRank, int window, int indexerHeads, int indexerDim,
                                  int indexerTopK, int hc, int sinkhornIterations, int outputGroups, int outputRank,
                                  List<Integer> ratios, int hashLayers, float swigluLimit) {
        if (denseLayers != 0) {
            throw new IllegalArgumentException("deepseek4 has no dense layers");
        }
        positive("head dim", headDim);
        if (ropeDim <= 0 || ropeDim % 2 != 0 || ropeDim > headDim) {
            throw new IllegalArgumentException("rope dim must be positive, even and at most the head dim (" + headDim
                    + "), got " + ropeDim);
        }
        positive("expert FFN width", expertFfn);
        if (sharedExperts < 0) {
            throw new IllegalArgumentException("shared experts must not be negative");
        }
        positive("q_lora_rank", qLoraRank);
        positive("sliding window", window);
        positive("indexer heads", indexerHeads);
        positive("indexer top-k", indexerTopK);
        if (indexerDim <= 0 || indexerDim % 64 != 0 || indexerDim < ropeDim) {
            throw new IllegalArgumentException("indexer head size must be a multiple of 64 and at least the rope dim ("
                    + ropeDim + "), got " + indexerDim);
        }
        positive("hyper-connection streams", hc);
        positive("Sinkhorn iterations", sinkhornIterations);
        positive("output groups", outputGroups);
        positive("output rank", outputRank);
        if (heads % outputGroups != 0) {
            throw new IllegalArgumentException("heads (" + heads + ") must be a multiple of output groups ("
                    + outputGroups + ")");
        }
        if (ratios.size() != layers || !ratios.stream().allMatch(r -> r == 0 || r == 4 || r == 128)) {
            throw new IllegalArgumentException("compress ratios must be " + layers + " values of 0, 4 or 128, got "
                    + ratios);
        }
        if (hashLayers < 0 || hashLayers > layers) {
            throw new IllegalArgumentException("hash layers must be in 0.." + layers + ", got " + hashLayers);
        }
        if (!(swigluLimit >= 0)) {
            throw new IllegalArgumentException("SwiGLU clamp must not be negative, got " + swigluLimit);
        }
    }

    /**
     * DeepSeek-V4-Flash's compress ratio of main layer {@code l}: the first two layers window only, then CSA (4) and
     * HCA (128) alternating.
     */
    public static int flashRatio(int l) {
        return l < 2 ? 0 : l % 2 == 0 ? 4 : 128;
    }

    /** Flash's pattern ({@link #flashRatio}) for {@code n} layers. */
    public static List<Integer> flashRatios(int n) {
        List<Integer> r = new ArrayList<>(n);
        for (int l = 0; l < n; l++) {
            r.add(flashRatio(l));
        }
        return r;
    }

    /** deepseek4: the compress ratio of block {@code l} (NextN blocks: 0). */
    public int compressRatio(int l) {
        return l < compressRatios.size() ? compressRatios.get(l) : 0;
    }

    private static void denseAndShared(int layers, int denseLayers, int ffn, int sharedExperts) {
        if (denseLayers < 0 || denseLayers >= layers) {
            throw new IllegalArgumentException("dense layers must be in 0.." + (layers - 1) + " (at least one MoE"
                    + " layer), got " + denseLayers);
        }
        if (denseLayers > 0) {
            positive("dense FFN width", ffn);
        }
        if (sharedExperts < 0) {
            throw new IllegalArgumentException("shared experts must not be negative");
        }
    }

    private static void groupsRoute(int experts, int expertsUsed, int groups, int groupsUsed) {
        if (groups < 1 || experts % groups != 0 || groupsUsed < 1 || groupsUsed > groups
                || (long) groupsUsed * (experts / groups) < expertsUsed) {
            throw new IllegalArgumentException(experts + " experts in " + groups + " groups with " + groupsUsed
                    + " used cannot route " + expertsUsed + " experts per token");
        }
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }

    /** Routed-expert width as the model computes with it. */
    public int routedWidth() {
        return arch.equals(LLAMA) ? ffn : expertFfn;
    }

    /** Whether layer {@code l} is a dense (non-MoE) layer; NextN blocks are MoE. */
    public boolean isDense(int l) {
        return l < denseLayers;
    }

    /** {@code block_count}: the main layers and the NextN blocks after them. */
    public int blockCount() {
        return layers + nextnLayers;
    }

    /** Dims of each head that RoPE rotates: deepseek2's rope dims, glm4moe's partial rotary, else the whole head. */
    public int rotaryDims() {
        return switch (arch) {
            case DEEPSEEK2, DEEPSEEK32, DEEPSEEK4 -> ropeDim;
            case GLM4MOE -> ropeDim > 0 ? ropeDim : headDim / 2;
            default -> headDim;
        };
    }

    /** The feed-forward norm's name: {@code post_attention_norm} for glm4moe and gpt-oss (as llama.cpp names it). */
    private String ffnNorm() {
        return arch.equals(GLM4MOE) || arch.equals(GPT_OSS) ? "post_attention_norm.weight" : "ffn_norm.weight";
    }

    /** Every tensor of the model, in file order. */
    public List<TensorSpec> tensors() {
        List<TensorSpec> t = new ArrayList<>();
        t.add(new TensorSpec("token_embd.weight", dims(hidden, vocab), Role.EMBEDDING));
        t.add(new TensorSpec("output_norm.weight", dims(hidden), Role.NORM));
        t.add(new TensorSpec("output.weight", dims(hidden, vocab), Role.MATRIX));
        if (arch.equals(DEEPSEEK4)) {
            deepseek4Tensors(t);
            return t;
        }
        boolean oss = arch.equals(GPT_OSS);
        for (int l = 0; l < blockCount(); l++) {
            String p = "blk." + l + ".";
            t.add(new TensorSpec(p + "attn_norm.weight", dims(hidden), Role.NORM));
            if (isMla()) {
                mlaAttention(t, p);
            } else {
                gqaAttention(t, p);
            }
            t.add(new TensorSpec(p + ffnNorm(), dims(hidden), Role.NORM));
            if (isDense(l)) {
                t.add(new TensorSpec(p + "ffn_gate.weight", dims(hidden, ffn), Role.MATRIX));
                t.add(new TensorSpec(p + "ffn_up.weight", dims(hidden, ffn), Role.MATRIX));
                t.add(new TensorSpec(p + "ffn_down.weight", dims(ffn, hidden), Role.MATRIX));
            } else {
                int f = routedWidth();
                t.add(new TensorSpec(p + "ffn_gate_inp.weight", dims(hidden, experts), Role.ROUTER));
                if (oss) {
                    t.add(new TensorSpec(p + "ffn_gate_inp.bias", dims(experts), Role.ROUTER_BIAS));
                }
                if (isMla() && sigmoidGating || arch.equals(GLM4MOE)) {
                    t.add(new TensorSpec(p + "exp_probs_b.bias", dims(experts), Role.EXPERT_BIAS));
                }
                routedExperts(t, p, f, oss);
                if (sharedExperts > 0) {
                    sharedExpert(t, p);
                }
            }
            if (l >= layers) { // a NextN block: its own embedding, projection of [embedding; hidden], norms and head
                nextn(t, p, true);
            }
        }
        return t;
    }

    /**
     * A NextN block's own tensors: the projection of [embedding; hidden] and its norms; with {@code ownHead} also an
     * embedding and a head of its own (glm4moe; deepseek4's converter writes neither, llama.cpp then uses the model's).
     */
    private void nextn(List<TensorSpec> t, String p, boolean ownHead) {
        t.add(new TensorSpec(p + "nextn.eh_proj.weight", dims(2L * hidden, hidden), Role.MATRIX));
        if (ownHead) {
            t.add(new TensorSpec(p + "nextn.embed_tokens.weight", dims(hidden, vocab), Role.EMBEDDING));
        }
        t.add(new TensorSpec(p + "nextn.enorm.weight", dims(hidden), Role.NORM));
        t.add(new TensorSpec(p + "nextn.hnorm.weight", dims(hidden), Role.NORM));
        if (ownHead) {
            t.add(new TensorSpec(p + "nextn.shared_head_head.weight", dims(hidden, vocab), Role.MATRIX));
        }
        t.add(new TensorSpec(p + "nextn.shared_head_norm.weight", dims(hidden), Role.NORM));
    }

    /**
     * deepseek4's tensors after the embedding and head, as llama.cpp's converter names and shapes them
     * (docs/arch-deepseek4.md, "Tensors"; tools/golden/make_tiny.py writes the same set).
     */
    private void deepseek4Tensors(List<TensorSpec> t) {
        long hcDim = (long) hc * hidden;
        int mix = (2 + hc) * hc;
        t.add(new TensorSpec("output_hc_fn.weight", dims(hcDim, hc), Role.MIXER));
        t.add(new TensorSpec("output_hc_base.weight", dims(hc), Role.MIX_BIAS));
        t.add(new TensorSpec("output_hc_scale.weight", dims(1), Role.MIX_SCALE));
        long qHeads = (long) heads * headDim;
        for (int l = 0; l < blockCount(); l++) {
            String p = "blk." + l + ".";
            for (String site : List.of("attn", "ffn")) {
                t.add(new TensorSpec(p + "hc_" + site + "_fn.weight", dims(hcDim, mix), Role.MIXER));
                t.add(new TensorSpec(p + "hc_" + site + "_base.weight", dims(mix), Role.MIX_BIAS));
                t.add(new TensorSpec(p + "hc_" + site + "_scale.weight", dims(3), Role.MIX_SCALE));
            }
            t.add(new TensorSpec(p + "attn_norm.weight", dims(hidden), Role.NORM));
            t.add(new TensorSpec(p + "attn_sinks.weight", dims(heads), Role.SINKS));
            t.add(new TensorSpec(p + "attn_q_a.weight", dims(hidden, qLoraRank), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_q_a_norm.weight", dims(qLoraRank), Role.NORM));
            t.add(new TensorSpec(p + "attn_q_b.weight", dims(qLoraRank, qHeads), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_kv.weight", dims(hidden, headDim), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_kv_a_norm.weight", dims(headDim), Role.NORM));
            t.add(new TensorSpec(p + "attn_output_a.weight", dims(qHeads / outputGroups,
                    (long) outputGroups * outputRank), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_output_b.weight", dims((long) outputGroups * outputRank, hidden),
                    Role.MATRIX));
            int ratio = compressRatio(l);
            if (ratio != 0) {
                compressor(t, p + "attn_compressor_", ratio == 4 ? 2 : 1, headDim, ratio);
            }
            if (ratio == 4) {
                t.add(new TensorSpec(p + "indexer.proj.weight", dims(hidden, indexerHeads), Role.MATRIX));
                t.add(new TensorSpec(p + "indexer.attn_q_b.weight", dims(qLoraRank, (long) indexerHeads * indexerDim),
                        Role.MATRIX));
                compressor(t, p + "indexer_compressor_", 2, indexerDim, ratio);
            }
            t.add(new TensorSpec(p + "ffn_norm.weight", dims(hidden), Role.NORM));
            t.add(new TensorSpec(p + "ffn_gate_inp.weight", dims(hidden, experts), Role.ROUTER));
            if (l < hashLayers) {
                t.add(new TensorSpec(p + "ffn_gate_tid2eid.weight", dims(expertsUsed, vocab), Role.HASH));
            } else {
                t.add(new TensorSpec(p + "exp_probs_b.bias", dims(experts), Role.EXPERT_BIAS));
            }
            routedExperts(t, p, expertFfn, false);
            if (sharedExperts > 0) {
                sharedExpert(t, p);
            }
            if (l >= layers) {
                nextn(t, p, false);
            }
        }
    }

    /** A compressor's tensors: kv and gate projections to {@code c·d}, the position bias, the norm of a row. */
    private void compressor(List<TensorSpec> t, String p, int c, int d, int ratio) {
        t.add(new TensorSpec(p + "kv.weight", dims(hidden, (long) c * d), Role.MATRIX));
        t.add(new TensorSpec(p + "gate.weight", dims(hidden, (long) c * d), Role.MATRIX));
        t.add(new TensorSpec(p + "ape.weight", dims((long) c * d, ratio), Role.MIX_BIAS));
        t.add(new TensorSpec(p + "norm.weight", dims(d), Role.NORM));
    }

    /** The routed experts' gate, up and down stacks of width {@code f}, with gpt-oss's per-expert biases. */
    private void routedExperts(List<TensorSpec> t, String p, int f, boolean biases) {
        for (String m : List.of("gate", "up", "down")) {
            boolean down = m.equals("down");
            t.add(new TensorSpec(p + "ffn_" + m + "_exps.weight",
                    down ? dims(f, hidden, experts) : dims(hidden, f, experts), Role.EXPERTS));
            if (biases) {
                t.add(new TensorSpec(p + "ffn_" + m + "_exps.bias", dims(down ? hidden : f, experts),
                        Role.EXPERT_BIASES));
            }
        }
    }

    private void sharedExpert(List<TensorSpec> t, String p) {
        long fs = (long) expertFfn * sharedExperts;
        t.add(new TensorSpec(p + "ffn_gate_shexp.weight", dims(hidden, fs), Role.MATRIX));
        t.add(new TensorSpec(p + "ffn_up_shexp.weight", dims(hidden, fs), Role.MATRIX));
        t.add(new TensorSpec(p + "ffn_down_shexp.weight", dims(fs, hidden), Role.MATRIX));
    }

    private void mlaAttention(List<TensorSpec> t, String p) {
        int dk = nopeDim + ropeDim;
        if (qLoraRank > 0) {
            t.add(new TensorSpec(p + "attn_q_a_norm.weight", dims(qLoraRank), Role.NORM));
            t.add(new TensorSpec(p + "attn_q_a.weight", dims(hidden, qLoraRank), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_q_b.weight", dims(qLoraRank, (long) heads * dk), Role.MATRIX));
        } else {
            t.add(new TensorSpec(p + "attn_q.weight", dims(hidden, (long) heads * dk), Role.MATRIX));
        }
        t.add(new TensorSpec(p + "attn_kv_a_norm.weight", dims(kvLoraRank), Role.NORM));
        t.add(new TensorSpec(p + "attn_kv_a_mqa.weight", dims(hidden, kvLoraRank + ropeDim), Role.MATRIX));
        t.add(new TensorSpec(p + "attn_k_b.weight", dims(nopeDim, kvLoraRank, heads), Role.MATRIX));
        t.add(new TensorSpec(p + "attn_v_b.weight", dims(kvLoraRank, vHeadDim, heads), Role.MATRIX));
        t.add(new TensorSpec(p + "attn_output.weight", dims((long) heads * vHeadDim, hidden), Role.MATRIX));
        if (arch.equals(DEEPSEEK32)) { // the lightning indexer, named as llama.cpp's converter names it
            t.add(new TensorSpec(p + "indexer.k_norm.weight", dims(indexerDim), Role.NORM));
            t.add(new TensorSpec(p + "indexer.k_norm.bias", dims(indexerDim), Role.BIAS));
            t.add(new TensorSpec(p + "indexer.proj.weight", dims(hidden, indexerHeads), Role.MATRIX));
            t.add(new TensorSpec(p + "indexer.attn_k.weight", dims(hidden, indexerDim), Role.MATRIX));
            t.add(new TensorSpec(p + "indexer.attn_q_b.weight", dims(qLoraRank, (long) indexerHeads * indexerDim),
                    Role.MATRIX));
        }
    }

    /** Whether the attention is DeepSeek's MLA (deepseek2 and deepseek32). */
    public boolean isMla() {
        return arch.equals(DEEPSEEK2) || arch.equals(DEEPSEEK32);
    }

    private void gqaAttention(List<TensorSpec> t, String p) {
        long q = (long) heads * headDim;
        long kv = (long) kvHeads * headDim;
        if (arch.equals(GLM4MOE) || arch.equals(GPT_OSS)) { // q/k/v biases (attention_bias), gpt-oss's on o too
            boolean oss = arch.equals(GPT_OSS);
            t.add(new TensorSpec(p + "attn_q.weight", dims(hidden, q), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_q.bias", dims(q), Role.BIAS));
            t.add(new TensorSpec(p + "attn_k.weight", dims(hidden, kv), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_k.bias", dims(kv), Role.BIAS));
            t.add(new TensorSpec(p + "attn_v.weight", dims(hidden, kv), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_v.bias", dims(kv), Role.BIAS));
            t.add(new TensorSpec(p + "attn_output.weight", dims(q, hidden), Role.MATRIX));
            if (oss) {
                t.add(new TensorSpec(p + "attn_output.bias", dims(hidden), Role.BIAS));
                t.add(new TensorSpec(p + "attn_sinks.weight", dims(heads), Role.SINKS));
            }
        } else {
            t.add(new TensorSpec(p + "attn_q.weight", dims(hidden, q), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_k.weight", dims(hidden, kv), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_v.weight", dims(hidden, kv), Role.MATRIX));
            t.add(new TensorSpec(p + "attn_output.weight", dims(q, hidden), Role.MATRIX));
        }
        if (qkNorm) {
            t.add(new TensorSpec(p + "attn_q_norm.weight", dims(headDim), Role.NORM));
            t.add(new TensorSpec(p + "attn_k_norm.weight", dims(headDim), Role.NORM));
        }
    }

    private static long[] dims(long... d) {
        return d;
    }

    /** Sum of all tensors' elements. */
    public long parameterCount() {
        return tensors().stream().mapToLong(TensorSpec::elements).sum();
    }

    /**
     * Parameters one token uses, as {@link dev.moe4j.ModelInfo#parametersActive()} defines them: everything except,
     * in each MoE layer, the {@code experts - expertsUsed} routed experts it does not select (their matrices and, for
     * gpt-oss, their biases). glm4moe's NextN blocks count like the other layers, as ModelInfo counts every block of
     * the file; {@link #nextnParameterCount()} is their share.
     */
    public long activeParameterCount() {
        long inactive = 0;
        for (TensorSpec s : tensors()) {
            if (s.role() == Role.EXPERTS || s.role() == Role.EXPERT_BIASES) {
                inactive += s.elements() / experts * (experts - expertsUsed);
            }
        }
        return parameterCount() - inactive;
    }

    /** Elements of the NextN blocks' tensors (glm4moe; 0 otherwise): what a model card's size leaves out. */
    public long nextnParameterCount() {
        long n = 0;
        for (TensorSpec s : tensors()) {
            String name = s.name();
            if (name.startsWith("blk.") && Integer.parseInt(name.substring(4, name.indexOf('.', 4))) >= layers) {
                n += s.elements();
            }
        }
        return n;
    }

    /** A one-line description: {@code deepseek2, 4 layers (1 dense), D=2048, 64 experts (6 used, 2 shared) × 1408}. */
    public String summary() {
        return String.format(Locale.ROOT, "%s, %d layers%s%s, D=%d, H=%d%s, %d experts (%d used%s) × %d%s, vocab %d",
                arch, layers, denseLayers > 0 ? " (" + denseLayers + " dense)" : "",
                nextnLayers > 0 ? " + " + nextnLayers + " NextN" : "", hidden, heads,
                kvHeads > 0 && !isMla() ? "/" + kvHeads + "×" + headDim : "", experts, expertsUsed,
                sharedExperts > 0 ? ", " + sharedExperts + " shared" : "", routedWidth(),
                (slidingWindow > 0 ? ", window " + slidingWindow : "")
                        + (indexerHeads > 0 ? ", indexer " + indexerHeads + "×" + indexerDim + " top-" + indexerTopK
                        : "") + (arch.equals(DEEPSEEK4) ? deepseek4Summary() : ""),
                vocab);
    }

    /** {@code , hc 4, layers: 2 window, 1 CSA, 1 HCA, 3 hash}. */
    private String deepseek4Summary() {
        long csa = compressRatios.stream().filter(r -> r == 4).count();
        long hca = compressRatios.stream().filter(r -> r == 128).count();
        return String.format(Locale.ROOT, ", hc %d, layers: %d window, %d CSA, %d HCA, %d hash", hc,
                layers - csa - hca, csa, hca, hashLayers);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A builder starting from small deepseek2-like defaults of {@code arch}; every value can be overridden. */
    public static Builder builder(String arch) {
        return new Builder(arch);
    }

    /** Mutable copy of a shape's values; {@link #build()} validates. */
    public static final class Builder {
        String arch;
        String name;
        int layers = 2;
        int denseLayers;
        int hidden = 256;
        int heads = 4;
        int kvHeads = 2;
        int headDim = 64;
        int vocab = 512;
        int context = 4096;
        int ffn = 512;
        int experts = 8;
        int expertsUsed = 2;
        int expertFfn = 128;
        int sharedExperts;
        int qLoraRank;
        int kvLoraRank = 64;
        int nopeDim = 32;
        int ropeDim = 32;
        int vHeadDim = 32;
        boolean sigmoidGating;
        int groups = 1;
        int groupsUsed = 1;
        boolean weightsNorm = true;
        float weightsScale = 1f;
        float ropeTheta = 10000f;
        float eps = 1e-6f;
        float ropeScaling;
        int ropeOrigContext;
        float yarnLogMul;
        int nextnLayers;
        boolean qkNorm;
        int slidingWindow;
        int indexerHeads;
        int indexerDim;
        int indexerTopK;
        int hc;
        int sinkhornIterations;
        int outputGroups;
        int outputRank;
        /** deepseek4: null = Flash's pattern for {@link #layers} ({@link ModelShape#flashRatios}). */
        List<Integer> compressRatios;
        float compressTheta;
        int hashLayers;
        float swigluLimit;

        Builder(String arch) {
            this.arch = arch;
            this.name = "synthetic " + arch;
            switch (arch) {
                case DEEPSEEK2 -> {
                    denseLayers = 1;
                    sharedExperts = 1;
                }
                case DEEPSEEK32 -> { // V3.2's structure: compressed queries, sigmoid routing, an indexer
                    denseLayers = 1;
                    sharedExperts = 1;
                    qLoraRank = 64;
                    sigmoidGating = true;
                    indexerHeads = 8;
                    indexerDim = 64;
                    indexerTopK = 64;
                }
                case DEEPSEEK4 -> { // V4-Flash's structure, small: 4 layers of every kind (window, CSA, HCA; 3 hash)
                    layers = 4;
                    nextnLayers = 1;
                    heads = 8;
                    kvHeads = 1;
                    headDim = 64;
                    ropeDim = 16;
                    qLoraRank = 64;
                    sharedExperts = 1;
                    slidingWindow = 16;
                    indexerHeads = 16; // 8 heads give exact zero-score ties at the top-k boundary more often
                    indexerDim = 64;
                    indexerTopK = 16;
                    hc = 4;
                    sinkhornIterations = 20;
                    outputGroups = 2;
                    outputRank = 32;
                    compressTheta = 160_000f;
                    hashLayers = 3;
                    swigluLimit = 10f;
                    weightsScale = 1.5f;
                    ropeScaling = 16f;
                    ropeOrigContext = 4096;
                }
                case QWEN3MOE -> qkNorm = true;
                case GLM4MOE -> { // GLM-4.5-Air's structure: one dense layer, one shared expert, sigmoid, one NextN
                    denseLayers = 1;
                    sharedExperts = 1;
                    sigmoidGating = true;
                    ropeDim = 0;
                    nextnLayers = 1;
                    ropeTheta = 1_000_000f;
                    eps = 1e-5f;
                }
                case GPT_OSS -> { // gpt-oss's: window 128, YaRN ×32 over 4096, θ 150000
                    slidingWindow = 128;
                    weightsNorm = false;
                    ropeTheta = 150_000f;
                    eps = 1e-5f;
                    ropeScaling = 32f;
                    ropeOrigContext = 4096;
                }
                default -> { }
            }
        }

        Builder(ModelShape s) {
            arch = s.arch;
            name = s.name;
            layers = s.layers;
            denseLayers = s.denseLayers;
            hidden = s.hidden;
            heads = s.heads;
            kvHeads = s.kvHeads;
            headDim = s.headDim;
            vocab = s.vocab;
            context = s.context;
            ffn = s.ffn;
            experts = s.experts;
            expertsUsed = s.expertsUsed;
            expertFfn = s.expertFfn;
            sharedExperts = s.sharedExperts;
            qLoraRank = s.qLoraRank;
            kvLoraRank = s.kvLoraRank;
            nopeDim = s.nopeDim;
            ropeDim = s.ropeDim;
            vHeadDim = s.vHeadDim;
            sigmoidGating = s.sigmoidGating;
            groups = s.groups;
            groupsUsed = s.groupsUsed;
            weightsNorm = s.weightsNorm;
            weightsScale = s.weightsScale;
            ropeTheta = s.ropeTheta;
            eps = s.eps;
            ropeScaling = s.ropeScaling;
            ropeOrigContext = s.ropeOrigContext;
            yarnLogMul = s.yarnLogMul;
            nextnLayers = s.nextnLayers;
            qkNorm = s.qkNorm;
            slidingWindow = s.slidingWindow;
            indexerHeads = s.indexerHeads;
            indexerDim = s.indexerDim;
            indexerTopK = s.indexerTopK;
            hc = s.hc;
            sinkhornIterations = s.sinkhornIterations;
            outputGroups = s.outputGroups;
            outputRank = s.outputRank;
            compressRatios = !s.arch.equals(DEEPSEEK4) || s.compressRatios.equals(flashRatios(s.layers)) ? null
                    : s.compressRatios;
            compressTheta = s.compressTheta;
            hashLayers = s.hashLayers;
            swigluLimit = s.swigluLimit;
        }

        public Builder name(String v) { name = v; return this; }
        public Builder arch(String v) { arch = v; return this; }
        public Builder layers(int v) { layers = v; return this; }
        public Builder denseLayers(int v) { denseLayers = v; return this; }
        public Builder hidden(int v) { hidden = v; return this; }
        public Builder heads(int v) { heads = v; return this; }
        public Builder kvHeads(int v) { kvHeads = v; return this; }
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder vocab(int v) { vocab = v; return this; }
        public Builder context(int v) { context = v; return this; }
        public Builder ffn(int v) { ffn = v; return this; }
        public Builder experts(int v) { experts = v; return this; }
        public Builder expertsUsed(int v) { expertsUsed = v; return this; }
        public Builder expertFfn(int v) { expertFfn = v; return this; }
        public Builder sharedExperts(int v) { sharedExperts = v; return this; }
        public Builder qLoraRank(int v) { qLoraRank = v; return this; }
        public Builder kvLoraRank(int v) { kvLoraRank = v; return this; }
        public Builder nopeDim(int v) { nopeDim = v; return this; }
        public Builder ropeDim(int v) { ropeDim = v; return this; }
        public Builder vHeadDim(int v) { vHeadDim = v; return this; }
        public Builder sigmoidGating(boolean v) { sigmoidGating = v; return this; }
        public Builder groups(int n, int used) { groups = n; groupsUsed = used; return this; }
        public Builder groupCount(int v) { groups = v; return this; }
        public Builder groupsUsed(int v) { groupsUsed = v; return this; }
        public Builder weightsNorm(boolean v) { weightsNorm = v; return this; }
        public Builder weightsScale(float v) { weightsScale = v; return this; }
        public Builder ropeTheta(float v) { ropeTheta = v; return this; }
        public Builder eps(float v) { eps = v; return this; }
        public Builder nextnLayers(int v) { nextnLayers = v; return this; }
        public Builder qkNorm(boolean v) { qkNorm = v; return this; }
        public Builder slidingWindow(int v) { slidingWindow = v; return this; }
        public Builder indexer(int nHeads, int dim, int topK) {
            indexerHeads = nHeads;
            indexerDim = dim;
            indexerTopK = topK;
            return this;
        }
        public Builder indexerHeads(int v) { indexerHeads = v; return this; }
        public Builder indexerDim(int v) { indexerDim = v; return this; }
        public Builder indexerTopK(int v) { indexerTopK = v; return this; }
        public Builder hc(int v) { hc = v; return this; }
        public Builder sinkhornIterations(int v) { sinkhornIterations = v; return this; }
        public Builder outputGroups(int v) { outputGroups = v; return this; }
        public Builder outputRank(int v) { outputRank = v; return this; }
        /** deepseek4: one ratio per main layer (0, 4 or 128); without it, Flash's pattern. */
        public Builder compressRatios(List<Integer> v) { compressRatios = List.copyOf(v); return this; }
        public Builder compressTheta(float v) { compressTheta = v; return this; }
        public Builder hashLayers(int v) { hashLayers = v; return this; }
        public Builder swigluLimit(float v) { swigluLimit = v; return this; }

        /** YaRN scaling by {@code factor} of an {@code origContext}-token model; {@code logMul} as GGUF stores it. */
        public Builder yarn(float factor, int origContext, float logMul) {
            ropeScaling = factor;
            ropeOrigContext = origContext;
            yarnLogMul = logMul;
            return this;
        }

        /**
         * Keeps {@code n} main layers; leading dense layers shrink in proportion (at least one if the shape had any,
         * and always at least one MoE layer) so a cut-down model keeps the mix of the full one. NextN blocks stay.
         * deepseek4 keeps the first {@code n} compress ratios (continued by Flash's pattern) and at most {@code n}
         * hash layers.
         */
        public Builder cutToLayers(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("layers must be positive, got " + n);
            }
            if (denseLayers > 0) {
                int scaled = Math.round((float) denseLayers * n / layers);
                denseLayers = Math.min(n - 1, Math.max(1, scaled));
            }
            if (compressRatios != null) {
                List<Integer> r = new ArrayList<>(compressRatios.subList(0, Math.min(n, compressRatios.size())));
                for (int l = r.size(); l < n; l++) {
                    r.add(flashRatio(l));
                }
                compressRatios = List.copyOf(r);
            }
            hashLayers = Math.min(hashLayers, n);
            layers = n;
            return this;
        }

        public ModelShape build() {
            return new ModelShape(arch, name, layers, denseLayers, hidden, heads, kvHeads, headDim, vocab, context, ffn,
                    experts, expertsUsed, expertFfn, sharedExperts, qLoraRank, kvLoraRank, nopeDim, ropeDim, vHeadDim,
                    sigmoidGating, groups, groupsUsed, weightsNorm, weightsScale, ropeTheta, eps, ropeScaling,
                    ropeOrigContext, yarnLogMul, nextnLayers, qkNorm, slidingWindow, indexerHeads, indexerDim,
                    indexerTopK, hc, sinkhornIterations, outputGroups, outputRank,
                    compressRatios != null ? compressRatios : arch.equals(DEEPSEEK4) ? flashRatios(layers) : List.of(),
                    compressTheta, hashLayers, swigluLimit);
        }
    }
}
