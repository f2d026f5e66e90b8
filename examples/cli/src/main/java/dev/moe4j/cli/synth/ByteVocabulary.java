package dev.moe4j.cli.synth;

import dev.moe4j.tooling.GgufFileWriter;

import java.util.ArrayList;
import java.util.List;

/**
 * The tokenizer of a synthetic model: GPT-2 byte-level BPE with BOS, EOS, one token per byte, DeepSeek-Coder's three
 * fill-in-the-middle tokens and unused placeholders up to the vocabulary size; no merges (text encodes byte by byte),
 * pre-tokenizer {@code default}.
 *
 * <p>The FIM tokens make every synthetic model infill-capable, for infill benchmarks beside llama-server's
 * {@code /infill}: they are CONTROL tokens (so text never turns into one, and llama.cpp, which types the FIM tokens it
 * recognises CONTROL anyway, finds the types consistent) and are named by the {@code tokenizer.ggml.fim_*_token_id}
 * keys as well as by their text, so both moe4j and llama.cpp find them either way.
 */
final class ByteVocabulary {
    static final int BOS = 0;
    static final int EOS = 1;
    static final int FIRST_BYTE = 2;
    /** {@code <｜fim▁begin｜>}, FIM_PRE. */
    static final int FIM_PRE = FIRST_BYTE + 256;
    /** {@code <｜fim▁hole｜>}, FIM_SUF. */
    static final int FIM_SUF = FIM_PRE + 1;
    /** {@code <｜fim▁end｜>}, FIM_MID. */
    static final int FIM_MID = FIM_PRE + 2;
    /** The smallest vocabulary: BOS, EOS, the 256 bytes and the three FIM tokens. */
    static final int SIZE = FIM_MID + 1;

    /** GGUF token types (llama.cpp's {@code llama_token_type}). */
    private static final int NORMAL = 1;
    private static final int CONTROL = 3;
    private static final int UNUSED = 5;

    private ByteVocabulary() {}

    /**
     * Puts the tokenizer keys of a vocabulary of {@code vocab} tokens.
     *
     * @throws IllegalArgumentException if {@code vocab} is below {@link #SIZE}
     */
    static void put(GgufFileWriter w, int vocab) {
        if (vocab < SIZE) {
            throw new IllegalArgumentException("vocab must be at least " + SIZE + ", got " + vocab);
        }
        List<String> tokens = new ArrayList<>(vocab);
        int[] types = new int[vocab];
        tokens.add("<|bos|>");
        types[BOS] = CONTROL;
        tokens.add("<|eos|>");
        types[EOS] = CONTROL;
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(byteChar(b)));
            types[FIRST_BYTE + b] = NORMAL;
        }
        tokens.add("<｜fim▁begin｜>");
        types[FIM_PRE] = CONTROL;
        tokens.add("<｜fim▁hole｜>");
        types[FIM_SUF] = CONTROL;
        tokens.add("<｜fim▁end｜>");
        types[FIM_MID] = CONTROL;
        for (int i = tokens.size(); i < vocab; i++) {
            tokens.add("<|unused_" + i + "|>");
            types[i] = UNUSED;
        }
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", "default");
        w.putStringArray("tokenizer.ggml.tokens", tokens);
        w.putInt32Array("tokenizer.ggml.token_type", types);
        w.putStringArray("tokenizer.ggml.merges", List.of());
        w.putUInt32("tokenizer.ggml.bos_token_id", BOS);
        w.putUInt32("tokenizer.ggml.eos_token_id", EOS);
        w.putUInt32("tokenizer.ggml.fim_pre_token_id", FIM_PRE);
        w.putUInt32("tokenizer.ggml.fim_suf_token_id", FIM_SUF);
        w.putUInt32("tokenizer.ggml.fim_mid_token_id", FIM_MID);
        w.putBool("tokenizer.ggml.add_bos_token", true);
        w.putBool("tokenizer.ggml.add_eos_token", false);
    }

    /**
     * GPT-2's printable stand-in for a byte: printable Latin-1 bytes stand for themselves, the other 68 take
     * U+0100 onwards in byte order.
     */
    static char byteChar(int b) {
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
