package dev.moe4j.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Terminal helpers shared by the commands: UTF-8 stdout whatever the platform encoding, ANSI only on a terminal. */
final class Console {
    static final String DIM = "\u001b[2m";
    static final String RESET = "\u001b[0m";
    static final String BOLD = "\u001b[1m";

    private Console() {}

    /**
     * UTF-8 writer over the current {@link System#out} (looked up at call time so that tests can capture it); not
     * auto-flushing: callers flush when a piece should appear.
     */
    static PrintStream stdout() {
        return new PrintStream(System.out, false, StandardCharsets.UTF_8);
    }

    static PrintStream stderr() {
        return new PrintStream(System.err, true, StandardCharsets.UTF_8);
    }

    /** True when stdout is an interactive terminal (not a pipe, a file or a test's buffer). */
    static boolean stdoutIsTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }
}
