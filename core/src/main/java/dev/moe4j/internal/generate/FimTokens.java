package dev.moe4j.internal.generate;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufMetadata;
import dev.moe4j.internal.tokenizer.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * The fill-in-the-middle (FIM) tokens of a model, found as llama.cpp's vocabulary load finds them
 * ({@code llama_vocab::impl::load} in {@code src/llama-vocab.cpp}), so that a model infills here exactly when
 * llama-server's {@code /infill} accepts it:
 * <ol>
 *   <li>the GGUF keys {@code tokenizer.ggml.fim_{pre,suf,mid,pad,rep,sep}_token_id}, then the deprecated
 *       {@code tokenizer.ggml.{prefix,suffix,middle}_token_id}, which win when both are there (llama.cpp reads them
 *       later in the same loop); an id outside the vocabulary is ignored, as llama.cpp ignores it with a warning;</li>
 *   <li>for a role still without a token, the token texts llama.cpp recognises: Qwen2.5-Coder's
 *       {@code <|fim_prefix|>}, StarCoder/Granite's {@code <fim_prefix>}, DeepSeek-Coder's {@code <｜fim▁begin｜>},
 *       CodeLlama's {@code <PRE>}, GLM-4.5's {@code <|code_prefix|>} and so on ({@link Role}). Where a vocabulary
 *       has several texts of one role, the first in llama.cpp's list is taken (llama.cpp walks a hash map, so its
 *       choice among them is arbitrary).</li>
 * </ol>
 * A model can infill only with a prefix, a suffix and a middle token; pad, repository and file separator are optional
 * (-1 when absent). llama.cpp also types the tokens it finds by text CONTROL; {@link InfillPrompt} does the same for
 * all of them through {@link Tokenizer#withControlTokens}, so text never turns into one.
 *
 * @param pre         FIM_PRE, written before the code that precedes the hole
 * @param suf         FIM_SUF, written before the code that follows the hole
 * @param mid         FIM_MID, after which the model writes the missing middle
 * @param pad         FIM_PAD, or -1
 * @param rep         FIM_REP, before the repository name of repository-level prompts, or -1
 * @param sep         FIM_SEP, before each file name of repository-level prompts, or -1
 * @param description which tokens were found and how, for logs and error messages
 */
public record FimTokens(int pre, int suf, int mid, int pad, int rep, int sep, String description) {
    private static final Logger LOG = LoggerFactory.getLogger(FimTokens.class);

    public FimTokens {
        if (pre < 0 || suf < 0 || mid < 0) {
            throw new IllegalArgumentException("FIM needs prefix, suffix and middle tokens, got pre " + pre + ", suf "
                    + suf + ", mid " + mid);
        }
        if (pad < -1 || rep < -1 || sep < -1) {
            throw new IllegalArgumentException("an absent optional FIM token is -1, got pad " + pad + ", rep " + rep
                    + ", sep " + sep);
        }
        Objects.requireNonNull(description, "description");
    }

    /** The roles of FIM tokens, each with its GGUF keys and the token texts llama.cpp recognises, in its order. */
    enum Role {
        PRE("prefix", "tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id",
                "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>",
                "<|code_prefix|>", "<|prefix|>"),
        SUF("suffix", "tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id",
                "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>",
                "<|code_suffix|>", "<|suffix|>"),
        MID("middle", "tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id",
                "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>",
                "<|code_middle|>", "<|middle|>"),
        PAD("pad", "tokenizer.ggml.fim_pad_token_id", null,
                "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"),
        REP("repository", "tokenizer.ggml.fim_rep_token_id", null,
                "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"),
        SEP("file separator", "tokenizer.ggml.fim_sep_token_id", null,
                "<|file_sep|>");

        final String label;
        final String key;
        /** llama.cpp's older key for the same token, read after {@link #key}; null if none. */
        final String deprecatedKey;
        final List<String> texts;

        Role(String label, String key, String deprecatedKey, String... texts) {
            this.label = label;
            this.key = key;
            this.deprecatedKey = deprecatedKey;
            this.texts = List.of(texts);
        }
    }

    /** Where one role's token came from: its id (-1 if none) and the key that gave it (null when found by text). */
    private record Found(int id, String key) {
        static final Found NONE = new Found(-1, null);
    }

    /**
     * The FIM tokens of a model, or empty when it lacks a prefix, suffix or middle token.
     *
     * @throws ModelFormatException if a FIM key has a type other than an integer (llama.cpp refuses such a file too)
     */
    public static Optional<FimTokens> find(GgufMetadata md, Tokenizer tokenizer) {
        Found[] f = lookup(md, tokenizer);
        if (f[Role.PRE.ordinal()].id() < 0 || f[Role.SUF.ordinal()].id() < 0 || f[Role.MID.ordinal()].id() < 0) {
            return Optional.empty();
        }
        return Optional.of(new FimTokens(f[0].id(), f[1].id(), f[2].id(), f[3].id(), f[4].id(), f[5].id(),
                describe(f, tokenizer)));
    }

    /**
     * Why a model cannot infill, for an error message (llama-server's "Infill is not supported by this model"), e.g.
     * {@code "no FIM prefix token, no FIM middle token"}; empty when it can.
     *
     * @throws ModelFormatException if a FIM key has a type other than an integer
     */
    public static String missing(GgufMetadata md, Tokenizer tokenizer) {
        Found[] f = lookup(md, tokenizer);
        List<String> out = new ArrayList<>();
        for (Role r : List.of(Role.PRE, Role.SUF, Role.MID)) {
            if (f[r.ordinal()].id() < 0) {
                out.add("no FIM " + r.label + " token (" + r.key + " or a token such as " + r.texts.getFirst() + ")");
            }
        }
        return String.join(", ", out);
    }

    private static Found[] lookup(GgufMetadata md, Tokenizer tokenizer) {
        Objects.requireNonNull(md, "md");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Role[] roles = Role.values();
        Found[] found = new Found[roles.length];
        for (Role r : roles) {
            Found f = fromKey(md, r.key, tokenizer.vocabSize(), Found.NONE);
            if (r.deprecatedKey != null) {
                f = fromKey(md, r.deprecatedKey, tokenizer.vocabSize(), f);
            }
            found[r.ordinal()] = f.id() >= 0 ? f : fromText(r, tokenizer);
        }
        return found;
    }

    /** {@code key}'s id when present and inside the vocabulary, else {@code current}. */
    private static Found fromKey(GgufMetadata md, String key, int vocabSize, Found current) {
        if (!md.has(key)) {
            return current;
        }
        long id = md.getLong(key);
        if (id < 0 || id >= vocabSize) {
            LOG.warn("{}: {} = {} is outside the vocabulary [0, {}); ignored", md.file(), key, id, vocabSize);
            return current;
        }
        return new Found((int) id, key);
    }

    private static Found fromText(Role role, Tokenizer tokenizer) {
        for (String text : role.texts) {
            OptionalInt id = tokenizer.tokenId(text);
            if (id.isPresent()) {
                return new Found(id.getAsInt(), null);
            }
        }
        return Found.NONE;
    }

    private static String describe(Found[] found, Tokenizer tokenizer) {
        List<String> parts = new ArrayList<>();
        for (Role r : Role.values()) {
            Found f = found[r.ordinal()];
            if (f.id() >= 0) {
                parts.add(r.name().toLowerCase(Locale.ROOT) + " " + f.id() + " '" + tokenizer.tokenText(f.id()) + "'"
                        + (f.key() == null ? "" : " (" + f.key() + ")"));
            }
        }
        return "FIM tokens " + String.join(", ", parts);
    }

    /** Whether the model has the repository and file-separator tokens of repository-level prompts. */
    public boolean repositoryLevel() {
        return rep >= 0 && sep >= 0;
    }

    /** Every FIM token the model has: pre, suf, mid, then pad, rep and sep where present. */
    public int[] ids() {
        return IntStream.of(pre, suf, mid, pad, rep, sep).filter(id -> id >= 0).toArray();
    }

    /**
     * The FIM tokens that end generation: pad, rep and sep where present. llama.cpp adds them to its end-of-generation
     * set ({@code special_eog_ids}), so an infill stops when the model closes the middle with one of them (or with
     * its EOS/EOT).
     */
    public int[] endTokens() {
        return IntStream.of(pad, rep, sep).filter(id -> id >= 0).toArray();
    }

    @Override
    public String toString() {
        return description;
    }
}
