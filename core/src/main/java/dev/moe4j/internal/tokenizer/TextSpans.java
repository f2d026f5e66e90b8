package dev.moe4j.internal.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Character ranges {@code [start, end)} of a text, kept sorted and merged. {@link Tokenizer#encode(String, boolean,
 * TextSpans)} reads special-token text inside them as plain text: a rendered chat prompt marks its message contents
 * this way, so that a user cannot write control tokens. Immutable.
 */
public final class TextSpans {
    /** No ranges at all. */
    public static final TextSpans NONE = new TextSpans(new int[0], new int[0]);

    /** One range {@code [start, end)}. */
    public record Span(int start, int end) {
        public Span {
            if (start < 0 || end < start) {
                throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
            }
        }
    }

    private final int[] starts;
    private final int[] ends;

    private TextSpans(int[] starts, int[] ends) {
        this.starts = starts;
        this.ends = ends;
    }

    /** The union of these ranges (empty ones dropped, overlapping and touching ones merged). */
    public static TextSpans of(List<Span> spans) {
        List<Span> sorted = new ArrayList<>(spans);
        sorted.removeIf(s -> s.end() == s.start());
        sorted.sort(Comparator.comparingInt(Span::start));
        int[] s = new int[sorted.size()];
        int[] e = new int[sorted.size()];
        int n = 0;
        for (Span span : sorted) {
            if (n > 0 && span.start() <= e[n - 1]) {
                e[n - 1] = Math.max(e[n - 1], span.end());
            } else {
                s[n] = span.start();
                e[n] = span.end();
                n++;
            }
        }
        return new TextSpans(Arrays.copyOf(s, n), Arrays.copyOf(e, n));
    }

    /** Whether {@code [start, end)} shares at least one character with a range. */
    public boolean overlaps(int start, int end) {
        // the last range that starts before `end` is the only one that can reach into [start, end)
        int i = Arrays.binarySearch(starts, end);
        int last = i >= 0 ? i - 1 : -i - 2;
        return last >= 0 && ends[last] > start && end > start;
    }

    /** Whether there are no ranges. */
    public boolean isEmpty() {
        return starts.length == 0;
    }

    /** The ranges, in order. */
    public List<Span> spans() {
        List<Span> out = new ArrayList<>(starts.length);
        for (int k = 0; k < starts.length; k++) {
            out.add(new Span(starts[k], ends[k]));
        }
        return out;
    }

    @Override
    public String toString() {
        return spans().toString();
    }
}
