package dev.moe4j.cli;

import dev.moe4j.ChatRequest;
import dev.moe4j.ChatResponse;
import dev.moe4j.ChatSession;
import dev.moe4j.ContextLengthExceededException;
import dev.moe4j.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code moe4j chat -m MODEL}: an interactive conversation. Reads one user message per line from stdin; {@code /exit}
 * (or end of input) quits, {@code /reset} forgets the conversation. Replies stream to stdout, reasoning dimmed on a
 * terminal (else between think tags); per-turn stats go to stderr.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model in the terminal (/exit quits, /reset starts over).")
public final class ChatCommand implements Callable<Integer> {
    @Mixin
    ModelArgs modelArgs;

    @Mixin
    SamplingArgs sampling;

    @Option(names = {"-s", "--system"}, paramLabel = "TEXT", description = "A system prompt.")
    String systemPrompt;

    @Option(names = "--chat-template-file", paramLabel = "FILE",
            description = "A Jinja chat template to use instead of the model's.")
    Path templateFile;

    @Option(names = "--quiet-stats", description = "Do not print per-turn stats on stderr.")
    boolean quietStats;

    @Override
    public Integer call() {
        return Failures.run("chat", this::chat);
    }

    private int chat() throws IOException {
        PrintStream out = Console.stdout();
        PrintStream err = Console.stderr();
        boolean terminal = Console.stdoutIsTerminal();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Model model = modelArgs.load()) {
            ChatSession.Builder builder = model.chat();
            if (systemPrompt != null) {
                builder.systemPrompt(systemPrompt);
            }
            if (templateFile != null) {
                builder.template(Files.readString(templateFile, StandardCharsets.UTF_8));
            }
            try (ChatSession chat = builder.build()) {
                if (terminal) {
                    err.println("chatting with " + model.path().getFileName() + " (/exit quits, /reset starts over)");
                }
                while (true) {
                    if (terminal) {
                        out.print("> ");
                        out.flush();
                    }
                    String line = in.readLine();
                    if (line == null || line.strip().equals("/exit")) {
                        break;
                    }
                    if (line.strip().equals("/reset")) {
                        chat.reset();
                        err.println("(conversation reset)");
                        continue;
                    }
                    if (line.isBlank()) {
                        continue;
                    }
                    ChatRequest request = sampling.applyTo(chat.request(line), model.contextLength());
                    ReasoningPrinter printer = new ReasoningPrinter(out, terminal);
                    ChatResponse response;
                    try {
                        response = request.stream(printer::accept);
                    } catch (ContextLengthExceededException e) {
                        printer.finish();
                        err.println("(the conversation no longer fits in the context of " + model.contextLength()
                                + " tokens: /reset to start over)");
                        continue;
                    }
                    printer.finish();
                    if (!quietStats) {
                        err.println(response.stats().summary());
                    }
                }
            }
        }
        out.flush();
        return 0;
    }
}
