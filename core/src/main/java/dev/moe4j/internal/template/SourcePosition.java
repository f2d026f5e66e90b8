package dev.moe4j.internal.template;

import java.util.Arrays;

/** Maps a character offset in the template source to a 1-based line and a 1-based column counted in code points. */
final class SourcePosition {
    private final String source;
    private final int[] lineStarts;

    SourcePosition(String source) {
        this.source = source;
        int[] starts = new int[16];
        int n = 0;
        starts[n++] = 0;
        for (int i = 0; i < source.length(); i++) {
            if (source.charAt(i) == '\n') {
                if (n == starts.length) {
                    starts = Arrays.copyOf(starts, n * 2);
                }
                starts[n++] = i + 1;
            }
        }
        this.lineStarts = Arrays.copyOf(starts, n);
    }

    int line(int offset) {
        int i = Arrays.binarySearch(lineStarts, offset);
        return (i >= 0 ? i : -i - 2) + 1;
    }

    int column(int offset) {
        int start = lineStarts[line(offset) - 1];
        int end = Math.min(Math.max(offset, start), source.length());
        return source.codePointCount(start, end) + 1;
    }

    TemplateException error(String detail, int offset) {
        return new TemplateException(detail, line(offset), column(offset));
    }
}
