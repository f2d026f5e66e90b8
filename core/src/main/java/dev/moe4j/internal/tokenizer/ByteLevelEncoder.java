package dev.moe4j.internal.tokenizer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Byte-level BPE for one text fragment (GPT-2 family: DeepSeek, Llama 3, Qwen2): the {@link PreTokenizer} splits the
 * fragment into pieces, and {@link BpeModel} merges each piece's UTF-8 bytes, written in GPT-2's byte alphabet
 * ({@link ByteLevel}), by merge rank. Immutable and thread-safe.
 */
final class ByteLevelEncoder implements TextEncoder {
    private static final Logger LOG = LoggerFactory.getLogger(ByteLevelEncoder.class);

    private final PreTokenizer preTokenizer;
    private final BpeModel bpe;

    private ByteLevelEncoder(PreTokenizer preTokenizer, BpeModel bpe) {
        this.preTokenizer = preTokenizer;
        this.bpe = bpe;
    }

    /**
     * Builds the merge table of a vocabulary whose tokens and types have already been checked. Merge rules that name
     * tokens not in the vocabulary are ignored (with a warning), as they could never apply.
     */
    static ByteLevelEncoder build(Vocabulary v, String[] tokens, TokenType[] types) {
        String source = v.source();
        int n = tokens.length;
        // Text -> id for merges and the byte alphabet: NORMAL and BYTE tokens only, first id wins. Literal tokens
        // with the same text (DeepSeek LLM adds "ø" etc. as USER_DEFINED) must not capture BPE output.
        Map<String, Integer> normal = HashMap.newHashMap(n);
        for (int id = 0; id < n; id++) {
            if (types[id] == TokenType.NORMAL || types[id] == TokenType.BYTE) {
                normal.putIfAbsent(tokens[id], id);
            }
        }

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
        BpeModel bpe = new BpeModel(table, byteToId, v.ignoreMerges(),
                v.ignoreMerges() ? Map.copyOf(normal) : Map.of());
        return new ByteLevelEncoder(v.preTokenizer(), bpe);
    }

    PreTokenizer preTokenizer() {
        return preTokenizer;
    }

    @Override
    public void encode(String text, int from, int to, boolean afterLiteral, IntList out) {
        BpeModel.Scratch scratch = new BpeModel.Scratch();
        IntList ends = new IntList(Math.max(8, (to - from) / 4));
        preTokenizer.split(text, from, to, ends);
        int start = from;
        for (int k = 0; k < ends.size(); k++) {
            int end = ends.get(k);
            int n = utf8(text, start, end, scratch);
            bpe.encodePiece(scratch, n, out);
            start = end;
        }
    }

    @Override
    public String describe() {
        return "pre=" + preTokenizer.name();
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
}
