package dev.moe4j.internal.model.arch;

import dev.moe4j.internal.model.Architecture;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** The families moe4j runs, by {@code general.architecture}. Adding a family: one file here, one entry below. */
public final class Architectures {
    private static final Map<String, Architecture> BY_NAME = List.of(
                    new DeepSeek2(), new DeepSeek32(), new DeepSeek4(), new Llama(), new Qwen2(), new Qwen3(), new Qwen2Moe(), new Qwen3Moe(), new Olmoe(),
                    new Glm4Moe(), new GptOss())
            .stream().collect(Collectors.toUnmodifiableMap(Architecture::name, Function.identity()));

    private Architectures() {}

    /** The family stored under {@code name}, if moe4j runs it. */
    public static Optional<Architecture> of(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The names, sorted. */
    public static List<String> names() {
        return BY_NAME.keySet().stream().sorted().toList();
    }
}
