package dev.moe4j.internal.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopMatcherTest {

    /** Feeds the pieces and returns what was emitted, with "|" between the outputs of successive calls. */
    private static String feed(StopMatcher m, String... pieces) {
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            out.append(m.push(p)).append('|');
        }
        out.append(m.finish());
        return out.toString();
    }

    @Test
    void noStopsIsAPassThrough() {
        StopMatcher m = new StopMatcher(List.of());
        assertEquals("ab|cd|", feed(m, "ab", "cd"));
        assertFalse(m.stopped());
    }

    @Test
    void stopInsideOnePieceCutsBeforeIt() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertEquals("hello |", feed(m, "hello ENDworld"));
        assertTrue(m.stopped());
    }

    @Test
    void stopAcrossPiecesHoldsThePrefix() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertEquals("hello |||", feed(m, "hello E", "N", "D more"));
        assertTrue(m.stopped());
        assertEquals("", m.push("after"));
    }

    @Test
    void aPrefixThatDoesNotCompleteIsReleased() {
        StopMatcher m = new StopMatcher(List.of("END"));
        assertEquals("a|ENx|", feed(m, "aEN", "x"));
        m = new StopMatcher(List.of("END"));
        assertEquals("a|EN", feed(m, "aEN")); // released at the end
        assertFalse(m.stopped());
    }

    @Test
    void overlappingPrefixesFindTheEarliestStop() {
        StopMatcher m = new StopMatcher(List.of("aab"));
        assertEquals("|aa|", feed(m, "aa", "aabx")); // "aaaabx": the stop starts at index 2
        // the occurrence starts at index 1 of "aaab": one 'a' is emitted before it
        m = new StopMatcher(List.of("aab"));
        assertEquals("|a|", feed(m, "aa", "ab"));
        assertTrue(m.stopped());
    }

    @Test
    void earliestOfSeveralStopsWins() {
        StopMatcher m = new StopMatcher(List.of("world", "lo"));
        assertEquals("hel|", feed(m, "hello world"));
        m = new StopMatcher(List.of("\n\n", "User:"));
        assertEquals("answer|||", feed(m, "answer\n", "\nUser", ":"));
    }

    @Test
    void neverSplitsASurrogatePair() {
        // the stop string starts with the low half of a pair: holding it must not strand the high half
        String emoji = "\uD83D\uDE00";
        StopMatcher m = new StopMatcher(List.of("\uDE00!"));
        String out = m.push("x" + emoji);
        assertEquals("x", out);
        assertEquals(emoji + "?", m.push("?") + m.finish());
    }

    @Test
    void rejectsEmptyStops() {
        assertThrows(IllegalArgumentException.class, () -> new StopMatcher(List.of("")));
    }
}
