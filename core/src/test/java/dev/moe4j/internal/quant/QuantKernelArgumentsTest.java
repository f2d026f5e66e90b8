package dev.moe4j.internal.quant;

import dev.moe4j.KernelException;
import dev.moe4j.internal.nativeio.CpuLevel;
import dev.moe4j.internal.nativeio.KernelContext;
import dev.moe4j.internal.nativeio.NativeLibrary;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Random;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad arguments to the weight kernels are exceptions (through {@link KernelContext}) or negative statuses (straight
 * through the C ABI, past the Java checks), never a crash, and a rejected get_rows writes nothing. Every level.
 */
class QuantKernelArgumentsTest {
    private static final int INVALID_ARG = -1;
    private static final int UNSUPPORTED_TYPE = -2;
    private static final int SENTINEL = 0x7FC0_DEAD;

    static List<CpuLevel> levels() {
        return QuantKernelTest.levels();
    }

    /** A 4-row Q4_K table (256 columns) and room for outputs, all native. */
    private record Fixture(Arena arena, MemorySegment w, long rowBytes, MemorySegment x, MemorySegment y,
                           MemorySegment out) {
        static Fixture create(Arena arena) {
            GgmlType t = GgmlType.Q4_K;
            long rowBytes = t.bytesFor(256);
            byte[] bytes = RandomWeights.matrix(t, 4, 256, rowBytes, new Random(99), RandomWeights.Scales.MODERATE);
            MemorySegment w = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, w, ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment x = arena.allocate(4L * 256 * 4);
            MemorySegment y = arena.allocate(4L * 64);
            MemorySegment out = arena.allocate(4L * 256 * 4);
            for (long i = 0; i < out.byteSize() / 4; i++) {
                out.setAtIndex(JAVA_INT, i, SENTINEL);
            }
            return new Fixture(arena, w, rowBytes, x, y, out);
        }

        MemorySegment ids(int... ids) {
            MemorySegment s = arena.allocate(4L * ids.length);
            MemorySegment.copy(ids, 0, s, JAVA_INT, 0, ids.length);
            return s;
        }

        void requireOutUntouched(String what) {
            for (long i = 0; i < out.byteSize() / 4; i++) {
                assertEquals(SENTINEL, out.getAtIndex(JAVA_INT, i), what + ": wrote out[" + i + "]");
            }
        }
    }

    private static void expectKernelError(int status, Call call, String what) {
        KernelException e = assertThrows(KernelException.class, call::execute, what);
        assertEquals(status, e.status(), what + ": " + e.getMessage());
    }

    private interface Call {
        void execute() throws Throwable;
    }

    @ParameterizedTest
    @MethodSource("levels")
    void theJavaBindingRejectsBadArguments(CpuLevel level) {
        int q4k = GgmlType.Q4_K.id();
        try (Arena arena = Arena.ofConfined(); KernelContext ctx = KernelContext.create(level, 3)) {
            Fixture f = Fixture.create(arena);
            // ids out of range: checked in C before anything is written
            expectKernelError(INVALID_ARG, () -> ctx.getRows(q4k, f.w(), f.rowBytes(), 4, 256, f.ids(0, 4), 2, f.out()),
                    "id == n_rows");
            expectKernelError(INVALID_ARG, () -> ctx.getRows(q4k, f.w(), f.rowBytes(), 4, 256, f.ids(1, -1), 2, f.out()),
                    "id < 0");
            f.requireOutUntouched("get_rows with a bad id");
            // rows too short, columns not a whole number of blocks, too little memory
            assertThrows(IllegalArgumentException.class,
                    () -> ctx.matvec(q4k, f.w(), f.rowBytes() - 1, 4, 256, f.x(), f.y()));
            assertThrows(IllegalArgumentException.class, () -> ctx.matvec(q4k, f.w(), f.rowBytes(), 4, 300, f.x(), f.y()));
            assertThrows(IllegalArgumentException.class,
                    () -> ctx.matvec(GgmlType.Q4_0.id(), f.w(), 18, 4, 48, f.x(), f.y()));
            assertThrows(IllegalArgumentException.class, () -> ctx.dequantize(q4k, f.w(), 255, f.out()));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.matvec(q4k, f.w(), f.rowBytes(), 5, 256, f.x(), f.y()));
            assertThrows(IndexOutOfBoundsException.class,
                    () -> ctx.dequantize(q4k, f.w(), 256, f.out().asSlice(0, 1020)));
            assertThrows(IllegalArgumentException.class,
                    () -> ctx.matmul(q4k, f.w(), f.rowBytes(), 4, 256, f.x(), 256, 0, f.y(), 4));
            assertThrows(IllegalArgumentException.class,
                    () -> ctx.matmul(q4k, f.w(), f.rowBytes(), 4, 256, f.x(), 255, 2, f.y(), 4));
            assertThrows(IllegalArgumentException.class,
                    () -> ctx.matmul(q4k, f.w(), f.rowBytes(), 4, 256, f.x(), 256, 2, f.y(), 3));
            // types the kernels lack: Q8_K, Q8_1, an unknown id, a negative id
            for (int type : new int[] {15, 9, 99, -1}) {
                expectKernelError(UNSUPPORTED_TYPE, () -> ctx.matvec(type, f.w(), 4096, 1, 256, f.x(), f.y()),
                        "matvec type " + type);
                expectKernelError(UNSUPPORTED_TYPE, () -> ctx.dequantize(type, f.w(), 256, f.out()),
                        "dequantize type " + type);
            }
            f.requireOutUntouched("rejected calls");
        }
        KernelContext closed = KernelContext.create(level, 1);
        closed.close();
        assertThrows(IllegalStateException.class, () -> closed.dequantize(GgmlType.Q8_0.id(), MemorySegment.NULL, 32,
                MemorySegment.NULL));
    }

    // ---- straight through the C ABI -------------------------------------------------------------------------------

    private static final Linker LINKER = Linker.nativeLinker();

    private static MethodHandle bind(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(NativeLibrary.lookup().find(name).orElseThrow(), fd);
    }

    private static final MethodHandle CTX_CREATE = bind("moe_ctx_create",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle CTX_DESTROY = bind("moe_ctx_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle DEQUANTIZE = bind("moe_tensor_dequantize",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle MATVEC = bind("moe_tensor_matvec",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS));
    private static final MethodHandle MATMUL = bind("moe_tensor_matmul",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                    JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle GET_ROWS = bind("moe_tensor_get_rows",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG,
                    ADDRESS));

    @ParameterizedTest
    @MethodSource("levels")
    void theCAbiReportsBadArgumentsWithoutTouchingMemory(CpuLevel level) throws Throwable {
        int q4k = GgmlType.Q4_K.id();
        MemorySegment nul = MemorySegment.NULL;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment slot = arena.allocate(ADDRESS);
            assertEquals(0, (int) CTX_CREATE.invokeExact(level.ordinal(), 3, slot));
            MemorySegment ctx = slot.get(ADDRESS, 0);
            try {
                Fixture f = Fixture.create(arena);
                MemorySegment w = f.w(), x = f.x(), y = f.y(), out = f.out();
                long rb = f.rowBytes();
                // dequantize
                assertEquals(INVALID_ARG, (int) DEQUANTIZE.invokeExact(nul, q4k, w, 256L, out), "NULL ctx");
                assertEquals(INVALID_ARG, (int) DEQUANTIZE.invokeExact(ctx, q4k, nul, 256L, out), "NULL src");
                assertEquals(INVALID_ARG, (int) DEQUANTIZE.invokeExact(ctx, q4k, w, 256L, nul), "NULL dst");
                assertEquals(INVALID_ARG, (int) DEQUANTIZE.invokeExact(ctx, q4k, w, 200L, out), "n % 256");
                assertEquals(INVALID_ARG, (int) DEQUANTIZE.invokeExact(ctx, q4k, w, -256L, out), "n < 0");
                assertEquals(UNSUPPORTED_TYPE, (int) DEQUANTIZE.invokeExact(ctx, 15, w, 256L, out), "Q8_K");
                // matvec
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, w, rb - 1, 4L, 256L, x, y), "short rows");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, w, rb, 4L, 300L, x, y), "cols % 256");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, w, rb, 0L, 256L, x, y), "rows 0");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, w, rb, -4L, 256L, x, y), "rows < 0");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, w, rb, 4L, 0L, x, y), "cols 0");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, nul, rb, 4L, 256L, x, y), "NULL w");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, w, rb, 4L, 256L, nul, y), "NULL x");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, w, rb, 4L, 256L, x, nul), "NULL y");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(nul, q4k, w, rb, 4L, 256L, x, y), "NULL ctx");
                assertEquals(INVALID_ARG, (int) MATVEC.invokeExact(ctx, q4k, w, Long.MAX_VALUE / 2, 4L, 256L, x, y),
                        "a matrix larger than the address space");
                assertEquals(UNSUPPORTED_TYPE, (int) MATVEC.invokeExact(ctx, 99, w, rb, 4L, 256L, x, y), "type 99");
                // matmul
                assertEquals(INVALID_ARG, (int) MATMUL.invokeExact(ctx, q4k, w, rb, 4L, 256L, x, 256L, 0L, y, 4L),
                        "0 tokens");
                assertEquals(INVALID_ARG, (int) MATMUL.invokeExact(ctx, q4k, w, rb, 4L, 256L, x, 255L, 2L, y, 4L),
                        "x_stride < cols");
                assertEquals(INVALID_ARG, (int) MATMUL.invokeExact(ctx, q4k, w, rb, 4L, 256L, x, 256L, 2L, y, 3L),
                        "y_stride < rows");
                assertEquals(INVALID_ARG, (int) MATMUL.invokeExact(ctx, q4k, w, rb, 4L, 256L, x, Long.MAX_VALUE / 2, 3L,
                        y, 4L), "x extent overflows");
                // get_rows: every id is checked before anything is written
                assertEquals(INVALID_ARG, (int) GET_ROWS.invokeExact(ctx, q4k, w, rb, 4L, 256L, f.ids(0, 1, 4), 3L, out),
                        "id == n_rows");
                assertEquals(INVALID_ARG, (int) GET_ROWS.invokeExact(ctx, q4k, w, rb, 4L, 256L, f.ids(2, Integer.MIN_VALUE),
                        2L, out), "id < 0");
                assertEquals(INVALID_ARG, (int) GET_ROWS.invokeExact(ctx, q4k, w, rb, 4L, 256L, nul, 2L, out), "NULL ids");
                assertEquals(INVALID_ARG, (int) GET_ROWS.invokeExact(ctx, q4k, w, rb, 4L, 256L, f.ids(0), 0L, out),
                        "0 ids");
                f.requireOutUntouched("C calls with bad arguments");
                // and the same context still works
                assertEquals(0, (int) GET_ROWS.invokeExact(ctx, q4k, w, rb, 4L, 256L, f.ids(3), 1L, out));
                float[] want = new float[256];
                ReferenceQuant.dequantizeRow(GgmlType.Q4_K, w, 3 * rb, want, 256);
                for (int i = 0; i < 256; i++) {
                    assertEquals(want[i], out.getAtIndex(ValueLayout.JAVA_FLOAT, i), "row 3 element " + i);
                }
                assertTrue(out.getAtIndex(JAVA_INT, 256) == SENTINEL, "wrote past one row");
            } finally {
                assertEquals(0, (int) CTX_DESTROY.invokeExact(ctx));
            }
        }
    }
}
