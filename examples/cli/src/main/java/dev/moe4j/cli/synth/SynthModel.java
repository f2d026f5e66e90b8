package dev.moe4j.cli.synth;

import dev.moe4j.cli.synth.ModelShape.Role;
import dev.moe4j.cli.synth.ModelShape.TensorSpec;
import dev.moe4j.tooling.GgufFileWriter;
import dev.moe4j.tooling.TensorType;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A random-weight GGUF model of a {@link ModelShape}: complete metadata (so llama.cpp and moe4j load it), a small
 * byte-level BPE vocabulary with DeepSeek-Coder's fill-in-the-middle tokens ({@link ByteVocabulary}), and tensors whose
 * bytes are generated while the file is written.
 *
 * <p>Types: norms, the router ({@code ffn_gate_inp}), {@code exp_probs_b}, biases, attention sinks and deepseek4's
 * hyper-connection tensors and compressor position biases are F32 (llama.cpp's converter and quantizer keep them so),
 * deepseek4's token-to-experts table I32; a matrix whose name one of {@code rules} finds gets the type of the first
 * such rule (llama-quantize's {@code --tensor-type}: e.g. {@code ffn_down_exps=IQ2_XXS} for the "dynamic" DeepSeek
 * quantizations, whose routed experts are IQ1_S but for their down projections), other routed experts get
 * {@code expertType}, every other matrix {@code matrixType}. A matrix whose rows are not a whole number of blocks of
 * its type falls back as llama.cpp's quantizer does (the 256-element i-quants, Q2_K, Q3_K and IQ4_XS → IQ4_NL,
 * TQ1_0/TQ2_0 → Q4_0, Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, then F16).
 *
 * <p>Values: a matrix with rows of n elements has elements of RMS 1/√n (activations keep their scale through a
 * product); norm weights are 1 ± 5 %. With {@code skew > 0} each MoE layer ranks its experts in a random order and
 * expert of rank ρ (0 = hottest) gets router row scaled by {@code (ρ+1)^-skew}, so its logits spread less and it wins
 * the top-k less often; sigmoid-gated layers also get a selection bias {@code exp_probs_b = -0.1 · skew · ln(ρ+1)}, and
 * gpt-oss's router bias is five times that (logit units) plus noise of ±0.1. That gives a Zipf-like load: a few hot
 * experts, a long cold tail, as in trained models (deepseek4's hash layers are not skewed: each token id gets
 * {@code expertsUsed} distinct experts drawn uniformly). Other biases are uniform in ±0.2, sinks in [0, 1],
 * hyper-connection and position biases in ±0.5, hyper-connection scales in [0.5, 1.5].
 *
 * @param rules the per-tensor types, first match wins
 * @param seed  everything random derives from it: the same arguments write the same file
 */
public record SynthModel(ModelShape shape, TensorType matrixType, TensorType expertType, List<TypeRule> rules, double skew,
                         long seed) {

    /**
     * Matrices whose GGUF name {@code pattern} finds (a regular expression searched anywhere in the name, as
     * llama-quantize's {@code --tensor-type} does) are written as {@code type}.
     */
    public record TypeRule(Pattern pattern, TensorType type) {
        public TypeRule {
            Objects.requireNonNull(pattern, "pattern");
            requireSynthesisable(type);
        }

        /**
         * {@code REGEX=TYPE}, the type by its ggml name in any case ({@code ffn_down_exps=iq2_xxs}).
         *
         * @throws IllegalArgumentException if there is no {@code =}, the expression is invalid or the type unknown
         */
        public static TypeRule parse(String rule) {
            int eq = rule.lastIndexOf('=');
            if (eq <= 0 || eq == rule.length() - 1) {
                throw new IllegalArgumentException("tensor type rule '" + rule + "' is not REGEX=TYPE");
            }
            Pattern p;
            try {
                p = Pattern.compile(rule.substring(0, eq));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("tensor type rule '" + rule + "': " + e.getDescription());
            }
            return new TypeRule(p, typeNamed(rule.substring(eq + 1), "tensor type rule '" + rule + "':"));
        }

        @Override
        public String toString() {
            return pattern.pattern() + "=" + type;
        }
    }

    public SynthModel {
        Objects.requireNonNull(shape, "shape");
        requireSynthesisable(matrixType);
        requireSynthesisable(expertType);
        rules = List.copyOf(rules);
        if (!(skew >= 0 && skew <= 8)) {
            throw new IllegalArgumentException("skew must be in [0, 8], got " + skew);
        }
    }

    public SynthModel(ModelShape shape, TensorType matrixType, TensorType expertType, double skew, long seed) {
        this(shape, matrixType, expertType, List.of(), skew, seed);
    }

    private static void requireSynthesisable(TensorType t) {
        if (t == null || !RandomBlocks.supports(t)) {
            throw new IllegalArgumentException("weight type " + t + " cannot be synthesised (" + String.join(", ",
                    Arrays.stream(TensorType.values()).filter(RandomBlocks::supports).map(TensorType::name).toList())
                    + ")");
        }
    }

    /** The ggml type called {@code name} (any case); {@code what} starts the message when there is none. */
    public static TensorType typeNamed(String name, String what) {
        for (TensorType t : TensorType.values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException(what + " " + name + " is not a ggml type name (e.g. Q8_0, Q4_K, IQ2_XXS,"
                + " F16)");
    }

    /** The type a tensor is written in: F32 for norms, biases, sinks and routers, else by its role and the rules. */
    public TensorType typeOf(TensorSpec t) {
        TensorType wanted = switch (t.role()) {
            case NORM, EXPERT_BIAS, ROUTER, ROUTER_BIAS, BIAS, EXPERT_BIASES, SINKS, MIXER, MIX_BIAS, MIX_SCALE ->
                    TensorType.F32;
            case HASH -> TensorType.I32;
            case EXPERTS -> ruled(t, expertType);
            case EMBEDDING, MATRIX -> ruled(t, matrixType);
        };
        return fitting(wanted, t.dims()[0]);
    }

    private TensorType ruled(TensorSpec t, TensorType otherwise) {
        for (TypeRule r : rules) {
            if (r.pattern().matcher(t.name()).find()) {
                return r.type();
            }
        }
        return otherwise;
    }

    /** {@code type}, or the fallback llama.cpp's quantizer uses when rows of {@code cols} are not whole blocks. */
    static TensorType fitting(TensorType type, long cols) {
        TensorType t = type;
        while (cols % t.blockElements() != 0) {
            t = switch (t) {
                case IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, Q2_K, Q3_K, IQ4_XS -> TensorType.IQ4_NL;
                case TQ1_0, TQ2_0 -> TensorType.Q4_0;
                case Q4_K -> TensorType.Q5_0;
                case Q5_K -> TensorType.Q5_1;
                case Q6_K -> TensorType.Q8_0;
                default -> TensorType.F16;
            };
        }
        return t;
    }

    /** Bytes of tensor data (without header and alignment padding). */
    public long dataBytes() {
        long n = 0;
        for (TensorSpec t : shape.tensors()) {
            n += typeOf(t).bytesFor(t.elements());
        }
        return n;
    }

    /** Tensors and bytes of data per type, in type-id order: what a mix of types amounts to. */
    public Map<TensorType, long[]> tensorsAndBytesByType() {
        Map<TensorType, long[]> by = new java.util.TreeMap<>();
        for (TensorSpec t : shape.tensors()) {
            TensorType type = typeOf(t);
            long[] nb = by.computeIfAbsent(type, k -> new long[2]);
            nb[0]++;
            nb[1] += type.bytesFor(t.elements());
        }
        return by;
    }

    /**
     * A writer holding the whole model; {@link GgufFileWriter#write(java.nio.file.Path, int, java.util.function.LongConsumer)}
     * streams it.
     */
    public GgufFileWriter writer() {
        GgufFileWriter w = new GgufFileWriter();
        metadata(w);
        ByteVocabulary.put(w, shape.vocab());
        List<TensorSpec> tensors = shape.tensors();
        for (int i = 0; i < tensors.size(); i++) {
            TensorSpec t = tensors.get(i);
            TensorType type = typeOf(t);
            long s = RandomBlocks.mix(seed * 0x9E3779B97F4A7C15L + i);
            w.tensor(t.name(), type, t.dims(), data(t, type, s));
        }
        return w;
    }

    private GgufFileWriter.TensorData data(TensorSpec t, TensorType type, long s) {
        return switch (t.role()) {
            case NORM -> RandomBlocks.floats(type, s, (i, r) -> 1f + 0.05f * RandomBlocks.uniform(r));
            case EXPERT_BIAS -> {
                float[] bias = selectionBias(layerOf(t));
                yield RandomBlocks.floats(type, s, (i, r) -> bias[(int) i]);
            }
            case ROUTER -> {
                float[] rowScale = routerRowScale(layerOf(t));
                long cols = t.dims()[0];
                float a = (float) Math.sqrt(3.0 / cols);
                yield RandomBlocks.floats(type, s, (i, r) -> a * rowScale[(int) (i / cols)] * RandomBlocks.uniform(r));
            }
            case ROUTER_BIAS -> { // in logit units: the skew's selection bias, five times stronger, and a little noise
                float[] bias = selectionBias(layerOf(t));
                yield RandomBlocks.floats(type, s, (i, r) -> 5 * bias[(int) i] + 0.1f * RandomBlocks.uniform(r));
            }
            case BIAS, EXPERT_BIASES -> RandomBlocks.floats(type, s, (i, r) -> 0.2f * RandomBlocks.uniform(r));
            case SINKS -> RandomBlocks.floats(type, s, (i, r) -> 0.5f + 0.5f * RandomBlocks.uniform(r));
            case MIX_BIAS -> RandomBlocks.floats(type, s, (i, r) -> 0.5f * RandomBlocks.uniform(r));
            case MIX_SCALE -> RandomBlocks.floats(type, s, (i, r) -> 1f + 0.5f * RandomBlocks.uniform(r));
            case HASH -> RandomBlocks.distinctRows((int) t.dims()[0], shape.experts(), s);
            case EMBEDDING, MATRIX, EXPERTS, MIXER -> RandomBlocks.matrix(type, 1 / Math.sqrt(t.dims()[0]), s);
        };
    }

    private static int layerOf(TensorSpec t) {
        String n = t.name();
        return Integer.parseInt(n.substring("blk.".length(), n.indexOf('.', "blk.".length())));
    }

    /** Rank of each expert of a layer (0 = hottest): a permutation drawn from the seed and the layer. */
    int[] expertRanks(int layer) {
        int e = shape.experts();
        int[] perm = new int[e];
        for (int i = 0; i < e; i++) {
            perm[i] = i;
        }
        SplittableRandom r = new SplittableRandom(RandomBlocks.mix(seed ^ (0xA5A5L + layer)));
        for (int i = e - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        int[] rank = new int[e];
        for (int i = 0; i < e; i++) {
            rank[perm[i]] = i;
        }
        return rank;
    }

    /** {@code (rank+1)^-skew} per expert: 1 for all when the skew is 0. */
    float[] routerRowScale(int layer) {
        int[] rank = expertRanks(layer);
        float[] s = new float[rank.length];
        for (int e = 0; e < s.length; e++) {
            s[e] = (float) Math.pow(rank[e] + 1, -skew);
        }
        return s;
    }

    /** {@code -0.1 · skew · ln(rank+1)} per expert: 0 for all when the skew is 0. */
    float[] selectionBias(int layer) {
        int[] rank = expertRanks(layer);
        float[] b = new float[rank.length];
        for (int e = 0; e < b.length; e++) {
            b[e] = (float) (-0.1 * skew * Math.log(rank[e] + 1));
        }
        return b;
    }

    private void metadata(GgufFileWriter w) {
        ModelShape s = shape;
        String a = s.arch() + ".";
        w.putString("general.architecture", s.arch());
        w.putString("general.name", s.name());
        w.putUInt32("general.quantization_version", 2);
        Integer ftype = FILE_TYPES.get(expertType);
        if (ftype != null) {
            w.putUInt32("general.file_type", ftype);
        }
        w.putUInt32(a + "context_length", s.context());
        w.putUInt32(a + "embedding_length", s.hidden());
        w.putUInt32(a + "block_count", s.blockCount());
        w.putUInt32(a + "attention.head_count", s.heads());
        w.putFloat32(a + "attention.layer_norm_rms_epsilon", s.eps());
        w.putFloat32(a + "rope.freq_base", s.ropeTheta());
        w.putUInt32(a + "expert_count", s.experts());
        w.putUInt32(a + "expert_used_count", s.expertsUsed());
        if (!List.of(ModelShape.GLM4MOE, ModelShape.GPT_OSS, ModelShape.DEEPSEEK4).contains(s.arch())) {
            w.putUInt32(a + "vocab_size", s.vocab()); // the converters of those three write none
        }
        switch (s.arch()) {
            case ModelShape.DEEPSEEK2 -> deepseek2(w, a);
            case ModelShape.DEEPSEEK32 -> {
                deepseek2(w, a);
                w.putUInt32(a + "attention.indexer.head_count", s.indexerHeads());
                w.putUInt32(a + "attention.indexer.key_length", s.indexerDim());
                w.putUInt32(a + "attention.indexer.top_k", s.indexerTopK());
            }
            case ModelShape.QWEN3MOE -> {
                gqa(w, a);
                w.putUInt32(a + "feed_forward_length", s.ffn());
                w.putUInt32(a + "expert_feed_forward_length", s.expertFfn());
            }
            case ModelShape.DEEPSEEK4 -> deepseek4(w, a);
            case ModelShape.GLM4MOE -> glm4moe(w, a);
            case ModelShape.GPT_OSS -> gptOss(w, a);
            default -> {
                gqa(w, a);
                w.putUInt32(a + "feed_forward_length", s.ffn());
            }
        }
    }

    /**
     * The keys llama.cpp's deepseek4 loader reads (docs/arch-deepseek4.md, "GGUF keys"; the set
     * tools/golden/make_tiny.py writes): per-block arrays cover the NextN blocks too (their ratio is 0).
     */
    private void deepseek4(GgufFileWriter w, String a) {
        ModelShape s = shape;
        int blocks = s.blockCount();
        w.putUInt32(a + "attention.head_count_kv", 1);
        w.putUInt32(a + "attention.key_length", s.headDim());
        w.putUInt32(a + "attention.value_length", s.headDim());
        w.putUInt32(a + "rope.dimension_count", s.ropeDim());
        yarn(w, a);
        w.putUInt32(a + "expert_gating_func", 4); // sqrt(softplus)
        w.putUInt32(a + "attention.q_lora_rank", s.qLoraRank());
        w.putUInt32(a + "attention.sliding_window", s.slidingWindow());
        w.putUInt32(a + "expert_feed_forward_length", s.expertFfn());
        w.putUInt32(a + "expert_shared_count", s.sharedExperts());
        w.putFloat32(a + "expert_weights_scale", s.weightsScale());
        w.putBool(a + "expert_weights_norm", s.weightsNorm());
        float[] clamp = new float[blocks];
        Arrays.fill(clamp, s.swigluLimit());
        w.putFloat32Array(a + "swiglu_clamp_exp", clamp);
        w.putFloat32Array(a + "swiglu_clamp_shexp", clamp);
        w.putUInt32(a + "attention.indexer.head_count", s.indexerHeads());
        w.putUInt32(a + "attention.indexer.key_length", s.indexerDim());
        w.putUInt32(a + "attention.indexer.top_k", s.indexerTopK());
        w.putUInt32(a + "attention.output_group_count", s.outputGroups());
        w.putUInt32(a + "attention.output_lora_rank", s.outputRank());
        int[] ratios = new int[blocks];
        Arrays.setAll(ratios, s::compressRatio);
        w.putInt32Array(a + "attention.compress_ratios", ratios);
        w.putFloat32(a + "attention.compress_rope_freq_base", s.compressTheta());
        w.putUInt32(a + "hyper_connection.count", s.hc());
        w.putUInt32(a + "hyper_connection.sinkhorn_iterations", s.sinkhornIterations());
        w.putFloat32(a + "hyper_connection.epsilon", 1e-6f);
        w.putUInt32(a + "hash_layer_count", s.hashLayers());
        w.putUInt32(a + "embedding_length_out", (long) s.hc() * s.hidden());
        w.putUInt32(a + "nextn_predict_layers", s.nextnLayers());
    }

    /** YaRN's keys when the shape scales RoPE, with the beta values llama.cpp's converters write (32 / 1). */
    private void yarn(GgufFileWriter w, String a) {
        ModelShape s = shape;
        if (s.ropeScaling() > 0) {
            w.putString(a + "rope.scaling.type", "yarn");
            w.putFloat32(a + "rope.scaling.factor", s.ropeScaling());
            w.putUInt32(a + "rope.scaling.original_context_length", s.ropeOrigContext());
            w.putFloat32(a + "rope.scaling.yarn_beta_fast", 32f);
            w.putFloat32(a + "rope.scaling.yarn_beta_slow", 1f);
        }
    }

    /** The keys llama.cpp's converter writes for GLM-4.5 / GLM-4.5-Air ({@code Glm4MoeModel}), no others. */
    private void glm4moe(GgufFileWriter w, String a) {
        ModelShape s = shape;
        w.putUInt32(a + "feed_forward_length", s.ffn());
        w.putUInt32(a + "attention.head_count_kv", s.kvHeads());
        w.putUInt32(a + "attention.key_length", s.headDim());
        w.putUInt32(a + "attention.value_length", s.headDim());
        w.putUInt32(a + "rope.dimension_count", s.rotaryDims());
        w.putUInt32(a + "expert_group_count", s.groups());
        w.putUInt32(a + "expert_group_used_count", s.groupsUsed());
        w.putUInt32(a + "expert_feed_forward_length", s.expertFfn());
        w.putUInt32(a + "expert_shared_count", s.sharedExperts());
        w.putUInt32(a + "leading_dense_block_count", s.denseLayers());
        w.putUInt32(a + "expert_gating_func", 2); // sigmoid
        w.putFloat32(a + "expert_weights_scale", s.weightsScale());
        w.putBool(a + "expert_weights_norm", s.weightsNorm());
        w.putUInt32(a + "nextn_predict_layers", s.nextnLayers());
    }

    /**
     * The keys llama.cpp's converter writes for gpt-oss ({@code GptOssModel}): no rope.dimension_count (the whole head
     * rotates), no gating keys (llama.cpp's graph fixes softmax over the selected logits), the window.
     */
    private void gptOss(GgufFileWriter w, String a) {
        ModelShape s = shape;
        w.putUInt32(a + "feed_forward_length", s.expertFfn());
        w.putUInt32(a + "attention.head_count_kv", s.kvHeads());
        w.putUInt32(a + "attention.key_length", s.headDim());
        w.putUInt32(a + "attention.value_length", s.headDim());
        yarn(w, a);
        w.putUInt32(a + "attention.sliding_window", s.slidingWindow());
        w.putUInt32(a + "expert_feed_forward_length", s.expertFfn());
    }

    private void gqa(GgufFileWriter w, String a) {
        w.putUInt32(a + "attention.head_count_kv", shape.kvHeads());
        w.putUInt32(a + "attention.key_length", shape.headDim());
        w.putUInt32(a + "attention.value_length", shape.headDim());
        w.putUInt32(a + "rope.dimension_count", shape.headDim());
    }

    private void deepseek2(GgufFileWriter w, String a) {
        ModelShape s = shape;
        w.putUInt32(a + "attention.head_count_kv", 1);
        w.putUInt32(a + "rope.dimension_count", s.ropeDim());
        w.putUInt32(a + "leading_dense_block_count", s.denseLayers());
        w.putUInt32(a + "feed_forward_length", s.ffn());
        // llama.cpp requires q_lora_rank unless it takes a 26/27-layer file for V2-Lite; 0 means direct queries
        w.putUInt32(a + "attention.q_lora_rank", s.qLoraRank());
        w.putUInt32(a + "attention.kv_lora_rank", s.kvLoraRank());
        // the absorbed-MLA convention of current converters: key/value_length describe the MQA view of the cache,
        // the *_mla keys the per-head sizes
        w.putUInt32(a + "attention.key_length", s.kvLoraRank() + s.ropeDim());
        w.putUInt32(a + "attention.value_length", s.kvLoraRank());
        w.putUInt32(a + "attention.key_length_mla", s.nopeDim() + s.ropeDim());
        w.putUInt32(a + "attention.value_length_mla", s.vHeadDim());
        w.putUInt32(a + "expert_feed_forward_length", s.expertFfn());
        w.putUInt32(a + "expert_shared_count", s.sharedExperts());
        w.putFloat32(a + "expert_weights_scale", s.weightsScale());
        w.putBool(a + "expert_weights_norm", s.weightsNorm());
        w.putUInt32(a + "expert_gating_func", s.sigmoidGating() ? 2 : 1);
        w.putUInt32(a + "expert_group_count", s.groups());
        w.putUInt32(a + "expert_group_used_count", s.groupsUsed());
        if (s.ropeScaling() > 0) {
            w.putString(a + "rope.scaling.type", "yarn");
            w.putFloat32(a + "rope.scaling.factor", s.ropeScaling());
            w.putUInt32(a + "rope.scaling.original_context_length", s.ropeOrigContext());
            if (s.yarnLogMul() > 0) {
                w.putFloat32(a + "rope.scaling.yarn_log_multiplier", s.yarnLogMul());
            }
        }
    }

    /** llama.cpp's {@code llama_ftype} for a file whose bulk (the experts) is of a type. */
    private static final Map<TensorType, Integer> FILE_TYPES = Map.ofEntries(Map.entry(TensorType.F32, 0),
            Map.entry(TensorType.F16, 1), Map.entry(TensorType.Q4_0, 2), Map.entry(TensorType.Q4_1, 3),
            Map.entry(TensorType.Q8_0, 7), Map.entry(TensorType.Q5_0, 8), Map.entry(TensorType.Q5_1, 9),
            Map.entry(TensorType.Q2_K, 10), Map.entry(TensorType.Q3_K, 12), Map.entry(TensorType.Q4_K, 15),
            Map.entry(TensorType.Q5_K, 17), Map.entry(TensorType.Q6_K, 18), Map.entry(TensorType.IQ4_NL, 25),
            Map.entry(TensorType.IQ4_XS, 30), Map.entry(TensorType.BF16, 32), Map.entry(TensorType.IQ2_XXS, 19),
            Map.entry(TensorType.IQ2_XS, 20), Map.entry(TensorType.IQ3_XXS, 23), Map.entry(TensorType.IQ1_S, 24),
            Map.entry(TensorType.IQ3_S, 26), Map.entry(TensorType.IQ2_S, 28), Map.entry(TensorType.IQ1_M, 31),
            Map.entry(TensorType.TQ1_0, 36), Map.entry(TensorType.TQ2_0, 37), Map.entry(TensorType.MXFP4, 38));
}
