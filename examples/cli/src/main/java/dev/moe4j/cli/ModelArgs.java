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

    @Option(names = "--no-progress", description = "Do not report load progress on stderr.")
    boolean noProgress;

    Model load() {
        Model.Builder b = Model.builder(model);
        if (!noProgress) {
            // stderr, so stdout stays the generated text (or the JSON object) alone
            boolean tty = System.console() != null;
            b.onLoadProgress((fraction, message) -> {
                if (fraction == 0.0) {
                    return; // nothing is known about the file yet; a bad path must stay a one-line error
                }
                String line = String.format("loading %3.0f%% %s", fraction * 100, message);
                if (tty) {
                    System.err.print("\r\u001b[2K" + line + (fraction >= 1.0 ? "\n" : ""));
                } else {
                    System.err.println(line);
                }
                System.err.flush();
            });
        }
        if (threads != null) {
            b.threads(threads);
        }
        if (contextLength != null) {
            b.contextLength(contextLength);
        }
        return b.build();
    }
}
