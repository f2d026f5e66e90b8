package dev.moe4j.internal.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece-style encoding of one text fragment (Llama 2, Mistral, Phi-3), as llama.cpp does it for
 * {@code tokenizer.ggml.model = "llama"}: with {@code add_space_prefix}, a space is put before a fragment that starts
 * the text or follows a literal token; every ASCII space becomes {@code ▁} (U+2581); then {@link SentencePieceModel}
 * merges the whole fragment by scores. No normalizer runs (llama.cpp applies none for these vocabularies; the
 * SentencePiece models of Llama 2 and Mistral use the identity normalization). Immutable and thread-safe.
 */
final class SentencePieceEncoder implements TextEncoder {
    /** SentencePiece's stand-in for a space, "▁". */
    static final char SPACE_MARK = '\u2581';

    private final SentencePieceModel model;
    private final boolean addSpacePrefix;

    private SentencePieceEncoder(SentencePieceModel model, boolean addSpacePrefix) {
        this.model = model;
        this.addSpacePrefix = addSpacePrefix;
    }

    /** Builds the lookup tables of a vocabulary whose tokens and types have already been checked. */
    static SentencePieceEncoder build(SentencePieceVocabulary v, String[] tokens) {
        Map<String, Integer> idByText = HashMap.newHashMap(tokens.length);
        for (int id = 0; id < tokens.length; id++) {
            idByText.putIfAbsent(tokens[id], id);
        }
        SentencePieceModel model = new SentencePieceModel(idByText, v.scores(),
                SentencePieceModel.byteTokens(idByText), v.unkId());
        return new SentencePieceEncoder(model, v.addSpacePrefix());
    }

    boolean addsSpacePrefix() {
        return addSpacePrefix;
    }

    @Override
    public void encode(String text, int from, int to, boolean afterLiteral, IntList out) {
        boolean prefix = addSpacePrefix && afterLiteral;
        StringBuilder escaped = new StringBuilder(to - from + 1);
        if (prefix) {
            escaped.append(SPACE_MARK);
        }
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c == ' ') {
                c = SPACE_MARK;
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                escaped.append(c).append(text.charAt(++i));
                continue;
            } else if (Character.isSurrogate(c)) {
                c = '\uFFFD'; // a lone surrogate is encoded as U+FFFD, as String.getBytes would
            }
            escaped.append(c);
        }
        model.encode(escaped.toString(), out);
    }

    @Override
    public String describe() {
        return "sentencepiece" + (addSpacePrefix ? ", space prefix" : "");
    }
}
