package com.example.consumer;

import dev.moe4j.Cancellation;
import dev.moe4j.ChatResponse;
import dev.moe4j.ChatSession;
import dev.moe4j.GenerationResult;
import dev.moe4j.Model;
import dev.moe4j.ModelInfo;
import dev.moe4j.NativeRuntime;

import java.nio.file.Path;

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
            check(r.tokens().length > 0, "no tokens generated");
            check(r.text().equals(model.request("The quick brown fox").maxTokens(16).temperature(0).generate().text()),
                    "greedy generation is not deterministic");

            // the bundled demo model knows the world's countries: capitals, continents, currencies, languages
            try (ChatSession chat = model.newChat()) {
                ChatResponse a = chat.request("What is the capital of Japan?").temperature(0).send();
                System.out.println("reasoning: " + a.reasoning() + "\nanswer: " + a.answer());
                check(a.answer().equals("The capital of Japan is Tokyo."), "answer: " + a.answer());
                check(a.reasoning().contains("Tokyo"), "reasoning apart from the answer: " + a.reasoning());
                ChatResponse b = chat.request("And what currency does India use?").temperature(0).send();
                System.out.println("follow-up: " + b.answer());
                check(b.answer().contains("Indian Rupee"), "follow-up answer: " + b.answer());
            }

            Cancellation cancel = new Cancellation();
            StringBuilder streamed = new StringBuilder();
            ChatResponse s;
            try (ChatSession chat = model.newChat()) {
                s = chat.request("Which languages are spoken in Switzerland?").temperature(0.7).topP(0.95).seed(42)
                        .cancellation(cancel).stream(event -> {
                            streamed.append(event.text());
                            if (streamed.length() > 20) {
                                cancel.cancel();
                            }
                        });
            }
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
