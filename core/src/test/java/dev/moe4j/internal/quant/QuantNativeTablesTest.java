package dev.moe4j.internal.quant;

import dev.moe4j.testing.GoldenFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * native-kernels/src/quant_tables.h (the tables of the C and CUDA kernels, written by {@code tools/quant_tables.py c})
 * holds exactly {@link QuantTables}' data, which QuantTablesTest pins to gguf-py's: the header is parsed here and every
 * array compared element by element, so C, CUDA and Java provably decode with the same grids. A grid point is one
 * uint64_t (uint32_t) whose byte j is element j, i.e. the little-endian image of {@link QuantTables}' byte arrays.
 */
class QuantNativeTablesTest {
    private static final Pattern ARRAY = Pattern.compile(
            "MOE_TABLE_QUALIFIER\\s+(\\w+)\\s+(\\w+)\\[(\\d+)]\\s*=\\s*\\{([^}]*)};");
    private static final Pattern NUMBER = Pattern.compile("-?(0x[0-9a-fA-F]+|\\d+)");

    record CArray(String ctype, int declared, long[] values) {}

    private static String text;
    private static Map<String, CArray> arrays;

    @BeforeAll
    static void parse() throws IOException {
        Path header = GoldenFiles.repoDir().resolve("native-kernels/src/quant_tables.h");
        text = Files.readString(header);
        arrays = new LinkedHashMap<>();
        Matcher m = ARRAY.matcher(text);
        while (m.find()) {
            Matcher n = NUMBER.matcher(m.group(4));
            long[] values = n.results().mapToLong(r -> parse(r.group())).toArray();
            CArray previous = arrays.put(m.group(2), new CArray(m.group(1), Integer.parseInt(m.group(3)), values));
            assertEquals(null, previous, "declared twice: " + m.group(2));
        }
    }

    /** A C integer literal (decimal or hex, maybe negative); a uint64_t above 2^63 comes back as its two's complement. */
    private static long parse(String literal) {
        boolean negative = literal.startsWith("-");
        String digits = negative ? literal.substring(1) : literal;
        long v = digits.startsWith("0x") ? new BigInteger(digits.substring(2), 16).longValue() : Long.parseLong(digits);
        return negative ? -v : v;
    }

    @Test
    void theHeaderDeclaresExactlyTheCheckedTables() {
        assertEquals(Set.of("moe_iq2xxs_grid", "moe_iq2xs_grid", "moe_iq2s_grid", "moe_iq3xxs_grid", "moe_iq3s_grid",
                "moe_iq1s_grid", "moe_ksigns_iq2xs", "moe_ksigns64_iq2xs", "moe_kmask_iq2xs", "moe_kvalues_mxfp4"),
                arrays.keySet());
        arrays.forEach((name, a) -> assertEquals(a.declared(), a.values().length, name + ": declared vs written"));
        // every table must use the qualifier macro, so the CUDA build can place them all in device memory
        assertEquals(arrays.size(), Pattern.compile("\\w+\\s+moe_\\w+\\[\\d+]\\s*=").matcher(text).results().count());
    }

    @Test
    void gridsEqualQuantTables() {
        grid("moe_iq2xxs_grid", "uint64_t", QuantTables.IQ2XXS_GRID, 8);
        grid("moe_iq2xs_grid", "uint64_t", QuantTables.IQ2XS_GRID, 8);
        grid("moe_iq2s_grid", "uint64_t", QuantTables.IQ2S_GRID, 8);
        grid("moe_iq3xxs_grid", "uint32_t", QuantTables.IQ3XXS_GRID, 4);
        grid("moe_iq3s_grid", "uint32_t", QuantTables.IQ3S_GRID, 4);
        grid("moe_iq1s_grid", "uint64_t", QuantTables.IQ1S_GRID, 8);
    }

    private static void grid(String name, String ctype, byte[] java, int width) {
        CArray a = arrays.get(name);
        assertEquals(ctype, a.ctype(), name);
        assertEquals(java.length / width, a.values().length, name + " points");
        for (int p = 0; p < a.values().length; p++) {
            for (int j = 0; j < width; j++) {
                byte c = (byte) (a.values()[p] >>> (8 * j));
                if (c != java[width * p + j]) {
                    fail(name + "[" + p + "] element " + j + ": C " + c + ", QuantTables " + java[width * p + j]);
                }
            }
            if (width == 4 && (a.values()[p] >>> 32) != 0) {
                fail(name + "[" + p + "] does not fit 32 bits");
            }
        }
    }

    @Test
    void signTablesEqualQuantTables() {
        CArray ks = arrays.get("moe_ksigns_iq2xs");
        assertEquals("uint8_t", ks.ctype());
        assertEquals(QuantTables.KSIGNS_IQ2XS.length, ks.values().length);
        for (int i = 0; i < ks.values().length; i++) {
            assertEquals(QuantTables.KSIGNS_IQ2XS[i] & 0xFF, ks.values()[i], "moe_ksigns_iq2xs[" + i + "]");
        }
        CArray ks64 = arrays.get("moe_ksigns64_iq2xs");
        assertEquals("uint64_t", ks64.ctype());
        assertEquals(128, ks64.values().length);
        for (int i = 0; i < 128; i++) {
            for (int j = 0; j < 8; j++) {
                byte factor = (byte) (ks64.values()[i] >>> (8 * j));
                byte want = (QuantTables.KSIGNS_IQ2XS[i] & QuantTables.KMASK_IQ2XS[j]) != 0 ? (byte) -1 : 1;
                assertEquals(want, factor, "moe_ksigns64_iq2xs[" + i + "] byte " + j);
            }
        }
        CArray km = arrays.get("moe_kmask_iq2xs");
        assertEquals("uint8_t", km.ctype());
        assertEquals(8, km.values().length);
        for (int j = 0; j < 8; j++) {
            assertEquals(QuantTables.KMASK_IQ2XS[j] & 0xFF, km.values()[j], "moe_kmask_iq2xs[" + j + "]");
        }
    }

    @Test
    void mxfp4LevelsAndIq1DeltaEqualQuantTables() {
        CArray kv = arrays.get("moe_kvalues_mxfp4");
        assertEquals("int8_t", kv.ctype());
        assertEquals(QuantTables.MXFP4_LEVELS.length, kv.values().length);
        for (int i = 0; i < kv.values().length; i++) {
            assertEquals(QuantTables.MXFP4_LEVELS[i], kv.values()[i], "moe_kvalues_mxfp4[" + i + "]");
        }
        Matcher delta = Pattern.compile("#define MOE_IQ1_DELTA ([0-9.]+)f").matcher(text);
        assertTrue(delta.find(), "MOE_IQ1_DELTA");
        assertEquals(QuantTables.IQ1_DELTA, Float.parseFloat(delta.group(1)));
    }
}
