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

            try (ChatSession chat = model.newChat()) {
                ChatResponse a = chat.send("What does \"lantern\" mean?");
                System.out.println("reasoning: " + a.reasoning() + "\nanswer: " + a.answer());
                check(!a.reasoning().isBlank() && !a.answer().isBlank(), "reasoning and answer expected apart");
                chat.send("What does \"river\" mean?");
            }

            Cancellation cancel = new Cancellation();
            StringBuilder streamed = new StringBuilder();
            GenerationResult s = model.request("Once upon a time").temperature(0.7).topP(0.95).seed(42).maxTokens(64)
                    .cancellation(cancel).stream(event -> {
                        streamed.append(event.text());
                        if (streamed.length() > 20) {
                            cancel.cancel();
                        }
                    });
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
