package dev.moe4j;

import org.jspecify.annotations.Nullable;

import java.util.List;

/**
 * A conversation could not be turned into prompt tokens without letting message text act as control tokens: some
 * messages contain text of the model's special tokens (such as {@code <|im_end|>} or {@code <｜Assistant｜>}), and the
 * chat template rewrites or moves those messages in a way that their text could not be located in the rendered
 * prompt, so it could not be kept plain. Nothing was computed; the session is unchanged and usable with other input
 * (e.g. without that text, or with a template that writes message contents as they are).
 */
public class UnsafePromptException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    /** The positions of the messages that could not be located; immutable. */
    private final List<Integer> messageIndices;

    /**
     * An exception naming the messages that could not be kept plain.
     *
     * @param message        what went wrong
     * @param messageIndices the positions in the conversation (system prompt first, if any) of those messages; copied
     * @param cause          the cause, or null if none
     * @throws NullPointerException if {@code messageIndices} is null or holds null
     */
    public UnsafePromptException(String message, List<Integer> messageIndices, @Nullable Throwable cause) {
        super(message, cause);
        this.messageIndices = List.copyOf(messageIndices);
    }

    /**
     * The positions in the conversation (system prompt first, if any) of the messages that could not be located.
     *
     * @return the indices, 0-based; immutable
     */
    public List<Integer> messageIndices() {
        return messageIndices;
    }
}
