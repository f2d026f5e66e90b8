package dev.moe4j.cli;

import dev.moe4j.ChatSession;
import dev.moe4j.Model;
import dev.moe4j.RoutingProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code moe4j profile -m MODEL -p PROMPT [--heatmap out.png] [--save-profile FILE]}: runs prompts greedily and shows
 * which experts the router chose, layer by layer: a table on stdout, optionally a heatmap PNG (layers × experts) and a
 * routing profile file for {@code --routing-profile} / {@code Model.Builder.routingProfile}.
 */
@Command(name = "profile", mixinStandardHelpOptions = true,
        description = "Record which routed experts a workload uses (layers × experts): a table, a heatmap PNG and a "
                + "routing profile file.")
public final class ProfileCommand implements Callable<Integer> {
    @Mixin
    ModelArgs modelArgs;

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", description = "A prompt; repeat for several.")
    List<String> prompts = new ArrayList<>();

    @Option(names = {"-f", "--prompts-file"}, paramLabel = "FILE", description = "More prompts, one per line.")
    Path promptsFile;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "64",
            description = "Tokens to generate per prompt, greedily (default: ${DEFAULT-VALUE}; 0: the prompt only).")
    int tokens;

    @Option(names = "--chat", description = "Send each prompt as a user message with the model's chat template.")
    boolean chat;

    @Option(names = "--parse-special", description = "Recognise special-token strings in the prompts.")
    boolean parseSpecial;

    @Option(names = "--heatmap", paramLabel = "FILE.png", description = "Write a heatmap of the counts as PNG.")
    Path heatmap;

    @Option(names = "--save-profile", paramLabel = "FILE", description = "Save the routing profile (text).")
    Path saveProfile;

    @Override
    public Integer call() {
        return Failures.run("profile", this::profile);
    }

    private int profile() throws IOException {
        List<String> all = new ArrayList<>(prompts);
        if (promptsFile != null) {
            for (String line : Files.readAllLines(promptsFile, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    all.add(line);
                }
            }
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no prompt: give -p PROMPT or -f FILE");
        }
        if (tokens < 0) {
            throw new IllegalArgumentException("-n must be >= 0, got " + tokens);
        }
        if (heatmap != null) {
            System.setProperty("java.awt.headless", "true");
        }
        try (Model model = modelArgs.builder().recordRouting(true).build()) {
            if (model.info().expertCount() == 0) {
                throw new IllegalArgumentException(modelArgs.model.getFileName() + " is a dense model: it has no "
                        + "routed experts to profile");
            }
            for (String p : all) {
                run(model, p);
            }
            RoutingProfile profile = model.routingProfile();
            PrintStream out = Console.stdout();
            table(profile, out);
            out.flush();
            if (saveProfile != null) {
                profile.save(saveProfile);
                Console.stderr().println("saved the routing profile to " + saveProfile);
            }
            if (heatmap != null) {
                String title = "Expert routing: " + modelArgs.model.getFileName() + " (" + all.size()
                        + (all.size() == 1 ? " prompt)" : " prompts)");
                RoutingHeatmap.write(profile, title, heatmap);
                Console.stderr().println("wrote the heatmap to " + heatmap);
            }
            if (model.memoryStats().offloading()) {
                Console.stderr().println(model.memoryStats().summary());
            }
            return 0;
        }
    }

    private void run(Model model, String prompt) {
        if (chat) {
            try (ChatSession s = model.newChat()) {
                s.request(prompt).temperature(0).maxTokens(Math.max(1, tokens)).generate();
            }
        } else if (tokens == 0) {
            model.logits(model.tokenize(prompt, parseSpecial));
        } else {
            model.request(prompt).parseSpecial(parseSpecial).temperature(0).maxTokens(tokens).generate();
        }
    }

    /**
     * Per MoE layer: tokens, how evenly they spread (normalised entropy: 100% = uniform), the share of the top
     * quarter of experts, and the hottest experts.
     */
    static void table(RoutingProfile p, PrintStream out) {
        out.printf(Locale.ROOT, "%-6s %8s %9s %12s  %s%n", "layer", "tokens", "balance", "top 25% get",
                "hottest experts (share of tokens)");
        for (int l : p.moeLayers()) {
            long t = p.tokens(l);
            long[] c = p.counts()[l];
            long total = 0;
            for (long v : c) {
                total += v;
            }
            double h = 0;
            for (long v : c) {
                if (v > 0) {
                    double q = (double) v / total;
                    h -= q * Math.log(q);
                }
            }
            Integer[] order = new Integer[c.length];
            for (int e = 0; e < c.length; e++) {
                order[e] = e;
            }
            java.util.Arrays.sort(order, (a, b) -> Long.compare(c[b], c[a]));
            long topQuarter = 0;
            for (int i = 0; i < Math.max(1, c.length / 4); i++) {
                topQuarter += c[order[i]];
            }
            StringBuilder hot = new StringBuilder();
            for (int i = 0; i < Math.min(6, c.length); i++) {
                hot.append(String.format(Locale.ROOT, "%d (%.0f%%) ", order[i], t == 0 ? 0 : 100.0 * c[order[i]] / t));
            }
            out.printf(Locale.ROOT, "%-6d %8d %8.1f%% %11.1f%%  %s%n", l, t,
                    total == 0 ? 0 : 100 * h / Math.log(c.length), total == 0 ? 0 : 100.0 * topQuarter / total,
                    hot.toString().strip());
        }
    }
}
