package dev.moe4j.cli;

import dev.moe4j.ModelFormatException;
import dev.moe4j.Moe4jException;

import java.io.UncheckedIOException;
import java.util.concurrent.Callable;

/**
 * Runs a command body and turns expected failures into one line on stderr and an exit code: 1 for I/O and runtime
 * failures, 2 for a malformed model file or a bad option value.
 */
final class Failures {
    static final int EXIT_FAILED = 1;
    static final int EXIT_BAD_INPUT = 2;

    private Failures() {}

    static int run(String command, Callable<Integer> body) {
        try {
            return body.call();
        } catch (ModelFormatException | IllegalArgumentException e) {
            return report(command, e, EXIT_BAD_INPUT);
        } catch (Moe4jException | UncheckedIOException | java.io.IOException | IllegalStateException e) {
            return report(command, e, EXIT_FAILED);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int report(String command, Exception e, int code) {
        Console.stderr().println("moe4j " + command + ": " + e.getMessage());
        return code;
    }
}
