package dev.moe4j.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI is built on the exported packages only ({@code dev.moe4j} and the tooling API {@code dev.moe4j.tooling}):
 * none of its classes names a class of {@code dev.moe4j.internal} (in its constant pool, descriptors or signatures),
 * so it runs on the module path as any other client would.
 */
class ApiOnlyTest {
    @Test
    void noCliClassReferencesTheInternals() throws IOException, URISyntaxException {
        Path root = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Path> classes;
        try (Stream<Path> s = Files.walk(root)) {
            classes = s.filter(p -> p.toString().endsWith(".class")).toList();
        }
        assertTrue(classes.size() > 20, "the CLI's classes under " + root);
        List<String> violations = new ArrayList<>();
        for (Path f : classes) {
            ClassModel c = ClassFile.of().parse(f);
            for (PoolEntry e : c.constantPool()) {
                String named = e instanceof ClassEntry ce ? ce.asInternalName()
                        : e instanceof Utf8Entry u ? u.stringValue() : "";
                if (named.contains("dev/moe4j/internal/")) {
                    violations.add(c.thisClass().asInternalName() + " -> " + named);
                }
            }
        }
        assertEquals(List.of(), violations);
    }
}
