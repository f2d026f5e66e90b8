package dev.moe4j;

import java.util.Objects;

/**
 * One turn of a conversation.
 *
 * @param role    who speaks
 * @param content what was said (for an assistant turn: the answer, without reasoning)
 */
public record ChatMessage(Role role, String content) {

    /** The speaker of a turn, named as chat templates expect ({@code message['role']}). */
    public enum Role {
        SYSTEM("system"), USER("user"), ASSISTANT("assistant");

        private final String templateName;

        Role(String templateName) {
            this.templateName = templateName;
        }

        /** {@code "system"}, {@code "user"} or {@code "assistant"}. */
        public String templateName() {
            return templateName;
        }
    }

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }
}
