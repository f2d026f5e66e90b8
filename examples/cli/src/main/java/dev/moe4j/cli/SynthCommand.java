package dev.moe4j.cli;

import dev.moe4j.cli.synth.ModelShape;
import dev.moe4j.cli.synth.Shapes;
import dev.moe4j.cli.synth.SynthModel;
import dev.moe4j.tooling.GgufFileWriter;
import dev.moe4j.tooling.TensorType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * {@code moe4j synth OUT.gguf --shape NAME | --arch ARCH [dimensions] [--type T] [--expert-type T]
 * [--tensor-type REGEX=T ...] [--skew S]}: writes a random-weight model of a real model's shape (or of given
 * dimensions) for benchmarks. The file streams to disk; memory use stays at a few chunks per thread whatever its size.
 */
@Command(name = "synth", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a random-weight GGUF model of a named real shape or of given dimensions (for benchmarks).",
                "Shapes: deepseek-v3, deepseek-v3.2, deepseek-v4-flash, deepseek-v2-lite, qwen3-30b-a3b, mixtral-8x7b,"
                        + " glm-4.5-air, glm-4.5, gpt-oss-20b, gpt-oss-120b.",
                "A DeepSeek \"dynamic\" 1.58-bit mix: --shape deepseek-v3 --type Q4_K --expert-type IQ1_S"
                        + " --tensor-type ffn_down_exps=IQ2_XXS --skew 1"})
public final class SynthCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<out.gguf>", description = "The file to write (replaced if it exists).")
    Path out;

    @Option(names = "--shape", paramLabel = "NAME", description = "Start from a real model's shape.")
    String shape;

    @Option(names = "--arch", paramLabel = "ARCH", description = "Without --shape: deepseek2 (default), deepseek32, "
            + "deepseek4, qwen3moe, llama, glm4moe or gpt-oss, starting from small dimensions.")
    String arch;

    @Option(names = "--layers", paramLabel = "N", description = "Number of (main) layers (dense leading layers shrink "
            + "in proportion, at least one MoE layer stays; deepseek4 keeps its first N compress ratios and at most N "
            + "hash layers; glm4moe's and deepseek4's NextN blocks come on top).")
    Integer layers;

    @Option(names = "--dense-layers", paramLabel = "N", description = "deepseek2, glm4moe: leading dense layers.")
    Integer denseLayers;

    @Option(names = "--hidden", paramLabel = "D", description = "Hidden size.")
    Integer hidden;

    @Option(names = "--heads", paramLabel = "H", description = "Attention heads.")
    Integer heads;

    @Option(names = "--kv-heads", paramLabel = "H", description = "GQA (qwen3moe, llama, glm4moe, gpt-oss): "
            + "key-value heads.")
    Integer kvHeads;

    @Option(names = "--head-dim", paramLabel = "N", description = "GQA (qwen3moe, llama, glm4moe, gpt-oss) and "
            + "deepseek4: head size.")
    Integer headDim;

    @Option(names = "--experts", paramLabel = "E", description = "Routed experts per MoE layer.")
    Integer experts;

    @Option(names = {"--experts-used", "--top-k"}, paramLabel = "K", description = "Routed experts per token.")
    Integer expertsUsed;

    @Option(names = "--expert-ffn", paramLabel = "F", description = "Expert width (deepseek2, qwen3moe, glm4moe, "
            + "gpt-oss).")
    Integer expertFfn;

    @Option(names = "--shared-experts", paramLabel = "S", description = "deepseek2, glm4moe: shared experts.")
    Integer sharedExperts;

    @Option(names = "--ffn", paramLabel = "F", description = "Dense FFN width (deepseek2 and glm4moe dense layers; "
            + "llama: the expert width).")
    Integer ffn;

    @Option(names = "--vocab", paramLabel = "V", description = "Vocabulary size (at least 261: BOS, EOS, 256 bytes, "
            + "3 FIM tokens).")
    Integer vocab;

    @Option(names = "--context", paramLabel = "N", description = "Trained context length.")
    Integer context;

    @Option(names = "--q-lora-rank", paramLabel = "R", description = "deepseek2: query compression rank, 0 = direct; "
            + "deepseek4: query compression rank.")
    Integer qLoraRank;

    @Option(names = "--kv-lora-rank", paramLabel = "R", description = "deepseek2: latent (KV compression) rank.")
    Integer kvLoraRank;

    @Option(names = "--nope-dim", paramLabel = "N", description = "deepseek2: per-head query/key dims without RoPE.")
    Integer nopeDim;

    @Option(names = "--rope-dim", paramLabel = "N", description = "deepseek2, deepseek4: per-head query/key dims with "
            + "RoPE; glm4moe: rotary dims per head (default half the head: partial_rotary_factor 0.5).")
    Integer ropeDim;

    @Option(names = "--v-head-dim", paramLabel = "N", description = "deepseek2: per-head value dims.")
    Integer vHeadDim;

    @Option(names = "--groups", paramLabel = "G", description = "deepseek2, glm4moe: expert groups.")
    Integer groups;

    @Option(names = "--groups-used", paramLabel = "G", description = "deepseek2, glm4moe: expert groups kept per "
            + "token.")
    Integer groupsUsed;

    @Option(names = "--nextn-layers", paramLabel = "N", description = "glm4moe, deepseek4: NextN (multi-token "
            + "prediction) blocks after the main layers (nextn_predict_layers; GLM-4.5 and DeepSeek-V4 have 1).")
    Integer nextnLayers;

    @Option(names = "--qk-norm", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "glm4moe: per-head q/k RMSNorm (GLM-4.5 has it, GLM-4.5-Air not).")
    Boolean qkNorm;

    @Option(names = {"--window", "--sliding-window"}, paramLabel = "W", description = "gpt-oss: the window of its "
            + "sliding-window layers (every other layer, from the first); deepseek4: of every layer (both have 128).")
    Integer slidingWindow;

    @Option(names = "--indexer-top-k", paramLabel = "K", description = "deepseek32: cached positions each query "
            + "attends to (attention.indexer.top_k; V3.2 has 2048); deepseek4: compressed rows a CSA layer keeps "
            + "(V4-Flash has 512).")
    Integer indexerTopK;

    @Option(names = "--indexer-heads", paramLabel = "H", description = "deepseek32, deepseek4: heads of the lightning "
            + "indexer (both have 64).")
    Integer indexerHeads;

    @Option(names = "--indexer-dim", paramLabel = "D", description = "deepseek32, deepseek4: the indexer's head size "
            + "(both have 128; deepseek4: a multiple of 64).")
    Integer indexerDim;

    @Option(names = "--hc", paramLabel = "N", description = "deepseek4: hyper-connection streams (V4 has 4, the only "
            + "count llama.cpp's graph takes).")
    Integer hc;

    @Option(names = "--output-groups", paramLabel = "G", description = "deepseek4: head groups of the low-rank output "
            + "projection (V4-Flash has 8).")
    Integer outputGroups;

    @Option(names = "--output-rank", paramLabel = "R", description = "deepseek4: the output projection's rank per "
            + "group (V4-Flash has 1024).")
    Integer outputRank;

    @Option(names = "--compress-ratios", paramLabel = "R,R,...", split = ",", description = "deepseek4: one compress "
            + "ratio per main layer, 0 (window only), 4 (CSA, with the indexer) or 128 (HCA); default V4-Flash's "
            + "pattern: 0, 0, then 4 and 128 alternating.")
    List<Integer> compressRatios;

    @Option(names = "--hash-layers", paramLabel = "N", description = "deepseek4: leading layers routed by a token-id "
            + "table (default min(3, layers), as V4).")
    Integer hashLayers;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "Q8_0",
            description = "Type of every weight matrix except routed experts (default ${DEFAULT-VALUE}).")
    String type;

    @Option(names = "--expert-type", paramLabel = "TYPE",
            description = "Type of the routed experts (default: --type; MXFP4 for the gpt-oss shapes, as released).")
    String expertType;

    @Option(names = "--tensor-type", paramLabel = "REGEX=TYPE",
            description = "Type of the matrices whose name REGEX finds (repeatable, first match wins, before --type and"
                    + " --expert-type), as llama-quantize's --tensor-type: e.g. ffn_down_exps=IQ2_XXS, attn_.*=Q6_K.")
    List<String> tensorTypes = new ArrayList<>();

    @Option(names = "--skew", paramLabel = "S", defaultValue = "0",
            description = "Router skew: 0 = experts equally likely; 1 = Zipf-like, a few hot experts.")
    double skew;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Random seed (default 1).")
    long seed;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "Writer threads (default: all available processors).")
    Integer threads;

    @Option(names = "--dry-run", description = "Describe the file without writing it.")
    boolean dryRun;

    @Override
    public Integer call() {
        return Failures.run("synth", this::synth);
    }

    private int synth() throws java.io.IOException {
        TensorType experts = expertType != null ? type(expertType, "--expert-type")
                : shape != null && Shapes.expertType(shape).isPresent() ? Shapes.expertType(shape).get()
                : type(type, "--type");
        SynthModel model = new SynthModel(shape(), type(type, "--type"), experts,
                tensorTypes.stream().map(SynthModel.TypeRule::parse).toList(), skew, seed);
        ModelShape s = model.shape();
        PrintStream err = Console.stderr();
        err.println("shape      " + s.summary());
        err.println(String.format(Locale.ROOT, "parameters %s total, %s active per token",
                Units.count(s.parameterCount()), Units.count(s.activeParameterCount())));
        err.println("types      " + model.matrixType() + " (experts " + model.expertType() + ")"
                + (model.rules().isEmpty() ? "" : ", " + model.rules().stream().map(Object::toString)
                .collect(Collectors.joining(", "))) + ", skew " + skew + ", seed " + seed);
        model.tensorsAndBytesByType().forEach((t, nb) -> err.println(String.format(Locale.ROOT,
                "  %-8s %5d tensors %10s", t, nb[0], Units.bytes(nb[1]))));
        err.println("data       " + Units.bytes(model.dataBytes()));
        if (s.arch().equals(ModelShape.DEEPSEEK2) && (s.layers() == 26 || s.layers() == 27) && s.qLoraRank() > 0) {
            err.println("note       llama.cpp takes a 26/27-layer deepseek2 file for V2-Lite (no query compression)"
                    + " and will not load this one");
        }
        if (s.arch().equals(ModelShape.DEEPSEEK4) && s.hc() != 4) {
            err.println("note       llama.cpp's deepseek4 graph only takes 4 hyper-connection streams");
        }
        if (dryRun) {
            return 0;
        }
        GgufFileWriter w = model.writer();
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        long t0 = System.nanoTime();
        AtomicLong done = new AtomicLong();
        long total = model.dataBytes();
        long size = w.write(out, n, bytes -> progress(err, done.addAndGet(bytes), total));
        double s1 = (System.nanoTime() - t0) / 1e9;
        err.println(String.format(Locale.ROOT, "%swrote %s (%s) in %.1f s, %.0f MB/s", Console.stdoutIsTerminal()
                ? "\r" : "", out, Units.bytes(size), s1, size / s1 / 1e6));
        return 0;
    }

    private static void progress(PrintStream err, long done, long total) {
        if (Console.stdoutIsTerminal()) {
            synchronized (err) {
                err.print(String.format(Locale.ROOT, "\rwriting %5.1f %%", 100.0 * done / total));
            }
        }
    }

    private ModelShape shape() {
        ModelShape.Builder b;
        if (shape != null) {
            if (arch != null) {
                throw new IllegalArgumentException("--arch and --shape exclude each other");
            }
            b = Shapes.named(shape).orElseThrow(() -> new IllegalArgumentException("unknown shape '" + shape
                    + "' (known: " + String.join(", ", Shapes.names()) + ")")).toBuilder();
        } else {
            b = ModelShape.builder(arch == null ? ModelShape.DEEPSEEK2 : arch);
        }
        if (layers != null) {
            b.cutToLayers(layers);
        }
        if (denseLayers != null) {
            b.denseLayers(denseLayers);
        }
        if (hidden != null) {
            b.hidden(hidden);
        }
        if (heads != null) {
            b.heads(heads);
        }
        if (kvHeads != null) {
            b.kvHeads(kvHeads);
        }
        if (headDim != null) {
            b.headDim(headDim);
        }
        if (experts != null) {
            b.experts(experts);
        }
        if (expertsUsed != null) {
            b.expertsUsed(expertsUsed);
        }
        if (expertFfn != null) {
            b.expertFfn(expertFfn);
        }
        if (sharedExperts != null) {
            b.sharedExperts(sharedExperts);
        }
        if (ffn != null) {
            b.ffn(ffn);
        }
        if (vocab != null) {
            b.vocab(vocab);
        }
        if (context != null) {
            b.context(context);
        }
        if (qLoraRank != null) {
            b.qLoraRank(qLoraRank);
        }
        if (kvLoraRank != null) {
            b.kvLoraRank(kvLoraRank);
        }
        if (nopeDim != null) {
            b.nopeDim(nopeDim);
        }
        if (ropeDim != null) {
            b.ropeDim(ropeDim);
        }
        if (vHeadDim != null) {
            b.vHeadDim(vHeadDim);
        }
        if (groups != null) {
            b.groupCount(groups);
        }
        if (groupsUsed != null) {
            b.groupsUsed(groupsUsed);
        }
        if (nextnLayers != null) {
            b.nextnLayers(nextnLayers);
        }
        if (qkNorm != null) {
            b.qkNorm(qkNorm);
        }
        if (slidingWindow != null) {
            b.slidingWindow(slidingWindow);
        }
        if (indexerHeads != null) {
            b.indexerHeads(indexerHeads);
        }
        if (indexerDim != null) {
            b.indexerDim(indexerDim);
        }
        if (indexerTopK != null) {
            b.indexerTopK(indexerTopK);
        }
        if (hc != null) {
            b.hc(hc);
        }
        if (outputGroups != null) {
            b.outputGroups(outputGroups);
        }
        if (outputRank != null) {
            b.outputRank(outputRank);
        }
        if (compressRatios != null) {
            b.compressRatios(compressRatios);
        }
        if (hashLayers != null) {
            b.hashLayers(hashLayers);
        }
        return b.build();
    }

    private static TensorType type(String name, String option) {
        return SynthModel.typeNamed(name, option);
    }
}
