package dev.moe4j.cli;

import dev.moe4j.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code moe4j logits -m MODEL -p PROMPT --out FILE.npy}: the logits after the last prompt token, as float32 .npy. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Write the logits of the last prompt position to a NumPy .npy file (float32, [n_vocab]).")
public final class LogitsCommand implements Callable<Integer> {
    @Mixin
    ModelArgs modelArgs;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "PROMPT", description = "The prompt text.")
    String prompt;

    @Option(names = "--parse-special", description = "Recognise special-token strings in PROMPT.")
    boolean parseSpecial;

    @Option(names = "--out", required = true, paramLabel = "FILE.npy", description = "Where to write the logits.")
    Path out;

    @Override
    public Integer call() {
        return Failures.run("logits", () -> {
            try (Model model = modelArgs.load()) {
                int[] tokens = model.tokenize(prompt, parseSpecial);
                float[] logits = model.logits(tokens);
                NpyWriter.writeFloat32(out, logits);
                Console.stderr().println("wrote " + logits.length + " logits after " + tokens.length
                        + " prompt tokens to " + out);
                return 0;
            }
        });
    }
}
