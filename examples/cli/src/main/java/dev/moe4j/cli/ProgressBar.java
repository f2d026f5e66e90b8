package dev.moe4j.cli;

import dev.moe4j.LoadProgressListener;

import java.io.PrintStream;

/** A one-line load progress bar for a terminal: {@code loading [########------------]  40% reading tensors}. */
final class ProgressBar implements LoadProgressListener {
    private static final int WIDTH = 24;
    private final PrintStream err;

    ProgressBar(PrintStream err) {
        this.err = err;
    }

    @Override
    public void onProgress(double fraction, String message) {
        if (fraction == 0.0) {
            return; // nothing is known about the file yet; a bad path must stay a one-line error
        }
        if (fraction >= 1.0) {
            err.print("\r\u001b[2K"); // done: erase the bar, so what follows starts on a clean line
        } else {
            err.print("\r\u001b[2K" + line(fraction, message));
        }
        err.flush();
    }

    /** The bar's text for a fraction in [0, 1]. */
    static String line(double fraction, String message) {
        int filled = (int) Math.round(Math.max(0, Math.min(1, fraction)) * WIDTH);
        return "loading [" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] "
                + String.format("%3.0f%% %s", fraction * 100, message);
    }
}
