package dev.moe4j.cli;

import dev.moe4j.Model;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options every command that loads a model shares: {@code -m MODEL [-t THREADS] [-c CTX]}. */
final class ModelArgs {
    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL", description = "The GGUF model file.")
    Path model;

    @Option(names = {"-t", "--threads"}, paramLabel = "THREADS",
            description = "Worker threads (default: all available processors).")
    Integer threads;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "CTX",
            description = "Context length in tokens (default: the model's trained context, bounded by memory).")
    Integer contextLength;

    @Option(names = "--no-progress", description = "Do not show the load progress bar (shown only on a terminal).")
    boolean noProgress;

    @Option(names = {"-v", "--verbose"}, description = "Log what the engine does (INFO lines on stderr).")
    boolean verbose;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "Engine log level on stderr: error, warn (default), info, debug or trace.")
    String logLevel;

    @Option(names = "--memory-budget", paramLabel = "SIZE",
            description = "Memory for routed experts, e.g. 6GiB (default: automatic, from the memory available).")
    String memoryBudget;

    @Option(names = "--routing-profile", paramLabel = "FILE",
            description = "A routing profile (from 'moe4j profile --save-profile') whose hottest experts stay in "
                    + "memory under a memory budget.")
    Path routingProfile;

    Model load() {
        return builder().build();
    }

    /** A builder with every option of this mixin applied. */
    Model.Builder builder() {
        Logging.configure(verbose, logLevel);
        Model.Builder b = Model.builder(model);
        if (!noProgress && Console.stdoutIsTerminal()) {
            // one line on stderr, redrawn in place and erased when loading is done, so stdout stays the answer alone
            b.onLoadProgress(new ProgressBar(System.err));
        }
        if (threads != null) {
            b.threads(threads);
        }
        if (contextLength != null) {
            b.contextLength(contextLength);
        }
        if (memoryBudget != null) {
            b.memoryBudget(memoryBudget);
        }
        if (routingProfile != null) {
            b.routingProfile(routingProfile);
        }
        return b;
    }
}
