package dev.moe4j.testing;

import dev.moe4j.internal.gguf.GgufArray;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A fill-in-the-middle-capable model for tests: the golden {@code ds2-lite-tiny-f32} model (random DeepSeek-V2-shaped
 * weights, a 512-token byte-level vocabulary with BOS 399, EOS 400, PAD 401) with three of its unused placeholders,
 * {@code [PAD402]}..{@code [PAD404]}, renamed to DeepSeek-Coder's {@code <｜fim▁begin｜>}, {@code <｜fim▁hole｜>} and
 * {@code <｜fim▁end｜>} and typed CONTROL (GGUF token type 3). No FIM key is added: the tokens are found by their text,
 * as llama.cpp finds DeepSeek-Coder's. Weights and every other key are copied unchanged (same types, same order), so
 * the model computes what the golden one does; its weights never saw the FIM tokens, so what it infills is noise.
 *
 * <p>The copy is written with the internal {@link GgufWriter} rather than the tooling's {@code GgufFileWriter}, which
 * writes only a few value types: this keeps every key's stored type.
 */
public final class FimModel {
    /** {@code <｜fim▁begin｜>}: FIM_PRE. */
    public static final int PRE = 402;
    /** {@code <｜fim▁hole｜>}: FIM_SUF. */
    public static final int SUF = 403;
    /** {@code <｜fim▁end｜>}: FIM_MID. */
    public static final int MID = 404;
    public static final int BOS = 399;
    public static final int EOS = 400;

    private static final String SOURCE = "ds2-lite-tiny-f32/model.gguf";
    private static final String TOKENS = "tokenizer.ggml.tokens";
    private static final String TYPES = "tokenizer.ggml.token_type";
    private static final int UNUSED = 5;
    private static final int CONTROL = 3;
    private static final List<String> FIM_TEXTS = List.of("<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>");

    private FimModel() {}

    /**
     * Writes the model into {@code dir} as {@code fim-model.gguf}.
     *
     * @return its path
     * @throws IllegalStateException if the golden model's tokens 402..404 are not unused placeholders (the fixture
     *                               changed)
     */
    public static Path write(Path dir) throws IOException {
        Path out = dir.resolve("fim-model.gguf");
        try (GgufFile src = GgufFile.open(GoldenFiles.goldenDir().resolve(SOURCE))) {
            GgufMetadata md = src.metadata();
            List<String> tokens = new ArrayList<>(md.getStringArray(TOKENS));
            List<Long> types = new ArrayList<>();
            for (int t : md.getIntArray(TYPES)) {
                types.add((long) t);
            }
            for (int i = 0; i < FIM_TEXTS.size(); i++) {
                int id = PRE + i;
                if (types.get(id) != UNUSED) {
                    throw new IllegalStateException(src.path() + ": token " + id + " '" + tokens.get(id)
                            + "' has type " + types.get(id) + ", not UNUSED (5); pick other ids for the FIM tokens");
                }
                tokens.set(id, FIM_TEXTS.get(i));
                types.set(id, (long) CONTROL);
            }
            GgufWriter w = new GgufWriter();
            for (String key : md.keys()) {
                GgufValueType type = md.type(key);
                if (key.equals(TOKENS)) {
                    w.putArray(key, GgufValueType.STRING, tokens);
                } else if (key.equals(TYPES)) {
                    w.putArray(key, md.getArray(key).elementType(), types);
                } else if (key.equals("general.alignment")) {
                    w.alignment(md.getInt(key));
                } else if (type == GgufValueType.ARRAY) {
                    GgufArray a = md.getArray(key);
                    w.putArray(key, a.elementType(), (List<?>) md.toJava(key));
                } else {
                    w.put(key, type, md.toJava(key));
                }
            }
            for (GgufTensor t : src.tensors()) {
                w.tensor(t.name(), t.type(), t.dims(), t.segment().toArray(JAVA_BYTE));
            }
            w.write(out);
        }
        return out;
    }
}
