package com.example.consumer;

import dev.moe4j.Cancellation;
import dev.moe4j.ChatMessage;
import dev.moe4j.ChatSession;
import dev.moe4j.GenerationOptions;
import dev.moe4j.GenerationResult;
import dev.moe4j.Model;
import dev.moe4j.ModelInfo;
import dev.moe4j.NativeRuntime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Uses only moe4j's public API, from the installed artifacts, the way the README shows it, and fails (non-zero exit)
 * if anything is off.
 */
public final class ConsumerApp {
    public static void main(String[] args) {
        Path path = Path.of(args[0]);
        System.out.println("moe4j native runtime: " + NativeRuntime.current());
        ModelInfo info = ModelInfo.read(path);
        System.out.println("model: " + info.architecture() + ", " + info.parametersTotal() + " parameters ("
                + info.parametersActive() + " active per token)");
        check(info.tensorCount() > 0 && info.parametersActive() < info.parametersTotal(), "model info " + info);

        try (Model model = Model.builder(path).threads(2).build()) {
            GenerationResult r = model.request("The quick brown fox").maxTokens(16).temperature(0).generate();
            System.out.println("completion: " + r.text() + "  [" + r.stats().summary() + "]");
            check(r.tokenIds().length > 0, "no tokens generated");
            check(r.text().equals(model.request("The quick brown fox").maxTokens(16).temperature(0).generate().text()),
                    "greedy generation is not deterministic");

            // the bundled demo model knows the world's countries: capitals, continents, currencies, languages
            List<ChatMessage> messages = new ArrayList<>(List.of(ChatMessage.user("What is the capital of Japan?")));
            GenerationResult a = model.chat(messages).temperature(0).generate();
            System.out.println("reasoning: " + a.reasoning() + "\nanswer: " + a.text());
            check(a.text().equals("The capital of Japan is Tokyo."), "answer: " + a.text());
            check(a.reasoning().contains("Tokyo"), "reasoning apart from the answer: " + a.reasoning());
            messages.add(a.toMessage());
            messages.add(ChatMessage.user("And what currency does India use?"));
            GenerationResult b = model.chat(messages).temperature(0).generate();
            System.out.println("follow-up: " + b.text() + "  [" + b.stats().summary() + "]");
            check(b.text().contains("Indian Rupee"), "follow-up answer: " + b.text());
            check(b.stats().promptTokensReused() > 0, "the prompt cache was not used: " + b.stats().summary());

            try (ChatSession chat = model.chatSession().build()) {
                GenerationResult c = chat.request("What is the capital of Japan?").temperature(0).generate();
                check(c.text().equals(a.text()), "chat session answer: " + c.text());
            }

            GenerationOptions creative = model.defaultOptions().withTemperature(0.7).withTopP(0.95).withSeed(42);
            Cancellation cancel = new Cancellation();
            StringBuilder streamed = new StringBuilder();
            GenerationResult s = model.chat(List.of(ChatMessage.user("Which languages are spoken in Switzerland?")))
                    .options(creative).cancellation(cancel).timeout(Duration.ofSeconds(60)).generate(event -> {
                        streamed.append(event.text());
                        if (streamed.length() > 20) {
                            cancel.cancel();
                        }
                    });
            CompletableFuture<GenerationResult> f = model.request("The quick brown fox").maxTokens(4).submit();
            check(f.orTimeout(60, TimeUnit.SECONDS).join().tokenIds().length == 4, "async generation");
            System.out.println("streamed until cancelled: " + streamed + " (" + s.finishReason() + ")");
            check(s.finishReason().name().equals("CANCELLED"), "cancellation");
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("consumer check failed: " + what);
        }
    }
}
