package dev.moe4j.internal.quant;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Pins every table of {@link QuantTables} to llama.cpp's own copy: the expected values are the SHA-256 of each table's
 * little-endian bytes (the memory image of ggml's C table: a uint64_t grid point is its 8 elements in order) as
 * gguf-py holds it, printed by
 * <pre>
 *   python3 tools/quant_tables.py --gguf-py ../ext/llama.cpp/gguf-py digests
 * </pre>
 * from gguf-py's {@code quants.py} (llama.cpp de3ff81): the grids from {@code IQ2_XXS.grid} etc. after
 * {@code init_grid()} (elements as uint8, or int8 for {@code IQ1_S}), {@code IQ2_XXS.ksigns}, {@code IQ1_S.delta} and
 * {@code MXFP4.kvalues}, and the E8M0 conversion as its 256 results {@code MXFP4.e8m0_to_fp32_half(0..255)} (float32).
 * gguf-py tests sign bit j as {@code (signs >> j) & 1}, so kmask_iq2xs is pinned as {@code 1 << j}. The same script's
 * {@code check-c} confirmed that gguf-py's tables equal ggml-common.h's byte for byte. Nothing here needs gguf-py.
 */
class QuantTablesTest {

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] le(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    @Test
    void gridsEqualGgufPys() {
        assertEquals(256 * 8, QuantTables.IQ2XXS_GRID.length);
        assertEquals("05826b5d3e472a3a78f196be62ac78acf81df0f909626e12ab9fa2a5d490dd54", sha256(QuantTables.IQ2XXS_GRID));
        assertEquals(512 * 8, QuantTables.IQ2XS_GRID.length);
        assertEquals("06e47aaca60b4dc1d9b5a3f34540437058a6b142b4d7a59d5ded769b4d1bf1de", sha256(QuantTables.IQ2XS_GRID));
        assertEquals(1024 * 8, QuantTables.IQ2S_GRID.length);
        assertEquals("e1aa1473412b0552c2174c30ef22ab4073f6a181b85a17056e8249bd2932fd88", sha256(QuantTables.IQ2S_GRID));
        assertEquals(256 * 4, QuantTables.IQ3XXS_GRID.length);
        assertEquals("46e35f5a997efdee6c99ce57854c8a0d4f0ff8ca57e5e8a60c0793ea580acf5d", sha256(QuantTables.IQ3XXS_GRID));
        assertEquals(512 * 4, QuantTables.IQ3S_GRID.length);
        assertEquals("bd1af4945a1717c65610b0284e4628b9a1ba3b306fae3a06f6e5f597356e349f", sha256(QuantTables.IQ3S_GRID));
        assertEquals(2048 * 8, QuantTables.IQ1S_GRID.length);
        assertEquals("07540ffc1aeaf6ad4d97e96b0fcc765aae39671d4ae4a27bbd0e796fde167c6a", sha256(QuantTables.IQ1S_GRID));
    }

    @Test
    void signTablesEqualGgufPys() {
        assertEquals("a76742a603f8beca5212ecce0f1f02f11a4887fd2f7c8b15aca0ea3eb3380c31", sha256(QuantTables.KSIGNS_IQ2XS));
        assertEquals("5ac9831b2e30eb285ef34f8501620f878432d5c04331ad1ae47f977a83ba41a5", sha256(QuantTables.KMASK_IQ2XS));
    }

    @Test
    void iq1DeltaAndMxfp4EqualGgufPys() {
        assertEquals("31b67dba7cfd6e2d7540f9c96d90a45b8f2d44956620723024d4e1beeacd4602", sha256(le(QuantTables.IQ1_DELTA)));
        assertEquals("adf76b672d47eb7fc0afd4db132d548d59d3190aa0ad118fdbf569d5fd478f97", sha256(QuantTables.MXFP4_LEVELS));
        float[] e8m0 = new float[256];
        for (int e = 0; e < 256; e++) {
            e8m0[e] = QuantTables.e8m0Half(e);
        }
        assertEquals("ce2e76164e8f7ad49e6c322ac935defdae65f2286a654765fdc00caf29ab37bd", sha256(le(e8m0)));
    }

    private static long u64(byte[] grid, int point) {
        return ByteBuffer.wrap(grid, 8 * point, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static int u32(byte[] grid, int point) {
        return ByteBuffer.wrap(grid, 4 * point, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /** Spot values, so a failure above has something readable next to it. */
    @Test
    void spotValues() {
        // Entries of ggml-common.h as they read in the C source (a uint64_t/uint32_t literal, element 0 in the low byte).
        assertEquals(0x080808080808082bL, u64(QuantTables.IQ2XXS_GRID, 1));
        assertEquals(0x2b2b2b1908081908L, u64(QuantTables.IQ2XXS_GRID, 255));
        assertEquals(0xffffffffffffff01L, u64(QuantTables.IQ1S_GRID, 1));
        assertEquals(0x04040414, u32(QuantTables.IQ3XXS_GRID, 1));
        assertEquals(0x01010103, u32(QuantTables.IQ3S_GRID, 1));
        assertEquals((byte) 0x81, QuantTables.KSIGNS_IQ2XS[1]); // one stored minus sign: the implied eighth is minus too
        assertEquals((byte) 0x03, QuantTables.KSIGNS_IQ2XS[3]);
        assertEquals(0x1p-128f, QuantTables.e8m0Half(0));
        assertEquals(0x1p-127f, QuantTables.e8m0Half(1));
        assertEquals(0.5f, QuantTables.e8m0Half(127));
        assertEquals(0x1p127f, QuantTables.e8m0Half(255));
    }
}
