package dev.moe4j.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Npy} on files built byte by byte here (all three versions, all three dtypes) and on a real golden file. */
class NpyTest {
    /** An .npy file as numpy writes it: header padded with spaces to a multiple of 64 bytes, ending in a newline. */
    static byte[] npy(int major, String descr, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int prefix = major == 1 ? 10 : 12;
        byte[] dictBytes = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int total = (prefix + dictBytes.length + 1 + 63) / 64 * 64;
        byte[] header = new byte[total - prefix];
        java.util.Arrays.fill(header, (byte) ' ');
        System.arraycopy(dictBytes, 0, header, 0, dictBytes.length);
        header[header.length - 1] = '\n';
        ByteBuffer pre = ByteBuffer.allocate(prefix).order(ByteOrder.LITTLE_ENDIAN);
        pre.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            pre.putShort((short) header.length);
        } else {
            pre.putInt(header.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(pre.array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    private static byte[] le(int bytesPerElement, int n, java.util.function.BiConsumer<ByteBuffer, Integer> put) {
        ByteBuffer b = ByteBuffer.allocate(bytesPerElement * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            put.accept(b, i);
        }
        return b.array();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void readsFloat32Float64AndInt32InEveryVersion(int major) {
        float[] f = {1.5f, -2f, Float.MIN_VALUE, 3e38f, 0f, -0f};
        Npy a = Npy.parse(npy(major, "<f4", "(2, 3)", le(4, 6, (b, i) -> b.putFloat(f[i]))), "f4");
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertArrayEquals(f, a.floats());
        assertEquals(Npy.DType.F32, a.dtype());

        double[] d = {Math.PI, -1e300, 7};
        Npy b = Npy.parse(npy(major, "<f8", "(3,)", le(8, 3, (buf, i) -> buf.putDouble(d[i]))), "f8");
        assertArrayEquals(new long[] {3}, b.shape());
        assertArrayEquals(d, b.doubles());

        int[] n = {Integer.MIN_VALUE, -1, 0, 42};
        Npy c = Npy.parse(npy(major, "<i4", "(1, 2, 2)", le(4, 4, (buf, i) -> buf.putInt(n[i]))), "i4");
        assertArrayEquals(new long[] {1, 2, 2}, c.shape());
        assertArrayEquals(n, c.ints());
    }

    @Test
    void scalarsAndEmptyArrays() {
        Npy s = Npy.parse(npy(1, "<f4", "()", le(4, 1, (b, i) -> b.putFloat(2.5f))), "scalar");
        assertEquals(0, s.shape().length);
        assertArrayEquals(new float[] {2.5f}, s.floats());
        Npy e = Npy.parse(npy(1, "<f4", "(0, 7)", new byte[0]), "empty");
        assertEquals(0, e.size());
    }

    @Test
    void rejectsWhatItDoesNotRead() {
        byte[] four = new byte[16];
        assertThrows(IllegalArgumentException.class, () -> Npy.parse(npy(1, ">f4", "(4,)", four), "big-endian"));
        assertThrows(IllegalArgumentException.class, () -> Npy.parse(npy(1, "<f2", "(8,)", four), "f16"));
        assertThrows(IllegalArgumentException.class, () -> Npy.parse(npy(1, "<f4", "(5,)", four), "short data"));
        assertThrows(IllegalArgumentException.class, () -> Npy.parse(npy(4, "<f4", "(4,)", four), "version 4"));
        assertThrows(IllegalArgumentException.class, () -> Npy.parse("not numpy at all".getBytes(), "text"));
        byte[] fortran = new String(npy(1, "<f4", "(2, 2)", four), StandardCharsets.ISO_8859_1)
                .replace("False", "True ").getBytes(StandardCharsets.ISO_8859_1);
        var e = assertThrows(IllegalArgumentException.class, () -> Npy.parse(fortran, "fortran.npy"));
        assertTrue(e.getMessage().startsWith("fortran.npy: "), e.getMessage());
        Npy ints = Npy.parse(npy(1, "<i4", "(4,)", four), "ints");
        assertThrows(IllegalStateException.class, ints::floats);
        assertThrows(IllegalStateException.class, ints::doubles);
    }

    @Test
    void readsAGoldenLogitsFile() throws IOException {
        Path file = GoldenFiles.goldenDir().resolve("ds2-tiny-f32/logits_gen_steps.npy");
        Npy npy = Npy.read(file);
        assertEquals(2, npy.shape().length);
        assertEquals(npy.shape()[0] * npy.shape()[1], npy.floats().length);
        boolean varied = false;
        float[] v = npy.floats();
        for (float x : v) {
            assertTrue(Float.isFinite(x));
            varied |= x != v[0];
        }
        assertTrue(varied);
    }
}
