package dev.moe4j;

import java.util.function.Consumer;

/**
 * One chat turn with options (from {@link ChatSession#request(String)}): configure it, then {@link #send()} or
 * {@link #stream(Consumer)}. See {@link GenerationOptions} for the options and their defaults, which are those of the
 * model's family.
 */
public final class ChatRequest extends GenerationOptions<ChatRequest> {
    private final ChatSession session;
    private final String userText;

    ChatRequest(ChatSession session, boolean reasoningFamily, String userText) {
        super(reasoningFamily);
        this.session = session;
        this.userText = userText;
    }

    /**
     * Sends the user's message and returns the reply; blocks until done. The turn and the reply are added to the
     * session's history.
     *
     * @throws UnsafePromptException if a message holds special-token text that the chat template rewrites so that it
     *                               cannot be kept plain text (the session is unchanged)
     */
    public ChatResponse send() {
        return stream(e -> { });
    }

    /**
     * Sends the user's message, calling {@code consumer} on the calling thread for every token of the reply as it is
     * generated (reasoning and answer told apart by {@link TokenEvent#channel()}), and returns the reply.
     */
    public ChatResponse stream(Consumer<? super TokenEvent> consumer) {
        return session.run(this, userText, consumer::accept);
    }
}
