package dev.moe4j.cli;

import java.util.Locale;
import java.util.Set;

/**
 * The command line's log level. The engine logs through SLF4J (slf4j-simple here, to stderr); a person running a
 * command sees warnings and errors only, unless they ask with {@code -v} or {@code --log-level}. A level set with
 * {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} is kept when neither is given.
 */
final class Logging {
    static final String PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";
    private static final Set<String> LEVELS = Set.of("error", "warn", "info", "debug", "trace", "off");

    private Logging() {}

    /**
     * Sets the level before the first logger exists (slf4j-simple reads it once).
     *
     * @throws IllegalArgumentException for a level name slf4j-simple does not know
     */
    static void configure(boolean verbose, String level) {
        if (level != null) {
            String l = level.toLowerCase(Locale.ROOT);
            if (!LEVELS.contains(l)) {
                throw new IllegalArgumentException("--log-level: expected one of " + String.join(", ",
                        LEVELS.stream().sorted().toList()) + ", got '" + level + "'");
            }
            System.setProperty(PROPERTY, l);
        } else if (verbose) {
            System.setProperty(PROPERTY, "info");
        } else if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, "warn");
        }
    }
}
