package dev.moe4j.internal.tokenizer;

import java.util.Map;

/**
 * Byte-level BPE over token ids: a piece's UTF-8 bytes start as one symbol each (the vocabulary's single-character
 * token for that byte); then, repeatedly, the adjacent pair with the lowest merge rank is merged, the leftmost on a
 * tie, until no adjacent pair has a rule. This is the order of HF {@code tokenizers}' {@code Word::merge_all} and of
 * llama.cpp's {@code llm_tokenizer_bpe_session} (a min-heap keyed by rank, then position).
 *
 * <p>Implementation: a doubly linked list of symbols over arrays plus a binary min-heap of {@code rank << 32 | position}
 * entries, invalidated lazily (an entry is applied only if its pair still has that rank at that position), so a piece
 * of n bytes costs O(n log n). Immutable and thread-safe; the per-call working memory is a {@link Scratch}.
 */
final class BpeModel {
    private final MergeTable merges;
    /** Token id of the single alphabet character for each byte, or -1 when the vocabulary lacks it. */
    private final int[] byteToId;
    /** With {@code ignore_merges} (Llama 3), a piece that is itself a vocabulary entry becomes that token directly. */
    private final boolean ignoreMerges;
    private final Map<String, Integer> normalTokens;

    BpeModel(MergeTable merges, int[] byteToId, boolean ignoreMerges, Map<String, Integer> normalTokens) {
        this.merges = merges;
        this.byteToId = byteToId;
        this.ignoreMerges = ignoreMerges;
        this.normalTokens = normalTokens;
    }

    /** Reusable working arrays for one encoding call; not shared between threads. */
    static final class Scratch {
        byte[] bytes = new byte[64];
        int[] symbol = new int[64];
        int[] prev = new int[64];
        int[] next = new int[64];
        /** Up to n - 1 initial pairs plus at most one net push per merge: 2n entries suffice. */
        long[] heap = new long[128];

        void ensure(int n) {
            if (symbol.length < n) {
                int c = Math.max(n, symbol.length * 2);
                symbol = new int[c];
                prev = new int[c];
                next = new int[c];
                heap = new long[2 * c];
            }
            if (bytes.length < n) {
                bytes = new byte[Math.max(n, bytes.length * 2)];
            }
        }
    }

    /**
     * Encodes the UTF-8 bytes {@code s.bytes[0, n)} of one piece and appends the token ids to {@code out}. A byte
     * without a vocabulary token (impossible in a complete byte-level vocabulary) is dropped, as HF does without an
     * unknown token.
     */
    void encodePiece(Scratch s, int n, IntList out) {
        if (n == 0) {
            return;
        }
        if (ignoreMerges) {
            Integer whole = normalTokens.get(ByteLevel.encode(s.bytes, 0, n));
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        if (n == 1) {
            int id = byteToId[s.bytes[0] & 0xFF];
            if (id >= 0) {
                out.add(id);
            }
            return;
        }
        int[] sym = s.symbol;
        int[] prev = s.prev;
        int[] next = s.next;
        for (int i = 0; i < n; i++) {
            sym[i] = byteToId[s.bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1;
        }
        next[n - 1] = -1;

        long[] heap = s.heap;
        int heapSize = 0;
        for (int i = 0; i + 1 < n; i++) {
            long rule = merges.get(sym[i], sym[i + 1]);
            if (rule >= 0) {
                heapSize = push(heap, heapSize, (rule & 0xFFFFFFFF00000000L) | i);
            }
        }
        while (heapSize > 0) {
            long top = heap[0];
            heapSize = pop(heap, heapSize);
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            int right = next[pos];
            if (sym[pos] == DEAD || right < 0) {
                continue;
            }
            long rule = merges.get(sym[pos], sym[right]);
            if (rule < 0 || (int) (rule >>> 32) != rank) {
                continue; // stale: the pair at pos changed since this entry was pushed
            }
            sym[pos] = (int) rule;
            sym[right] = DEAD;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) {
                prev[after] = pos;
                long r = merges.get(sym[pos], sym[after]);
                if (r >= 0) {
                    heapSize = push(heap, heapSize, (r & 0xFFFFFFFF00000000L) | pos);
                }
            }
            int before = prev[pos];
            if (before >= 0) {
                long r = merges.get(sym[before], sym[pos]);
                if (r >= 0) {
                    heapSize = push(heap, heapSize, (r & 0xFFFFFFFF00000000L) | before);
                }
            }
        }
        for (int i = 0; i >= 0; i = next[i]) {
            if (sym[i] >= 0) {
                out.add(sym[i]);
            }
        }
    }

    private static final int DEAD = -2;

    /** Pushes onto a min-heap; the array has room because live entries never exceed the pair count + pushes. */
    private static int push(long[] heap, int size, long value) {
        int i = size;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= value) {
                break;
            }
            heap[i] = heap[parent];
            i = parent;
        }
        heap[i] = value;
        return size + 1;
    }

    private static int pop(long[] heap, int size) {
        int last = size - 1;
        long value = heap[last];
        int i = 0;
        int half = last >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            if (child + 1 < last && heap[child + 1] < heap[child]) {
                child++;
            }
            if (value <= heap[child]) {
                break;
            }
            heap[i] = heap[child];
            i = child;
        }
        heap[i] = value;
        return last;
    }
}
