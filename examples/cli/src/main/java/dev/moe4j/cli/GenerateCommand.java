package dev.moe4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moe4j.GenerationRequest;
import dev.moe4j.GenerationResult;
import dev.moe4j.GenerationStats;
import dev.moe4j.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * {@code moe4j generate -m MODEL -p PROMPT ...}: continues a prompt. Text streams to stdout as it is generated
 * (reasoning dimmed on a terminal, else between think tags), a stats line goes to stderr; with {@code --json} one JSON
 * object is printed at the end instead.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt (no chat template; BOS added when the model asks for it).")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelArgs modelArgs;

    @Option(names = {"-p", "--prompt"}, required = true, paramLabel = "PROMPT", description = "The prompt text.")
    String prompt;

    @Mixin
    SamplingArgs sampling;

    @Option(names = "--parse-special",
            description = "Recognise special-token strings such as <｜User｜> in PROMPT (default: plain text).")
    boolean parseSpecial;

    @Option(names = "--json", description = "Print one JSON object (prompt_tokens, tokens, text, reasoning, "
            + "finish_reason, stats) instead of streaming text.")
    boolean json;

    @Override
    public Integer call() {
        return Failures.run("generate", this::generate);
    }

    private int generate() {
        PrintStream out = Console.stdout();
        try (Model model = modelArgs.load()) {
            GenerationRequest request = sampling.applyTo(model.request(prompt), model.contextLength())
                    .parseSpecial(parseSpecial);
            GenerationResult result;
            if (json) {
                result = request.generate();
                out.println(toJson(result));
            } else {
                ReasoningPrinter printer = new ReasoningPrinter(out, Console.stdoutIsTerminal());
                result = request.generate(printer::accept);
                printer.finish();
            }
            out.flush();
            Console.stderr().println(result.stats().summary() + " | finish: "
                    + result.finishReason().name().toLowerCase(java.util.Locale.ROOT));
            if (model.memoryStats().offloading()) {
                Console.stderr().println(model.memoryStats().summary());
            }
            return 0;
        }
    }

    static String toJson(GenerationResult r) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.set("prompt_tokens", mapper.valueToTree(r.promptTokenIds()));
        root.set("tokens", mapper.valueToTree(r.tokenIds()));
        root.put("text", r.text());
        root.put("reasoning", r.reasoning());
        root.put("finish_reason", r.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        root.set("stats", statsJson(mapper, r.stats()));
        return root.toString();
    }

    /** The stats object of every {@code --json} output. */
    static ObjectNode statsJson(ObjectMapper mapper, GenerationStats s) {
        ObjectNode stats = mapper.createObjectNode();
        stats.put("prompt_tokens", s.promptTokens());
        stats.put("prompt_tokens_evaluated", s.promptTokensEvaluated());
        stats.put("generated_tokens", s.generatedTokens());
        stats.put("prefill_tokens_per_second", s.prefillTokensPerSecond());
        stats.put("decode_tokens_per_second", s.decodeTokensPerSecond());
        stats.put("prefill_ms", s.prefillTime().toNanos() / 1e6);
        stats.put("decode_ms", s.decodeTime().toNanos() / 1e6);
        stats.put("total_ms", s.totalTime().toNanos() / 1e6);
        return stats;
    }
}
