package dev.moe4j;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every Java block of the README is, verbatim, a block of {@code examples/consumer/.../ReadmeExamples.java}, which the
 * consumer project compiles against the installed artifacts: the README's examples cannot drift from the API.
 */
class ReadmeExamplesTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getFileName().toString().equals("core")
            ? Path.of("..") : Path.of(".");

    @Test
    void theReadmesJavaBlocksCompileInTheConsumerProject() throws IOException {
        String readme = Files.readString(ROOT.resolve("README.md"));
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        while (m.find()) {
            blocks.add(m.group(1).stripTrailing());
        }
        String source = Files.readString(ROOT.resolve(
                "examples/consumer/src/main/java/com/example/consumer/ReadmeExamples.java"));
        List<String> copies = new ArrayList<>();
        Matcher c = Pattern.compile("// README block (\\d+) begins\n(.*?)\n\\s*// README block \\1 ends",
                Pattern.DOTALL).matcher(source);
        while (c.find()) {
            copies.add(c.group(2).lines().map(l -> l.length() >= 8 ? l.substring(8) : l.strip())
                    .reduce((a, b) -> a + "\n" + b).orElse("").stripTrailing());
        }
        assertEquals(blocks, copies, "README.md's ```java blocks and ReadmeExamples.java's copies differ: copy the "
                + "README's blocks into ReadmeExamples.java (indented by 8 spaces)");
    }
}
