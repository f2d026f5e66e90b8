package dev.moe4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Message lists with every role: an assistant turn with its reasoning and a tool result render through real templates
 * exactly as Python's Jinja2 renders them ({@code chat-tool-reasoning/fixture.json}, made with Jinja2 3.1.6 and the
 * shared templates), and reasoning that could form special tokens is refused rather than guarded.
 */
class ChatMessagesTest {
    private static JsonNode fixture() throws IOException {
        try (InputStream in = ChatMessagesTest.class.getResourceAsStream("chat-tool-reasoning/fixture.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    private static List<ChatMessage> messages(JsonNode f) {
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : f.get("messages")) {
            ChatMessage.Role role = ChatMessage.Role.valueOf(m.get("role").asText().toUpperCase());
            String reasoning = m.has("reasoning_content") ? m.get("reasoning_content").asText() : "";
            out.add(new ChatMessage(role, m.get("content").asText(), reasoning));
        }
        return out;
    }

    private static Model withTemplate(String name) throws IOException {
        String template = Files.readString(dev.moe4j.testing.GoldenFiles.goldenDir().resolveSibling("templates").resolve(name + ".jinja"));
        return Model.builder(GoldenFixture.load("ds2-tiny-f32").model()).threads(1).chatTemplate(template).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Qwen-Qwen3-0.6B", "Qwen-Qwen2.5-7B-Instruct"})
    void toolResultsAndReasoningRenderAsJinja2Does(String template) throws IOException {
        JsonNode f = fixture();
        try (Model m = withTemplate(template)) {
            List<ChatMessage> conversation = messages(f);
            assertEquals(f.get("renderings").get(template).asText(), m.renderChat(conversation, true));
            GenerationResult r = m.chat(conversation).temperature(0).maxTokens(2).ignoreEos(true).generate();
            assertEquals(m.renderChat(conversation, true), m.detokenize(r.promptTokenIds()));
        }
    }

    @Test
    void reasoningThatCouldFormSpecialTokensIsRefused() throws IOException {
        try (Model m = withTemplate("Qwen-Qwen3-0.6B")) {
            String bos = m.detokenize(new int[] {m.tokenize("", true, false)[0]}); // a control token's text
            List<ChatMessage> c = List.of(ChatMessage.user("hi"),
                    ChatMessage.assistant("hello", "thinking " + bos + " more"), ChatMessage.user("again"));
            UnsafePromptException e = assertThrows(UnsafePromptException.class, () -> m.chat(c).generate());
            assertEquals(List.of(1), e.messageIndices());
        }
    }

    @Test
    void messagesAreCheckedAtOnce() {
        assertThrows(IllegalArgumentException.class, () -> new ChatMessage(ChatMessage.Role.USER, "x", "why"));
        assertThrows(NullPointerException.class, () -> ChatMessage.tool(null));
        assertTrue(ChatMessage.assistant("a", "r").reasoning().equals("r"));
        assertEquals("tool", ChatMessage.Role.TOOL.templateName());
    }
}
