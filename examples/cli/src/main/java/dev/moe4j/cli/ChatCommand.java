package dev.moe4j.cli;

import dev.moe4j.GenerationRequest;
import dev.moe4j.GenerationResult;
import dev.moe4j.ChatSession;
import dev.moe4j.ContextLengthExceededException;
import dev.moe4j.Model;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code moe4j chat -m MODEL}: an interactive conversation. Reads one user message per line from stdin; {@code /exit}
 * (or end of input) quits, {@code /reset} forgets the conversation. Replies stream to stdout, reasoning dimmed on a
 * terminal (else between think tags); per-turn stats go to stderr.
 *
 * <p>{@code moe4j chat -m MODEL -p QUESTION [--json]}: one turn, no stdin, for scripts and CI. Each {@code -p} is a new
 * conversation of one question; several are answered in order by one loaded model. {@code --json} prints one object
 * per question on its own line: {@code {"question", "reasoning", "answer", "finish_reason", "stats"}}.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a model in the terminal (/exit quits, /reset starts over), or answer -p QUESTION "
                + "and exit.")
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

    @Option(names = {"-p", "--prompt"}, paramLabel = "QUESTION",
            description = "Answer this question and exit instead of reading stdin (repeatable: each is a new "
                    + "conversation).")
    List<String> questions = new ArrayList<>();

    @Option(names = "--json", description = "With -p: print one JSON object per question (question, reasoning, "
            + "answer, finish_reason, stats) instead of streaming text.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (json && questions.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--json needs -p QUESTION (the interactive chat streams)");
        }
        return Failures.run("chat", questions.isEmpty() ? this::chat : this::answerQuestions);
    }

    private ChatSession newSession(Model model) throws IOException {
        ChatSession.Builder builder = model.chatSession();
        if (systemPrompt != null) {
            builder.systemPrompt(systemPrompt);
        }
        if (templateFile != null) {
            builder.template(Files.readString(templateFile, StandardCharsets.UTF_8));
        }
        return builder.build();
    }

    /**
     * {@code -p}: each question in a conversation of its own, streamed (or as JSON lines), then exit. One session serves
     * them all, reset between questions, so its KV cache and worker threads are made once.
     */
    private int answerQuestions() throws IOException {
        PrintStream out = Console.stdout();
        PrintStream err = Console.stderr();
        boolean terminal = Console.stdoutIsTerminal();
        try (Model model = modelArgs.load(); ChatSession chat = newSession(model)) {
            for (String question : questions) {
                chat.reset();
                GenerationRequest request = sampling.applyTo(chat.request(question), model.contextLength());
                if (json) {
                    out.println(toJson(question, request.generate()));
                    out.flush();
                    continue;
                }
                if (questions.size() > 1) {
                    out.println(terminal ? Console.BOLD + "> " + question + Console.RESET : "> " + question);
                }
                streamReply(request, out, err, terminal);
                if (questions.size() > 1) {
                    out.println();
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Streams one reply, reasoning set apart, then its stats on stderr (unless --quiet-stats). */
    private void streamReply(GenerationRequest request, PrintStream out, PrintStream err, boolean terminal) {
        ReasoningPrinter printer = new ReasoningPrinter(out, terminal);
        GenerationResult response;
        try {
            response = request.generate(printer::accept);
        } finally {
            printer.finish();
        }
        if (!quietStats) {
            err.println(response.stats().summary());
        }
    }

    static String toJson(String question, GenerationResult r) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("question", question);
        root.put("reasoning", r.reasoning());
        root.put("answer", r.text());
        root.put("finish_reason", r.finishReason().name().toLowerCase(Locale.ROOT));
        root.set("stats", GenerateCommand.statsJson(mapper, r.stats()));
        return root.toString();
    }

    private int chat() throws IOException {
        PrintStream out = Console.stdout();
        PrintStream err = Console.stderr();
        boolean terminal = Console.stdoutIsTerminal();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Model model = modelArgs.load()) {
            try (ChatSession chat = newSession(model)) {
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
                    GenerationRequest request = sampling.applyTo(chat.request(line), model.contextLength());
                    try {
                        streamReply(request, out, err, terminal);
                    } catch (ContextLengthExceededException e) {
                        err.println("(the conversation no longer fits in the context of " + model.contextLength()
                                + " tokens: /reset to start over)");
                    }
                }
            }
        }
        out.flush();
        return 0;
    }
}
