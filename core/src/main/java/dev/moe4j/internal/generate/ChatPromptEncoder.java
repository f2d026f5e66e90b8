package dev.moe4j.internal.generate;

import dev.moe4j.ChatMessage;
import dev.moe4j.Moe4jException;
import dev.moe4j.UnsafePromptException;
import dev.moe4j.internal.tokenizer.TextSpans;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Turns a conversation into prompt tokens through the chat template, with message contents kept plain text.
 *
 * <p><b>Guarantee.</b> No token that only special-token parsing recognises (CONTROL and UNKNOWN types:
 * {@code <｜Assistant｜>}, {@code <｜end▁of▁sentence｜>}, {@code <|im_start|>}, {@code <|eot_id|>}, ...) is made from
 * characters of a message content, wholly or in part, wherever the template puts the content; the content's text is
 * tokenized as {@code encode(content, false, false)} tokenizes it (USER_DEFINED tokens, ordinary text of the
 * vocabulary, still match, as they do there), and the template's own text keeps its special tokens. Otherwise
 * {@link UnsafePromptException} is thrown; nothing is ever guessed. A conversation in which no content could form a
 * special token gets exactly the ids of {@code encode(render(...), false, true)}, as before this class existed.
 *
 * <p><b>How.</b>
 * <ol>
 *   <li>The conversation is rendered as it is: that text is what the model sees. A content that cannot form a special
 *       token ({@link Tokenizer#mayFormSpecialToken}: it contains none, and neither its edges nor its
 *       whitespace-trimmed edges can complete one with neighbouring text) needs nothing; if all are such, the prompt
 *       is tokenized as before.</li>
 *   <li>Otherwise the conversation is rendered again with those contents replaced by sentinels
 *       ({@link PromptSkeleton}), and the skeleton is aligned with the real rendering ({@link SkeletonAlignment}): the
 *       template's text must match exactly and each sentinel's place must hold a substring of its content (as the
 *       content itself, trimmed, or cut after {@code </think>}). Special tokens are then read everywhere but there
 *       ({@link Tokenizer#encode(String, boolean, TextSpans)}); a special token overlapping a content is plain
 *       text.</li>
 *   <li>If the sentinels do not come through whole, or the skeleton does not fit (the template escapes or rewrites
 *       the content, or takes other branches for it), the message is refused with {@link UnsafePromptException}:
 *       without knowing where the content is, its special-token text cannot be told from the template's.</li>
 * </ol>
 *
 * <p><b>Limits.</b> The template is trusted. The first step looks at each content on its own (as it is and trimmed),
 * so a template that rewrites characters of a content (a replace or a case change that turns harmless text into
 * special-token text) is outside the guarantee; the chat templates in use only insert, trim and cut contents.
 * USER_DEFINED tokens match inside contents, as {@code encode(content, false, false)} matches them: a vocabulary that
 * types its turn markers USER_DEFINED (DeepSeek-V3's tokenizer.json does, its GGUF marks them CONTROL) is not
 * protected by this class.
 *
 * <p>Immutable and thread-safe.
 */
public final class ChatPromptEncoder {
    /** A rendered prompt and its token ids. */
    public record Encoded(String text, int[] tokens) {
    }

    private final PromptFormat format;
    private final Tokenizer tokenizer;

    public ChatPromptEncoder(PromptFormat format, Tokenizer tokenizer) {
        this.format = format;
        this.tokenizer = tokenizer;
    }

    /** The same encoder with the template's thinking switch set ({@link PromptFormat#withThinking}). */
    public ChatPromptEncoder withThinking(boolean enabled) {
        return new ChatPromptEncoder(format.withThinking(enabled), tokenizer);
    }

    /**
     * Renders and tokenizes the conversation (no BOS added: the template writes it).
     *
     * @throws UnsafePromptException if a content holds special-token text and cannot be located in the prompt
     * @throws Moe4jException        if the template fails on the conversation
     */
    public Encoded encode(List<ChatMessage> messages, boolean addGenerationPrompt) {
        refuseRiskyReasoning(messages);
        String prompt = format.render(messages, addGenerationPrompt);
        BitSet risky = contentsThatMayFormSpecialTokens(messages);
        if (risky.isEmpty()) {
            return new Encoded(prompt, tokenizer.encode(prompt, false, true));
        }
        TextSpans contents = locate(messages, risky, addGenerationPrompt, prompt);
        return new Encoded(prompt, tokenizer.encode(prompt, false, contents));
    }

    /**
     * The conversation as the template renders it (what {@link #encode} tokenizes).
     *
     * @throws Moe4jException if the template fails on the conversation
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return format.render(messages, addGenerationPrompt);
    }

    /** Same as {@link #encode}, but always through the located spans (for tests: it must give the same ids). */
    Encoded encodeLocatingAll(List<ChatMessage> messages, boolean addGenerationPrompt) {
        String prompt = format.render(messages, addGenerationPrompt);
        BitSet all = new BitSet();
        for (int i = 0; i < messages.size(); i++) {
            if (!messages.get(i).content().isEmpty()) {
                all.set(i);
            }
        }
        TextSpans spans = all.isEmpty() ? TextSpans.NONE : locate(messages, all, addGenerationPrompt, prompt);
        return new Encoded(prompt, tokenizer.encode(prompt, false, spans));
    }

    /**
     * Reasoning of earlier assistant turns is not located in the prompt (templates cut and move it freely), so one
     * that could form a special token is refused rather than guarded.
     */
    private void refuseRiskyReasoning(List<ChatMessage> messages) {
        List<Integer> risky = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            String r = messages.get(i).reasoning();
            if (!r.isEmpty() && (tokenizer.mayFormSpecialToken(r) || tokenizer.mayFormSpecialToken(trimmed(r)))) {
                risky.add(i);
            }
        }
        if (!risky.isEmpty()) {
            throw new UnsafePromptException("the reasoning of message(s) " + risky + " contains text that reads as "
                    + "special tokens of the model (or part of one); reasoning is not guarded like message contents, "
                    + "so it is refused: remove that text or leave the reasoning out", risky, null);
        }
    }

    private BitSet contentsThatMayFormSpecialTokens(List<ChatMessage> messages) {
        BitSet risky = new BitSet();
        for (int i = 0; i < messages.size(); i++) {
            String content = messages.get(i).content();
            // Also trimmed: templates trim contents (Llama 3's `content | trim`), which can bring a partial
            // special token to the edge, next to the template's text.
            if (tokenizer.mayFormSpecialToken(content) || tokenizer.mayFormSpecialToken(trimmed(content))) {
                risky.set(i);
            }
        }
        return risky;
    }

    /** Where the chosen contents lie in {@code prompt}. */
    private TextSpans locate(List<ChatMessage> messages, BitSet chosen, boolean addGenerationPrompt, String prompt) {
        Moe4jException cause = null;
        TextSpans spans = null;
        try {
            PromptSkeleton skeleton = PromptSkeleton.render(format, messages, chosen, addGenerationPrompt, prompt);
            if (skeleton != null) {
                List<String> contents = messages.stream().map(ChatMessage::content).toList();
                spans = SkeletonAlignment.align(prompt, skeleton, contents);
            }
        } catch (Moe4jException e) {
            cause = e; // the template failed on the sentinel conversation
        }
        if (spans == null) {
            List<Integer> indices = new ArrayList<>();
            chosen.stream().forEach(indices::add);
            throw new UnsafePromptException("message(s) " + indices + " contain text that reads as special tokens of "
                    + "the model (or part of one), and the chat template rewrites or moves them in a way that their "
                    + "place in the prompt cannot be found, so they cannot be kept plain text; refusing rather than "
                    + "letting message text act as control tokens. Remove that text, or use a template that writes "
                    + "message contents as they are (model.chat().template(...))", indices, cause);
        }
        return spans;
    }

    /**
     * The content without leading and trailing whitespace, counting as whitespace everything Python's {@code strip()}
     * (Jinja's {@code trim}) does and a little more. The edges between this and the untrimmed ones, where a template
     * that strips fewer characters would leave the content, could only complete a special token that contains
     * whitespace itself.
     */
    private static String trimmed(String s) {
        int from = 0;
        int to = s.length();
        while (from < to && isSpace(s.charAt(from))) {
            from++;
        }
        while (to > from && isSpace(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
