package dev.moe4j.internal.tokenizer;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufArray;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufMetadata;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link Tokenizer} from GGUF metadata (shared/spec/gguf-format.md §3), with llama.cpp's reading of the keys.
 * {@code tokenizer.ggml.model} chooses the kind:
 * <ul>
 *   <li>{@code gpt2}: byte-level BPE. {@code tokenizer.ggml.pre} names the pre-tokenizer ({@code default} when
 *       absent, as in llama.cpp; an unknown name is an error, as in llama.cpp, because guessing would silently give
 *       different ids); {@code merges} (none when absent); BOS/EOS ids (none when absent); {@code add_bos_token}
 *       (when absent: true for the Llama 3 pre-tokenizers, false otherwise, as llama.cpp), {@code add_eos_token}
 *       (false when absent).</li>
 *   <li>{@code llama}: SentencePiece-style BPE. {@code scores} (FLOAT32 or INT32; all 0 when absent);
 *       {@code add_space_prefix} (true when absent); BOS/EOS/UNK ids (1, 2 and 0 when absent and inside the
 *       vocabulary, as llama.cpp); {@code add_bos_token} (true when absent), {@code add_eos_token} (false when
 *       absent). {@code tokenizer.ggml.pre} is ignored, as llama.cpp ignores it for this kind.</li>
 *   <li>anything else ({@code bert}, {@code t5}, {@code rwkv}, ...): a {@link ModelFormatException} naming it.</li>
 * </ul>
 * For both kinds: {@code tokens}, and {@code token_type} (all NORMAL when absent). Everything is copied, so the
 * tokenizer outlives the file. Stateless; thread-safe.
 */
public final class GgufTokenizerLoader {
    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String TOKEN_TYPE = "tokenizer.ggml.token_type";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS = "tokenizer.ggml.bos_token_id";
    static final String EOS = "tokenizer.ggml.eos_token_id";
    static final String UNK = "tokenizer.ggml.unknown_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    /** Pre-tokenizer names for which llama.cpp sets {@code ignore_merges} and adds BOS by default (Llama 3). */
    private static final Set<String> LLAMA3_PRE = Set.of("llama-bpe", "llama3", "llama-v3");

    /** Tokenizer models llama.cpp knows that are not implemented here, with what they are. */
    private static final Map<String, String> OTHER_MODELS = Map.of(
            "bert", "WordPiece (BERT family)",
            "t5", "SentencePiece Unigram (T5 family)",
            "rwkv", "RWKV's greedy trie tokenizer",
            "plamo2", "PLaMo-2's Aho-Corasick tokenizer",
            "gemma4", "Gemma 4's SentencePiece-style BPE with merges",
            "hybriddna", "byte-level BPE with DNA k-mers",
            "whitespace", "whitespace-split BPE",
            "no_vocab", "no vocabulary at all",
            "none", "no vocabulary at all");

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
        String model = md.getString(MODEL);
        return switch (model) {
            case "gpt2" -> byteLevel(md);
            case "llama" -> sentencePiece(md);
            default -> throw new ModelFormatException(md.file() + ": " + MODEL + " = '" + model + "' ("
                    + OTHER_MODELS.getOrDefault(model, "not a tokenizer model llama.cpp knows either")
                    + ") is not supported; supported: 'gpt2' (byte-level BPE), 'llama' (SentencePiece BPE)",
                    md.offset(MODEL));
        };
    }

    private static Tokenizer byteLevel(GgufMetadata md) {
        String file = md.file();
        String preName = md.optString(PRE).orElse("default");
        PreTokenizer pre = PreTokenizer.named(preName).orElseThrow(() -> new ModelFormatException(file + ": " + PRE
                + " = '" + preName + "' is not a supported pre-tokenizer (supported: "
                + String.join(", ", PreTokenizer.names()) + ")", md.offset(PRE)));
        List<String> tokens = new ArrayList<>(md.getStringArray(TOKENS));
        List<TokenType> types = types(md, tokens.size());

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

        boolean llama3 = LLAMA3_PRE.contains(preName.toLowerCase(Locale.ROOT));
        int bos = md.optInt(BOS).orElse(-1);
        int eos = md.optInt(EOS).orElse(-1);
        boolean addBos = md.optBool(ADD_BOS).orElse(llama3);
        boolean addEos = md.optBool(ADD_EOS).orElse(false);
        return Tokenizer.create(new Vocabulary(file, tokens, types, merges, pre, bos, eos, addBos, addEos, llama3));
    }

    private static Tokenizer sentencePiece(GgufMetadata md) {
        List<String> tokens = new ArrayList<>(md.getStringArray(TOKENS));
        int n = tokens.size();
        List<TokenType> types = types(md, n);
        float[] scores = scores(md, n);
        int bos = md.optInt(BOS).orElse(n > 1 ? 1 : -1);
        int eos = md.optInt(EOS).orElse(n > 2 ? 2 : -1);
        int unk = md.optInt(UNK).orElse(n > 0 ? 0 : -1);
        if (md.has(UNK) && (unk < 0 || unk >= n)) {
            throw new ModelFormatException(md.file() + ": " + UNK + " = " + unk + " is outside the vocabulary [0, " + n
                    + ")", md.offset(UNK));
        }
        boolean addBos = md.optBool(ADD_BOS).orElse(true);
        boolean addEos = md.optBool(ADD_EOS).orElse(false);
        boolean spacePrefix = md.optBool(ADD_SPACE_PREFIX).orElse(true);
        return Tokenizer.create(new SentencePieceVocabulary(md.file(), tokens, types, scores, bos, eos, unk, addBos,
                addEos, spacePrefix));
    }

    /** {@code token_type}, or all NORMAL when absent. */
    private static List<TokenType> types(GgufMetadata md, int n) {
        List<TokenType> types = new ArrayList<>(n);
        if (!md.has(TOKEN_TYPE)) {
            for (int id = 0; id < n; id++) {
                types.add(TokenType.NORMAL);
            }
            return types;
        }
        int[] raw = md.getIntArray(TOKEN_TYPE);
        if (raw.length != n) {
            throw new ModelFormatException(md.file() + ": " + TOKEN_TYPE + " has " + raw.length + " entries but "
                    + TOKENS + " has " + n, md.offset(TOKEN_TYPE));
        }
        for (int id = 0; id < n; id++) {
            int t = raw[id];
            if (t == 0) {
                types.add(TokenType.NORMAL); // llama.cpp's "undefined" type behaves as normal text
            } else if (t < 1 || t > 6) {
                throw new ModelFormatException(md.file() + ": " + TOKEN_TYPE + "[" + id + "] = " + t
                        + " is not a token type (1..6)", md.offset(TOKEN_TYPE));
            } else {
                types.add(TokenType.fromGguf(t));
            }
        }
        return types;
    }

    /**
     * {@code scores}: FLOAT32 (or INT32, which llama.cpp also accepts) with at least one entry per token; all 0 when
     * absent (merges then go leftmost first).
     */
    private static float[] scores(GgufMetadata md, int n) {
        if (!md.has(SCORES)) {
            return new float[n];
        }
        GgufArray a = md.getArray(SCORES);
        float[] raw;
        if (a.elementType().isFloat()) {
            raw = a.toFloatArray();
        } else if (a.elementType().isInteger()) {
            int[] ints = a.toIntArray();
            raw = new float[ints.length];
            for (int i = 0; i < ints.length; i++) {
                raw[i] = ints[i];
            }
        } else {
            throw new ModelFormatException(md.file() + ": " + SCORES + " is an array of " + a.elementType()
                    + ", expected FLOAT32", md.offset(SCORES));
        }
        if (raw.length < n) {
            throw new ModelFormatException(md.file() + ": " + SCORES + " has " + raw.length + " entries but "
                    + TOKENS + " has " + n, md.offset(SCORES));
        }
        for (int i = 0; i < n; i++) {
            if (Float.isNaN(raw[i])) {
                throw new ModelFormatException(md.file() + ": " + SCORES + "[" + i + "] is NaN", md.offset(SCORES));
            }
        }
        return raw.length == n ? raw : java.util.Arrays.copyOf(raw, n);
    }
}
