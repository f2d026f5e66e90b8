package dev.moe4j;

import org.junit.jupiter.api.BeforeAll;
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
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dependency rule between the module's packages, checked on the compiled classes (every class the constant pool
 * or a descriptor or signature names; javadoc links do not count):
 * <ol>
 * <li>{@code dev.moe4j.internal.*} references, of the public API {@code dev.moe4j}, only the {@link #LEAVES}: its
 *     exceptions, plain values and listener interfaces, which the engine throws, builds or calls. It never references
 *     the API's facades ({@link Model}, {@link ModelInfo}, {@link ChatSession}, {@link GenerationRun}, ...), which
 *     call into the internals.</li>
 * <li>The leaves reference no internal class and no public type outside the leaves. With rule 1 this keeps the class
 *     graph free of cycles: facades → internals → leaves, never back.</li>
 * <li>Neither the public API nor the internals reference the tooling package {@code dev.moe4j.tooling}, which sits
 *     on top of both (facades over internals for the CLI and other tools).</li>
 * </ol>
 * A class that needs a facade's service from inside the internals gets what it needs passed in (as
 * {@code ModelLoader} gets the {@link LoadProgressListener}) or owns it (as {@code ModelLoader.DEFAULT_MAX_CONTEXT},
 * which {@link Model#DEFAULT_MAX_CONTEXT} publishes).
 */
class LayeringTest {
    /** The public types the internals may use. Each must be a leaf: rule 2. */
    static final Set<String> LEAVES = Set.of("ChatMessage", "ContextLengthExceededException", "FinishReason",
            "GenerationStats", "KernelException", "LoadProgressListener", "MemoryStats",
            "ModelFormatException", "Moe4jException", "NativeLibraryException", "RoutingProfile", "TokenEvent",
            "UnsafePromptException");

    /** A class name in a descriptor or signature ({@code Ldev/moe4j/...;} or {@code ...<}). */
    private static final Pattern DESCRIBED = Pattern.compile("L(dev/moe4j/[\\w/$]+)[;<]");

    /** Every class of the module (internal name, e.g. {@code dev/moe4j/internal/gguf/GgufFile}) → what it names. */
    private static Map<String, Set<String>> references;

    @BeforeAll
    static void readClasses() throws IOException, URISyntaxException {
        Path root = Path.of(Model.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        references = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(root.resolve("dev/moe4j"))) {
            files = s.filter(p -> p.toString().endsWith(".class")).toList();
        }
        for (Path f : files) {
            ClassModel c = ClassFile.of().parse(f);
            Set<String> names = new TreeSet<>();
            for (PoolEntry e : c.constantPool()) {
                if (e instanceof ClassEntry ce) {
                    names.add(ce.asInternalName());
                } else if (e instanceof Utf8Entry u) {
                    Matcher m = DESCRIBED.matcher(u.stringValue());
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                }
            }
            references.put(c.thisClass().asInternalName(), names);
        }
        assertTrue(references.size() > 100, "the module's classes were found under " + root);
    }

    /** {@code dev/moe4j/Foo$Bar} → {@code Foo}; null for a class outside the public package. */
    private static String publicType(String internalName) {
        if (!internalName.startsWith("dev/moe4j/") || internalName.indexOf('/', "dev/moe4j/".length()) >= 0) {
            return null;
        }
        String simple = internalName.substring("dev/moe4j/".length());
        int nested = simple.indexOf('$');
        return nested < 0 ? simple : simple.substring(0, nested);
    }

    private static boolean in(String internalName, String pkg) {
        return internalName.startsWith("dev/moe4j/" + pkg + "/");
    }

    @Test
    void internalsReferenceOnlyTheLeavesOfThePublicApi() {
        List<String> violations = new ArrayList<>();
        references.forEach((cls, names) -> {
            if (in(cls, "internal")) {
                for (String n : names) {
                    String t = publicType(n);
                    if (t != null && !LEAVES.contains(t)) {
                        violations.add(cls + " -> " + n);
                    }
                }
            }
        });
        assertEquals(List.of(), violations, "internal classes may use only these public types: " + LEAVES);
    }

    @Test
    void theLeavesAreLeaves() {
        List<String> violations = new ArrayList<>();
        Set<String> seen = new TreeSet<>();
        references.forEach((cls, names) -> {
            String t = publicType(cls);
            if (t != null && LEAVES.contains(t)) {
                seen.add(t);
                for (String n : names) {
                    String u = publicType(n);
                    if (in(n, "internal") || in(n, "tooling") || (u != null && !LEAVES.contains(u))) {
                        violations.add(cls + " -> " + n);
                    }
                }
            }
        });
        assertEquals(LEAVES, seen, "every leaf exists");
        assertEquals(List.of(), violations, "a leaf names no internal class and no public type but the leaves");
    }

    @Test
    void nothingButToolsReferencesTheToolingPackage() {
        List<String> violations = new ArrayList<>();
        references.forEach((cls, names) -> {
            if (!in(cls, "tooling")) {
                names.stream().filter(n -> in(n, "tooling")).forEach(n -> violations.add(cls + " -> " + n));
            }
        });
        assertEquals(List.of(), violations);
    }

    /** The check sees a real reference (it would not pass by reading nothing). */
    @Test
    void theScanSeesReferences() {
        Set<String> loader = references.get("dev/moe4j/internal/generate/ModelLoader");
        assertTrue(loader.contains("dev/moe4j/LoadProgressListener"), loader.toString());
        assertTrue(references.get("dev/moe4j/Model").contains("dev/moe4j/internal/generate/ModelLoader"));
        assertFalse(references.get("dev/moe4j/ModelFormatException").isEmpty());
    }
}
