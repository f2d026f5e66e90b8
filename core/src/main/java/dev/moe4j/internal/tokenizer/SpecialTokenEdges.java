package dev.moe4j.internal.tokenizer;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Whether a text can form part of a special token together with text around it: it ends with a proper prefix of one,
 * starts with a proper suffix of one, or lies inside one. (Whether it contains one whole is the trie's question.) A
 * message content like {@code "hello <｜end▁of"} followed by {@code "▁sentence｜>"} must not make a token between them.
 * Immutable.
 */
final class SpecialTokenEdges {
    private final List<String> tokens;
    private final Set<String> prefixes = new HashSet<>();
    private final Set<String> suffixes = new HashSet<>();
    private final int longest;

    /** @param tokens the texts of the tokens that only special-token parsing recognises */
    SpecialTokenEdges(List<String> tokens) {
        this.tokens = List.copyOf(tokens);
        int max = 0;
        for (String t : tokens) {
            for (int k = 1; k < t.length(); k++) {
                prefixes.add(t.substring(0, k));
                suffixes.add(t.substring(k));
            }
            max = Math.max(max, t.length());
        }
        this.longest = max;
    }

    boolean touch(String text) {
        int n = text.length();
        if (n == 0) {
            return false;
        }
        // only the last and first (longest - 1) characters can be part of a token that sticks out of the text
        for (int k = 1; k < longest && k <= n; k++) {
            if (prefixes.contains(text.substring(n - k)) || suffixes.contains(text.substring(0, k))) {
                return true;
            }
        }
        if (n < longest) {
            for (String t : tokens) {
                if (t.contains(text)) {
                    return true;
                }
            }
        }
        return false;
    }
}
