package dev.moe4j.internal.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Strict UTF-8 validation straight on mapped bytes, so that vocabularies with 100k+ strings are checked without
 * copying them. Rejects what {@link java.nio.charset.StandardCharsets#UTF_8} would replace: overlong forms, UTF-16
 * surrogates, code points above U+10FFFF, stray continuation bytes and truncated sequences.
 */
final class Utf8 {
    private Utf8() {
    }

    /** The offset of the first byte that is not part of valid UTF-8 in {@code [start, start+len)}, or -1. */
    static long firstInvalid(MemorySegment s, long start, long len) {
        long end = start + len;
        long i = start;
        while (i < end) {
            int b0 = s.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            if (b0 < 0x80) {
                i++;
                continue;
            }
            int n;
            int min;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                n = 1;
                min = 0x80;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                n = 2;
                min = 0x800;
                cp = b0 & 0x0F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                n = 3;
                min = 0x10000;
                cp = b0 & 0x07;
            } else {
                return i; // continuation byte without a lead, or C0/C1/F5..FF which never occur in UTF-8
            }
            if (end - i <= n) {
                return i;
            }
            for (int k = 1; k <= n; k++) {
                int b = s.get(ValueLayout.JAVA_BYTE, i + k) & 0xFF;
                if ((b & 0xC0) != 0x80) {
                    return i;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                return i;
            }
            i += n + 1;
        }
        return -1;
    }
}
