package dev.moe4j.testing;

import dev.moe4j.GenerationResult;
import dev.moe4j.Model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A process for {@code JavaFallbackProcessTest}: loads a model through the public API, generates greedily from the
 * prompt ids in a file, and prints the generated ids on stdout. Run with a native library that cannot be loaded.
 */
public final class FallbackMain {
    private FallbackMain() {
    }

    /** @param args model path, prompt ids file, tokens to generate */
    public static void main(String[] args) throws IOException {
        int[] prompt = Files.readAllLines(Path.of(args[1])).stream().map(String::trim).filter(s -> !s.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
        try (Model m = Model.builder(Path.of(args[0])).threads(1).build()) {
            GenerationResult r = m.request(prompt).temperature(0).ignoreEos(true).maxTokens(Integer.parseInt(args[2]))
                    .generate();
            System.out.println(Arrays.toString(r.tokenIds()));
        }
    }
}
