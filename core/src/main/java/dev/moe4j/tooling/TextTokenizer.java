package dev.moe4j.tooling;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.HfTokenizerLoader;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A model's tokenizer on its own, read from a GGUF file (its {@code tokenizer.ggml.*} metadata; no weight is read) or
 * from a Hugging Face {@code tokenizer.json}: the same tokenizer {@link dev.moe4j.Model} uses. Immutable and
 * thread-safe.
 */
public final class TextTokenizer {
    private final Tokenizer tokenizer;

    private TextTokenizer(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * The tokenizer of a GGUF model; the file is closed again.
     *
     * @param gguf the GGUF model file (the first shard of a split model)
     * @return the tokenizer
     * @throws ModelFormatException if the file or its tokenizer metadata is malformed or unsupported
     * @throws IOException          if the file cannot be read
     */
    public static TextTokenizer fromGguf(Path gguf) throws IOException {
        return new TextTokenizer(GgufTokenizerLoader.load(Objects.requireNonNull(gguf, "gguf")));
    }

    /**
     * A Hugging Face {@code tokenizer.json}, with {@code tokenizer_config.json} from the same directory if it exists
     * (which says whether BOS/EOS are added).
     *
     * @param tokenizerJson the {@code tokenizer.json} file
     * @return the tokenizer
     * @throws ModelFormatException         if a file is malformed or uses an unsupported feature
     * @throws java.io.UncheckedIOException if a file cannot be read
     */
    public static TextTokenizer fromTokenizerJson(Path tokenizerJson) {
        return new TextTokenizer(HfTokenizerLoader.load(Objects.requireNonNull(tokenizerJson, "tokenizerJson")));
    }

    /**
     * Token ids of {@code text}.
     *
     * @param text         the text to encode
     * @param addSpecial   prepend BOS / append EOS as the vocabulary asks
     * @param parseSpecial recognise control-token strings (e.g. {@code <|im_start|>}) written in the text; off, they
     *                     are encoded as plain text (llama.cpp's default)
     * @return the token ids
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        return tokenizer.encode(Objects.requireNonNull(text, "text"), addSpecial, parseSpecial);
    }

    /**
     * Number of token ids.
     *
     * @return the vocabulary's size
     */
    public int vocabSize() {
        return tokenizer.vocabSize();
    }
}
