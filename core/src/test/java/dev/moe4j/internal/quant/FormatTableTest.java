package dev.moe4j.internal.quant;

import dev.moe4j.internal.nativeio.NativeKernels;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java table of formats ({@link GgmlType}) and the native one ({@code native-kernels/src/formats.def}) say the same
 * thing: a type has kernels in Java's table exactly when the library takes it, with the same block geometry, and the
 * library quantizes activations for it exactly when its {@link GgmlType#activation()} is Q8_0 or Q8_K, in blocks of 32
 * or 256 respectively. A format added on one side only fails here.
 */
class FormatTableTest {
    @Test
    void everyTypeHasTheSameRowOnBothSides() {
        for (GgmlType type : GgmlType.values()) {
            long[] block = NativeKernels.typeBlock(type.id());
            if (!type.kernels()) {
                assertNull(block, type + " is taken by the library but not marked as having kernels");
                continue;
            }
            assertArrayEquals(new long[] {type.blockElems(), type.blockBytes()}, block, type + " block geometry");
            switch (type.activation()) {
                case Q8_0, Q8_K -> {
                    int blockOfActivations = type.activation() == GgmlType.Activation.Q8_0 ? 32 : 256;
                    assertEquals(blockOfActivations, type.blockElems(), type + " blocks and activation blocks");
                    assertTrue(NativeKernels.q8RowBytes(type.id(), blockOfActivations) > 0, type + " q8 row");
                }
                case F32, F16, BF16 -> assertEquals(-1, NativeKernels.q8RowBytes(type.id(), 256),
                        type + " has no quantized activations");
                case NONE -> throw new AssertionError(type + " has kernels but no activation format");
            }
        }
    }
}
