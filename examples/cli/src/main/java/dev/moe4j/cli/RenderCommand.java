package dev.moe4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.ModelFormatException;
import dev.moe4j.tooling.ChatTemplateException;
import dev.moe4j.tooling.ChatTemplateRenderer;
import dev.moe4j.tooling.GgufReader;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code moe4j render (-m MODEL | --template FILE) --messages FILE.json [--add-generation-prompt] [--bos-token S]
 * [--eos-token S]}: prints the prompt a chat template makes of a conversation, exactly as Hugging Face transformers
 * renders it, and nothing else (no trailing newline; UTF-8 bytes whatever the console encoding). Exit codes: 0 done,
 * 1 a file cannot be read, 2 invalid input (not a GGUF model, no chat template in it, template syntax, bad messages
 * JSON), 3 the template raised an error while rendering (e.g. its {@code raise_exception}).
 */
@Command(name = "render", mixinStandardHelpOptions = true,
        description = {"Render a conversation through a model's chat template (as transformers does) and print the"
                + " prompt.",
            "The messages file holds a JSON array of messages ({\"role\": ..., \"content\": ...}), or an object with"
                    + " \"messages\" and further template variables (e.g. \"tools\", \"enable_thinking\","
                    + " \"add_generation_prompt\")."})
public final class RenderCommand implements Callable<Integer> {
    static final int EXIT_UNREADABLE = 1;
    static final int EXIT_INVALID = 2;
    static final int EXIT_TEMPLATE_RAISED = 3;

    static final class Source {
        @Option(names = {"-m", "--model"}, paramLabel = "MODEL.gguf", required = true,
                description = "Take tokenizer.chat_template and the BOS/EOS token strings from this GGUF model.")
        Path model;

        @Option(names = "--template", paramLabel = "FILE.jinja", required = true,
                description = "Take the chat template from this file (UTF-8).")
        Path template;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    @Option(names = "--messages", paramLabel = "FILE.json", required = true, description = "The conversation (JSON).")
    Path messages;

    @Option(names = "--add-generation-prompt", description = "End with the assistant's turn header.")
    boolean addGenerationPrompt;

    @Option(names = "--bos-token", paramLabel = "S", description = "bos_token (default: the model's, if -m).")
    String bosToken;

    @Option(names = "--eos-token", paramLabel = "S", description = "eos_token (default: the model's, if -m).")
    String eosToken;

    @Spec
    CommandSpec spec;

    /** Input the user must fix, reported with exit code 2. */
    private static final class InvalidInput extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidInput(String message) {
            super(message);
        }
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        if (source == null) {
            return fail(err, "give the template with -m MODEL.gguf or --template FILE.jinja", EXIT_INVALID);
        }
        Map<String, Object> variables = new LinkedHashMap<>();
        String templateSource;
        String templateName;
        ChatTemplateRenderer template;
        List<Map<String, Object>> conversation;
        try {
            if (source.model != null) {
                templateName = source.model + ": tokenizer.chat_template";
                templateSource = readModel(source.model, variables);
            } else {
                templateName = source.template.toString();
                templateSource = Files.readString(source.template, StandardCharsets.UTF_8);
            }
            conversation = readMessages(messages, variables);
        } catch (IOException e) {
            return fail(err, "cannot read " + e.getMessage(), EXIT_UNREADABLE);
        } catch (ModelFormatException | InvalidInput e) {
            return fail(err, e.getMessage(), EXIT_INVALID);
        }
        if (bosToken != null) {
            variables.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            variables.put("eos_token", eosToken);
        }
        try {
            template = ChatTemplateRenderer.compile(templateSource);
        } catch (ChatTemplateException e) {
            return fail(err, templateName + ": " + e.getMessage(), EXIT_INVALID);
        }
        String prompt;
        try {
            prompt = template.render(conversation, addGenerationPrompt, variables);
        } catch (ChatTemplateException e) {
            return fail(err, templateName + ": " + e.getMessage(), EXIT_TEMPLATE_RAISED);
        } catch (IllegalArgumentException e) {
            return fail(err, messages + ": " + e.getMessage(), EXIT_INVALID);
        }
        // Raw UTF-8 bytes: the prompt must reach the pipe unchanged, whatever stdout's encoding is.
        byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
        System.out.write(bytes, 0, bytes.length);
        System.out.flush();
        return 0;
    }

    private static int fail(PrintWriter err, String message, int code) {
        err.println("moe4j render: " + message);
        err.flush();
        return code;
    }

    /** The model's chat template; its BOS/EOS token strings go into {@code variables}. */
    private static String readModel(Path model, Map<String, Object> variables) throws IOException, InvalidInput {
        try (GgufReader meta = GgufReader.open(model)) {
            String template = meta.optString("tokenizer.chat_template").orElseThrow(() -> new InvalidInput(
                    model + ": the model has no tokenizer.chat_template (give one with --template)"));
            if (meta.has("tokenizer.ggml.tokens")) {
                List<String> tokens = meta.getStringArray("tokenizer.ggml.tokens");
                putToken(meta, tokens, "tokenizer.ggml.bos_token_id", "bos_token", variables);
                putToken(meta, tokens, "tokenizer.ggml.eos_token_id", "eos_token", variables);
            }
            return template;
        }
    }

    private static void putToken(GgufReader meta, List<String> tokens, String key, String variable,
                                 Map<String, Object> variables) {
        if (!meta.has(key)) {
            return;
        }
        int id = meta.getInt(key);
        if (id < 0 || id >= tokens.size()) {
            throw new ModelFormatException(meta.path() + ": metadata '" + key + "' = " + id
                    + " is not a token id (the vocabulary has " + tokens.size() + " tokens)", meta.offset(key));
        }
        variables.put(variable, tokens.get(id));
    }

    /** A JSON array of messages, or an object with "messages" whose other keys become template variables. */
    private List<Map<String, Object>> readMessages(Path file, Map<String, Object> variables)
            throws IOException, InvalidInput {
        ObjectMapper json = new ObjectMapper();
        JsonNode root;
        try {
            root = json.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new InvalidInput(file + ": not valid JSON: " + e.getOriginalMessage());
        }
        JsonNode list = root;
        if (root != null && root.isObject()) {
            list = root.get("messages");
            Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (f.getKey().equals("add_generation_prompt")) {
                    addGenerationPrompt |= f.getValue().asBoolean();
                } else if (!f.getKey().equals("messages")) {
                    variables.put(f.getKey(), json.convertValue(f.getValue(), Object.class));
                }
            }
        }
        if (list == null || !list.isArray()) {
            throw new InvalidInput(file + ": expected a JSON array of messages, or an object with \"messages\"");
        }
        for (JsonNode m : list) {
            if (!m.isObject()) {
                throw new InvalidInput(file + ": each message must be a JSON object, got " + m.getNodeType());
            }
        }
        return json.convertValue(list, new TypeReference<>() { });
    }
}
