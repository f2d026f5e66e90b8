package dev.moe4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar moe4j.jar <command>}: the moe4j command line. */
@Command(name = "moe4j", mixinStandardHelpOptions = true, version = "moe4j 0.1.0",
        description = "Run and inspect Mixture-of-Experts models.",
        subcommands = {CommandLine.HelpCommand.class, InspectCommand.class, GenerateCommand.class,
                LogitsCommand.class, TokenizeCommand.class, ChatCommand.class, RenderCommand.class,
                ProfileCommand.class, SynthCommand.class, BenchCommand.class, InfillBenchCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs one command line and returns its exit code (used by tests, which must not exit the JVM). */
    public static int run(String... args) {
        Logging.configure(false, null); // warnings and errors only, unless a command is given -v or --log-level
        return new CommandLine(new Main()).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
