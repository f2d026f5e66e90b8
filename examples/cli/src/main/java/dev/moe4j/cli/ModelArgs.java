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
            description = "Context length in tokens (default: the model's trained context, at most 4096).")
    Integer contextLength;

    Model load() {
        Model.Builder b = Model.builder(model);
        if (threads != null) {
            b.threads(threads);
        }
        if (contextLength != null) {
            b.contextLength(contextLength);
        }
        return b.build();
    }
}
