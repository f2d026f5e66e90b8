package dev.moe4j.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a person sees besides the answer: the load progress bar and the log level. */
class ConsoleOutputTest {
    @Test
    void progressBarIsOneLineOfFixedWidth() {
        assertEquals("loading [------------------------]   0% opening", ProgressBar.line(0.0, "opening"));
        assertEquals("loading [############------------]  50% loading tensors", ProgressBar.line(0.5, "loading tensors"));
        assertEquals("loading [########################] 100% ready", ProgressBar.line(1.0, "ready"));
        assertEquals(ProgressBar.line(1.0, "x").length(), ProgressBar.line(1.7, "x").length(), "clamped");
    }

    @Test
    void logLevelIsWarnUnlessAskedFor() {
        String saved = System.getProperty(Logging.PROPERTY);
        try {
            System.clearProperty(Logging.PROPERTY);
            Logging.configure(false, null);
            assertEquals("warn", System.getProperty(Logging.PROPERTY));
            Logging.configure(true, null);
            assertEquals("info", System.getProperty(Logging.PROPERTY));
            Logging.configure(true, "DEBUG");
            assertEquals("debug", System.getProperty(Logging.PROPERTY));
            System.setProperty(Logging.PROPERTY, "error");
            Logging.configure(false, null);
            assertEquals("error", System.getProperty(Logging.PROPERTY), "a -D setting is kept");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Logging.configure(false, "loud"));
            assertTrue(e.getMessage().contains("loud"), e.getMessage());
        } finally {
            if (saved == null) {
                System.clearProperty(Logging.PROPERTY);
            } else {
                System.setProperty(Logging.PROPERTY, saved);
            }
        }
    }
}
