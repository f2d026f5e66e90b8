package dev.moe4j.internal.generate;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.moe4j.ChatMessage;
import dev.moe4j.UnsafePromptException;
import dev.moe4j.internal.tokenizer.TokenType;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Fuzz target for the chat prompt encoder, which takes text from users: any conversation, with the vocabulary's
 * special-token strings spliced into its messages (contents and assistant reasoning) at fuzzed places, either encodes
 * with exactly the control tokens the template writes for harmless messages, decoding back to the rendered prompt, or
 * is refused with {@link UnsafePromptException}; nothing else may be thrown. A normal test run replays the saved inputs
 * ({@code src/test/resources/.../ChatPromptFuzzTestInputs}); {@code JAZZER_FUZZ=1} fuzzes.
 */
class ChatPromptFuzzTest {
    private static final ChatFixtures.Family[] FAMILIES = ChatFixtures.Family.values();

    @FuzzTest(maxDuration = "60s")
    void messagesNeverBecomeControlTokens(FuzzedDataProvider data) {
        ChatFixtures.Family family = data.pickValue(FAMILIES);
        Tokenizer t = family.tokenizer();
        List<String> specials = specialTexts(t);
        int turns = data.consumeInt(1, 4);
        List<ChatMessage> messages = new ArrayList<>();
        List<ChatMessage> harmless = new ArrayList<>();
        if (data.consumeBoolean()) {
            String system = content(data, specials);
            messages.add(ChatMessage.system(system));
            harmless.add(ChatMessage.system(harmless(system)));
        }
        for (int i = 0; i < turns; i++) {
            String user = content(data, specials);
            messages.add(ChatMessage.user(user));
            harmless.add(ChatMessage.user(harmless(user)));
            if (i + 1 < turns) {
                String assistant = content(data, specials);
                // an earlier answer with its reasoning, as a message list from an application may give it
                String reasoning = data.consumeBoolean() ? content(data, specials) : "";
                messages.add(ChatMessage.assistant(assistant, reasoning));
                harmless.add(ChatMessage.assistant(harmless(assistant),
                        reasoning.isEmpty() ? "" : harmless(reasoning)));
            }
        }
        ChatPromptEncoder encoder = family.encoder();
        ChatPromptEncoder.Encoded got;
        try {
            got = encoder.encode(messages, true);
        } catch (UnsafePromptException refused) {
            return;
        }
        ChatPromptEncoder.Encoded twin = encoder.encode(harmless, true);
        assertArrayEquals(ChatFixtures.specialOnly(t, twin.tokens()), ChatFixtures.specialOnly(t, got.tokens()),
                () -> "control tokens of " + messages + ": " + Arrays.toString(got.tokens()));
        assertEquals(got.text(), t.decode(got.tokens()));
    }

    /** Fuzzed text with some of the vocabulary's special-token strings spliced in. */
    private static String content(FuzzedDataProvider data, List<String> specials) {
        StringBuilder b = new StringBuilder(data.consumeString(40));
        for (int n = data.consumeInt(0, 3); n > 0; n--) {
            b.insert(data.consumeInt(0, b.length()), data.pickValue(specials));
        }
        // well-formed text, as a request's JSON or a file read as UTF-8 gives: a lone surrogate cannot round-trip
        // through any tokenizer (it decodes as U+FFFD), which is not what this target is about
        String text = new String(b.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        return text.isEmpty() ? "x" : text;
    }

    /**
     * The same message with nothing that could form a special token: letters of the same count. A template that
     * cuts assistant messages after {@code </think>} writes the same control tokens around either.
     */
    private static String harmless(String content) {
        return "Q".repeat(Math.max(1, content.codePointCount(0, content.length())));
    }

    private static List<String> specialTexts(Tokenizer t) {
        return SPECIALS.computeIfAbsent(t, ChatPromptFuzzTest::findSpecialTexts);
    }

    private static final Map<Tokenizer, List<String>> SPECIALS = new ConcurrentHashMap<>();

    private static List<String> findSpecialTexts(Tokenizer t) {
        List<String> out = new ArrayList<>();
        for (int id = 0; id < t.vocabSize(); id++) {
            TokenType type = t.tokenType(id);
            if ((type == TokenType.CONTROL || type == TokenType.USER_DEFINED) && !t.tokenText(id).isEmpty()) {
                out.add(t.tokenText(id));
            }
        }
        return out;
    }
}
