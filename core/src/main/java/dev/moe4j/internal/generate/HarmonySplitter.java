package dev.moe4j.internal.generate;

import dev.moe4j.TokenEvent.Channel;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits gpt-oss output (OpenAI's harmony format) into reasoning and answer, piece by piece. The prompt ends with
 * {@code <|start|>assistant}, and the model writes one or more messages, each a header, {@code <|message|>}, a body,
 * and {@code <|end|>} before the next {@code <|start|>assistant…} (the last one ends with {@code <|return|>} or
 * {@code <|call|>}, end tokens the text never shows):
 * <pre>{@code <|channel|>analysis<|message|>Reasoning…<|end|><|start|>assistant<|channel|>final<|message|>Answer…}</pre>
 * As llama.cpp's gpt-oss parser does, the body of an {@code analysis} message is reasoning and every other body
 * ({@code final}, a {@code commentary} preamble or tool call) is answer; headers and markers are dropped, bodies are
 * kept as generated. The markers must reach this splitter as text, so the decoder renders them although they are
 * control tokens (see {@link ReasoningFormat#HARMONY}).
 *
 * <p>Output that does not start like a header (a model prompted without the harmony generation prompt) is answer
 * text as generated. A header cut off by the end of generation is dropped. Disabled, everything is answer as
 * generated, markers included. Not thread-safe.
 */
public final class HarmonySplitter implements OutputSplitter {
    static final String START = "<|start|>";
    static final String END = "<|end|>";
    static final String MESSAGE = "<|message|>";
    static final String CHANNEL = "<|channel|>";
    static final String ANALYSIS = CHANNEL + "analysis";
    /** How a header may begin: a channel, a recipient ({@code  to=functions.f}), or the next message's start. */
    private static final List<String> HEADER_OPENINGS = List.of(CHANNEL, " to=", START);
    /** Longer than any header harmony writes (role, recipient, channel, content type); past it, it is not one. */
    static final int MAX_HEADER = 256;

    private enum State { HEADER, BODY, PLAIN }

    private State state;
    private Channel bodyChannel = Channel.ANSWER;
    private final StringBuilder buf = new StringBuilder();

    /** @param enabled false: everything is answer, as generated */
    public HarmonySplitter(boolean enabled) {
        this.state = enabled ? State.HEADER : State.PLAIN;
    }

    @Override
    public boolean inReasoning() {
        return state == State.BODY && bodyChannel == Channel.REASONING;
    }

    @Override
    public List<ReasoningSplitter.Segment> push(String text) {
        List<ReasoningSplitter.Segment> out = new ArrayList<>(2);
        buf.append(text);
        boolean progress = true;
        while (progress && !buf.isEmpty()) {
            progress = switch (state) {
                case HEADER -> header();
                case BODY -> body(out);
                case PLAIN -> {
                    add(out, Channel.ANSWER, buf.toString());
                    buf.setLength(0);
                    yield false;
                }
            };
        }
        return out;
    }

    @Override
    public List<ReasoningSplitter.Segment> finish() {
        List<ReasoningSplitter.Segment> out = new ArrayList<>(1);
        switch (state) {
            case BODY -> add(out, bodyChannel, buf.toString());
            case PLAIN -> add(out, Channel.ANSWER, buf.toString());
            case HEADER -> { } // an unfinished header carries no text for the user
        }
        buf.setLength(0);
        return out;
    }

    /** Reads a header up to {@code <|message|>}; returns whether the state changed. */
    private boolean header() {
        int message = buf.indexOf(MESSAGE);
        String head = message >= 0 ? buf.substring(0, message) : buf.toString();
        if (!looksLikeHeader(head)) {
            state = State.PLAIN; // not harmony after all: show it as generated
            return true;
        }
        if (message < 0) {
            return false; // wait for the rest of the header
        }
        bodyChannel = head.contains(ANALYSIS) ? Channel.REASONING : Channel.ANSWER;
        buf.delete(0, message + MESSAGE.length());
        state = State.BODY;
        return true;
    }

    private static boolean looksLikeHeader(String head) {
        if (head.length() > MAX_HEADER) {
            return false;
        }
        for (String opening : HEADER_OPENINGS) {
            if (head.startsWith(opening) || opening.startsWith(head)) {
                return true;
            }
        }
        return false;
    }

    /** Emits body text up to {@code <|end|>}, holding a tail that may be its start; returns whether it ended. */
    private boolean body(List<ReasoningSplitter.Segment> out) {
        int end = buf.indexOf(END);
        if (end >= 0) {
            add(out, bodyChannel, buf.substring(0, end));
            buf.delete(0, end + END.length());
            state = State.HEADER;
            return true;
        }
        int cut = buf.length() - ReasoningSplitter.partialSuffix(buf, END);
        if (cut > 0 && Character.isHighSurrogate(buf.charAt(cut - 1))) {
            cut--;
        }
        add(out, bodyChannel, buf.substring(0, cut));
        buf.delete(0, cut);
        return false;
    }

    private static void add(List<ReasoningSplitter.Segment> out, Channel channel, String text) {
        if (!text.isEmpty()) {
            out.add(new ReasoningSplitter.Segment(channel, text));
        }
    }
}
