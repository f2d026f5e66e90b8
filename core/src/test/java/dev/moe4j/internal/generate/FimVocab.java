package dev.moe4j.internal.generate;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufValueType;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.internal.tokenizer.GgufTokenizerLoader;
import dev.moe4j.internal.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Small byte-level GGUF vocabularies with FIM tokens, for tests whose expected ids are written by hand: token
 * {@code b} (0..255) is byte {@code b} and there are no merges, so a text's ids are its UTF-8 bytes; BOS is 256, EOS
 * 257, and the special tokens asked for follow from 258 in order.
 */
final class FimVocab {
    static final int BOS = 256;
    static final int EOS = 257;
    static final int FIRST_SPECIAL = 258;
    /** GGUF token types. */
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;

    private static final AtomicInteger FILES = new AtomicInteger();

    /** One added token: its text and GGUF token type. */
    record Special(String text, int ggufType) {}

    /** Qwen2.5-Coder's six FIM tokens (258..263: pre, suf, mid, pad, repo, file_sep), CONTROL. */
    static final List<Special> QWEN = List.of(new Special("<|fim_prefix|>", CONTROL),
            new Special("<|fim_suffix|>", CONTROL), new Special("<|fim_middle|>", CONTROL),
            new Special("<|fim_pad|>", CONTROL), new Special("<|repo_name|>", CONTROL),
            new Special("<|file_sep|>", CONTROL));

    /**
     * DeepSeek-Coder's three (258..260: begin = pre, hole = suf, end = mid), USER_DEFINED as in its GGUF, and its
     * end of sentence (261), CONTROL.
     */
    static final List<Special> DEEPSEEK = List.of(new Special("<｜fim▁begin｜>", USER_DEFINED),
            new Special("<｜fim▁hole｜>", USER_DEFINED), new Special("<｜fim▁end｜>", USER_DEFINED),
            new Special("<｜end▁of▁sentence｜>", CONTROL));

    /** A loaded vocabulary and what {@link FimTokens} found in it. */
    record Vocab(Tokenizer tokenizer, Optional<FimTokens> fim, String missing) {
        FimTokens fimTokens() {
            return fim.orElseThrow(() -> new AssertionError("no FIM tokens: " + missing));
        }
    }

    private FimVocab() {}

    /** Writes the vocabulary (with {@code more} metadata) under {@code dir}, reads it back and looks for FIM tokens. */
    static Vocab write(Path dir, List<Special> specials, boolean addBos, Consumer<GgufWriter> more) {
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(byteChar(b)));
            types.add(1);
        }
        tokens.add("<|bos|>");
        types.add(CONTROL);
        tokens.add("<|eos|>");
        types.add(CONTROL);
        for (Special s : specials) {
            tokens.add(s.text());
            types.add(s.ggufType());
        }
        GgufWriter w = new GgufWriter().putString("general.architecture", "test")
                .putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", "default")
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types)
                .putArray("tokenizer.ggml.merges", GgufValueType.STRING, List.of())
                .putUInt32("tokenizer.ggml.bos_token_id", BOS).putUInt32("tokenizer.ggml.eos_token_id", EOS)
                .putBool("tokenizer.ggml.add_bos_token", addBos);
        more.accept(w);
        try {
            Path p = w.write(dir.resolve("vocab-" + FILES.incrementAndGet() + ".gguf"));
            try (GgufFile f = GgufFile.open(p)) {
                Tokenizer t = GgufTokenizerLoader.fromMetadata(f.metadata());
                return new Vocab(t, FimTokens.find(f.metadata(), t), FimTokens.missing(f.metadata(), t));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Vocab write(Path dir, List<Special> specials, boolean addBos) {
        return write(dir, specials, addBos, w -> {});
    }

    /** The ids of a text: its UTF-8 bytes. */
    static int[] ids(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }

    /** GPT-2's printable stand-in for a byte (the byte-level alphabet). */
    private static char byteChar(int b) {
        if (printable(b)) {
            return (char) b;
        }
        int before = 0;
        for (int x = 0; x < b; x++) {
            if (!printable(x)) {
                before++;
            }
        }
        return (char) (0x100 + before);
    }

    private static boolean printable(int b) {
        return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }
}
