package dev.moe4j.internal.tokenizer;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds a {@link Tokenizer} from GGUF metadata (shared/spec/gguf-format.md §3): {@code tokenizer.ggml.model} must be
 * {@code gpt2} (byte-level BPE); {@code tokenizer.ggml.pre} names the pre-tokenizer ({@code default} when absent, as
 * in llama.cpp); {@code tokens}, {@code token_type} (all NORMAL when absent), {@code merges},
 * {@code bos_token_id}/{@code eos_token_id} (none when absent) and {@code add_bos_token}/{@code add_eos_token} (false
 * when absent). Everything is copied, so the tokenizer outlives the file. Stateless; thread-safe.
 */
public final class GgufTokenizerLoader {
    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS = "tokenizer.ggml.bos_token_id";
    static final String EOS = "tokenizer.ggml.eos_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";

    /** Pre-tokenizer names for which llama.cpp sets {@code ignore_merges} (the Llama 3 family). */
    private static final Set<String> IGNORE_MERGES = Set.of("llama-bpe", "llama3");

    private GgufTokenizerLoader() {
    }

    /**
     * Opens a GGUF file, reads its tokenizer and closes it.
     *
     * @throws ModelFormatException if the file or its tokenizer metadata is malformed or unsupported
     * @throws IOException          if the file cannot be read
     */
    public static Tokenizer load(Path gguf) throws IOException {
        try (GgufFile file = GgufFile.open(gguf)) {
            return fromMetadata(file.metadata());
        }
    }

    /**
     * Reads the tokenizer from already opened metadata (copying what it needs; the file may be closed afterwards).
     *
     * @throws ModelFormatException if keys are missing, of the wrong type, inconsistent, or name an unsupported
     *                              tokenizer model or pre-tokenizer
     */
    public static Tokenizer fromMetadata(GgufMetadata md) {
        String file = md.file();
        String model = md.getString(MODEL);
        if (!model.equals("gpt2")) {
            throw new ModelFormatException(file + ": " + MODEL + " = '" + model
                    + "' is not supported (only 'gpt2', byte-level BPE)", md.offset(MODEL));
        }
        String preName = md.optString(PRE).orElse("default");
        PreTokenizer pre = PreTokenizer.named(preName).orElseThrow(() -> new ModelFormatException(file + ": " + PRE
                + " = '" + preName + "' is not supported (supported: deepseek-v3, deepseek-llm, deepseek-coder, "
                + "default, gpt-2, llama-bpe, qwen2)", md.offset(PRE)));

        List<String> tokens = new ArrayList<>(md.getStringArray(TOKENS));
        int n = tokens.size();
        List<TokenType> types = new ArrayList<>(n);
        if (md.has(TOKEN_TYPE)) {
            int[] raw = md.getIntArray(TOKEN_TYPE);
            if (raw.length != n) {
                throw new ModelFormatException(file + ": " + TOKEN_TYPE + " has " + raw.length + " entries but "
                        + TOKENS + " has " + n, md.offset(TOKEN_TYPE));
            }
            for (int id = 0; id < n; id++) {
                int t = raw[id];
                if (t == 0) {
                    types.add(TokenType.NORMAL); // llama.cpp's "undefined" type behaves as normal text
                } else if (t < 1 || t > 6) {
                    throw new ModelFormatException(file + ": " + TOKEN_TYPE + "[" + id + "] = " + t
                            + " is not a token type (1..6)", md.offset(TOKEN_TYPE));
                } else {
                    types.add(TokenType.fromGguf(t));
                }
            }
        } else {
            for (int id = 0; id < n; id++) {
                types.add(TokenType.NORMAL);
            }
        }

        List<String> rawMerges = md.optStringArray(MERGES).orElse(List.of());
        List<Vocabulary.MergeRule> merges = new ArrayList<>(rawMerges.size());
        for (int i = 0; i < rawMerges.size(); i++) {
            try {
                merges.add(Vocabulary.MergeRule.parse(rawMerges.get(i)));
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file + ": " + MERGES + "[" + i + "]: " + e.getMessage(),
                        md.offset(MERGES));
            }
        }

        int bos = md.optInt(BOS).orElse(-1);
        int eos = md.optInt(EOS).orElse(-1);
        boolean addBos = md.optBool(ADD_BOS).orElse(false);
        boolean addEos = md.optBool(ADD_EOS).orElse(false);
        return Tokenizer.create(new Vocabulary(file, tokens, types, merges, pre, bos, eos, addBos, addEos,
                IGNORE_MERGES.contains(preName)));
    }
}
