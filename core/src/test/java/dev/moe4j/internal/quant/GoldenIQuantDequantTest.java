package dev.moe4j.internal.quant;

import dev.moe4j.internal.quant.GoldenDequantTest.Case;
import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link GoldenDequantTest} over shared/golden-iq: the i-quant, MXFP4 and TQ2_0 models, whose {@code dequant/} rows
 * llama.cpp's gguf-py decoded. Stricter than the tolerance there: the Java reference must give gguf-py's floats bit for
 * bit (−0.0 and 0.0 count as equal, as they do under GoldenDequantTest's numeric comparison), for the i-quant formats
 * and for the K-quant and Q8_0 tensors llama-quantize mixed into the same files. The native kernels are checked, as in
 * GoldenDequantTest, on the tensors of the types they compute (now all of them).
 */
class GoldenIQuantDequantTest {
    /** The formats defined by ggml alone that the golden-iq files hold (all but TQ1_0, which TernaryQuantTest covers). */
    private static final Set<GgmlType> GGML_FORMATS_IN_FILES = EnumSet.of(GgmlType.IQ1_S, GgmlType.IQ1_M,
            GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.TQ2_0,
            GgmlType.MXFP4);

    static List<Case> cases() {
        return GoldenDequantTest.cases(GoldenFiles.goldenIqDir());
    }

    @Test
    void goldenFilesCoverTheGgmlFormats() {
        Set<GgmlType> covered = EnumSet.copyOf(GoldenDequantTest.coveredTypes(cases()));
        covered.retainAll(RandomWeights.GGML_FORMATS);
        assertEquals(GGML_FORMATS_IN_FILES, covered);
        assertTrue(covered.stream().allMatch(t -> t.referenceDequant() && t.kernels()));
    }

    @TestFactory
    Stream<DynamicTest> javaReferenceEqualsGgufPyBitForBit() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            float[] actual = GoldenDequantTest.javaReference(c);
            float[] expected = c.expected();
            assertEquals(expected.length, actual.length, c + ": length");
            for (int i = 0; i < actual.length; i++) {
                float got = actual[i];
                float want = expected[i];
                if (Float.floatToIntBits(got) != Float.floatToIntBits(want) && got != want) {
                    fail(c + ": row " + (i / c.rowLength()) + " col " + (i % c.rowLength()) + ": got " + got + " ("
                            + Integer.toHexString(Float.floatToRawIntBits(got)) + "), gguf-py " + want + " ("
                            + Integer.toHexString(Float.floatToRawIntBits(want)) + ")");
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> nativeKernelsMatchLlamaCppWhereTheyApply() {
        return GoldenDequantTest.nativeKernelTests(cases().stream().filter(c -> c.tensor().type().kernels()).toList());
    }
}
