package dev.moe4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moe4j.GenerationResult;
import dev.moe4j.InfillInput;
import dev.moe4j.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code moe4j infill-bench -m MODEL}: time to first token of code completions in a file of about
 * {@code --file-tokens} tokens, as an IDE plugin asks for them: cold (an empty prompt cache) against cached after a
 * one-line edit, in two cases: typing on the cursor's line ({@link InfillInput#atCursor} layout, the cache keeps
 * everything but the line), and an edit a few lines above the cursor (the cache keeps the file up to that line). The
 * file is generated Java-like code; the model may be random-weight ({@code synth}): only timings matter.
 */
@Command(name = "infill-bench", mixinStandardHelpOptions = true,
        description = "Time to first token of infill requests, cold and after a one-line edit (prompt cache).")
public final class InfillBenchCommand implements Callable<Integer> {
    @Mixin
    ModelArgs modelArgs;

    @Option(names = "--file-tokens", paramLabel = "N", description = "Tokens of the file (default 2000).")
    int fileTokens = 2000;

    @Option(names = {"-r", "--reps"}, paramLabel = "R", description = "Runs of each case (default 3).")
    int reps = 3;

    @Option(names = "--lines-above", paramLabel = "L",
            description = "How far above the cursor the edit of the second case is (default 10 lines).")
    int linesAbove = 10;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        return Failures.run("infill-bench", this::bench);
    }

    /** One completion's time to first token, in milliseconds, and the prompt tokens it reused. */
    record Sample(double ttftMs, int promptTokens, int reused) {
    }

    private int bench() {
        PrintStream out = Console.stdout();
        List<Sample> cold = new ArrayList<>();
        List<Sample> typing = new ArrayList<>();
        List<Sample> above = new ArrayList<>();
        try (Model model = modelArgs.builder().promptCacheSize(2).build()) {
            if (!model.supportsInfill()) {
                throw new IllegalArgumentException(model.path().getFileName() + " has no FIM tokens");
            }
            List<String> lines = SyntheticCode.lines(model, fileTokens);
            int cursorLine = lines.size() / 2;
            for (int r = 0; r < reps; r++) {
                // cold: a different first line each time, so nothing of the file is cached
                List<String> file = new ArrayList<>(lines);
                file.set(0, "// revision " + r + " of the file, cold run");
                cold.add(complete(model, file, cursorLine, ""));
            }
            List<String> file = new ArrayList<>(lines);
            file.set(0, "// the file being edited");
            complete(model, file, cursorLine, ""); // fills the cache
            StringBuilder typed = new StringBuilder();
            for (int r = 0; r < reps; r++) {
                typed.append((char) ('a' + r)); // one more character typed on the cursor's line
                typing.add(complete(model, file, cursorLine, typed.toString()));
            }
            for (int r = 0; r < reps; r++) {
                int edited = cursorLine - linesAbove;
                file.set(edited, file.get(edited) + " // edit " + r); // a one-line edit above the cursor
                above.add(complete(model, file, cursorLine, typed.toString()));
            }
            String report = report(model, cold, typing, above);
            out.println(report);
        }
        out.flush();
        return 0;
    }

    /** Completes at the cursor: after the cursor line's first half and {@code typed}. */
    private static Sample complete(Model model, List<String> file, int cursorLine, String typed) {
        StringBuilder before = new StringBuilder();
        for (int i = 0; i < cursorLine; i++) {
            before.append(file.get(i)).append('\n');
        }
        String line = file.get(cursorLine);
        int col = line.length() / 2;
        before.append(line, 0, col).append(typed);
        StringBuilder after = new StringBuilder(line.substring(col)).append('\n');
        for (int i = cursorLine + 1; i < file.size(); i++) {
            after.append(file.get(i)).append('\n');
        }
        long start = System.nanoTime();
        long[] first = {0};
        GenerationResult r = model.infill(InfillInput.atCursor(before.toString(), after.toString()))
                .temperature(0).maxTokens(4).ignoreEos(true).generate(e -> {
                    if (first[0] == 0 && e.tokenId() >= 0) {
                        first[0] = System.nanoTime();
                    }
                });
        return new Sample((first[0] - start) / 1e6, r.stats().promptTokens(), r.stats().promptTokensReused());
    }

    private String report(Model model, List<Sample> cold, List<Sample> typing, List<Sample> above) {
        double c = mean(cold);
        double t = mean(typing);
        double a = mean(above);
        if (json) {
            ObjectMapper m = new ObjectMapper();
            ObjectNode root = m.createObjectNode();
            root.put("model", model.path().getFileName().toString());
            root.put("threads", model.threads());
            root.put("prompt_tokens", cold.getFirst().promptTokens());
            root.put("cold_ttft_ms", c);
            root.put("typing_ttft_ms", t);
            root.put("typing_reused", typing.getLast().reused());
            root.put("edit_above_ttft_ms", a);
            root.put("edit_above_reused", above.getLast().reused());
            root.put("speedup_typing", c / t);
            root.put("speedup_edit_above", c / a);
            return root.toString();
        }
        return String.format(Locale.ROOT, """
                %s, %d threads, infill prompt %d tokens, time to first token (mean of %d):
                  cold (empty cache)                      %9.1f ms   (sd %.1f)
                  typing on the cursor's line             %9.1f ms   (sd %.1f)  %5.1fx faster, %d tokens reused
                  one-line edit %2d lines above the cursor %9.1f ms   (sd %.1f)  %5.1fx faster, %d tokens reused""",
                model.path().getFileName(), model.threads(), cold.getFirst().promptTokens(), reps, c, sd(cold), t,
                sd(typing), c / t, typing.getLast().reused(), linesAbove, a, sd(above), c / a,
                above.getLast().reused());
    }

    private static double mean(List<Sample> s) {
        return s.stream().mapToDouble(Sample::ttftMs).average().orElse(0);
    }

    private static double sd(List<Sample> s) {
        double m = mean(s);
        return Math.sqrt(s.stream().mapToDouble(x -> (x.ttftMs() - m) * (x.ttftMs() - m)).sum()
                / Math.max(1, s.size() - 1));
    }

    /** Deterministic Java-like source lines. */
    static final class SyntheticCode {
        private SyntheticCode() {
        }

        /** Lines whose text (joined with newlines) is at least {@code tokens} tokens of the model. */
        static List<String> lines(Model model, int tokens) {
            List<String> out = new ArrayList<>();
            out.add("// header");
            int i = 0;
            while (model.tokenize(String.join("\n", out), false, false).length < tokens) {
                out.add(switch (i % 6) {
                    case 0 -> "    /** Returns the value of field " + i + ", or its default. */";
                    case 1 -> "    public int value" + i + "(int x, int y) {";
                    case 2 -> "        int total = x * " + (i % 17 + 2) + " + y - " + (i % 5) + ";";
                    case 3 -> "        if (total > " + (i * 7 % 100) + ") { return total / 2; }";
                    case 4 -> "        return total + field" + i + ";";
                    default -> "    }";
                });
                i++;
            }
            return out;
        }
    }
}
