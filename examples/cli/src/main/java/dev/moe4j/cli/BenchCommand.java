package dev.moe4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moe4j.ModelInfo;
import dev.moe4j.NativeRuntime;
import dev.moe4j.cli.bench.ActiveWeights;
import dev.moe4j.cli.bench.BandwidthProbe;
import dev.moe4j.cli.bench.Bench;
import dev.moe4j.cli.bench.Samples;
import dev.moe4j.tooling.ExpertCacheStats;
import dev.moe4j.tooling.GgufReader;
import dev.moe4j.tooling.RawModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code moe4j bench -m MODEL [-p 512] [-n 128] [-t THREADS] [-r 5] [--json]}: llama-bench's two tests on moe4j's
 * forward pass (see {@link Bench}), plus what bounds decode: the weight bytes one token reads
 * ({@link ActiveWeights}) and the machine's memory read bandwidth ({@link BandwidthProbe}, a Java probe).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure prefill (pp) and decode (tg) speed, llama-bench style, and the decode bandwidth.",
                "Runs the internal forward pass directly: no tokenizer, no sampling."})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL", description = "The GGUF model file.")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "P", defaultValue = "512",
            description = "Prompt tokens prefilled in one call (default ${DEFAULT-VALUE}; 0 skips the test).")
    int prompt;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "128",
            description = "Tokens decoded one at a time (default ${DEFAULT-VALUE}; 0 skips the test).")
    int gen;

    @Option(names = {"-t", "--threads"}, paramLabel = "THREADS",
            description = "Threads (default: all available processors).")
    Integer threads;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", defaultValue = "5",
            description = "Timed repetitions of each test (default ${DEFAULT-VALUE}), after one warm-up run.")
    int reps;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "2",
            description = "Untimed runs of each test for at least this long first, at least one (default "
                    + "${DEFAULT-VALUE}; the JIT compiles meanwhile).")
    double warmup;

    @Option(names = {"-d", "--n-depth"}, paramLabel = "D", defaultValue = "0",
            description = "Tokens of context both tests run after (prefilled once, untimed), as llama-bench's -d "
                    + "(default ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = {"-ub", "--ubatch"}, paramLabel = "B", defaultValue = "512",
            description = "Most tokens one internal forward step takes (default ${DEFAULT-VALUE}, as llama-bench).")
    int ubatch;

    @Option(names = "--probe-mib", paramLabel = "MIB", defaultValue = "1024",
            description = "Size of the memory bandwidth probe's buffer (default ${DEFAULT-VALUE}; 0 skips the probe).")
    int probeMib;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the random tokens.")
    long seed;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--gpu-budget", paramLabel = "SIZE",
            description = "Run the hybrid GPU path with weights placed on the GPU up to SIZE (e.g. 60GiB), when the "
                    + "CUDA backend is chosen (cuda jar on the class path or -Dmoe4j.cuda.library; "
                    + "-Dmoe4j.backend=cuda makes a missing GPU an error).")
    String gpuBudget;

    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = {"Bytes of memory for routed experts (e.g. 3GiB): beyond it they are read from the file into "
                    + "a cache, as Model.Builder#memoryBudget does. Default: automatic, as Model.load (offloads only when "
                    + "the experts do not fit in the memory the process may use, a cgroup limit included).",
                    "Give a size at least the experts' to keep them memory-mapped."})
    String memoryBudget;

    @Option(names = "--policy", paramLabel = "NAME",
            description = "Expert cache policy when offloading: layered (default), tinylfu or lru.")
    String policy;

    /** The experts' cache after the run, or null when they stayed memory-mapped. */
    private ExpertCacheStats offload;

    /** What the GPU holds, or why there is none; null when --gpu-budget was not given. */
    private String gpuLine;

    @Override
    public Integer call() {
        return Failures.run("bench", this::bench);
    }

    private int bench() throws java.io.IOException {
        if (prompt < 0 || gen < 0 || reps < 1 || probeMib < 0 || prompt + gen == 0 || !(warmup >= 0) || depth < 0) {
            throw new IllegalArgumentException("-p and -n must be >= 0 (not both 0), -r >= 1, --probe-mib >= 0, "
                    + "--warmup >= 0, -d >= 0");
        }
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        ModelInfo info = ModelInfo.read(model);
        ActiveWeights weights;
        try (GgufReader file = GgufReader.open(model)) {
            weights = ActiveWeights.of(file, info.expertCount(), info.expertUsedCount());
        }
        int ctx = depth + Math.max(prompt, gen);
        // page faults of the fresh mapping stay out of the first timed repetition (prefault)
        RawModel.Builder b = RawModel.builder(model).threads(t).maxBatch(ubatch).sessionLength(ctx).prefault(true);
        if (gpuBudget != null) {
            b.gpuMemoryBudget(gpuBudget);
        }
        if (memoryBudget != null) {
            b.memoryBudget(memoryBudget);
        }
        if (policy != null) {
            b.cachePolicy(policy);
        }
        Samples pp = null;
        Samples tg = null;
        try (RawModel lm = b.build()) {
            gpuLine = lm.gpuPlacement().orElse(null);
            try (Bench bench = new Bench(lm, ctx, seed, (long) (warmup * 1e9), depth)) {
                if (prompt > 0) {
                    pp = bench.prefill(prompt, reps);
                }
                if (gen > 0) {
                    tg = bench.decode(gen, reps);
                }
            }
            offload = lm.expertCache().orElse(null);
        }
        double bandwidth = probeMib == 0 ? 0 : BandwidthProbe.readBytesPerSecond((long) probeMib << 20, t, 3);
        PrintStream out = Console.stdout();
        out.print(json ? json(info, t, pp, tg, weights, bandwidth) + System.lineSeparator()
                : text(info, t, pp, tg, weights, bandwidth));
        out.flush();
        return 0;
    }

    private String text(ModelInfo info, int t, Samples pp, Samples tg, ActiveWeights w, double bandwidth) {
        StringBuilder b = new StringBuilder();
        String nl = System.lineSeparator();
        b.append(String.format(Locale.ROOT, "model: %s (%s, %s parameters, %s active per token, %s)%n",
                model.getFileName(), info.architecture(), Units.count(info.parametersTotal()),
                Units.count(info.parametersActive()), Units.bytes(info.fileSize())));
        b.append("kernels: ").append(NativeRuntime.current().configuredLevel()).append(", ubatch ").append(ubatch)
                .append(", ").append(reps).append(" repetitions after ").append(warmup).append(" s of warm-up")
                .append(nl);
        if (gpuLine != null) {
            b.append("gpu: ").append(gpuLine).append(nl);
        }
        b.append("| threads |           test |                t/s |").append(nl);
        b.append("| ------: | -------------: | -----------------: |").append(nl);
        if (pp != null) {
            b.append(row(t, "pp" + prompt + at(), pp)).append(nl);
        }
        if (tg != null) {
            b.append(row(t, "tg" + gen + at(), tg)).append(nl);
        }
        b.append(String.format(Locale.ROOT, "weights: %s, %s read per decoded token%n", Units.bytes(w.total()),
                Units.bytes(w.active())));
        if (bandwidth > 0) {
            b.append(String.format(Locale.ROOT, "memory read bandwidth: %.1f GB/s (Java probe, %d thread%s, %d MiB)"
                            + " -> decode bound %.1f t/s%n", bandwidth / 1e9, t, t == 1 ? "" : "s", probeMib,
                    bandwidth / w.active()));
        }
        if (offload != null) {
            b.append(offloadLine(offload)).append(nl);
        }
        if (tg != null) {
            double achieved = tg.mean() * w.active();
            b.append(String.format(Locale.ROOT, "decode reads weights at %.2f GB/s%s%n", achieved / 1e9,
                    bandwidth > 0 ? String.format(Locale.ROOT, " (%.0f %% of the probe)", 100 * achieved / bandwidth)
                            : ""));
        }
        return b.toString();
    }

    /** llama-bench's suffix of a test at a depth. */
    private String at() {
        return depth > 0 ? " @ d" + depth : "";
    }

    private static String row(int threads, String test, Samples s) {
        return String.format(Locale.ROOT, "| %7d | %14s | %18s |", threads, test,
                String.format(Locale.ROOT, "%.2f ± %.2f", s.mean(), s.stddev()));
    }

    /** Uses of an expert that found it in memory or already on its way (prefetched), of all uses. */
    private static double hitRate(ExpertCacheStats s) {
        long uses = s.hits() + s.prefetchHits() + s.misses();
        return uses == 0 ? 0 : (double) (s.hits() + s.prefetchHits()) / uses;
    }

    private static String offloadLine(ExpertCacheStats s) {
        return String.format(Locale.ROOT, "experts: offloaded to a %s cache (%s, %d slots): hit rate %.1f %% "
                        + "(%d hits, %d of them prefetched, %d misses), %s read, %.1f s stalled on reads, "
                        + "prefetch recall %.0f %% (warm-up and all repetitions)",
                Units.bytes(s.budgetBytes()), s.policy(), s.slots(), 100 * hitRate(s),
                s.hits() + s.prefetchHits(), s.prefetchHits(), s.misses(),
                Units.bytes(s.bytesRead()), s.stallNanos() / 1e9, 100 * s.prefetchRecall());
    }

    private String json(ModelInfo info, int t, Samples pp, Samples tg, ActiveWeights w, double bandwidth) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode o = mapper.createObjectNode();
        o.put("model", model.toString());
        o.put("architecture", info.architecture());
        o.put("parameters_total", info.parametersTotal());
        o.put("parameters_active", info.parametersActive());
        o.put("file_size", info.fileSize());
        o.put("kernels", NativeRuntime.current().configuredLevel());
        o.put("threads", t);
        if (gpuLine != null) {
            o.put("gpu", gpuLine);
        }
        o.put("ubatch", ubatch);
        o.put("repetitions", reps);
        o.put("warmup_s", warmup);
        o.put("n_prompt", prompt);
        o.put("n_gen", gen);
        o.put("n_depth", depth);
        if (pp != null) {
            o.put("pp_tokens_per_s", pp.mean());
            o.put("pp_tokens_per_s_stddev", pp.stddev());
            o.set("pp_samples", mapper.valueToTree(pp.values()));
        }
        if (tg != null) {
            o.put("tg_tokens_per_s", tg.mean());
            o.put("tg_tokens_per_s_stddev", tg.stddev());
            o.set("tg_samples", mapper.valueToTree(tg.values()));
        }
        o.put("weight_bytes", w.total());
        o.put("active_weight_bytes_per_token", w.active());
        if (tg != null) {
            o.put("tg_weight_bytes_per_s", tg.mean() * w.active());
        }
        if (offload != null) {
            ObjectNode e = o.putObject("offload");
            e.put("policy", offload.policy());
            e.put("budget_bytes", offload.budgetBytes());
            e.put("slots", offload.slots());
            e.put("hits", offload.hits());
            e.put("prefetch_hits", offload.prefetchHits());
            e.put("misses", offload.misses());
            e.put("hit_rate", hitRate(offload));
            e.put("bytes_read", offload.bytesRead());
            e.put("stall_s", offload.stallNanos() / 1e9);
            e.put("prefetch_recall", offload.prefetchRecall());
        }
        if (bandwidth > 0) {
            o.put("memory_read_bytes_per_s", bandwidth);
            o.put("memory_probe", "java, " + t + " threads, " + probeMib + " MiB");
            o.put("tg_bound_tokens_per_s", bandwidth / w.active());
        }
        return o.toString();
    }
}
