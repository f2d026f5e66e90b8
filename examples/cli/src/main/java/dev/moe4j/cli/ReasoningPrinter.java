package dev.moe4j.cli;

import dev.moe4j.TokenEvent;

import java.io.PrintStream;

/**
 * Prints streamed text, reasoning set apart: dimmed on a terminal, otherwise between {@code <think>} and
 * {@code </think>} lines as R1 models write it. Flushes after every piece.
 */
final class ReasoningPrinter {
    private final PrintStream out;
    private final boolean ansi;
    private boolean inReasoning;
    private boolean printedAnything;

    ReasoningPrinter(PrintStream out, boolean ansi) {
        this.out = out;
        this.ansi = ansi;
    }

    void accept(TokenEvent e) {
        if (e.text().isEmpty()) {
            return;
        }
        if (e.isReasoning() && !inReasoning) {
            out.print(ansi ? Console.DIM : "<think>\n");
            inReasoning = true;
        } else if (!e.isReasoning() && inReasoning) {
            closeReasoning();
        }
        out.print(e.text());
        out.flush();
        printedAnything = true;
    }

    /** Ends the output (closing open reasoning) with a newline. */
    void finish() {
        if (inReasoning) {
            closeReasoning();
        }
        if (printedAnything) {
            out.println();
        }
        out.flush();
    }

    private void closeReasoning() {
        out.print(ansi ? Console.RESET + "\n\n" : "\n</think>\n\n");
        inReasoning = false;
    }
}
