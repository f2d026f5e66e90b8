package com.example.consumer;

import dev.moe4j.ModelInfo;
import dev.moe4j.NativeRuntime;

import java.nio.file.Path;

/** Uses only moe4j's public API, from the installed artifacts, and fails (non-zero exit) if anything is off. */
public final class ConsumerApp {
    public static void main(String[] args) {
        NativeRuntime rt = NativeRuntime.current();
        System.out.println("moe4j native runtime: " + rt);
        if (args.length > 0) {
            ModelInfo info = ModelInfo.read(Path.of(args[0]));
            System.out.println("model: " + info.architecture() + ", " + info.tensorCount() + " tensors, "
                    + info.parametersTotal() + " parameters (" + info.parametersActive() + " active per token)");
            if (info.tensorCount() <= 0 || info.parametersActive() > info.parametersTotal()) {
                throw new IllegalStateException("implausible model info: " + info);
            }
        }
    }
}
