package dev.moe4j.internal.model;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.internal.gguf.GgufWriter;
import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model whose weights use a type the native kernels do not compute is refused at load, naming the tensor and its type.
 * (Every format with a Java reference now has kernels too, so the file is made here: the tiny f32 golden model with one
 * weight matrix relabelled I32, which has the same 4-byte elements.)
 */
class TypeWithoutKernelsRefusedTest {
    @TempDir
    Path dir;

    @Test
    void aWeightOfATypeWithoutKernelsIsRefusedAtLoad() throws IOException {
        assertFalse(GgmlType.I32.kernels());
        GoldenCase g = GoldenCase.load("ds2-tiny-f32");
        Path file = dir.resolve("i32-weight.gguf");
        String name = "blk.1.attn_output.weight";
        try (GgufFile src = GgufFile.open(g.model())) {
            GgufTensor t = src.tensor(name).orElseThrow();
            assertEquals(GgmlType.F32, t.type(), name);
            GgufWriter w = GgufRewrite.copy(src, k -> true, n -> !n.equals(name));
            w.tensor(name, GgmlType.I32, t.dims(), t.segment().toArray(JAVA_BYTE));
            w.write(file);
        }
        try (GgufFile f = GgufFile.open(file)) {
            ModelFormatException e = assertThrows(ModelFormatException.class,
                    () -> LanguageModels.load(f, ModelOptions.defaults(1)).close());
            assertTrue(e.getMessage().contains("'" + name + "' is stored as I32, which moe4j's kernels do not compute"),
                    e.getMessage());
        }
    }
}
