package dev.moe4j;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.quant.GgmlType;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Java reference for a format is not support for it: Model.load refuses a model whose weights use a type the native
 * kernels do not compute ({@link GgmlType#kernels()}), naming the tensor's type, and loads each golden-iq model (the
 * i-quants, MXFP4, TQ2_0) once the kernels compute every type it holds. Which of the two a model gets follows the
 * type table, so the test keeps checking as the formats' kernels arrive.
 */
class ReferenceOnlyTypesRefusedTest {

    @TestFactory
    Stream<DynamicTest> goldenIqModelsLoadExactlyWhenTheKernelsComputeTheirTypes() throws IOException {
        List<Path> models;
        try (Stream<Path> dirs = Files.list(GoldenFiles.goldenIqDir())) {
            models = dirs.map(d -> d.resolve("model.gguf")).filter(Files::isRegularFile).sorted().toList();
        }
        assertTrue(models.size() >= 9, "golden-iq models: " + models);
        return models.stream().map(model -> DynamicTest.dynamicTest(model.getParent().getFileName().toString(), () -> {
            List<String> withoutKernels;
            try (GgufFile f = GgufFile.open(model)) {
                withoutKernels = f.tensors().stream().map(GgufTensor::type).filter(t -> !t.kernels()).distinct()
                        .map(GgmlType::name).toList();
            }
            if (withoutKernels.isEmpty()) {
                Model.load(model).close();
                return;
            }
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> Model.load(model).close());
            assertTrue(e.getMessage().contains("which moe4j's kernels do not compute"), e.getMessage());
            assertTrue(withoutKernels.stream().anyMatch(t -> e.getMessage().contains("stored as " + t)), e.getMessage());
        }));
    }
}
