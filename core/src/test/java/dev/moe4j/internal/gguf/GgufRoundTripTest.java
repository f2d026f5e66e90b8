package dev.moe4j.internal.gguf;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Write with {@link GgufWriter}, read with {@link GgufFile}: same metadata, same tensors, same bytes. */
class GgufRoundTripTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "v{0}, alignment {1}")
    @CsvSource({"3, 32, false", "2, 32, false", "3, 64, true", "3, 1, true", "2, 4096, true", "3, 8, true"})
    void roundTrip(int version, int alignment, boolean alignmentKey) throws Exception {
        long seed = 1000L * version + alignment;
        GgufWriter w = GgufFixtures.rich(seed).version(version);
        if (alignmentKey) {
            w.alignment(alignment);
        }
        Path p = w.write(dir.resolve("m.gguf"));
        GgufWriter.Layout layout = w.layout();
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(version, f.version());
            assertEquals(alignment, f.alignment());
            assertEquals(layout.fileSize(), f.fileSize());
            assertEquals(layout.dataStart(), f.dataStart());
            assertEquals(p, f.path());
            assertEquals(List.of(p), f.shardPaths());
            checkMetadata(f.metadata(), alignmentKey);
            checkTensors(f, layout, seed);
        }
    }

    private static void checkMetadata(GgufMetadata md, boolean alignmentKey) {
        assertEquals(28 + (alignmentKey ? 1 : 0), md.size());
        assertEquals("deepseek2", md.getString("general.architecture"));
        assertEquals("tiny \u00e9\u4e2d\ud83d\ude00 model", md.getString("general.name"));
        assertEquals(200, md.getInt("t.u8"));
        assertEquals(-100, md.getInt("t.i8"));
        assertEquals(60000, md.getInt("t.u16"));
        assertEquals(-30000, md.getInt("t.i16"));
        assertEquals(4_000_000_000L, md.getLong("t.u32"));
        assertEquals(-2_000_000_000, md.getInt("t.i32"));
        assertEquals(1.5e-6f, md.getFloat("t.f32"));
        assertTrue(md.getBool("t.bool"));
        assertEquals(new BigInteger("18000000000000000000"), md.toJava("t.u64"));
        assertEquals(-9_000_000_000_000_000_000L, md.getLong("t.i64"));
        assertEquals(Math.PI, md.getDouble("t.f64"));
        assertEquals((float) Math.PI, md.getFloat("t.f64"));
        assertEquals(7, md.getInt("t.small_u32"));
        assertEquals(7L, md.getLong("t.small_u32"));

        Map<String, GgufValueType> types = Map.ofEntries(Map.entry("t.u8", GgufValueType.UINT8),
                Map.entry("t.i8", GgufValueType.INT8), Map.entry("t.u16", GgufValueType.UINT16),
                Map.entry("t.i16", GgufValueType.INT16), Map.entry("t.u32", GgufValueType.UINT32),
                Map.entry("t.i32", GgufValueType.INT32), Map.entry("t.f32", GgufValueType.FLOAT32),
                Map.entry("t.bool", GgufValueType.BOOL), Map.entry("t.u64", GgufValueType.UINT64),
                Map.entry("t.i64", GgufValueType.INT64), Map.entry("t.f64", GgufValueType.FLOAT64),
                Map.entry("general.name", GgufValueType.STRING), Map.entry("t.arr.u8", GgufValueType.ARRAY));
        types.forEach((k, t) -> assertEquals(t, md.type(k), k));
        assertEquals(GgufValueType.UINT8, md.getArray("t.arr.u8").elementType());
        assertEquals(List.of("general.architecture", "general.name", "t.u8"), md.keys().stream().limit(3).toList());
        assertArrayEquals(new int[] {0, 1, 255}, md.getIntArray("t.arr.u8"));
        assertArrayEquals(new int[] {-128, 0, 127}, md.getIntArray("t.arr.i8"));
        assertArrayEquals(new int[] {65535, 3}, md.getIntArray("t.arr.u16"));
        assertArrayEquals(new int[] {-32768, 32767}, md.getIntArray("t.arr.i16"));
        assertArrayEquals(new long[] {1, 4_294_967_295L}, md.getLongArray("t.arr.u32"));
        assertArrayEquals(new int[] {-5, 6, 7}, md.getIntArray("t.arr.i32"));
        assertArrayEquals(new float[] {0.25f, -1e30f, Float.MIN_VALUE}, md.getFloatArray("t.arr.f32"));
        assertEquals(List.of(true, false, true), md.toJava("t.arr.bool"));
        assertEquals(List.of("", "a b", "\u0120the", "<\uff5cUser\uff5c>"), md.getStringArray("t.arr.str"));
        assertEquals(List.of(1L, new BigInteger("18446744073709551615")), md.toJava("t.arr.u64"));
        assertArrayEquals(new long[] {Long.MIN_VALUE, 42}, md.getLongArray("t.arr.i64"));
        assertArrayEquals(new float[] {(float) 1e300, -0.5f}, md.getFloatArray("t.arr.f64"));
        assertEquals(List.of(1e300, -0.5), md.toJava("t.arr.f64"));
        assertEquals(0, md.getIntArray("t.arr.empty").length);
        assertEquals(GgufValueType.INT32, md.getArray("t.arr.empty").elementType());
        List<String> vocab = md.getStringArray("tokenizer.ggml.tokens");
        assertEquals(3000, vocab.size());
        assertEquals("tok2999", vocab.get(2999));
        assertEquals("tok2996\u00df", vocab.get(2996));
        assertEquals("tok0\u00df", vocab.getFirst());
        assertEquals(6, md.getArray("tokenizer.ggml.tokens").stringBytes(0).byteSize()); // "tok0" + 2-byte sharp s
    }

    private static void checkTensors(GgufFile f, GgufWriter.Layout layout, long seed) {
        Random rnd = new Random(seed);
        List<GgufTensor> ts = f.tensors();
        assertEquals(GgufFixtures.TENSORS.size(), ts.size());
        for (int i = 0; i < ts.size(); i++) {
            GgufFixtures.Spec s = GgufFixtures.TENSORS.get(i);
            GgufTensor t = ts.get(i);
            byte[] expected = new byte[(int) GgufWriter.bytesOf(s.type(), s.dims())];
            rnd.nextBytes(expected);
            assertEquals(s.name(), t.name());
            assertEquals(s.type(), t.type());
            assertArrayEquals(s.dims(), t.dims());
            long n = 1;
            for (long d : s.dims()) {
                n *= d;
            }
            assertEquals(n, t.elementCount());
            assertEquals(expected.length, t.byteSize());
            assertEquals(s.type().bytesFor(s.dims()[0]), t.rowBytes());
            assertEquals(n / s.dims()[0], t.rows());
            assertEquals(layout.infos().get(i).dataAt(), t.fileOffset());
            assertEquals(0, (t.fileOffset() - f.dataStart()) % f.alignment());
            assertArrayEquals(expected, t.segment().toArray(ValueLayout.JAVA_BYTE), s.name());
            assertTrue(t.segment().isReadOnly());
            assertTrue(t.segment().isNative(), "tensor data must be off-heap (mapped) for the kernels");
            assertEquals(t, f.tensor(s.name()).orElseThrow());
        }
        assertFalse(f.tensor("nope").isPresent());
    }

    @Test
    void gettersNameTheKeyOnMissingOrWrongType() throws Exception {
        Path p = GgufFixtures.rich(1).write(dir.resolve("m.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            GgufMetadata md = f.metadata();
            assertMessage(() -> md.getString("no.such.key"), "no.such.key", "missing");
            assertMessage(() -> md.getInt("general.name"), "general.name", "STRING");
            assertMessage(() -> md.getInt("t.u32"), "t.u32", "does not fit in an int");
            assertMessage(() -> md.getLong("t.u64"), "t.u64", "does not fit in a long");
            assertMessage(() -> md.getFloat("t.u32"), "t.u32", "FLOAT32");
            assertMessage(() -> md.getBool("t.u8"), "t.u8", "BOOL");
            assertMessage(() -> md.getString("t.arr.str"), "t.arr.str", "ARRAY of STRING");
            assertMessage(() -> md.getStringArray("t.arr.i32"), "t.arr.i32", "array of INT32");
            assertMessage(() -> md.getIntArray("t.arr.u32"), "t.arr.u32", "does not fit in an int");
            assertMessage(() -> md.getFloatArray("t.arr.i32"), "t.arr.i32", "INT32");
            assertMessage(() -> md.getIntArray("t.arr.f32"), "t.arr.f32", "FLOAT32");
            assertMessage(() -> md.getArray("t.u8"), "t.u8", "ARRAY");
            assertTrue(md.optInt("no.such.key").isEmpty());
            assertEquals(200, md.optInt("t.u8").orElseThrow());
            assertEquals("deepseek2", md.optString("general.architecture").orElseThrow());
            assertTrue(md.optBool("t.bool").orElseThrow());
            assertEquals(3000, md.optStringArray("tokenizer.ggml.tokens").orElseThrow().size());
            // present but of the wrong type is an error, not "absent"
            assertThrows(ModelFormatException.class, () -> md.optString("t.u8"));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> md.getInt("general.name"));
            assertEquals(md.offset("general.name"), e.offset());
            assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        }
    }

    @Test
    void segmentsAreReadOnlyAndDieWithTheFile() throws Exception {
        Path p = GgufFixtures.small().write(dir.resolve("m.gguf"));
        MemorySegment seg;
        List<String> vocab;
        try (GgufFile f = GgufFile.open(p)) {
            seg = f.tensor("a.weight").orElseThrow().segment();
            MemorySegment s = seg;
            assertThrows(IllegalArgumentException.class, () -> s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            vocab = f.metadata().getStringArray("tokenizer.ggml.tokens");
            assertEquals("b", vocab.get(1));
            f.close(); // idempotent with the try's close
        }
        MemorySegment s = seg;
        assertThrows(IllegalStateException.class, () -> s.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> vocab.get(0));
    }

    @Test
    void fileWithoutTensors() throws Exception {
        Path p = new GgufWriter().putString("general.architecture", "x").write(dir.resolve("vocab.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            assertTrue(f.tensors().isEmpty());
            assertEquals("x", f.metadata().getString("general.architecture"));
        }
    }

    @Test
    void everyGgmlTypeRoundTrips() throws Exception {
        GgufWriter w = new GgufWriter();
        Random rnd = new Random(99);
        for (GgmlType t : GgmlType.values()) {
            long[] dims = {t.blockElems() * 3L, 2};
            byte[] data = new byte[(int) GgufWriter.bytesOf(t, dims)];
            rnd.nextBytes(data);
            w.tensor("t." + t, t, dims, data);
        }
        Path p = w.write(dir.resolve("types.gguf"));
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(GgmlType.values().length, f.tensors().size());
            for (GgmlType t : GgmlType.values()) {
                GgufTensor g = f.tensor("t." + t).orElseThrow();
                assertEquals(t, g.type());
                assertEquals(3L * t.blockBytes(), g.rowBytes());
                assertEquals(6L * t.blockBytes(), g.byteSize());
            }
        }
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable call, String... parts) {
        ModelFormatException e = assertThrows(ModelFormatException.class, call);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' lacks '" + part + "'");
        }
    }
}
