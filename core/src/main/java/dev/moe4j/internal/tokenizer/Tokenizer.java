package dev.moe4j.internal.tokenizer;

import dev.moe4j.ModelFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Byte-level BPE tokenizer (GPT-2 family: DeepSeek-V3/R1, DeepSeek LLM/Coder, Llama 3, Qwen2), giving the same ids as
 * HF {@code tokenizers} and llama.cpp.
 *
 * <p>Encoding: (0) literal added/special tokens are cut out first (longest first, see {@link SpecialTokenMatcher});
 * (1) each remaining fragment is split by the {@link PreTokenizer}; (2) each piece's UTF-8 bytes are merged by
 * {@link BpeModel}; (3) BOS/EOS are added on request. No normalizer runs (none of the supported models has one).
 *
 * <p>Decoding: NORMAL tokens are mapped back through the byte-level alphabet, literal tokens (CONTROL, UNKNOWN,
 * USER_DEFINED) contribute their text, UNUSED tokens nothing; the bytes are decoded as UTF-8 with U+FFFD for invalid
 * sequences. {@link #newStreamDecoder()} does the same incrementally.
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
 * </ul>
 *
 * <p>Speed: about 10 MB/s of English prose and 20 MB/s of Chinese or Russian on one core once warm (no cache; BPE
 * works on token ids with a heap, so even a 100,000-character piece costs milliseconds).
 *
 * <p>Immutable after construction and thread-safe: any number of threads may encode and decode concurrently.
 */
public final class Tokenizer {
    private static final Logger LOG = LoggerFactory.getLogger(Tokenizer.class);

    private final String source;
    private final String[] tokens;
    private final TokenType[] types;
    /** What each id decodes to (before UTF-8 decoding); empty for UNUSED. */
    private final byte[][] tokenBytes;
    private final Map<String, Integer> idByText;
    private final PreTokenizer preTokenizer;
    private final BpeModel bpe;
    private final SpecialTokenMatcher specials;
    private final int bosId;
    private final int eosId;
    private final boolean addBos;
    private final boolean addEos;

    private Tokenizer(Vocabulary v) {
        this.source = v.source();
        int n = v.tokens().size();
        if (n == 0) {
            throw new ModelFormatException(source + ": the vocabulary is empty", -1);
        }
        if (v.types().size() != n) {
            throw new ModelFormatException(source + ": " + n + " tokens but " + v.types().size() + " token types", -1);
        }
        this.tokens = v.tokens().toArray(new String[0]);
        this.types = v.types().toArray(new TokenType[0]);
        this.bosId = checkId(v.bosId(), "BOS");
        this.eosId = checkId(v.eosId(), "EOS");
        this.addBos = v.addBos();
        this.addEos = v.addEos();
        this.preTokenizer = v.preTokenizer();

        // Text -> id for merges and the byte alphabet: NORMAL and BYTE tokens only, first id wins. Literal tokens
        // with the same text (DeepSeek LLM adds "ø" etc. as USER_DEFINED) must not capture BPE output.
        Map<String, Integer> normal = HashMap.newHashMap(n);
        Map<String, Integer> all = HashMap.newHashMap(n);
        for (int id = 0; id < n; id++) {
            if (tokens[id] == null) {
                throw new ModelFormatException(source + ": token " + id + " has no text", -1);
            }
            if (types[id] == TokenType.NORMAL || types[id] == TokenType.BYTE) {
                normal.putIfAbsent(tokens[id], id);
            }
            if (types[id] != TokenType.UNUSED) {
                all.putIfAbsent(tokens[id], id);
            }
        }
        this.idByText = all; // never modified after construction; the final field publishes it safely

        int[] byteToId = new int[256];
        int missingBytes = 0;
        for (int b = 0; b < 256; b++) {
            Integer id = normal.get(String.valueOf(ByteLevel.charOf(b)));
            byteToId[b] = id == null ? -1 : id;
            if (id == null) {
                missingBytes++;
            }
        }
        if (missingBytes > 0) {
            // Expected for DeepSeek's vocabularies: bytes 0xC0, 0xC1, 0xF5..0xFF never occur in UTF-8.
            LOG.debug("{}: {} of 256 byte tokens are missing from the vocabulary", source, missingBytes);
        }

        List<Vocabulary.MergeRule> rules = v.merges();
        MergeTable table = new MergeTable(rules.size());
        int skipped = 0;
        for (int rank = 0; rank < rules.size(); rank++) {
            Vocabulary.MergeRule r = rules.get(rank);
            Integer left = normal.get(r.left());
            Integer right = normal.get(r.right());
            Integer merged = normal.get(r.left() + r.right());
            if (left == null || right == null || merged == null) {
                skipped++;
                continue;
            }
            table.put(left, right, rank, merged);
        }
        if (skipped > 0) {
            LOG.warn("{}: {} of {} merge rules refer to tokens not in the vocabulary and are ignored", source, skipped,
                    rules.size());
        }
        this.bpe = new BpeModel(table, byteToId, v.ignoreMerges(), v.ignoreMerges() ? Map.copyOf(normal) : Map.of());
        this.specials = new SpecialTokenMatcher(v.tokens(), types);

        this.tokenBytes = new byte[n][];
        for (int id = 0; id < n; id++) {
            tokenBytes[id] = switch (types[id]) {
                case NORMAL, BYTE -> ByteLevel.decode(tokens[id]);
                case CONTROL, UNKNOWN, USER_DEFINED -> tokens[id].getBytes(StandardCharsets.UTF_8);
                case UNUSED -> new byte[0];
            };
        }
    }

    /**
     * Builds a tokenizer from plain vocabulary data. Merge rules that name tokens not in the vocabulary are ignored
     * (with a warning), as they could never apply.
     *
     * @throws ModelFormatException if the data is inconsistent (sizes differ, BOS/EOS out of range, null tokens)
     */
    public static Tokenizer create(Vocabulary vocabulary) {
        return new Tokenizer(vocabulary);
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
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (addSpecial && addBos && bosId >= 0) {
            out.add(bosId);
        }
        BpeModel.Scratch scratch = new BpeModel.Scratch();
        IntList ends = new IntList(64);
        if (specials.size() == 0) {
            encodeFragment(text, 0, text.length(), out, scratch, ends);
        } else {
            for (SpecialTokenMatcher.Fragment f : specials.partition(text, parseSpecial)) {
                if (f.isText()) {
                    encodeFragment(text, f.start(), f.end(), out, scratch, ends);
                } else {
                    out.add(f.tokenId());
                }
            }
        }
        if (addSpecial && addEos && eosId >= 0) {
            out.add(eosId);
        }
        return out.toArray();
    }

    private void encodeFragment(String text, int from, int to, IntList out, BpeModel.Scratch scratch, IntList ends) {
        ends.clear();
        preTokenizer.split(text, from, to, ends);
        int start = from;
        for (int k = 0; k < ends.size(); k++) {
            int end = ends.get(k);
            int n = utf8(text, start, end, scratch);
            bpe.encodePiece(scratch, n, out);
            start = end;
        }
    }

    /**
     * Writes the UTF-8 bytes of {@code text[from, to)} into {@code scratch.bytes}; returns the byte count. A lone
     * surrogate becomes U+FFFD, as {@link String#getBytes} would encode it.
     */
    private static int utf8(String text, int from, int to, BpeModel.Scratch scratch) {
        scratch.ensure((to - from) * 3);
        byte[] b = scratch.bytes;
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                b[n++] = (byte) c;
            } else if (c < 0x800) {
                b[n++] = (byte) (0xC0 | (c >> 6));
                b[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(text.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, text.charAt(++i));
                b[n++] = (byte) (0xF0 | (cp >> 18));
                b[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                b[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                b[n++] = (byte) (0x80 | (cp & 0x3F));
            } else {
                if (Character.isSurrogate(c)) {
                    c = '\uFFFD';
                }
                b[n++] = (byte) (0xE0 | (c >> 12));
                b[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return n;
    }

    /** Decodes ids to text, rendering special (CONTROL) tokens as their text. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Decodes ids to text. Invalid UTF-8 (e.g. a sequence cut between tokens) becomes U+FFFD.
     *
     * @param skipSpecial leave out CONTROL and UNKNOWN tokens (USER_DEFINED tokens are ordinary text and stay)
     * @throws IllegalArgumentException for an id outside the vocabulary
     */
    public String decode(int[] ids, boolean skipSpecial) {
        StringBuilder out = new StringBuilder(ids.length * 4);
        Utf8Accumulator utf8 = new Utf8Accumulator();
        for (int id : ids) {
            byte[] b = bytesOf(id, skipSpecial);
            utf8.append(b, 0, b.length, out);
        }
        utf8.finish(out);
        return out.toString();
    }

    /** A decoder for tokens arriving one at a time; renders special tokens. */
    public StreamDecoder newStreamDecoder() {
        return new StreamDecoder(this, false);
    }

    /** A decoder for tokens arriving one at a time; optionally skips CONTROL and UNKNOWN tokens. */
    public StreamDecoder newStreamDecoder(boolean skipSpecial) {
        return new StreamDecoder(this, skipSpecial);
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

    /** The pre-tokenizer in use. */
    public PreTokenizer preTokenizer() {
        return preTokenizer;
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
        return "Tokenizer[" + source + ", " + tokens.length + " tokens, pre=" + preTokenizer.name() + "]";
    }
}
