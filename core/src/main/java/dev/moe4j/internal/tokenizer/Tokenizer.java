package dev.moe4j.internal.tokenizer;

import dev.moe4j.ModelFormatException;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.BiFunction;

/**
 * A model's tokenizer, giving the same ids as HF {@code tokenizers} and llama.cpp. Two kinds of vocabulary:
 * <ul>
 *   <li>{@link Kind#BYTE_LEVEL_BPE} (GGUF {@code tokenizer.ggml.model = "gpt2"}: DeepSeek-V3/R1, DeepSeek LLM/Coder,
 *       Llama 3, Qwen2): text is split by a {@link PreTokenizer} and each piece's UTF-8 bytes, in GPT-2's byte
 *       alphabet, are merged by rank ({@link ByteLevelEncoder});</li>
 *   <li>{@link Kind#SENTENCEPIECE} (GGUF {@code "llama"}: Llama 2, Mistral/Mixtral, Phi-3): spaces become
 *       {@code ▁}, a space is prefixed, and the whole fragment is merged by token score, with byte fallback to
 *       {@code <0xXX>} tokens ({@link SentencePieceEncoder}).</li>
 * </ul>
 *
 * <p>Encoding: (0) literal added/special tokens are cut out first (longest first, see {@link SpecialTokenMatcher});
 * (1, 2) each remaining fragment goes through the kind's {@link TextEncoder}; (3) BOS/EOS are added on request. No
 * normalizer runs (none of the supported models needs one in llama.cpp). A rendered chat prompt is encoded with its
 * message contents marked as {@link TextSpans} in which special-token text stays plain text.
 *
 * <p>Decoding: NORMAL tokens are mapped back to bytes (through the byte-level alphabet, or with {@code ▁} as a space
 * for SentencePiece), BYTE tokens of SentencePiece vocabularies give their byte, literal tokens (CONTROL, UNKNOWN,
 * USER_DEFINED) contribute their text, UNUSED tokens nothing; the bytes are decoded as UTF-8 with U+FFFD for invalid
 * sequences. With SentencePiece's space prefix, {@link #decode} drops the one space that the first token of the output
 * starts with (as HF's decoders do), so that {@code decode(encode(s))} is {@code s} again. {@link #newStreamDecoder()}
 * decodes incrementally and never drops that space (a stream continues a prompt, so its first space is real).
 *
 * <p>Known, deliberate differences from the references:
 * <ul>
 *   <li>Character classes come from the JDK (Unicode 16 in JDK 25); HF tokenizers' Oniguruma knows Unicode 14, so a
 *       character assigned in Unicode 15.0 or later (new scripts, some emoji, CJK extensions H and I) can split
 *       differently. Every older character matches HF exactly.</li>
 *   <li>Added tokens are cut out by llama.cpp's rule (longest first); HF matches leftmost-longest. The two differ only
 *       when added tokens overlap each other in the text, which DeepSeek's {@code <｜...｜>} tokens cannot.</li>
 *   <li>Which added tokens need {@code parseSpecial} follows the token types of the source: DeepSeek-V3's GGUF marks
 *       all added tokens CONTROL (llama.cpp matches them only when parsing specials), its tokenizer.json marks
 *       {@code <｜User｜>}, {@code <｜Assistant｜>}, the tool and FIM tokens as non-special, so they are USER_DEFINED here
 *       and always matched, as in HF.</li>
 *   <li>llama.cpp strips spaces around some special tokens of Phi-3 (chosen by model name, not stored in the file);
 *       that is not done here: the text around a literal token is encoded as it is.</li>
 *   <li>A {@code ▁} (U+2581) written in the text is SentencePiece's space mark, so it comes back as a space when
 *       decoded (as in SentencePiece and HF).</li>
 *   <li>Decoding never "cleans up" spaces before punctuation (llama.cpp's {@code clean_spaces} for some BPE vocabularies,
 *       transformers' {@code clean_up_tokenization_spaces}): the decoded text is exactly what the tokens spell.</li>
 * </ul>
 *
 * <p>Speed (byte-level BPE): about 10 MB/s of English prose and 20 MB/s of Chinese or Russian on one core once warm
 * (no cache; BPE works on token ids with a heap, so even a 100,000-character piece costs milliseconds). SentencePiece
 * merges a whole fragment with a heap as well: O(n log n) in its length.
 *
 * <p>Immutable after construction and thread-safe: any number of threads may encode and decode concurrently.
 */
public final class Tokenizer {
    /** The kind of vocabulary, which decides how text fragments are encoded and NORMAL tokens decoded. */
    public enum Kind {
        /** GPT-2-style byte-level BPE with merge ranks and a regex pre-tokenizer (GGUF model {@code gpt2}). */
        BYTE_LEVEL_BPE,
        /** SentencePiece-style BPE by token scores, {@code ▁} for spaces, byte fallback (GGUF model {@code llama}). */
        SENTENCEPIECE
    }

    private static final PreTokenizer WHOLE_TEXT = PreTokenizer.ofRegexes("none", List.of());

    private final String source;
    private final Kind kind;
    private final String[] tokens;
    private final TokenType[] types;
    /** What each id decodes to (before UTF-8 decoding); empty for UNUSED. */
    private final byte[][] tokenBytes;
    private final Map<String, Integer> idByText;
    private final TextEncoder encoder;
    private final SpecialTokenMatcher specials;
    private final int bosId;
    private final int eosId;
    private final boolean addBos;
    private final boolean addEos;
    /** SentencePiece with a space prefix: {@link #decode} drops the first token's leading space. */
    private final boolean stripLeadingSpace;

    /** Checks and copies what both kinds share; the kind-specific parts are filled in by the factories. */
    private Tokenizer(String source, Kind kind, List<String> tokenList, List<TokenType> typeList, int bosId, int eosId,
                      boolean addBos, boolean addEos, TokenDecoding decoding,
                      BiFunction<String[], TokenType[], TextEncoder> encoderFactory,
                      boolean stripLeadingSpace) {
        this.source = source;
        this.kind = kind;
        int n = tokenList.size();
        if (n == 0) {
            throw new ModelFormatException(source + ": the vocabulary is empty", -1);
        }
        if (typeList.size() != n) {
            throw new ModelFormatException(source + ": " + n + " tokens but " + typeList.size() + " token types", -1);
        }
        this.tokens = tokenList.toArray(new String[0]);
        this.types = typeList.toArray(new TokenType[0]);
        this.bosId = checkId(bosId, "BOS");
        this.eosId = checkId(eosId, "EOS");
        this.addBos = addBos;
        this.addEos = addEos;
        this.stripLeadingSpace = stripLeadingSpace;

        Map<String, Integer> all = HashMap.newHashMap(n);
        for (int id = 0; id < n; id++) {
            if (tokens[id] == null) {
                throw new ModelFormatException(source + ": token " + id + " has no text", -1);
            }
            if (types[id] != TokenType.UNUSED) {
                all.putIfAbsent(tokens[id], id);
            }
        }
        this.idByText = all; // never modified after construction; the final field publishes it safely
        this.encoder = encoderFactory.apply(tokens, types);
        this.specials = new SpecialTokenMatcher(tokenList, types);

        this.tokenBytes = new byte[n][];
        for (int id = 0; id < n; id++) {
            tokenBytes[id] = switch (types[id]) {
                case NORMAL, BYTE -> decoding.bytes(id, tokens[id], types[id]);
                case CONTROL, UNKNOWN, USER_DEFINED -> tokens[id].getBytes(StandardCharsets.UTF_8);
                case UNUSED -> new byte[0];
            };
        }
    }

    /** A copy of {@code base} with other token types; see {@link #withControlTokens}. */
    private Tokenizer(Tokenizer base, TokenType[] types) {
        this.source = base.source;
        this.kind = base.kind;
        this.tokens = base.tokens;
        this.types = types;
        // USER_DEFINED and CONTROL tokens both decode to their literal text and neither is BPE output, so the
        // decoding table, the text index and the encoder stay valid; only the special-token matcher changes.
        this.tokenBytes = base.tokenBytes;
        this.idByText = base.idByText;
        this.encoder = base.encoder;
        this.specials = new SpecialTokenMatcher(java.util.Arrays.asList(tokens), types);
        this.bosId = base.bosId;
        this.eosId = base.eosId;
        this.addBos = base.addBos;
        this.addEos = base.addEos;
        this.stripLeadingSpace = base.stripLeadingSpace;
    }

    /** How a NORMAL or BYTE token turns into bytes, per kind. */
    @FunctionalInterface
    private interface TokenDecoding {
        byte[] bytes(int id, String text, TokenType type);
    }

    /**
     * Builds a byte-level BPE tokenizer from plain vocabulary data. Merge rules that name tokens not in the
     * vocabulary are ignored (with a warning), as they could never apply.
     *
     * @throws ModelFormatException if the data is inconsistent (sizes differ, BOS/EOS out of range, null tokens)
     */
    public static Tokenizer create(Vocabulary vocabulary) {
        return new Tokenizer(vocabulary.source(), Kind.BYTE_LEVEL_BPE, vocabulary.tokens(), vocabulary.types(),
                vocabulary.bosId(), vocabulary.eosId(), vocabulary.addBos(), vocabulary.addEos(),
                (id, text, type) -> ByteLevel.decode(text),
                (tokens, types) -> ByteLevelEncoder.build(vocabulary, tokens, types), false);
    }

    /**
     * Builds a SentencePiece-style tokenizer from plain vocabulary data.
     *
     * @throws ModelFormatException if the data is inconsistent (sizes differ, BOS/EOS/UNK out of range, null tokens,
     *                              a BYTE token whose text is not {@code <0xXX>})
     */
    public static Tokenizer create(SentencePieceVocabulary vocabulary) {
        String source = vocabulary.source();
        int n = vocabulary.tokens().size();
        if (vocabulary.scores().length != n) {
            throw new ModelFormatException(source + ": " + n + " tokens but " + vocabulary.scores().length
                    + " scores", -1);
        }
        if (vocabulary.unkId() < -1 || vocabulary.unkId() >= n) {
            throw new ModelFormatException(source + ": UNK token id " + vocabulary.unkId()
                    + " is outside the vocabulary [0, " + n + ")", -1);
        }
        return new Tokenizer(source, Kind.SENTENCEPIECE, vocabulary.tokens(), vocabulary.types(),
                vocabulary.bosId(), vocabulary.eosId(), vocabulary.addBos(), vocabulary.addEos(),
                (id, text, type) -> type == TokenType.BYTE ? new byte[] {byteTokenValue(source, id, text)}
                        : text.replace(SentencePieceEncoder.SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8),
                (tokens, types) -> SentencePieceEncoder.build(vocabulary, tokens), vocabulary.addSpacePrefix());
    }

    /** The byte of a SentencePiece byte token {@code <0xXX>}. */
    private static byte byteTokenValue(String source, int id, String text) {
        if (text.length() == 6 && text.startsWith("<0x") && text.endsWith(">")) {
            int hi = Character.digit(text.charAt(3), 16);
            int lo = Character.digit(text.charAt(4), 16);
            if (hi >= 0 && lo >= 0) {
                return (byte) (hi << 4 | lo);
            }
        }
        throw new ModelFormatException(source + ": token " + id + " \"" + text
                + "\" has type BYTE but is not of the form <0xXX>", -1);
    }

    /**
     * The tokenizer of a GGUF model, from its metadata; see {@link GgufTokenizerLoader#fromMetadata}.
     *
     * @throws ModelFormatException if the tokenizer metadata is missing, malformed or unsupported
     */
    public static Tokenizer fromGguf(dev.moe4j.internal.gguf.GgufMetadata metadata) {
        return GgufTokenizerLoader.fromMetadata(metadata);
    }

    /**
     * The tokenizer of a HF {@code tokenizer.json} (with the {@code tokenizer_config.json} beside it, if any); see
     * {@link HfTokenizerLoader#load(java.nio.file.Path)}.
     *
     * @throws ModelFormatException if a file is malformed or uses an unsupported feature
     */
    public static Tokenizer fromTokenizerJson(java.nio.file.Path tokenizerJson) {
        return HfTokenizerLoader.load(tokenizerJson);
    }

    private int checkId(int id, String what) {
        if (id < -1 || id >= tokens.length) {
            throw new ModelFormatException(source + ": " + what + " token id " + id + " is outside the vocabulary [0, "
                    + tokens.length + ")", -1);
        }
        return id;
    }

    /**
     * Encodes text to token ids.
     *
     * @param addSpecial   prepend BOS / append EOS as the vocabulary asks ({@link #addsBos()}, {@link #addsEos()});
     *                     false for text that already carries them (a rendered chat template)
     * @param parseSpecial recognize CONTROL tokens (e.g. {@code <｜begin▁of▁sentence｜>}) written in the text; leave off
     *                     for untrusted text, where such strings are then encoded as plain text (llama.cpp's default).
     *                     USER_DEFINED tokens are recognized either way, as llama.cpp and HF do.
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        return encode(text, addSpecial, parseSpecial, TextSpans.NONE);
    }

    /**
     * Encodes text that mixes trusted and untrusted parts, such as a rendered chat prompt: special tokens are
     * recognised as with {@code parseSpecial = true}, except that a CONTROL/UNKNOWN token whose text overlaps a span of
     * {@code plainText} (even by one character) is encoded as plain text there, as {@code parseSpecial = false} would.
     * Outside the spans, and wherever no special-token text overlaps them, the ids are those of
     * {@code encode(text, addSpecial, true)}.
     */
    public int[] encode(String text, boolean addSpecial, TextSpans plainText) {
        return encode(text, addSpecial, true, plainText);
    }

    /**
     * Whether {@code text}, placed anywhere inside a longer text, could make up all or part of a token that only
     * {@code parseSpecial} recognises (CONTROL/UNKNOWN): it contains one, starts with a proper suffix or ends with a
     * proper prefix of one, or lies inside one. When false, no such token can overlap {@code text} wherever it is put.
     */
    public boolean mayFormSpecialToken(String text) {
        return specials.mayFormSpecialToken(text);
    }

    private int[] encode(String text, boolean addSpecial, boolean parseSpecial, TextSpans plainText) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (addSpecial && addBos && bosId >= 0) {
            out.add(bosId);
        }
        if (specials.size() == 0) {
            if (!text.isEmpty()) {
                encoder.encode(text, 0, text.length(), true, out);
            }
        } else {
            boolean afterLiteral = true;
            for (SpecialTokenMatcher.Fragment f : specials.partition(text, parseSpecial, plainText)) {
                if (!f.isText()) {
                    out.add(f.tokenId());
                    afterLiteral = true;
                } else if (f.end() > f.start()) {
                    encoder.encode(text, f.start(), f.end(), afterLiteral, out);
                    afterLiteral = false;
                }
            }
        }
        if (addSpecial && addEos && eosId >= 0) {
            out.add(eosId);
        }
        return out.toArray();
    }

    /**
     * This tokenizer with the USER_DEFINED tokens among {@code ids} typed CONTROL, so that text encoded with
     * {@code parseSpecial = false} can no longer produce them. llama.cpp's vocabulary load does this to the
     * fill-in-the-middle and end-of-turn tokens it recognises by their text ({@code llama-vocab.cpp}: "control-looking
     * token ... its type will be overridden"): DeepSeek-Coder's GGUF types {@code <｜fim▁begin｜>} USER_DEFINED, yet a
     * user's code that contains that string must not open a FIM prompt. Tokens of other types keep theirs (a NORMAL
     * token is BPE output of the text itself; CONTROL, UNKNOWN and UNUSED ones are never matched in plain text).
     *
     * @return this tokenizer when none of {@code ids} is USER_DEFINED; otherwise a new one sharing this one's tables
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public Tokenizer withControlTokens(int... ids) {
        TokenType[] retyped = null;
        for (int id : ids) {
            checkRange(id);
            if (types[id] == TokenType.USER_DEFINED) {
                if (retyped == null) {
                    retyped = types.clone();
                }
                retyped[id] = TokenType.CONTROL;
            }
        }
        return retyped == null ? this : new Tokenizer(this, retyped);
    }

    /** Decodes ids to text, rendering special (CONTROL) tokens as their text. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Decodes ids to text. Invalid UTF-8 (e.g. a sequence cut between tokens) becomes U+FFFD. For a SentencePiece
     * vocabulary with a space prefix, the space that the first rendered token starts with is dropped (it is the
     * prefix encoding added), so the output starts like the encoded text did.
     *
     * @param skipSpecial leave out CONTROL and UNKNOWN tokens (USER_DEFINED tokens are ordinary text and stay)
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String decode(int[] ids, boolean skipSpecial) {
        StringBuilder out = new StringBuilder(ids.length * 4);
        Utf8Accumulator utf8 = new Utf8Accumulator();
        boolean first = true;
        for (int id : ids) {
            byte[] b = bytesOf(id, skipSpecial);
            int from = 0;
            if (first && b.length > 0) {
                first = false;
                if (stripLeadingSpace && types[id] == TokenType.NORMAL && b[0] == ' ') {
                    from = 1; // the space SentencePiece put before the text
                }
            }
            utf8.append(b, from, b.length, out);
        }
        utf8.finish(out);
        return out.toString();
    }

    /** A decoder for tokens arriving one at a time; renders special tokens. */
    public StreamDecoder newStreamDecoder() {
        return new StreamDecoder(this, false, new int[0]);
    }

    /** A decoder for tokens arriving one at a time; optionally skips CONTROL and UNKNOWN tokens. */
    public StreamDecoder newStreamDecoder(boolean skipSpecial) {
        return new StreamDecoder(this, skipSpecial, new int[0]);
    }

    /**
     * A decoder that skips CONTROL and UNKNOWN tokens except {@code shown}: the markers a reasoning format is read
     * from (gpt-oss's {@code <|channel|>}, {@code <|message|>}, ...), which are control tokens but must reach the
     * splitter as text, as llama.cpp renders them.
     *
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public StreamDecoder newStreamDecoderShowing(int... shown) {
        for (int id : shown) {
            bytesOf(id, false); // validates the id
        }
        return new StreamDecoder(this, true, shown);
    }

    /** The bytes token {@code id} contributes to decoded text. The array is shared: do not modify. */
    byte[] bytesOf(int id, boolean skipSpecial) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + tokens.length
                    + ")");
        }
        if (skipSpecial && (types[id] == TokenType.CONTROL || types[id] == TokenType.UNKNOWN)) {
            return EMPTY;
        }
        return tokenBytes[id];
    }

    private static final byte[] EMPTY = new byte[0];

    /** Number of token ids (the largest id + 1). */
    public int vocabSize() {
        return tokens.length;
    }

    /** The stored text of a token (byte-level alphabet for NORMAL tokens, literal otherwise). */
    public String tokenText(int id) {
        checkRange(id);
        return tokens[id];
    }

    /** The type of a token. */
    public TokenType tokenType(int id) {
        checkRange(id);
        return types[id];
    }

    /** The id of the token with exactly this stored text (e.g. {@code "<｜User｜>"}), if any; UNUSED ids excluded. */
    public OptionalInt tokenId(String text) {
        Integer id = idByText.get(text);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** BOS token id, or -1. */
    public int bosId() {
        return bosId;
    }

    /** EOS token id, or -1. */
    public int eosId() {
        return eosId;
    }

    /** Whether {@code encode(text, true, ...)} prepends BOS. */
    public boolean addsBos() {
        return addBos && bosId >= 0;
    }

    /** Whether {@code encode(text, true, ...)} appends EOS. */
    public boolean addsEos() {
        return addEos && eosId >= 0;
    }

    /**
     * The pre-tokenizer in use; for a SentencePiece vocabulary, which encodes each fragment whole, one named
     * {@code none} without regexes.
     */
    public PreTokenizer preTokenizer() {
        return encoder instanceof ByteLevelEncoder b ? b.preTokenizer() : WHOLE_TEXT;
    }

    /** The kind of vocabulary. */
    public Kind kind() {
        return kind;
    }

    /**
     * Whether a space is put before the text (SentencePiece's {@code add_dummy_prefix}, GGUF
     * {@code tokenizer.ggml.add_space_prefix}); always false for byte-level BPE.
     */
    public boolean addsSpacePrefix() {
        return encoder instanceof SentencePieceEncoder s && s.addsSpacePrefix();
    }

    /** Where the vocabulary came from. */
    public String source() {
        return source;
    }

    private void checkRange(int id) {
        if (id < 0 || id >= tokens.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + tokens.length
                    + ")");
        }
    }

    @Override
    public String toString() {
        return "Tokenizer[" + source + ", " + tokens.length + " tokens, " + encoder.describe() + "]";
    }
}
