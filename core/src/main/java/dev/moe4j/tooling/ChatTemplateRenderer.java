package dev.moe4j.tooling;

import dev.moe4j.internal.template.ChatTemplate;
import dev.moe4j.internal.template.TemplateException;

import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A compiled Jinja chat template, rendered as Hugging Face transformers' {@code apply_chat_template} renders it: the
 * interpreter {@link dev.moe4j.Model#chat} uses. Immutable and thread-safe.
 */
public final class ChatTemplateRenderer {
    private final ChatTemplate template;

    private ChatTemplateRenderer(ChatTemplate template) {
        this.template = template;
    }

    /**
     * Parses a template with transformers' environment options ({@code trim_blocks} and {@code lstrip_blocks} on).
     *
     * @param source the template's Jinja source, e.g. a GGUF file's {@code tokenizer.chat_template}
     * @return the compiled template
     * @throws ChatTemplateException on a syntax error or an unsupported construct, naming its line and column
     */
    public static ChatTemplateRenderer compile(String source) {
        Objects.requireNonNull(source, "source");
        try {
            return new ChatTemplateRenderer(ChatTemplate.compile(source));
        } catch (TemplateException e) {
            throw new ChatTemplateException(e);
        }
    }

    /**
     * Renders a conversation: the template's variables are {@code messages}, {@code add_generation_prompt},
     * {@code tools} and {@code documents} (None unless given), then {@code variables} (typically {@code bos_token},
     * {@code eos_token}, {@code tools}, {@code enable_thinking}).
     *
     * @param messages  maps with {@code role}, {@code content} (a string or null) and optional fields such as
     *                  {@code reasoning_content} or {@code tool_calls}; JSON-like values (maps, lists, strings,
     *                  numbers, booleans, null)
     * @param addGenerationPrompt whether the template should end with the opening of the assistant's turn (its
     *                  {@code add_generation_prompt} variable)
     * @param variables more variables, or null; may not redefine {@code messages} or {@code add_generation_prompt}
     * @return the prompt text
     * @throws ChatTemplateException    when the template raises (its {@code raise_exception}, a type error, a limit)
     * @throws IllegalArgumentException when a value has a type templates cannot use, or a variable is given twice
     */
    public String render(List<Map<String, @Nullable Object>> messages, boolean addGenerationPrompt,
                         @Nullable Map<String, @Nullable Object> variables) {
        try {
            return template.render(messages, addGenerationPrompt, variables);
        } catch (TemplateException e) {
            throw new ChatTemplateException(e);
        }
    }
}
