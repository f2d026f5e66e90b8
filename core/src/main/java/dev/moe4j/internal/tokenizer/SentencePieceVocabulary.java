package dev.moe4j.internal.tokenizer;

import java.util.List;
import java.util.Objects;

/**
 * The plain data a SentencePiece-style {@link Tokenizer} (GGUF {@code tokenizer.ggml.model = "llama"}: Llama 2,
 * Mistral, Mixtral, Phi-3) is built from.
 *
 * @param source         a name for messages (usually the file)
 * @param tokens         token text by id: NORMAL tokens with spaces written as {@code ▁} (U+2581), BYTE tokens as
 *                       {@code <0xXX>}, CONTROL/USER_DEFINED/UNKNOWN tokens as literal text
 * @param types          the type of every token, same size as {@code tokens}
 * @param scores         merge priority of every token, same size as {@code tokens} (higher merges first); copied
 * @param bosId          beginning-of-sequence token id, or -1 when there is none
 * @param eosId          end-of-sequence token id, or -1 when there is none
 * @param unkId          the token for a character that is neither in the vocabulary nor covered by byte tokens, or
 *                       -1 (such a character is then dropped)
 * @param addBos         whether {@code encode(..., addSpecial = true, ...)} prepends BOS
 * @param addEos         whether {@code encode(..., addSpecial = true, ...)} appends EOS
 * @param addSpacePrefix SentencePiece's {@code add_dummy_prefix}: a space is put before the text, and before every
 *                       text fragment that follows a literal token, so that the first word is encoded like any other;
 *                       decoding drops that one space again at the start of the output
 */
public record SentencePieceVocabulary(String source, List<String> tokens, List<TokenType> types, float[] scores,
                                      int bosId, int eosId, int unkId, boolean addBos, boolean addEos,
                                      boolean addSpacePrefix) {

    public SentencePieceVocabulary {
        Objects.requireNonNull(source, "source");
        tokens = List.copyOf(tokens);
        types = List.copyOf(types);
        scores = scores.clone();
    }

    /** A copy of the scores (the record keeps its own array, so it stays immutable). */
    @Override
    public float[] scores() {
        return scores.clone();
    }
}
