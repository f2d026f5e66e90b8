package dev.moe4j.internal.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moe4j.internal.nativeio.CpuLevel;
import dev.moe4j.internal.nativeio.KernelContext;
import dev.moe4j.testing.GoldenDump;
import dev.moe4j.testing.GoldenFiles;
import dev.moe4j.testing.Npy;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Dequantization against llama.cpp's own numpy reference: every {@code golden/<model>/dequant/<tensor>.npy} holds the
 * first rows of one tensor, and each element must match within {@code |a − b| ≤ 1e-6 · max(1, |b|)}.
 * Tensor bytes are located through the folder's {@code gguf_dump.txt} (absolute offsets), not the production reader.
 * Checked for the Java reference and for the native dequantize and get_rows at every level this CPU runs.
 */
class GoldenDequantTest {
    /** Relative tolerance (absolute below magnitude 1) of each dequantized element. */
    static final double TOLERANCE = 1e-6;

    /** One golden tensor: the first {@code rows} rows of {@code tensor} in {@code model}, as llama.cpp decoded them. */
    record Case(String folder, Path model, GoldenDump.Tensor tensor, int rows, int rowLength, float[] expected) {
        @Override
        public String toString() {
            return folder + "/" + tensor.name() + " (" + tensor.type() + ", " + rows + "x" + rowLength + ")";
        }
    }

    static List<Case> cases() {
        return cases(GoldenFiles.goldenDir());
    }

    /** The cases of every folder of {@code root} (shared/golden or shared/golden-iq) that has a {@code dequant/}. */
    static List<Case> cases(Path root) {
        List<Case> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (Stream<Path> folders = Files.list(root)) {
            for (Path folder : folders.sorted().toList()) {
                Path dequant = folder.resolve("dequant");
                if (!Files.isDirectory(dequant)) {
                    continue;
                }
                Path model = modelFile(folder, json);
                GoldenDump dump = GoldenDump.read(folder.resolve("gguf_dump.txt"));
                dump.check(Files.size(model));
                JsonNode index = json.readTree(dequant.resolve("index.json").toFile());
                for (Map.Entry<String, JsonNode> e : index.properties()) {
                    String name = e.getKey();
                    JsonNode info = e.getValue();
                    GoldenDump.Tensor tensor = dump.tensor(name);
                    assertEquals(info.get("type").asText(), tensor.type().name(), name + ": index.json vs dump type");
                    int rows = info.get("rows").asInt();
                    int rowLength = info.get("row_len").asInt();
                    assertEquals(tensor.rowLength(), rowLength, name + ": row length");
                    Npy npy = Npy.read(dequant.resolve(name + ".npy"));
                    assertArrayEquals(new long[] {rows, rowLength}, npy.shape(), name + ": npy shape");
                    out.add(new Case(folder.getFileName().toString(), model, tensor, rows, rowLength, npy.floats()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** {@code model.gguf} in the folder, else {@code fixture.json}'s {@code model}, relative to the folder. */
    private static Path modelFile(Path folder, ObjectMapper json) throws IOException {
        Path local = folder.resolve("model.gguf");
        if (Files.exists(local)) {
            return local;
        }
        JsonNode fixture = json.readTree(folder.resolve("fixture.json").toFile());
        Path named = folder.resolve(fixture.get("model").asText()).normalize();
        assertTrue(Files.exists(named), folder + ": model " + named + " not found");
        return named;
    }

    /** Maps the model read-only; the segment lives as long as {@code arena}. */
    static MemorySegment map(Path model, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    /** Fails with the first element (row, column) outside the tolerance. */
    static void assertMatches(Case c, float[] actual, String who) {
        assertEquals(c.expected().length, actual.length, c + ": length");
        for (int i = 0; i < actual.length; i++) {
            double want = c.expected()[i];
            double got = actual[i];
            if (!(Math.abs(got - want) <= TOLERANCE * Math.max(1, Math.abs(want)))) {
                fail(who + " " + c + ": row " + (i / c.rowLength()) + " col " + (i % c.rowLength()) + ": got " + got
                        + ", llama.cpp " + want + " (tolerance " + TOLERANCE + " relative)");
            }
        }
    }

    /** The types the cases cover; fails if a case's golden rows are all zero (they would prove nothing). */
    static Set<GgmlType> coveredTypes(List<Case> cases) {
        Set<GgmlType> covered = EnumSet.noneOf(GgmlType.class);
        for (Case c : cases) {
            covered.add(c.tensor().type());
            boolean anyNonZero = false;
            for (float v : c.expected()) {
                anyNonZero |= v != 0;
            }
            assertTrue(anyNonZero, c + ": all-zero golden data would prove nothing");
        }
        return covered;
    }

    @Test
    void goldenFilesCoverTheFormatsTheyShould() {
        Set<GgmlType> covered = coveredTypes(cases());
        // The folders hold these; the other supported formats are covered by ReferenceQuantTest's hand-decoded blocks.
        assertEquals(EnumSet.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
                GgmlType.Q5_K, GgmlType.Q6_K), covered);
    }

    @TestFactory
    Stream<DynamicTest> javaReferenceMatchesLlamaCpp() {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.toString(),
                () -> assertMatches(c, javaReference(c), "java reference")));
    }

    /** The case's rows dequantized by {@link ReferenceQuant}, one row at a time, straight from the mapped model. */
    static float[] javaReference(Case c) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment file = map(c.model(), arena);
            float[] actual = new float[c.rows() * c.rowLength()];
            long rowBytes = c.tensor().type().bytesFor(c.rowLength());
            for (int r = 0; r < c.rows(); r++) {
                ReferenceQuant.dequantizeRow(c.tensor().type(), file, c.tensor().offset() + r * rowBytes, actual,
                        r * c.rowLength(), c.rowLength());
            }
            return actual;
        }
    }

    @TestFactory
    Stream<DynamicTest> nativeKernelsMatchLlamaCpp() {
        return nativeKernelTests(cases());
    }

    /** For each case and each level this CPU runs: the native dequantize and get_rows within {@link #TOLERANCE}. */
    static Stream<DynamicTest> nativeKernelTests(List<Case> cases) {
        List<CpuLevel> levels = QuantKernelTest.levels();
        return cases.stream().flatMap(c -> levels.stream().map(level -> DynamicTest.dynamicTest(
                level.label() + " " + c, () -> {
                    try (Arena arena = Arena.ofConfined(); KernelContext ctx = KernelContext.create(level, 1)) {
                        MemorySegment file = map(c.model(), arena);
                        int type = c.tensor().type().id();
                        long rowBytes = c.tensor().type().bytesFor(c.rowLength());
                        long n = (long) c.rows() * c.rowLength();
                        MemorySegment table = file.asSlice(c.tensor().offset(), c.rows() * rowBytes);
                        MemorySegment out = arena.allocate(4 * n, 64);

                        ctx.dequantize(type, table, n, out);
                        assertMatches(c, out.toArray(ValueLayout.JAVA_FLOAT), level.label() + " dequantize");

                        // get_rows in reverse order: out row i is table row (rows − 1 − i); put them back in order.
                        out.fill((byte) 0);
                        MemorySegment ids = arena.allocate(4L * c.rows(), 4);
                        for (int i = 0; i < c.rows(); i++) {
                            ids.setAtIndex(ValueLayout.JAVA_INT, i, c.rows() - 1 - i);
                        }
                        ctx.getRows(type, table, rowBytes, c.rows(), c.rowLength(), ids, c.rows(), out);
                        float[] reversed = out.toArray(ValueLayout.JAVA_FLOAT);
                        float[] inOrder = new float[reversed.length];
                        for (int i = 0; i < c.rows(); i++) {
                            System.arraycopy(reversed, i * c.rowLength(), inOrder, (c.rows() - 1 - i) * c.rowLength(),
                                    c.rowLength());
                        }
                        assertMatches(c, inOrder, level.label() + " get_rows");
                    }
                })));
    }
}
