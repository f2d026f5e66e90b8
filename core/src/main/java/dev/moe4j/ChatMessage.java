package dev.moe4j;

import java.util.Objects;

/**
 * One turn of a conversation, as chat templates take it ({@code message['role']}, {@code message['content']} and, for
 * an assistant turn that reasoned, {@code message['reasoning_content']}). Every text in it is plain text: whatever a
 * message holds, it never becomes a control token of the model (see {@link Model#chat(java.util.List)}).
 *
 * @param role      who speaks
 * @param content   what was said (for an assistant turn: the answer, without reasoning)
 * @param reasoning an assistant turn's reasoning, given to templates that show it as {@code reasoning_content}
 *                  (most drop reasoning of earlier turns); empty for none, and always empty for other roles
 */
public record ChatMessage(Role role, String content, String reasoning) {

    /** The speaker of a turn, named as chat templates expect ({@code message['role']}). */
    public enum Role {
        /** The system prompt: instructions that frame the conversation. */
        SYSTEM("system"),
        /** The user's turn. */
        USER("user"),
        /** The model's turn: its answer (and reasoning). */
        ASSISTANT("assistant"),
        /** The result of a tool (function) the assistant called, given back to the model. */
        TOOL("tool");

        private final String templateName;

        Role(String templateName) {
            this.templateName = templateName;
        }

        /**
         * The role's name in chat templates.
         *
         * @return {@code "system"}, {@code "user"}, {@code "assistant"} or {@code "tool"}
         */
        public String templateName() {
            return templateName;
        }
    }

    /**
     * Checks the components.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if a turn other than the assistant's has reasoning
     */
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(reasoning, "reasoning");
        if (!reasoning.isEmpty() && role != Role.ASSISTANT) {
            throw new IllegalArgumentException("only an assistant turn has reasoning, not a " + role.templateName()
                    + " turn");
        }
    }

    /**
     * A turn without reasoning.
     *
     * @param role    who speaks
     * @param content what was said
     * @throws NullPointerException if an argument is null
     */
    public ChatMessage(Role role, String content) {
        this(role, content, "");
    }

    /**
     * A system prompt.
     *
     * @param content the instructions
     * @return a {@link Role#SYSTEM} message
     * @throws NullPointerException if {@code content} is null
     */
    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    /**
     * A user's turn.
     *
     * @param content what the user said
     * @return a {@link Role#USER} message
     * @throws NullPointerException if {@code content} is null
     */
    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    /**
     * An assistant's earlier answer, without reasoning.
     *
     * @param content the answer
     * @return a {@link Role#ASSISTANT} message with empty reasoning
     * @throws NullPointerException if {@code content} is null
     */
    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }

    /**
     * An assistant's earlier answer with the reasoning that led to it.
     *
     * @param content   the answer, without reasoning
     * @param reasoning the reasoning; empty for none
     * @return a {@link Role#ASSISTANT} message
     * @throws NullPointerException if an argument is null
     */
    public static ChatMessage assistant(String content, String reasoning) {
        return new ChatMessage(Role.ASSISTANT, content, reasoning);
    }

    /**
     * A tool's result given back to the model.
     *
     * @param content the tool's result
     * @return a {@link Role#TOOL} message
     * @throws NullPointerException if {@code content} is null
     */
    public static ChatMessage tool(String content) {
        return new ChatMessage(Role.TOOL, content);
    }
}
