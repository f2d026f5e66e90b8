package dev.moe4j.internal.generate;

import java.util.List;

/**
 * Finds stop strings in text that arrives in pieces (one per token), across piece boundaries.
 *
 * <p>{@link #push} returns the text that is safe to show: everything except a tail that could still grow into a stop
 * string, which is held back until the next piece decides it. When a stop string completes, the text before it is
 * returned, the stop string and everything after it are dropped, and {@link #stopped()} turns true. {@link #finish}
 * releases the held tail at the end of generation. Concatenating everything returned equals the text cut before the
 * first stop string. Not thread-safe.
 */
public final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    /** @param stops non-empty strings; an empty list makes this a pass-through */
    public StopMatcher(List<String> stops) {
        for (String s : stops) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be null or empty");
            }
        }
        this.stops = List.copyOf(stops);
    }

    public boolean stopped() {
        return stopped;
    }

    /** Adds a piece; returns the text now safe to emit (maybe empty). After a stop, returns "" for every call. */
    public String push(String piece) {
        if (stopped) {
            return "";
        }
        if (stops.isEmpty()) {
            return piece;
        }
        pending.append(piece);
        int first = firstStop();
        if (first >= 0) {
            stopped = true;
            String out = pending.substring(0, first);
            pending.setLength(0);
            return out;
        }
        int keep = heldTail();
        int emit = pending.length() - keep;
        if (emit > 0 && Character.isHighSurrogate(pending.charAt(emit - 1))) {
            emit--; // never split a surrogate pair between what is shown and what is held
        }
        String out = pending.substring(0, emit);
        pending.delete(0, emit);
        return out;
    }

    /** The held tail (no stop string completed it), to emit at the end of generation. */
    public String finish() {
        String out = pending.toString();
        pending.setLength(0);
        return stopped ? "" : out;
    }

    private int firstStop() {
        int best = -1;
        for (String s : stops) {
            int at = pending.indexOf(s);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of some stop string. */
    private int heldTail() {
        int longest = 0;
        int n = pending.length();
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, n); len > longest; len--) {
                if (regionEquals(pending, n - len, s, len)) {
                    longest = len;
                    break;
                }
            }
        }
        return longest;
    }

    private static boolean regionEquals(CharSequence text, int from, String prefixOf, int len) {
        for (int i = 0; i < len; i++) {
            if (text.charAt(from + i) != prefixOf.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
