package dev.moe4j.internal.generate;

import dev.moe4j.TokenEvent.Channel;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits DeepSeek-R1 style output into reasoning ({@code <think>…</think>}) and answer, piece by piece, with the same
 * result as llama.cpp's deepseek-r1 parser applied to the whole text:
 * <ul>
 *   <li>reasoning is recognised when the output starts with {@code <think>}, or from the first character when the
 *       prompt already opened it ({@code startsInReasoning}); a {@code <think>} later in the text is plain answer text.
 *       Whitespace before that first {@code <think>} is allowed (and dropped): GLM-4.5/4.6 answer a bare
 *       {@code <|assistant|>} with {@code "\n<think>"}; llama.cpp's tag parser allows it too (optional space around
 *       the start tag), its older deepseek-r1 parser did not, and R1 never writes it;</li>
 *   <li>the reasoning is stripped of leading and trailing whitespace (so an all-blank reasoning is empty);</li>
 *   <li>whitespace right after {@code </think>} is dropped; the answer is otherwise kept as generated;</li>
 *   <li>reasoning that is never closed runs to the end of the text.</li>
 * </ul>
 * While streaming, text that may still turn out to be part of a tag, or trailing reasoning whitespace, is held back
 * until later text decides it, so the pieces concatenate to exactly the whole-text result. Whitespace means C's
 * {@code isspace}: space, tab, LF, VT, FF, CR. Not thread-safe.
 */
public final class ReasoningSplitter implements OutputSplitter {
    static final String OPEN = "<think>";
    static final String CLOSE = "</think>";

    /** A run of text in one channel. */
    public record Segment(Channel channel, String text) {}

    private enum State { OPENING, REASONING, AFTER_CLOSE, ANSWER }

    private State state;
    private boolean reasoningStart = true;
    private final StringBuilder buf = new StringBuilder();

    /**
     * @param enabled           false: everything is answer, as generated
     * @param startsInReasoning the prompt ended inside an open {@code <think>}
     */
    public ReasoningSplitter(boolean enabled, boolean startsInReasoning) {
        this.state = !enabled ? State.ANSWER : startsInReasoning ? State.REASONING : State.OPENING;
    }

    /** True while the text seen so far is inside the reasoning (or may still open it). */
    @Override
    public boolean inReasoning() {
        return state == State.REASONING;
    }

    @Override
    public List<Segment> push(String text) {
        List<Segment> out = new ArrayList<>(2);
        buf.append(text);
        boolean progress = true;
        while (progress && !buf.isEmpty()) {
            progress = switch (state) {
                case OPENING -> opening(out);
                case REASONING -> reasoning(out);
                case AFTER_CLOSE -> afterClose();
                case ANSWER -> {
                    add(out, Channel.ANSWER, buf.toString());
                    buf.setLength(0);
                    yield false;
                }
            };
        }
        return out;
    }

    /** Releases what was held back; call once at the end of generation. */
    @Override
    public List<Segment> finish() {
        List<Segment> out = new ArrayList<>(1);
        switch (state) {
            case OPENING, ANSWER -> add(out, Channel.ANSWER, buf.toString());
            case REASONING -> add(out, Channel.REASONING, stripTrailing(buf));
            case AFTER_CLOSE -> { }
        }
        buf.setLength(0);
        return out;
    }

    /** Decides whether the output opens with {@code <think>} (after whitespace); returns whether the state changed. */
    private boolean opening(List<Segment> out) {
        int lead = 0;
        while (lead < buf.length() && isSpace(buf.charAt(lead))) {
            lead++;
        }
        CharSequence rest = buf.subSequence(lead, buf.length());
        if (startsWith(rest, OPEN)) {
            buf.delete(0, lead + OPEN.length());
            state = State.REASONING;
            return true;
        }
        if (isPrefix(rest, OPEN)) {
            return false; // "\n<thi" or only whitespace so far: wait for more
        }
        state = State.ANSWER; // the held whitespace is answer text, as generated
        return true;
    }

    private boolean reasoning(List<Segment> out) {
        if (reasoningStart) {
            int skip = 0;
            while (skip < buf.length() && isSpace(buf.charAt(skip))) {
                skip++;
            }
            buf.delete(0, skip);
            if (buf.isEmpty()) {
                return false;
            }
            reasoningStart = false;
        }
        int close = buf.indexOf(CLOSE);
        if (close >= 0) {
            add(out, Channel.REASONING, stripTrailing(buf.substring(0, close)));
            buf.delete(0, close + CLOSE.length());
            state = State.AFTER_CLOSE;
            return true;
        }
        // Hold a tail that may be the start of "</think>", and whitespace before it that would be stripped if the
        // reasoning ended right there.
        int cut = buf.length() - partialSuffix(buf, CLOSE);
        while (cut > 0 && isSpace(buf.charAt(cut - 1))) {
            cut--;
        }
        if (cut > 0 && Character.isHighSurrogate(buf.charAt(cut - 1))) {
            cut--;
        }
        add(out, Channel.REASONING, buf.substring(0, cut));
        buf.delete(0, cut);
        return false;
    }

    private boolean afterClose() {
        int skip = 0;
        while (skip < buf.length() && isSpace(buf.charAt(skip))) {
            skip++;
        }
        buf.delete(0, skip);
        if (buf.isEmpty()) {
            return false;
        }
        state = State.ANSWER;
        return true;
    }

    private static void add(List<Segment> out, Channel channel, String text) {
        if (!text.isEmpty()) {
            out.add(new Segment(channel, text));
        }
    }

    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\u000b' || c == '\f' || c == '\r';
    }

    private static String stripTrailing(CharSequence s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.subSequence(0, end).toString();
    }

    private static boolean startsWith(CharSequence s, String prefix) {
        return s.length() >= prefix.length() && s.subSequence(0, prefix.length()).toString().equals(prefix);
    }

    /** True if all of {@code s} is a prefix of {@code of}. */
    private static boolean isPrefix(CharSequence s, String of) {
        return s.length() <= of.length() && of.startsWith(s.toString());
    }

    /** Length of the longest suffix of {@code s} that is a proper prefix of {@code tag}. */
    static int partialSuffix(CharSequence s, String tag) {
        int n = s.length();
        for (int len = Math.min(tag.length() - 1, n); len > 0; len--) {
            if (tag.startsWith(s.subSequence(n - len, n).toString())) {
                return len;
            }
        }
        return 0;
    }
}
