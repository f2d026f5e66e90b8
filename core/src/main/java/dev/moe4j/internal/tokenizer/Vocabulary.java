package dev.moe4j.internal.tokenizer;

import java.util.List;
import java.util.Objects;

/**
 * The plain data a {@link Tokenizer} is built from, whatever file it came from (GGUF metadata or a HF tokenizer.json).
 *
 * @param source       a name for messages (usually the file)
 * @param tokens       token text by id: NORMAL tokens in the byte-level alphabet, CONTROL/USER_DEFINED/UNKNOWN
 *                     tokens as literal text
 * @param types        the type of every token, same size as {@code tokens}
 * @param merges       BPE merge rules; the rank of a rule is its index (lower merges first)
 * @param preTokenizer how text is split before BPE
 * @param bosId        beginning-of-sequence token id, or -1 when there is none
 * @param eosId        end-of-sequence token id, or -1 when there is none
 * @param addBos       whether {@code encode(..., addSpecial = true, ...)} prepends BOS
 * @param addEos       whether {@code encode(..., addSpecial = true, ...)} appends EOS
 * @param ignoreMerges HF {@code ignore_merges} (Llama 3): a piece that is a whole vocabulary entry is not BPE'd
 */
public record Vocabulary(String source, List<String> tokens, List<TokenType> types, List<MergeRule> merges,
                         PreTokenizer preTokenizer, int bosId, int eosId, boolean addBos, boolean addEos,
                         boolean ignoreMerges) {

    public Vocabulary {
        Objects.requireNonNull(source, "source");
        tokens = List.copyOf(tokens);
        types = List.copyOf(types);
        merges = List.copyOf(merges);
        Objects.requireNonNull(preTokenizer, "preTokenizer");
    }

    /**
     * One merge rule: the adjacent symbols {@code left} and {@code right} become the symbol {@code left + right}.
     */
    public record MergeRule(String left, String right) {
        public MergeRule {
            Objects.requireNonNull(left, "left");
            Objects.requireNonNull(right, "right");
        }

        /**
         * Parses the GGUF / classic tokenizer.json form {@code "left right"}: exactly one ASCII space separates the
         * parts (a space inside a byte-level token is written {@code Ġ}, so parts never contain one).
         *
         * @throws IllegalArgumentException unless the string has exactly one space with text on both sides
         */
        public static MergeRule parse(String rule) {
            int space = rule.indexOf(' ');
            if (space <= 0 || space == rule.length() - 1 || rule.indexOf(' ', space + 1) >= 0) {
                throw new IllegalArgumentException("merge rule \"" + rule + "\" is not of the form \"left right\"");
            }
            return new MergeRule(rule.substring(0, space), rule.substring(space + 1));
        }
    }
}
