package dev.moe4j.internal.generate;

import dev.moe4j.internal.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Builds the prompt of a fill-in-the-middle request as llama-server's {@code /infill} does
 * ({@code format_prompt_infill} in {@code tools/server/server-common.cpp}), so that a model gets the same tokens here
 * as there. With {@code E} the extra context, {@code P} the prefix, {@code M} the middle text, {@code S} the suffix:
 * <pre>
 *   PSM (default): tail(E) [BOS] FIM_PRE tail(P) M FIM_SUF head(S) FIM_MID
 *   SPM:           tail(E) [BOS] FIM_SUF head(S) FIM_PRE tail(P) M FIM_MID
 * </pre>
 * BOS only when the vocabulary adds it; the extra context comes before it, as in llama.cpp. {@code M} follows the
 * prefix because that is what llama.cpp's code does (its README says "added after the FIM_MID token", its code appends
 * the prompt's tokens to the prefix; either way they continue the prefix). The extra context is, for a model with
 * FIM_REP and FIM_SEP tokens, the repository-level layout of Qwen2.5-Coder (arXiv:2409.12186):
 * <pre>
 *   FIM_REP "myproject\n" (FIM_SEP filename "\n" text)... FIM_SEP "filename\n"
 * </pre>
 * (FIM_REP part only when the model has that token, the FIM_SEP parts only when it has that one; without FIM_SEP
 * each chunk's text is preceded by {@code "\n\n--- snippet ---\n\n"} instead, and no file name is written). The
 * project and file names are llama.cpp's fixed placeholders. How many tokens of each part are kept is
 * {@link InfillRequest.Budget}'s.
 *
 * <p>Every text, the request's and the placeholders, is encoded without BOS/EOS and without special-token parsing,
 * as llama.cpp does (its middle text is the exception: llama-server parses special tokens in it, which is not done
 * here, so no user text can become a control token). The FIM tokens themselves are treated as CONTROL even where the
 * GGUF types them USER_DEFINED (DeepSeek-Coder), as llama.cpp retypes them ({@link Tokenizer#withControlTokens}).
 *
 * <p>Immutable and thread-safe; build one per model.
 */
public final class InfillPrompt {
    /** llama.cpp's placeholder project name (its TODO: "make project name an input"). */
    static final String PROJECT = "myproject\n";
    /** llama.cpp's placeholder name of the file being edited (its TODO: "current filename"). */
    static final String CURRENT_FILE = "filename\n";
    /** llama.cpp's chunk separator for a model without FIM_SEP (written as bytes there "to avoid confusing the AI"). */
    static final String SNIPPET = "\n\n--- snippet ---\n\n";

    private final Tokenizer plain;
    private final FimTokens fim;
    private final int[] project;
    private final int[] currentFile;
    private final int[] snippet;

    /**
     * What {@link #build} produced.
     *
     * @param ids           the prompt tokens
     * @param prefixDropped tokens cut from the front of the prefix
     * @param suffixDropped tokens cut from the end of the suffix
     * @param extraDropped  tokens cut from the front of the extra context (repository header included)
     */
    public record Result(int[] ids, int prefixDropped, int suffixDropped, int extraDropped) {
        public Result {
            Objects.requireNonNull(ids, "ids");
        }

        @Override
        public String toString() {
            return "InfillPrompt.Result[" + ids.length + " tokens, dropped prefix " + prefixDropped + ", suffix "
                    + suffixDropped + ", extra " + extraDropped + "]";
        }
    }

    /**
     * @param tokenizer the model's tokenizer
     * @param fim       its FIM tokens ({@link FimTokens#find})
     * @throws IllegalArgumentException if an argument is null or a FIM token lies outside the vocabulary
     */
    public InfillPrompt(Tokenizer tokenizer, FimTokens fim) {
        if (tokenizer == null || fim == null) {
            throw new IllegalArgumentException((tokenizer == null ? "tokenizer" : "fim") + " is null");
        }
        this.plain = tokenizer.withControlTokens(fim.ids());
        this.fim = fim;
        this.project = encode(PROJECT);
        this.currentFile = encode(CURRENT_FILE);
        this.snippet = encode(SNIPPET);
    }

    /** The FIM tokens this prompt is built with. */
    public FimTokens fimTokens() {
        return fim;
    }

    /**
     * The prompt tokens of {@code request}.
     *
     * @throws IllegalArgumentException if request is null
     */
    public Result build(InfillRequest request) {
        if (request == null) {
            throw new IllegalArgumentException("request is null");
        }
        InfillRequest.Budget budget = request.budget();
        int[] prefix = encode(request.prefix());
        int[] suffix = encode(request.suffix());
        int[] middle = encode(request.middle());
        int[] extra = extraContext(request.chunks());

        int prefixTake = Math.min(prefix.length, budget.prefixTokens());
        int suffixTake = Math.min(suffix.length, budget.suffixTokens(middle.length));
        int extraTake = Math.min(extra.length, budget.extraTokens());

        int[] pre = TokenArrays.concat(new int[] {fim.pre()}, tail(prefix, prefixTake), middle);
        int[] suf = TokenArrays.concat(new int[] {fim.suf()}, Arrays.copyOf(suffix, suffixTake));
        int[] bos = plain.addsBos() ? new int[] {plain.bosId()} : new int[0];
        int[] ids = TokenArrays.concat(tail(extra, extraTake), bos, request.spm() ? suf : pre,
                request.spm() ? pre : suf, new int[] {fim.mid()});
        return new Result(ids, prefix.length - prefixTake, suffix.length - suffixTake, extra.length - extraTake);
    }

    /** The extra context in full: the repository-level layout, or snippets for a model without FIM_SEP. */
    private int[] extraContext(List<InfillRequest.Chunk> chunks) {
        List<int[]> parts = new ArrayList<>();
        if (fim.rep() >= 0) {
            parts.add(new int[] {fim.rep()});
            parts.add(project);
        }
        for (InfillRequest.Chunk c : chunks) {
            if (fim.sep() >= 0) {
                parts.add(new int[] {fim.sep()});
                parts.add(encode(c.filename() + "\n"));
            } else {
                parts.add(snippet);
            }
            parts.add(encode(c.text()));
        }
        if (fim.sep() >= 0) {
            parts.add(new int[] {fim.sep()});
            parts.add(currentFile);
        }
        return TokenArrays.concat(parts.toArray(int[][]::new));
    }

    /** User text as plain text: no BOS/EOS, no special tokens (FIM tokens included). */
    private int[] encode(String text) {
        return plain.encode(text, false, false);
    }

    private static int[] tail(int[] ids, int n) {
        return Arrays.copyOfRange(ids, ids.length - n, ids.length);
    }
}
