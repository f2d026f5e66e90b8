package dev.moe4j;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A DeepSeek-V3.2 model (the deepseek32 golden fixture, random weights, byte vocabulary) chatting through the public API
 * with DeepSeek-V3.2's own chat template: {@link ChatSession.Builder#thinking(boolean)} reaches the template's switch
 * (the prompt opens the reasoning with {@code <think>}, or opens and closes it at once), and with thinking
 * off every generated token is answer, none reasoning.
 */
class DeepSeekV32ChatTest {
    private static String template() throws IOException {
        try (var in = DeepSeekV32ChatTest.class.getResourceAsStream(
                "/dev/moe4j/internal/template/families/deepseek-v3.2/deepseek-ai-DeepSeek-V3.2.jinja")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static GenerationResult turn(Model model, Boolean thinking) throws IOException {
        ChatSession.Builder b = model.chatSession().template(template()).systemPrompt("Be brief.");
        if (thinking != null) {
            b.thinking(thinking);
        }
        try (ChatSession chat = b.build()) {
            return chat.request("Why is the sky blue?").temperature(0).maxTokens(6).generate();
        }
    }

    @Test
    void thinkingSwitchReachesTheTemplate() throws IOException {
        GoldenFixture g = GoldenFixture.load("deepseek32-tiny-f32");
        try (Model model = Model.load(g.model())) {
            String on = model.detokenize(turn(model, true).promptTokenIds());
            String off = model.detokenize(turn(model, false).promptTokenIds());
            String byDefault = model.detokenize(turn(model, null).promptTokenIds());
            assertTrue(on.endsWith("<｜Assistant｜><think>"), on);
            assertTrue(off.endsWith("<｜Assistant｜><think></think>"), off);
            assertEquals(off, byDefault, "V3.2 answers without reasoning unless asked");
            assertTrue(on.contains("Be brief.") && on.contains("Why is the sky blue?"), on);
            GenerationResult r = turn(model, false);
            assertEquals("", r.reasoning(), "thinking off: no reasoning");
            assertEquals(model.detokenize(r.tokenIds()), r.text(), "thinking off: all output is the answer");
        }
    }
}
