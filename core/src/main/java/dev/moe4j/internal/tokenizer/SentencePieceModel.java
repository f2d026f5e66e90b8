package dev.moe4j.internal.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * SentencePiece-style BPE by token scores, as llama.cpp's SPM tokenizer does it (and so with the ids of
 * SentencePiece / HF {@code tokenizers} for Llama 2 and Mistral vocabularies). The input is one text fragment with its
 * spaces already written as {@code ▁}; there is no pre-tokenizer, the whole fragment is one sequence.
 *
 * <ol>
 *   <li>Every code point starts as one symbol.</li>
 *   <li>Repeatedly, of all adjacent pairs whose concatenation is a vocabulary token, the pair whose token has the
 *       highest score is merged, the leftmost on a tie, until no adjacent pair forms a token.</li>
 *   <li>Each final symbol becomes its token; a symbol that is not a token (a single code point outside the
 *       vocabulary) becomes the byte tokens {@code <0xXX>} of its UTF-8 bytes ("byte fallback"); when the vocabulary
 *       lacks one of those, the unknown token; when there is none either, the code point is dropped.</li>
 * </ol>
 *
 * <p>Lookups consider every token, whatever its type, as llama.cpp does (in real vocabularies a literal token such as
 * {@code <s>} cannot be built from smaller tokens, so this changes nothing there).
 *
 * <p>Implementation: a doubly linked list of symbols over arrays plus a binary max-heap of candidate pairs keyed by
 * (score, left position), invalidated lazily: a pair is applied only if the symbol at its left position is still
 * followed by a symbol with the same combined length (lengths only grow, so any change is seen). A fragment of n
 * code points costs O(n log n). Immutable and thread-safe; working memory is allocated per call.
 */
final class SentencePieceModel {
    /** Every token's text to its id (the first id on duplicates). */
    private final Map<String, Integer> idByText;
    private final float[] scores;
    /** Token id for each byte value (its {@code <0xXX>} token), or -1. */
    private final int[] byteToId;
    private final int unkId;

    SentencePieceModel(Map<String, Integer> idByText, float[] scores, int[] byteToId, int unkId) {
        this.idByText = idByText;
        this.scores = scores;
        this.byteToId = byteToId;
        this.unkId = unkId;
    }

    /**
     * Encodes {@code text} (escaped already: spaces as {@code ▁}, no lone surrogates) and appends the token ids to
     * {@code out}.
     */
    void encode(String text, IntList out) {
        int length = text.length();
        if (length == 0) {
            return;
        }
        // Symbols over the chars of text: symbol i covers [start[i], start[i] + len[i]); len 0 = merged away.
        int[] start = new int[length];
        int[] len = new int[length];
        int n = 0;
        for (int i = 0; i < length; ) {
            int w = Character.charCount(text.codePointAt(i));
            start[n] = i;
            len[n] = w;
            n++;
            i += w;
        }
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1;
        }
        next[n - 1] = -1;

        // n - 1 initial pairs and at most two more per merge (at most n - 1 merges).
        Heap heap = new Heap(3 * n);
        for (int i = 0; i + 1 < n; i++) {
            offer(heap, text, start, len, i, i + 1);
        }
        while (heap.size > 0) {
            int left = heap.topLeft();
            int size = heap.topSize();
            heap.pop();
            int right = len[left] > 0 ? next[left] : -1;
            if (right < 0 || len[left] + len[right] != size) {
                continue; // stale: one side was merged into something else since the pair was offered
            }
            len[left] = size;
            len[right] = 0;
            int after = next[right];
            next[left] = after;
            if (after >= 0) {
                prev[after] = left;
            }
            offer(heap, text, start, len, prev[left], left);
            offer(heap, text, start, len, left, after);
        }

        for (int i = 0; i >= 0; i = next[i]) {
            Integer id = idByText.get(text.substring(start[i], start[i] + len[i]));
            if (id != null) {
                out.add(id);
            } else {
                fallback(text.substring(start[i], start[i] + len[i]), out);
            }
        }
    }

    /** Byte tokens for a code point outside the vocabulary, or the unknown token. */
    private void fallback(String symbol, IntList out) {
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8); // no lone surrogates here, see encode's contract
        for (byte b : bytes) {
            if (byteToId[b & 0xFF] < 0) {
                if (unkId >= 0) {
                    out.add(unkId);
                }
                return;
            }
        }
        for (byte b : bytes) {
            out.add(byteToId[b & 0xFF]);
        }
    }

    /** Offers the pair (left, right) if their concatenation is a token. */
    private void offer(Heap heap, String text, int[] start, int[] len, int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        int size = len[left] + len[right];
        Integer id = idByText.get(text.substring(start[left], start[left] + size));
        if (id != null) {
            heap.push(scores[id], left, size);
        }
    }

    /**
     * A binary heap of (score, left, size) entries, the highest score on top and the lowest left position among equal
     * scores. The order is one long per entry: the score turned into a sortable int (negated, so that a min-heap puts
     * the highest score first) in the upper half, the left position in the lower half.
     */
    private static final class Heap {
        private final long[] keys;
        private final int[] sizes;
        int size;

        Heap(int capacity) {
            keys = new long[Math.max(1, capacity)];
            sizes = new int[Math.max(1, capacity)];
        }

        int topLeft() {
            return (int) keys[0];
        }

        int topSize() {
            return sizes[0];
        }

        void push(float score, int left, int symbolSize) {
            float negated = -score + 0.0f; // + 0.0f folds -0.0 into 0.0: the two are equal scores
            int bits = Float.floatToIntBits(negated);
            int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF);
            long key = ((long) sortable << 32) | (left & 0xFFFFFFFFL);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= key) {
                    break;
                }
                keys[i] = keys[parent];
                sizes[i] = sizes[parent];
                i = parent;
            }
            keys[i] = key;
            sizes[i] = symbolSize;
        }

        void pop() {
            int last = --size;
            long key = keys[last];
            int value = sizes[last];
            int i = 0;
            int half = last >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                if (child + 1 < last && keys[child + 1] < keys[child]) {
                    child++;
                }
                if (key <= keys[child]) {
                    break;
                }
                keys[i] = keys[child];
                sizes[i] = sizes[child];
                i = child;
            }
            keys[i] = key;
            sizes[i] = value;
        }
    }

    /** The byte table for {@link #SentencePieceModel}: the id of each byte's {@code <0xXX>} token, or -1. */
    static int[] byteTokens(Map<String, Integer> idByText) {
        int[] table = new int[256];
        Arrays.fill(table, -1);
        for (int b = 0; b < 256; b++) {
            Integer id = idByText.get(String.format("<0x%02X>", b));
            if (id != null) {
                table[b] = id;
            }
        }
        return table;
    }
}
