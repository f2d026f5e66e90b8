package dev.moe4j.internal.generate;

import dev.moe4j.ChatMessage;
import dev.moe4j.Moe4jException;
import dev.moe4j.internal.template.ChatTemplate;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled chat template with the model's BOS/EOS token strings bound: turns a conversation into prompt text.
 * Immutable and thread-safe.
 */
public final class PromptFormat {
    private final ChatTemplate template;
    private final String origin;
    private final Map<String, Object> vars;

    private PromptFormat(ChatTemplate template, String origin, Map<String, Object> vars) {
        this.template = template;
        this.origin = origin;
        this.vars = vars;
    }

    /**
     * Compiles {@code source}.
     *
     * @param origin where the template comes from, for messages (e.g. "the chat template of model.gguf")
     * @throws Moe4jException if it does not compile; the message names the origin and the template's error
     */
    public static PromptFormat compile(String source, String origin, Tokenizer tokenizer) {
        ChatTemplate template;
        try {
            template = ChatTemplate.compile(source);
        } catch (RuntimeException e) {
            throw new Moe4jException(origin + " does not compile: " + e.getMessage()
                    + "; pass a working template with model.chatSession().template(jinjaSource)", e);
        }
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("bos_token", tokenText(tokenizer, tokenizer.bosId()));
        vars.put("eos_token", tokenText(tokenizer, tokenizer.eosId()));
        return new PromptFormat(template, origin, Map.copyOf(vars));
    }

    /**
     * The same template with {@code enable_thinking} set: the switch of templates that can answer with or without
     * reasoning (Qwen3, GLM-4.5 and later, DeepSeek-V3.1, V3.2 and V4; the DeepSeek ones take it when their own
     * {@code thinking} is not set, which is how llama.cpp reaches them too). Without it each template keeps its own
     * default: DeepSeek-V3.1/V3.2/V4 do not think, Qwen3 and GLM do, R1 always does.
     */
    public PromptFormat withThinking(boolean enabled) {
        Map<String, Object> more = new LinkedHashMap<>(vars);
        more.put("enable_thinking", enabled);
        return new PromptFormat(template, origin, Map.copyOf(more));
    }

    private static String tokenText(Tokenizer tokenizer, int id) {
        return id < 0 ? "" : tokenizer.tokenText(id);
    }

    /**
     * Renders the conversation.
     *
     * @param addGenerationPrompt end with the opening of an assistant turn (what generation continues)
     * @throws Moe4jException if the template fails on this conversation (e.g. it raises an exception)
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            list.add(m.reasoning().isEmpty() ? Map.of("role", m.role().templateName(), "content", m.content())
                    : Map.of("role", m.role().templateName(), "content", m.content(),
                            "reasoning_content", m.reasoning()));
        }
        try {
            return template.render(list, addGenerationPrompt, vars);
        } catch (RuntimeException e) {
            throw new Moe4jException(origin + " failed to render the conversation: " + e.getMessage(), e);
        }
    }
}
