package dev.moe4j;

import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bundled demo model ({@code models/demo-countries-q8_0.gguf}, deepseek2, Q8_0, R1 chat template) through the
 * public API: llama.cpp's tokens for the golden chat prompt (core/src/test/golden/demo-countries-q8-chat), reasoning
 * returned apart from the answer, and right answers, greedy, to questions of every kind the model knows, including
 * phrasings it was not trained on, a follow-up turn and an out-of-domain refusal.
 */
class DemoCountriesModelTest {
    private static final int END_OF_SENTENCE = 1;
    private static GoldenFixture golden;
    private static Model model;

    @BeforeAll
    static void load() {
        golden = GoldenFixture.load("demo-countries-q8-chat");
        assertEquals(GoldenFiles.demoModel().toAbsolutePath().normalize(), golden.model().toAbsolutePath().normalize());
        model = Model.builder(golden.model()).threads(2).build();
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void goldenChatPromptReproducesLlamaCppTokens() {
        assertTrue(golden.parseSpecial());
        int[] llama = golden.generatedTokens();
        assertEquals(END_OF_SENTENCE, llama[llama.length - 1], "llama.cpp's greedy reply ends with end-of-sentence");
        GenerationResult r = model.request(golden.prompt()).parseSpecial(true).temperature(0)
                .maxTokens(llama.length).generate();
        assertArrayEquals(golden.promptTokens(), r.promptTokenIds());
        // the end-of-sequence token ends the generation and is not part of the output
        assertArrayEquals(Arrays.copyOf(llama, llama.length - 1), r.tokenIds());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void chatReturnsTheReasoningApartFromTheAnswer() {
        List<TokenEvent> events = new ArrayList<>();
        GenerationResult r;
        try (ChatSession chat = model.newChat()) {
            r = chat.request("What is the capital of Japan?").temperature(0).generate(events::add);
        }
        assertEquals("The user asks for the capital of Japan. The capital of Japan is Tokyo.", r.reasoning());
        assertEquals("The capital of Japan is Tokyo.", r.text());
        assertEquals(FinishReason.STOP, r.finishReason());
        StringBuilder reasoning = new StringBuilder();
        StringBuilder answer = new StringBuilder();
        for (TokenEvent e : events) {
            (e.isReasoning() ? reasoning : answer).append(e.text());
        }
        assertEquals(r.reasoning(), reasoning.toString().strip());
        assertEquals(r.text(), answer.toString().strip());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            Hey, any idea what Kenya's capital is called?          | The capital of Kenya is Nairobi.
            which continent is peru on                              | Peru is in South America.
            Before my trip to Egypt, which currency should I change my cash into? | The currency of Egypt is the Egyptian Pound (EGP).
            What languages do the people of Switzerland mainly use? | The main languages of Switzerland are German, French and Italian.
            What nation calls Ottawa its capital?                   | Ottawa is the capital of Canada.
            Who painted Rembrandt's most famous picture?            | I only know about the world's countries: their capitals, continents, currencies and languages.
            """)
    void answersEveryKindOfQuestionRight(String question, String answer) {
        try (ChatSession chat = model.newChat()) {
            GenerationResult r = chat.request(question).temperature(0).generate();
            assertEquals(answer, r.text(), "reasoning: " + r.reasoning());
            assertEquals(FinishReason.STOP, r.finishReason());
        }
    }

    @Test
    void answersAFollowUpQuestionInTheSameConversation() {
        try (ChatSession chat = model.newChat()) {
            assertEquals("The capital of France is Paris.", chat.request("What is the capital of France?")
                    .temperature(0).generate().text());
            GenerationResult second = chat.request("And what currency does India use?").temperature(0).generate();
            assertEquals("The currency of India is the Indian Rupee (INR).", second.text());
            assertTrue(chat.cachedTokens() > 0);
        }
    }
}
