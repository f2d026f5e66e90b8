package dev.moe4j.internal.generate;

import dev.moe4j.internal.tokenizer.TextSpans;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds where a skeleton's holes lie in the rendered prompt. The prompt must read piece 0, hole 1, piece 1, ...: every
 * piece exactly, and each hole a substring of its message's content. A substring, not the content itself, because
 * templates cut and trim contents (R1 keeps what follows the last {@code </think>} of an assistant turn, Llama 3 trims
 * every message); they never add to one.
 *
 * <p>When several placements fit (a content that holds text of the template, say), the one whose first hole is
 * longest is taken, then the second, and so on. A hole that ends early leaves the template's real text after it to be
 * matched by a later hole, which must then be a substring of its own content; for the cuts templates make (a prefix,
 * a suffix, a trimmed middle) the longest placement is the true one. Whatever placement is found, the text outside
 * the holes equals the template's own text, which is what makes reading special tokens only there safe.
 *
 * <p>A search with memoised dead ends, linear-time substring tests and a limit on the characters compared, so that no
 * content can make it run long: past the limit it reports failure, as when nothing fits.
 */
final class SkeletonAlignment {
    /** Characters compared before giving up (a fitting placement of all holes costs about their total length). */
    private static final long WORK_LIMIT = 64L << 20;

    private final String prompt;
    private final List<String> pieces;
    private final String[] holeContents;
    private final int[] holeStart;
    private final int[] holeEnd;
    private final Set<Long> deadEnds = new HashSet<>();
    private long work;

    private SkeletonAlignment(String prompt, List<String> pieces, String[] holeContents) {
        this.prompt = prompt;
        this.pieces = pieces;
        this.holeContents = holeContents;
        this.holeStart = new int[holeContents.length];
        this.holeEnd = new int[holeContents.length];
    }

    /**
     * The holes' places in {@code prompt}, or null if the skeleton does not fit it.
     *
     * @param contents the content of every message, by message index
     */
    static TextSpans align(String prompt, PromptSkeleton skeleton, List<String> contents) {
        List<String> pieces = skeleton.pieces();
        if (!prompt.startsWith(pieces.getFirst())) {
            return null;
        }
        int holes = skeleton.holes().length;
        if (holes == 0) {
            return prompt.equals(pieces.getFirst()) ? TextSpans.NONE : null;
        }
        String[] holeContents = new String[holes];
        for (int j = 0; j < holes; j++) {
            holeContents[j] = contents.get(skeleton.holes()[j]);
        }
        SkeletonAlignment a = new SkeletonAlignment(prompt, pieces, holeContents);
        if (!a.place(0, pieces.getFirst().length())) {
            return null;
        }
        List<TextSpans.Span> spans = new ArrayList<>(holes);
        for (int j = 0; j < holes; j++) {
            spans.add(new TextSpans.Span(a.holeStart[j], a.holeEnd[j]));
        }
        return TextSpans.of(spans);
    }

    /** Places hole {@code j}, starting at {@code start}, and every hole after it; longest first. */
    private boolean place(int j, int start) {
        long key = (long) j << 32 | start;
        if (deadEnds.contains(key)) {
            return false;
        }
        String after = pieces.get(j + 1);
        String content = holeContents[j];
        boolean last = j == holeContents.length - 1;
        // the last piece must end the prompt; any other may be followed by more
        int end = last ? prompt.length() - after.length()
                : prompt.lastIndexOf(after, Math.min(start + content.length(), prompt.length() - after.length()));
        if (last && (end < start || end - start > content.length() || !prompt.startsWith(after, end))) {
            end = -1;
        }
        while (end >= start) {
            if (work > WORK_LIMIT) {
                return false;
            }
            if (isPartOf(content, start, end) && (last || place(j + 1, end + after.length()))) {
                holeStart[j] = start;
                holeEnd[j] = end;
                return true;
            }
            int next = last || end == 0 ? -1 : prompt.lastIndexOf(after, end - 1);
            work += end - Math.max(next, start); // what the backward search passed over
            end = next;
        }
        deadEnds.add(key);
        return false;
    }

    /** Whether {@code prompt[start, end)} occurs in {@code content}. */
    private boolean isPartOf(String content, int start, int end) {
        int length = end - start;
        int n = content.length();
        work += 1 + length;
        if (length >= n) {
            return length == n && prompt.regionMatches(start, content, 0, length); // the usual case: all of it
        }
        if (prompt.regionMatches(start, content, n - length, length) // a suffix, as after R1's cut
                || prompt.regionMatches(start, content, 0, length)) {
            return true;
        }
        work += n;
        return occurs(prompt.substring(start, end), content);
    }

    /** Knuth-Morris-Pratt: whether {@code pattern} occurs in {@code text}, in time linear in both. */
    static boolean occurs(String pattern, String text) {
        int m = pattern.length();
        if (m == 0) {
            return true;
        }
        int[] border = new int[m]; // border[i]: length of the longest proper border of pattern[0, i]
        for (int i = 1, k = 0; i < m; i++) {
            while (k > 0 && pattern.charAt(i) != pattern.charAt(k)) {
                k = border[k - 1];
            }
            if (pattern.charAt(i) == pattern.charAt(k)) {
                k++;
            }
            border[i] = k;
        }
        for (int i = 0, k = 0; i < text.length(); i++) {
            while (k > 0 && text.charAt(i) != pattern.charAt(k)) {
                k = border[k - 1];
            }
            if (text.charAt(i) == pattern.charAt(k)) {
                k++;
            }
            if (k == m) {
                return true;
            }
        }
        return false;
    }
}
