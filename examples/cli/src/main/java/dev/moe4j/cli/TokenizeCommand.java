package dev.moe4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.tooling.TextTokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code moe4j tokenize -m MODEL|tokenizer.json (-p TEXT | -f FILE) [--json]}: token ids of text. Only the tokenizer is
 * read, never the weights. With {@code -f}, the file holds many inputs in llama.cpp's tokenizer-test format (separated
 * by lines {@code __ggml_vocab_test__}) and the output is llama.cpp's {@code .out} format: one line per input, each id
 * preceded by a space, no BOS.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the token ids of a text (or of every input in a llama.cpp tokenizer-test file).")
public final class TokenizeCommand implements Callable<Integer> {
    static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "MODEL|tokenizer.json",
            description = "A GGUF model (only its tokenizer is read) or a Hugging Face tokenizer.json.")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The text (BOS added when the model "
                + "asks for it).")
        String text;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE",
                description = "Inputs separated by lines __ggml_vocab_test__ (llama.cpp's .inp format); no BOS.")
        Path file;
    }

    @Option(names = "--parse-special", description = "Recognise special-token strings in the text.")
    boolean parseSpecial;

    @Option(names = "--json", description = "Print JSON: an array of ids (-p) or an array of arrays (-f).")
    boolean json;

    @Override
    public Integer call() {
        return Failures.run("tokenize", this::tokenize);
    }

    private int tokenize() throws IOException {
        TextTokenizer tokenizer = model.getFileName().toString().endsWith(".json")
                ? TextTokenizer.fromTokenizerJson(model) : TextTokenizer.fromGguf(model);
        PrintStream out = Console.stdout();
        ObjectMapper mapper = new ObjectMapper();
        if (input.text != null) {
            int[] ids = tokenizer.encode(input.text, true, parseSpecial);
            out.println(json ? mapper.writeValueAsString(ids) : joined(ids).strip());
        } else {
            List<int[]> all = new ArrayList<>();
            for (String text : splitTestInputs(Files.readString(input.file, StandardCharsets.UTF_8))) {
                all.add(tokenizer.encode(text, false, parseSpecial));
            }
            if (json) {
                out.println(mapper.writeValueAsString(all));
            } else {
                for (int[] ids : all) {
                    out.println(joined(ids));
                }
            }
        }
        out.flush();
        return 0;
    }

    /** llama.cpp's .out line: every id preceded by one space. */
    static String joined(int[] ids) {
        StringBuilder b = new StringBuilder(ids.length * 6);
        for (int id : ids) {
            b.append(' ').append(id);
        }
        return b.toString();
    }

    /** The inputs of a .inp file: the text before each separator line (what follows the last one is not an input). */
    static List<String> splitTestInputs(String content) {
        List<String> inputs = new ArrayList<>();
        int from = 0;
        while (true) {
            int at = content.indexOf(SEPARATOR, from);
            if (at < 0) {
                break;
            }
            inputs.add(content.substring(from, at));
            from = at + SEPARATOR.length();
        }
        return inputs;
    }
}
