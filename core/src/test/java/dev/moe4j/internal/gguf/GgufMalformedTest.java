package dev.moe4j.internal.gguf;

import dev.moe4j.ModelFormatException;
import dev.moe4j.internal.quant.GgmlType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile and broken files: each is a valid file from {@link GgufWriter} with one thing wrong, and each must end in a
 * {@link ModelFormatException} that names the file, says what is wrong and (where one field is at fault) gives its
 * offset; never an IndexOutOfBoundsException, an OutOfMemoryError or a silent success.
 */
class GgufMalformedTest {
    @TempDir
    Path dir;

    private int fileNo;

    /** A valid file: a few keys of each kind, two tensors, the layout of every field. */
    private record Valid(byte[] bytes, GgufWriter.Layout layout) {
        /** End of the last tensor's data: cutting anywhere before it loses something the reader needs. */
        long dataEnd() {
            return layout.dataEnd();
        }
    }

    private static Valid valid() {
        GgufWriter w = GgufFixtures.small().putString("general.name", "n");
        byte[] b = w.toBytes();
        return new Valid(b, w.layout());
    }

    private ModelFormatException rejects(byte[] bytes, String... messageParts) throws IOException {
        Path p = GgufWriter.writeBytes(dir.resolve("bad" + (fileNo++) + ".gguf"), bytes);
        try (GgufFile f = GgufFile.open(p)) {
            fail("accepted a malformed file: " + f.tensors());
            return null;
        } catch (ModelFormatException e) {
            assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
            for (String part : messageParts) {
                assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' lacks '" + part + "'");
            }
            return e;
        }
    }

    private void rejectsAt(byte[] bytes, long offset, String... messageParts) throws IOException {
        assertEquals(offset, rejects(bytes, messageParts).offset(), "reported offset");
    }

    private static byte[] patchI64(byte[] b, long at, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putLong((int) at, v);
        return c;
    }

    private static byte[] patchI32(byte[] b, long at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt((int) at, v);
        return c;
    }

    private static byte[] patchU8(byte[] b, long at, int v) {
        byte[] c = b.clone();
        c[(int) at] = (byte) v;
        return c;
    }

    private static byte[] cut(byte[] b, long length) {
        return Arrays.copyOf(b, (int) length);
    }

    // ---------------------------------------------------------------- truncation

    @Test
    void truncationAtEverySectionBoundary() throws IOException {
        Valid v = valid();
        TreeSet<Long> cuts = new TreeSet<>(List.of(0L, 1L, 3L, 4L, 7L, 8L, 15L, 16L, 23L, 24L));
        for (GgufWriter.KvAt k : v.layout().kvs()) {
            cuts.addAll(List.of(k.keyAt(), k.keyAt() + 4, k.keyAt() + 8, k.keyAt() + 9, k.typeAt(), k.typeAt() + 2,
                    k.valueAt(), k.valueAt() + 1, k.valueAt() + 5, k.end() - 1));
        }
        for (GgufWriter.InfoAt i : v.layout().infos()) {
            cuts.addAll(List.of(i.nameAt(), i.nameAt() + 8, i.nDimsAt(), i.dimsAt(), i.dimsAt() + 8, i.typeAt(),
                    i.offsetAt(), i.offsetAt() + 7, i.end() - 1, i.dataAt(), i.dataAt() + 1));
        }
        cuts.addAll(List.of(v.layout().infosEnd(), v.layout().dataStart(), v.dataEnd() - 1));
        for (long c : cuts) {
            assertTrue(c < v.dataEnd());
            ModelFormatException e = rejects(cut(v.bytes(), c));
            assertTrue(e.offset() <= c || e.getMessage().contains("past the end of the file"),
                    "cut at " + c + ": " + e.getMessage());
        }
    }

    @Test
    void truncationAtRandomPoints() throws IOException {
        Valid v = valid();
        Random rnd = new Random(20240601);
        for (int i = 0; i < 300; i++) {
            rejects(cut(v.bytes(), rnd.nextLong(v.dataEnd())));
        }
        GgufWriter rich = GgufFixtures.rich(3);
        byte[] all = rich.toBytes();
        for (int i = 0; i < 200; i++) {
            rejects(cut(all, rnd.nextLong(rich.layout().dataEnd())));
        }
    }

    @Test
    void truncatedStringNamesItsFieldAndOffset() throws IOException {
        Valid v = valid();
        GgufWriter.KvAt k = v.layout().kv("general.name"); // the last key, so n_kv still looks possible
        rejectsAt(cut(v.bytes(), k.keyAt() + 10), k.keyAt(), "metadata key #4", "exceeds");
        rejectsAt(cut(v.bytes(), k.valueAt() + 3), k.valueAt(), "metadata 'general.name' length", "truncated");
        rejectsAt(cut(v.bytes(), 12), 8, "truncated", "n_tensors");
    }

    // ---------------------------------------------------------------- counts

    @TestFactory
    Stream<DynamicTest> hostileCounts() {
        Valid v = valid();
        GgufWriter.KvAt str = v.layout().kv("general.name");
        GgufWriter.KvAt arr = v.layout().kv("tokenizer.ggml.tokens");
        GgufWriter.KvAt ints = v.layout().kv("tokenizer.ggml.token_type");
        long[] huge = {Long.MAX_VALUE, -1L, 1L << 62, Integer.MAX_VALUE + 1L, 1L << 31, 100_000_000L};
        return Stream.of(
                count("n_tensors", 8, huge, "n_tensors"),
                count("n_kv", 16, huge, "n_kv"),
                count("key length", str.keyAt(), huge, "length"),
                count("string value length", str.valueAt(), huge, "length"),
                count("array count (strings)", arr.countAt(), huge, "count"),
                count("array count (int32)", ints.countAt(), huge, "count"),
                count("string element length", arr.countAt() + 8, huge, "element 0 length"),
                count("tensor name length", v.layout().infos().getFirst().nameAt(), huge, "tensor #0 name"))
                .flatMap(s -> s);
    }

    private Stream<DynamicTest> count(String what, long at, long[] values, String field) {
        Valid v = valid();
        return Arrays.stream(values).mapToObj(n -> DynamicTest.dynamicTest(what + " = " + Long.toUnsignedString(n),
                () -> rejectsAt(patchI64(v.bytes(), at, n), at, field)));
    }

    @Test
    void countsOffByOne() throws IOException {
        Valid v = valid();
        int nKv = v.layout().kvs().size();
        int nTensors = v.layout().infos().size();
        rejects(patchI64(v.bytes(), 16, nKv + 1));
        rejects(patchI64(v.bytes(), 16, nKv - 1));
        rejects(patchI64(v.bytes(), 8, nTensors + 1));
        // (One tensor fewer is structurally valid: the data start moves up and nothing overlaps or leaves the file,
        // so there is nothing to reject. ggml accepts it too.)
    }

    // ---------------------------------------------------------------- type ids

    @Test
    void unknownValueTypeIds() throws IOException {
        Valid v = valid();
        GgufWriter.KvAt k = v.layout().kv("llama.block_count");
        for (int id : new int[] {13, -1, 9999, Integer.MIN_VALUE}) {
            rejectsAt(patchI32(v.bytes(), k.typeAt(), id), k.typeAt(), "llama.block_count",
                    "unknown value type id " + id);
        }
        GgufWriter.KvAt a = v.layout().kv("tokenizer.ggml.token_type");
        rejectsAt(patchI32(v.bytes(), a.valueAt(), 13), a.valueAt(), "tokenizer.ggml.token_type", "unknown value type");
        rejectsAt(patchI32(v.bytes(), a.valueAt(), GgufValueType.ARRAY.id()), a.valueAt(), "nested arrays");
    }

    @Test
    void unknownTensorTypeIds() throws IOException {
        Valid v = valid();
        GgufWriter.InfoAt t = v.layout().info("a.weight");
        for (int id : new int[] {4, 5, 31, 36, 100, -1}) {
            rejectsAt(patchI32(v.bytes(), t.typeAt(), id), t.typeAt(), "a.weight", "unknown ggml type id " + id);
        }
    }

    // ---------------------------------------------------------------- alignment

    @Test
    void badAlignment() throws IOException {
        for (long a : new long[] {0, 3, 48, 0x80000000L, 0xFFFFFFFFL}) {
            GgufWriter w = GgufFixtures.small().put(GgufParser.ALIGNMENT_KEY, GgufValueType.UINT32, a);
            rejects(w.toBytes(), "general.alignment = " + a, "power of two");
        }
        GgufWriter w64 = GgufFixtures.small().put(GgufParser.ALIGNMENT_KEY, GgufValueType.UINT64, 32);
        rejects(w64.toBytes(), "general.alignment has type UINT64, must be UINT32");
        GgufWriter i32 = GgufFixtures.small().put(GgufParser.ALIGNMENT_KEY, GgufValueType.INT32, 32);
        rejects(i32.toBytes(), "must be UINT32");
        GgufWriter str = GgufFixtures.small().putString(GgufParser.ALIGNMENT_KEY, "32");
        rejects(str.toBytes(), "must be UINT32");
    }

    @Test
    void alignmentKeyThatDisagreesWithTheLayout() throws IOException {
        // Laid out at 32 but claims 64: b.weight sits at relative offset 96, not a multiple of 64.
        GgufWriter w = GgufFixtures.small().put(GgufParser.ALIGNMENT_KEY, GgufValueType.UINT32, 64)
                .layoutAlignment(32);
        byte[] b = w.toBytes();
        rejects(b, "b.weight", "not a multiple of the alignment 64");
    }

    @Test
    void unalignedTensorOffset() throws IOException {
        Valid v = valid();
        GgufWriter.InfoAt t = v.layout().info("b.weight");
        rejectsAt(patchI64(v.bytes(), t.offsetAt(), 97), t.offsetAt(), "b.weight", "not a multiple");
    }

    // ---------------------------------------------------------------- tensor placement

    @Test
    void overlappingTensors() throws IOException {
        Valid v = valid();
        GgufWriter.InfoAt b = v.layout().info("b.weight");
        // a.weight is 72 bytes at relative 0: b at 0 or 32 overlaps it
        rejects(patchI64(v.bytes(), b.offsetAt(), 0), "overlaps", "a.weight");
        rejects(patchI64(v.bytes(), b.offsetAt(), 32), "overlaps", "a.weight");
        // and the other way round: a moved into b's range
        GgufWriter.InfoAt a = v.layout().info("a.weight");
        rejects(patchI64(v.bytes(), a.offsetAt(), 96), "overlaps");
    }

    @Test
    void tensorsOutsideTheFile() throws IOException {
        Valid v = valid();
        GgufWriter.InfoAt b = v.layout().info("b.weight");
        long fileRel = v.bytes().length - v.layout().dataStart();
        for (long off : new long[] {fileRel / 32 * 32, fileRel / 32 * 32 + 32, 1L << 40, Long.MIN_VALUE,
                0xFFFFFFFFFFFFFFE0L, Long.MAX_VALUE - 31}) {
            rejectsAt(patchI64(v.bytes(), b.offsetAt(), off), b.offsetAt(), "b.weight", "past the end of the file");
        }
    }

    @Test
    void duplicateNames() throws IOException {
        GgufWriter dk = GgufFixtures.small().putUInt32("llama.block_count", 2);
        rejects(dk.toBytes(), "duplicate metadata key 'llama.block_count'");
        GgufWriter dt = GgufFixtures.small().tensor("a.weight", GgmlType.F32, new long[] {2}, new byte[8]);
        rejectsAt(dt.toBytes(), dt.layout().infos().get(2).nameAt(), "duplicate tensor name 'a.weight'");
        GgufWriter empty = GgufFixtures.small().tensor("", GgmlType.F32, new long[] {2}, new byte[8]);
        rejects(empty.toBytes(), "empty name");
    }

    // ---------------------------------------------------------------- shapes

    @Test
    void absurdDims() throws IOException {
        shape(new long[] {1L << 32, 1L << 32}, GgmlType.F32.id(), "more elements than a 64-bit count");
        shape(new long[] {Long.MAX_VALUE, 2}, GgmlType.F32.id(), "more elements than a 64-bit count");
        shape(new long[] {3, 5, 7, Long.MAX_VALUE / 64}, GgmlType.F32.id(), "more elements than a 64-bit count");
        // fits in 64 bits as a count, but not as bytes
        shape(new long[] {1L << 62}, GgmlType.F32.id(), "data size overflows");
        // fits as bytes, but not in the file
        shape(new long[] {1L << 20, 1L << 20}, GgmlType.F32.id(), "past the end of the file");
        shape(new long[] {4, -1}, GgmlType.F32.id(), "ne[1] = -1, must be at least 1");
        shape(new long[] {4, 0}, GgmlType.F32.id(), "ne[1] = 0, must be at least 1");
        shape(new long[] {Long.MIN_VALUE}, GgmlType.F32.id(), "ne[0] = " + Long.MIN_VALUE);
        shape(new long[] {33, 2}, GgmlType.Q8_0.id(), "not a multiple of the Q8_0 block size 32");
        shape(new long[] {128}, GgmlType.Q4_K.id(), "not a multiple of the Q4_K block size 256");
    }

    @Test
    void nDimsOutOfRange() throws IOException {
        shape(new long[] {}, GgmlType.F32.id(), "n_dims = 0, must be 1..4");
        shape(new long[] {1, 1, 1, 1, 1}, GgmlType.F32.id(), "n_dims = 5, must be 1..4");
        Valid v = valid();
        GgufWriter.InfoAt t = v.layout().info("a.weight");
        rejectsAt(patchI32(v.bytes(), t.nDimsAt(), -1), t.nDimsAt(), "n_dims = 4294967295");
    }

    private void shape(long[] dims, int typeId, String message) throws IOException {
        GgufWriter w = GgufFixtures.small().rawTensor("bad.weight", typeId, dims, 64);
        rejects(w.toBytes(), "tensor 'bad.weight'", message);
    }

    // ---------------------------------------------------------------- header

    @Test
    void badMagic() throws IOException {
        Valid v = valid();
        rejectsAt(patchU8(v.bytes(), 3, 'G'), 0, "not a GGUF file");
        rejectsAt(patchI32(v.bytes(), 0, 0x67676d6c), 0, "not a GGUF file"); // old GGML/GGJT files
        rejects(new byte[0], "truncated", "magic");
        rejects(new byte[] {'G', 'G', 'U'}, "truncated", "magic");
        rejects(new byte[] {'G', 'G', 'U', 'F', 3, 0}, "truncated", "version");
    }

    @Test
    void badVersion() throws IOException {
        Valid v = valid();
        rejectsAt(patchI32(v.bytes(), 4, 1), 4, "GGUF version 1 is not supported");
        rejectsAt(patchI32(v.bytes(), 4, 99), 4, "unsupported GGUF version 99");
        rejectsAt(patchI32(v.bytes(), 4, 0), 4, "unsupported GGUF version 0");
        rejectsAt(patchI32(v.bytes(), 4, -1), 4, "unsupported GGUF version 4294967295");
        rejectsAt(patchI32(v.bytes(), 4, 0x03000000), 4, "big-endian");
    }

    // ---------------------------------------------------------------- strings

    @Test
    void invalidUtf8() throws IOException {
        Valid v = valid();
        GgufWriter.KvAt arch = v.layout().kv("general.architecture");
        rejectsAt(patchU8(v.bytes(), arch.keyAt() + 8, 0xFF), arch.keyAt() + 8, "metadata key #0", "UTF-8");
        rejectsAt(patchU8(v.bytes(), arch.valueAt() + 8, 0xC0), arch.valueAt() + 8, "general.architecture", "UTF-8");
        GgufWriter.KvAt tokens = v.layout().kv("tokenizer.ggml.tokens");
        long firstChar = tokens.countAt() + 8 + 8; // after the count and the first string's length
        rejectsAt(patchU8(v.bytes(), firstChar, 0x80), firstChar, "tokenizer.ggml.tokens", "element 0", "UTF-8");
        GgufWriter.InfoAt t = v.layout().info("a.weight");
        rejectsAt(patchU8(v.bytes(), t.nameAt() + 8, 0xED), t.nameAt() + 8, "tensor #0 name", "UTF-8");
    }

    @Test
    void utf8ValidatorAgreesWithTheJdk() {
        Random rnd = new Random(5);
        java.nio.charset.CharsetDecoder dec = java.nio.charset.StandardCharsets.UTF_8.newDecoder();
        for (int i = 0; i < 20_000; i++) {
            byte[] b = new byte[1 + rnd.nextInt(6)];
            for (int j = 0; j < b.length; j++) {
                // bias towards the interesting lead and continuation bytes
                b[j] = (byte) (rnd.nextInt(3) == 0 ? rnd.nextInt(128) : 0x80 + rnd.nextInt(128));
            }
            boolean jdk;
            try {
                dec.reset().decode(ByteBuffer.wrap(b));
                jdk = true;
            } catch (java.nio.charset.CharacterCodingException e) {
                jdk = false;
            }
            long bad = Utf8.firstInvalid(java.lang.foreign.MemorySegment.ofArray(b), 0, b.length);
            assertEquals(jdk, bad < 0, () -> "bytes " + Arrays.toString(b));
        }
    }

    @Test
    void lyingBoolAndScalarsAtTheEnd() throws IOException {
        // a scalar key whose value is cut: the file ends inside metadata
        GgufWriter w = new GgufWriter().put("k", GgufValueType.FLOAT64, 1.0);
        byte[] b = w.toBytes();
        rejects(cut(b, b.length - 3), "metadata 'k'", "truncated");
    }

    @Test
    void aClaimedCountIsCheckedBeforeAnythingIsRead() throws IOException {
        // n_kv = 2^31-9 (below every Java array limit) in a 40-byte file fails on the count itself
        byte[] b = patchI64(valid().bytes(), 16, Integer.MAX_VALUE - 9);
        rejectsAt(cut(b, 40), 16, "n_kv (metadata count) = 2147483638 is impossible: the remaining 16 bytes hold at"
                + " most 1");
    }
}
