package dev.moe4j.internal.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Step 0 of encoding: cuts literal added/special tokens out of the raw text before pre-tokenization, as llama.cpp's
 * {@code tokenizer_st_partition} does. The candidates are the CONTROL, UNKNOWN and USER_DEFINED tokens, tried longest
 * (UTF-8 bytes) first, ties by id; for each candidate in turn, every text fragment still unclaimed is split at the
 * candidate's leftmost non-overlapping occurrences. CONTROL and UNKNOWN tokens take part only when special-token
 * parsing is on; USER_DEFINED tokens always do.
 *
 * <p>To stay fast on long texts with many candidates (DeepSeek-V3 has 818), a character trie first finds which
 * candidates occur at all; the partition loop then runs over those only, which gives the same result as running it
 * over all of them. Immutable and thread-safe.
 *
 * <p>Plain-text spans (a chat prompt's message contents) switch special-token parsing off locally: an occurrence of a
 * CONTROL/UNKNOWN token that overlaps a span, even by one character, is left as text, so text from a user can neither
 * be nor complete a control token. USER_DEFINED tokens are ordinary text of the vocabulary and match as always.
 */
final class SpecialTokenMatcher {
    /** One piece of the partition: a literal token ({@code tokenId >= 0}) or raw text {@code [start, end)}. */
    record Fragment(int tokenId, int start, int end) {
        boolean isText() {
            return tokenId < 0;
        }
    }

    private final String[] texts;
    private final int[] ids;
    /** Per candidate: matched even when special-token parsing is off (USER_DEFINED). */
    private final boolean[] alwaysMatched;
    private final Node root = new Node();
    /** Built on first use: only chat prompts need it. */
    private volatile SpecialTokenEdges edges;

    /** @param types the type of every token id; texts the literal text of every token id */
    SpecialTokenMatcher(List<String> tokenTexts, TokenType[] types) {
        List<Integer> candidates = new ArrayList<>();
        for (int id = 0; id < types.length; id++) {
            TokenType t = types[id];
            if (t == TokenType.CONTROL || t == TokenType.UNKNOWN || t == TokenType.USER_DEFINED) {
                if (!tokenTexts.get(id).isEmpty()) {
                    candidates.add(id);
                }
            }
        }
        candidates.sort(Comparator.<Integer>comparingInt(id -> -utf8Length(tokenTexts.get(id)))
                .thenComparingInt(id -> id));
        int n = candidates.size();
        texts = new String[n];
        ids = new int[n];
        alwaysMatched = new boolean[n];
        for (int k = 0; k < n; k++) {
            int id = candidates.get(k);
            ids[k] = id;
            texts[k] = tokenTexts.get(id);
            alwaysMatched[k] = types[id] == TokenType.USER_DEFINED;
            insert(texts[k], k);
        }
        root.freeze();
    }

    /** Number of candidate tokens. */
    int size() {
        return ids.length;
    }

    /**
     * Partitions {@code text} into literal tokens and raw text fragments, in order.
     *
     * @param parseSpecial whether CONTROL/UNKNOWN tokens are recognized (USER_DEFINED always are)
     */
    List<Fragment> partition(String text, boolean parseSpecial) {
        return partition(text, parseSpecial, TextSpans.NONE);
    }

    /**
     * Partitions {@code text} as {@link #partition(String, boolean)} does, except that a CONTROL/UNKNOWN occurrence
     * overlapping {@code plain} stays text (the search goes on one character later, so an occurrence that starts
     * inside the skipped one but lies outside every span is still found).
     */
    List<Fragment> partition(String text, boolean parseSpecial, TextSpans plain) {
        BitSet present = findPresent(text, parseSpecial);
        List<Fragment> fragments = new ArrayList<>();
        fragments.add(new Fragment(-1, 0, text.length()));
        if (present.isEmpty()) {
            return fragments;
        }
        for (int k = present.nextSetBit(0); k >= 0; k = present.nextSetBit(k + 1)) {
            String token = texts[k];
            List<Fragment> next = new ArrayList<>(fragments.size() + 4);
            for (Fragment f : fragments) {
                if (!f.isText()) {
                    next.add(f);
                    continue;
                }
                int cursor = f.start(); // start of the text not yet emitted
                int from = f.start();   // where to look for the next occurrence
                while (true) {
                    int at = text.indexOf(token, from);
                    if (at < 0 || at + token.length() > f.end()) {
                        break;
                    }
                    if (!alwaysMatched[k] && plain.overlaps(at, at + token.length())) {
                        from = at + 1;
                        continue;
                    }
                    if (at > cursor) {
                        next.add(new Fragment(-1, cursor, at));
                    }
                    next.add(new Fragment(ids[k], at, at + token.length()));
                    cursor = at + token.length();
                    from = cursor;
                }
                if (cursor < f.end()) {
                    next.add(new Fragment(-1, cursor, f.end()));
                }
            }
            fragments = next;
        }
        return fragments;
    }

    /**
     * Whether {@code text}, put anywhere inside a longer text, could make up all or part of a token that only
     * special-token parsing recognises (CONTROL/UNKNOWN): it contains one, ends with a proper prefix of one, starts
     * with a proper suffix of one, or lies inside one. False means no such token can overlap it in any context.
     */
    boolean mayFormSpecialToken(String text) {
        BitSet present = findPresent(text, true);
        for (int k = present.nextSetBit(0); k >= 0; k = present.nextSetBit(k + 1)) {
            if (!alwaysMatched[k]) {
                return true;
            }
        }
        return edges().touch(text);
    }

    private SpecialTokenEdges edges() {
        SpecialTokenEdges e = edges;
        if (e == null) {
            List<String> specialOnly = new ArrayList<>();
            for (int k = 0; k < texts.length; k++) {
                if (!alwaysMatched[k]) {
                    specialOnly.add(texts[k]);
                }
            }
            e = new SpecialTokenEdges(specialOnly);
            edges = e; // threads that race here build equal tables; any of them may stay
        }
        return e;
    }

    /** The candidates (by index) that occur somewhere in the text and are enabled. */
    private BitSet findPresent(String text, boolean parseSpecial) {
        BitSet present = new BitSet(ids.length);
        if (ids.length == 0) {
            return present;
        }
        int n = text.length();
        for (int i = 0; i < n; i++) {
            Node node = root.child(text.charAt(i));
            for (int j = i + 1; node != null; j++) {
                for (int c : node.candidates) {
                    if (parseSpecial || alwaysMatched[c]) {
                        present.set(c);
                    }
                }
                if (j >= n) {
                    break;
                }
                node = node.child(text.charAt(j));
            }
        }
        return present;
    }

    private void insert(String s, int candidate) {
        Node node = root;
        for (int i = 0; i < s.length(); i++) {
            node = node.childForInsert(s.charAt(i));
        }
        // Several tokens may share a text (a CONTROL and a USER_DEFINED one, say): all are kept, because which of
        // them may match depends on parseSpecial; the partition loop then lets the first enabled one claim the text.
        node.candidates = java.util.Arrays.copyOf(node.candidates, node.candidates.length + 1);
        node.candidates[node.candidates.length - 1] = candidate;
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** A trie node: children in sorted char arrays (binary search) once frozen. */
    private static final class Node {
        /** Indices of the candidates whose text ends at this node. */
        int[] candidates = new int[0];
        private TreeMap<Character, Node> building = new TreeMap<>();
        private char[] keys = new char[0];
        private Node[] children = new Node[0];

        Node childForInsert(char c) {
            return building.computeIfAbsent(c, k -> new Node());
        }

        /** Converts this node and all below it to the array form (iteratively: token texts may be long). */
        void freeze() {
            java.util.ArrayDeque<Node> todo = new java.util.ArrayDeque<>();
            todo.push(this);
            while (!todo.isEmpty()) {
                Node node = todo.pop();
                node.keys = new char[node.building.size()];
                node.children = new Node[node.building.size()];
                int i = 0;
                for (var e : node.building.entrySet()) {
                    node.keys[i] = e.getKey();
                    node.children[i] = e.getValue();
                    todo.push(e.getValue());
                    i++;
                }
                node.building = null;
            }
        }

        Node child(char c) {
            int i = Arrays.binarySearch(keys, c);
            return i >= 0 ? children[i] : null;
        }
    }
}
