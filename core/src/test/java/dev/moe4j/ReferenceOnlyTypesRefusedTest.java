package dev.moe4j;

import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Java reference for a format is not support for it: a model whose weights use a type the native kernels do not
 * compute (the i-quants, MXFP4, TQ2_0 of shared/golden-iq) is still refused at load, naming the tensor's type.
 */
class ReferenceOnlyTypesRefusedTest {

    @TestFactory
    Stream<DynamicTest> goldenIqModelsAreRefusedAtLoad() throws IOException {
        List<String> referenceOnly = Arrays.stream(GgmlType.values())
                .filter(t -> t.referenceDequant() && !t.kernels()).map(GgmlType::name).toList();
        List<Path> models;
        try (Stream<Path> dirs = Files.list(GoldenFiles.goldenIqDir())) {
            models = dirs.map(d -> d.resolve("model.gguf")).filter(Files::isRegularFile).sorted().toList();
        }
        assertTrue(models.size() >= 9, "golden-iq models: " + models);
        return models.stream().map(model -> DynamicTest.dynamicTest(model.getParent().getFileName().toString(), () -> {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.load(model).close());
            assertTrue(e.getMessage().contains("which moe4j's kernels do not compute"), e.getMessage());
            assertTrue(referenceOnly.stream().anyMatch(t -> e.getMessage().contains("stored as " + t)), e.getMessage());
        }));
    }
}
