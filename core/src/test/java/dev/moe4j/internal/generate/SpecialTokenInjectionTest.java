package dev.moe4j.internal.generate;

import dev.moe4j.ChatMessage;
import dev.moe4j.internal.generate.ChatFixtures.Family;
import dev.moe4j.internal.tokenizer.TokenType;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every token that special-token parsing recognises (CONTROL, UNKNOWN and USER_DEFINED) of the DeepSeek-V3, Qwen2 and
 * Llama 3 vocabularies, pasted into the system prompt, an earlier user turn, an earlier assistant turn or the last user
 * turn of a conversation rendered by the family's real template, must stay text of that message:
 * <ul>
 *   <li>the prompt's CONTROL/UNKNOWN ids are exactly those of the same conversation with the token's text replaced by
 *       a harmless letter (the template's own tokens, nothing more);</li>
 *   <li>the ids decode to the rendered prompt (the pasted text is there, as text);</li>
 *   <li>where the message's boundaries fall between tokens (literal tokens on both sides, or a harmless twin with
 *       the same first and last characters that splits there), the ids are {@code encode(before, parse) +
 *       encode(content, no parse) + encode(after, parse)}: the message is tokenized exactly as
 *       {@code encode(content, false, false)}.</li>
 * </ul>
 */
class SpecialTokenInjectionTest {
    /** Where in the conversation the text goes. */
    enum Slot {
        SYSTEM, EARLIER_USER, EARLIER_ASSISTANT, LAST_USER
    }

    /** Ways to paste a token: amid text, and at both edges of the message. */
    private static final List<String> SHAPES = List.of("Hi %s there %s end.", "%s mid %s");

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (Family f : List.of(Family.DEEPSEEK_V3_1, Family.QWEN2_5, Family.QWEN3, Family.LLAMA3_1)) {
            for (Slot s : Slot.values()) {
                out.add(Arguments.of(f, s));
            }
        }
        return out.stream();
    }

    private static List<ChatMessage> conversation(Slot slot, String content) {
        List<ChatMessage> m = new ArrayList<>(List.of(ChatMessage.system("You are a helpful assistant."),
                ChatMessage.user("What is 2+2?"), ChatMessage.assistant("2+2 equals 4."),
                ChatMessage.user("And 3+3?")));
        m.set(slot.ordinal(), new ChatMessage(m.get(slot.ordinal()).role(), content));
        return m;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void everySpecialTokenPastedIntoAMessageStaysPlainText(Family family, Slot slot) {
        Tokenizer t = family.tokenizer();
        ChatPromptEncoder encoder = family.encoder();
        List<String> failures = new ArrayList<>();
        int tokens = 0;
        int exact = 0;
        for (int id = 0; id < t.vocabSize(); id++) {
            TokenType type = t.tokenType(id);
            if (type != TokenType.CONTROL && type != TokenType.UNKNOWN && type != TokenType.USER_DEFINED
                    || t.tokenText(id).isEmpty()) {
                continue;
            }
            tokens++;
            for (String shape : SHAPES) {
                String content = shape.formatted(t.tokenText(id), t.tokenText(id));
                String harmless = shape.formatted("Q", "Q");
                Outcome outcome = check(t, encoder, slot, content, harmless);
                if (outcome.problem() != null && failures.size() < 10) {
                    failures.add("token " + id + " " + t.tokenText(id) + " as '" + content + "': "
                            + outcome.problem());
                }
                exact += outcome.comparedExactly() ? 1 : 0;
            }
        }
        assertTrue(tokens > 0, "no special tokens in " + family.vocab);
        assertEquals(List.of(), failures);
        assertTrue(exact > 0, "the exact comparison never applied");
    }

    /** What went wrong (null if nothing), and whether the exact comparison applied. */
    private record Outcome(String problem, boolean comparedExactly) {
    }

    private static Outcome check(Tokenizer t, ChatPromptEncoder encoder, Slot slot, String content, String harmless) {
        ChatPromptEncoder.Encoded got = encoder.encode(conversation(slot, content), true);
        ChatPromptEncoder.Encoded twin = encoder.encode(conversation(slot, harmless), true);
        int[] control = ChatFixtures.specialOnly(t, got.tokens());
        int[] templates = ChatFixtures.specialOnly(t, twin.tokens());
        if (!Arrays.equals(templates, control)) {
            return new Outcome("control ids " + Arrays.toString(control) + " instead of the template's "
                    + Arrays.toString(templates), false);
        }
        if (!t.decode(got.tokens()).equals(got.text())) {
            return new Outcome("the ids do not decode to the prompt", false);
        }
        int[] pieced = pieced(t, got.text(), content);
        if (pieced == null || !(delimited(t, got.text(), content) || sameEdges(content, harmless)
                && splitsCleanly(t, twin.text(), harmless, twin.tokens()))) {
            return new Outcome(null, false);
        }
        return new Outcome(Arrays.equals(pieced, got.tokens()) ? null
                : "not encode(content, false, false) between the template's tokens", true);
    }

    /** Whether the content sits between two literal tokens of the template (or the prompt's ends). */
    private static boolean delimited(Tokenizer t, String prompt, String content) {
        int at = prompt.indexOf(content);
        String before = prompt.substring(0, at);
        String after = prompt.substring(at + content.length());
        int[] b = t.encode(before, false, true);
        int[] a = t.encode(after, false, true);
        return (before.isEmpty() || isLiteral(t, b[b.length - 1]) && before.endsWith(t.tokenText(b[b.length - 1])))
                && (after.isEmpty() || isLiteral(t, a[0]) && after.startsWith(t.tokenText(a[0])));
    }

    private static boolean isLiteral(Tokenizer t, int id) {
        return t.tokenType(id) == TokenType.CONTROL || t.tokenType(id) == TokenType.USER_DEFINED;
    }

    /** Whether both start and end alike, so that they meet their neighbours alike. */
    private static boolean sameEdges(String a, String b) {
        return a.charAt(0) == b.charAt(0) && a.charAt(a.length() - 1) == b.charAt(b.length() - 1);
    }

    /** Whether the twin's ids are its pieces' ids: then the message's boundaries do not merge with its neighbours. */
    private static boolean splitsCleanly(Tokenizer t, String prompt, String content, int[] ids) {
        int[] pieced = pieced(t, prompt, content);
        return pieced != null && Arrays.equals(pieced, ids);
    }

    /** {@code encode(before) + encode(content, no parse) + encode(after)}; null unless the content occurs once. */
    private static int[] pieced(Tokenizer t, String prompt, String content) {
        int at = prompt.indexOf(content);
        if (at < 0 || prompt.indexOf(content, at + 1) >= 0) {
            return null;
        }
        return Stream.of(t.encode(prompt.substring(0, at), false, true), t.encode(content, false, false),
                t.encode(prompt.substring(at + content.length()), false, true)).flatMapToInt(IntStream::of).toArray();
    }
}
