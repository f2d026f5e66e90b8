package com.example.consumer;

import dev.moe4j.Cancellation;
import dev.moe4j.ChatMessage;
import dev.moe4j.ChatSession;
import dev.moe4j.GenerationOptions;
import dev.moe4j.GenerationResult;
import dev.moe4j.Model;
import dev.moe4j.ModelInfo;
import dev.moe4j.TokenEvent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * The README's Java examples, verbatim between the markers (a test in core, ReadmeExamplesTest, checks that they are
 * the README's blocks), so that this project's build proves they compile against the installed artifacts. Not run.
 */
final class ReadmeExamples {
    private ReadmeExamples() {
    }

    /** README block 1, verbatim. */
    static void usingIt(Path path) throws Exception {
        // README block 1 begins
        try (Model model = Model.builder(Path.of("models/demo-countries-q8_0.gguf")).threads(2).build()) {
            // plain completion (no chat template), greedy
            GenerationResult r = model.request("The quick brown fox").maxTokens(32).temperature(0).generate();
            System.out.println(r.text() + "  [" + r.stats().decodeTokensPerSecond() + " tok/s]");

            // a whole conversation in, the assistant's turn out; DeepSeek-R1 reasoning comes back apart from the answer
            List<ChatMessage> messages = new ArrayList<>(List.of(ChatMessage.user("What is the capital of Japan?")));
            GenerationResult a = model.chat(messages).temperature(0).generate();
            System.out.println("reasoning: " + a.reasoning() + "\nanswer: " + a.text());
            // reasoning: The user asks for the capital of Japan. The capital of Japan is Tokyo.
            // answer:    The capital of Japan is Tokyo.
            messages.add(a.toMessage());
            messages.add(ChatMessage.user("And what currency does India use?"));
            model.chat(messages).generate();   // the prompt cache holds the first turn: only the new one is computed

            // or let a session keep the conversation (and its KV cache)
            try (ChatSession chat = model.chatSession().systemPrompt("Answer briefly.").build()) {
                chat.send("What is the capital of Japan?");
            }

            // reusable options, streaming, stop strings, cancellation from another thread, a deadline
            GenerationOptions creative = model.defaultOptions().withTemperature(0.7).withTopP(0.95).withSeed(42);
            Cancellation cancel = new Cancellation();
            model.request("Once upon a time").options(creative).stop("\n\n").cancellation(cancel)
                 .timeout(Duration.ofSeconds(30)).generate(event -> System.out.print(event.text()));

            // asynchronous: a future whose cancellation stops the generation, or a Flow.Publisher of tokens
            CompletableFuture<GenerationResult> f = model.request("Tell me a story").submit();
            f.orTimeout(10, TimeUnit.SECONDS);
            Flow.Publisher<TokenEvent> tokens = model.request("Tell me a story").publisher();

            // code completion (fill-in-the-middle) for models with FIM tokens, e.g. DeepSeek-Coder-V2, Qwen2.5-Coder
            if (model.supportsInfill()) {
                model.infill("int add(int a, int b) {\n    return ", ";\n}\n").maxTokens(16).generate();
            }
        }
        ModelInfo info = ModelInfo.read(Path.of("model.gguf"));   // no weights loaded: architecture, parameters total/active
        // README block 1 ends
    }

    /** README block 2, verbatim. */
    static void offloadingAndProfiles(Path path) throws Exception {
        // README block 2 begins
        try (Model model = Model.builder(path).memoryBudget("6GiB").routingProfile(Path.of("work.profile")).build()) {
            model.generate("...");
            System.out.println(model.memoryStats().summary()); // hit rate, bytes read, prefetch recall, time stalled on I/O
        }
        // README block 2 ends
    }
}
