package dev.moe4j.internal.generate;

import dev.moe4j.ChatMessage;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * What a chat template writes around some messages: the conversation rendered with each chosen message's content
 * replaced by a sentinel, cut at the sentinels. {@code pieces} are the text between them (one more than holes),
 * {@code holes} the message index whose sentinel stood at each cut, in order. A message may leave no hole (the template
 * dropped it) or several (it wrote the content more than once).
 */
record PromptSkeleton(List<String> pieces, int[] holes) {
    /** Private-use code points: no tokenizer gives them special meaning and chat text hardly ever holds them. */
    private static final char FIRST_PRIVATE_USE = '\uE000';
    private static final char LAST_PRIVATE_USE = '\uF8FF';

    /**
     * Renders the skeleton of {@code messages} with the contents of the {@code chosen} ones replaced.
     *
     * @param reference the conversation rendered as it is (the sentinels must occur nowhere in it or in a content)
     * @return the skeleton, or null if the sentinels did not come through whole (the template cut, escaped or
     *         rewrote a content, so its places cannot be told)
     * @throws dev.moe4j.Moe4jException if the template fails on the sentinel conversation
     */
    static PromptSkeleton render(PromptFormat format, List<ChatMessage> messages, BitSet chosen,
                                 boolean addGenerationPrompt, String reference) {
        char[] markers = unusedPrivateUse(reference, messages);
        if (markers == null) {
            return null;
        }
        char open = markers[0];
        char close = markers[1];
        // A sentinel is open + decimal message index + close: digits and private-use characters pass unchanged
        // through everything a template does to text as a whole (trim, split on other text, case changes).
        List<ChatMessage> masked = new ArrayList<>(messages);
        for (int i = chosen.nextSetBit(0); i >= 0; i = chosen.nextSetBit(i + 1)) {
            ChatMessage m = messages.get(i);
            masked.set(i, new ChatMessage(m.role(), open + Integer.toString(i) + close, m.reasoning()));
        }
        return parse(format.render(masked, addGenerationPrompt), open, close, chosen);
    }

    private static PromptSkeleton parse(String rendered, char open, char close, BitSet chosen) {
        List<String> pieces = new ArrayList<>();
        List<Integer> holes = new ArrayList<>();
        int pieceStart = 0;
        int n = rendered.length();
        for (int i = 0; i < n; i++) {
            char c = rendered.charAt(i);
            if (c == close) {
                return null; // a close without its open: a sentinel was cut
            }
            if (c != open) {
                continue;
            }
            int end = rendered.indexOf(close, i + 1);
            int index = end < 0 ? -1 : messageIndex(rendered, i + 1, end);
            if (index < 0 || !chosen.get(index)) {
                return null;
            }
            pieces.add(rendered.substring(pieceStart, i));
            holes.add(index);
            pieceStart = end + 1;
            i = end;
        }
        pieces.add(rendered.substring(pieceStart));
        return new PromptSkeleton(List.copyOf(pieces), holes.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The decimal number in {@code s[from, to)}, or -1 if it is not one (empty, other characters, too long). */
    private static int messageIndex(String s, int from, int to) {
        if (to <= from || to - from > 9) {
            return -1;
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /** Two private-use characters found neither in the reference nor in any content; null if there are none. */
    private static char[] unusedPrivateUse(String reference, List<ChatMessage> messages) {
        BitSet used = new BitSet();
        markUsed(reference, used);
        for (ChatMessage m : messages) {
            markUsed(m.content(), used);
        }
        int first = used.nextClearBit(0);
        int second = used.nextClearBit(first + 1);
        if (FIRST_PRIVATE_USE + second > LAST_PRIVATE_USE) {
            return null;
        }
        return new char[] {(char) (FIRST_PRIVATE_USE + first), (char) (FIRST_PRIVATE_USE + second)};
    }

    private static void markUsed(String s, BitSet used) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= FIRST_PRIVATE_USE && c <= LAST_PRIVATE_USE) {
                used.set(c - FIRST_PRIVATE_USE);
            }
        }
    }
}
