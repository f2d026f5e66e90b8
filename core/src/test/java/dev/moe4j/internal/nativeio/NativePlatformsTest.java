package dev.moe4j.internal.nativeio;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the loader does for the platforms it cannot be run on here: file names, the libraries packaged for them (their
 * machine type read from the file headers), extraction under Windows' rules, and the level property on ARM.
 */
class NativePlatformsTest {

    @Test
    void fileNamesFollowEachPlatformsLoader() {
        assertEquals("libmoe4j.so", NativeLibrary.libraryFile("linux-x86_64"));
        assertEquals("libmoe4j.so", NativeLibrary.libraryFile("linux-aarch64"));
        assertEquals("moe4j.dll", NativeLibrary.libraryFile("windows-x86_64"));
        assertEquals("libmoe4j.dylib", NativeLibrary.libraryFile("macos-aarch64"));
        assertEquals("libmoe4j_cuda.so", NativeLibrary.libraryFile("linux-x86_64", "moe4j_cuda"));
        assertEquals("/META-INF/native/windows-x86_64-cuda/moe4j_cuda.dll", CudaLibrary.resource("windows-x86_64"));
    }

    @Test
    void platformNamesFromJavaProperties() {
        String os = System.getProperty("os.name"), arch = System.getProperty("os.arch");
        try {
            assertEquals("windows-x86_64", platformOf("Windows 11", "amd64"));
            assertEquals("linux-aarch64", platformOf("Linux", "aarch64"));
            assertEquals("macos-aarch64", platformOf("Mac OS X", "aarch64"));
            assertEquals("windows-aarch64", platformOf("Windows 11", "aarch64"));
        } finally {
            System.setProperty("os.name", os);
            System.setProperty("os.arch", arch);
        }
    }

    private static String platformOf(String os, String arch) {
        System.setProperty("os.name", os);
        System.setProperty("os.arch", arch);
        return NativeLibrary.platform();
    }

    /**
     * Every library the jar carries is a shared object for its own platform: ELF for Linux with the right e_machine,
     * PE for Windows with the right machine field and the DLL flag. The cross-built ones are there when the build had
     * their toolchains (.ci/run installs them and checks the jar lists all three).
     */
    @Test
    void everyPackagedLibraryIsBuiltForItsPlatform() throws Exception {
        int found = 0;
        for (String platform : List.of("linux-x86_64", "linux-aarch64", "windows-x86_64")) {
            String resource = "/META-INF/native/" + platform + "/" + NativeLibrary.libraryFile(platform);
            try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
                if (in == null) {
                    assertNotEquals("linux-x86_64", platform, "the build machine's own library is always packaged");
                    continue;
                }
                found++;
                ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
                switch (platform) {
                    case "linux-x86_64" -> assertElf(b, 62, resource); // EM_X86_64
                    case "linux-aarch64" -> assertElf(b, 183, resource); // EM_AARCH64
                    default -> assertPeDll(b, 0x8664, resource); // IMAGE_FILE_MACHINE_AMD64
                }
            }
        }
        assertTrue(found >= 1);
    }

    private static void assertElf(ByteBuffer b, int machine, String what) {
        assertEquals(0x464C457F, b.getInt(0), what + ": ELF magic");
        assertEquals(3, b.getShort(16), what + ": ET_DYN");
        assertEquals(machine, b.getShort(18) & 0xFFFF, what + ": e_machine");
    }

    private static void assertPeDll(ByteBuffer b, int machine, String what) {
        assertEquals('M' | 'Z' << 8, b.getShort(0), what + ": MZ");
        int pe = b.getInt(0x3C);
        assertEquals(0x00004550, b.getInt(pe), what + ": PE signature");
        assertEquals(machine, b.getShort(pe + 4) & 0xFFFF, what + ": machine");
        assertTrue((b.getShort(pe + 22) & 0x2000) != 0, what + ": IMAGE_FILE_DLL");
    }

    @Test
    void extractionIntoAPathWithSpacesAndUnicode(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("Program Files (x86)/Jöhn Dœ/AppData/Local/Temp");
        byte[] bytes = "MZ not really a dll".getBytes();
        Path p = NativeLibrary.extract(bytes, root, NativeLibrary.libraryFile("windows-x86_64"));
        assertEquals("moe4j.dll", p.getFileName().toString());
        assertArrayEquals(bytes, Files.readAllBytes(p));
        assertEquals(p, NativeLibrary.extract(bytes, root, "moe4j.dll"));
    }

    /**
     * Windows cannot replace a DLL that a running process has loaded. Simulated by a target that cannot be renamed over
     * (a non-empty directory in its place): the extractor keeps its own complete copy under a unique name with the same
     * extension, instead of failing or touching the locked file.
     */
    @Test
    void aTargetThatCannotBeReplacedLeavesItAloneAndUsesAnOwnCopy(@TempDir Path root) throws Exception {
        byte[] bytes = new byte[4096];
        new java.util.Random(7).nextBytes(bytes);
        Path first = NativeLibrary.extract(bytes, root, "moe4j.dll");
        Files.delete(first);
        Files.createDirectories(first.resolve("held-open"));
        Path own = NativeLibrary.extract(bytes, root, "moe4j.dll");
        assertNotEquals(first, own);
        assertEquals(first.getParent(), own.getParent());
        assertTrue(own.getFileName().toString().matches("moe4j-\\d+-[0-9a-f]+\\.dll"), own.toString());
        assertArrayEquals(bytes, Files.readAllBytes(own));
        assertTrue(Files.isDirectory(first.resolve("held-open")), "the locked target is not touched");
        try (var leftovers = Files.list(own.getParent())) {
            assertTrue(leftovers.noneMatch(f -> f.toString().endsWith(".tmp")), "no temporary file left behind");
        }
    }

    @Test
    void theLevelPropertyOnEachArchitecture() {
        List<CpuLevel> arm = List.of(CpuLevel.SCALAR, CpuLevel.NEON, CpuLevel.NEON_DOTPROD);
        assertEquals(CpuLevel.NEON_DOTPROD, CpuLevel.configured(CpuLevel.NEON_DOTPROD, arm, null));
        assertEquals(CpuLevel.NEON, CpuLevel.configured(CpuLevel.NEON_DOTPROD, arm, "neon"));
        assertEquals(CpuLevel.SCALAR, CpuLevel.configured(CpuLevel.NEON_DOTPROD, arm, "scalar"));
        assertEquals(CpuLevel.NEON_DOTPROD, CpuLevel.configured(CpuLevel.NEON_DOTPROD, arm, "neon_i8mm"),
                "a level above the CPU's is capped to the CPU's");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuLevel.configured(CpuLevel.NEON_DOTPROD, arm, "avx2"));
        assertTrue(e.getMessage().contains("avx2") && e.getMessage().contains("neon_dotprod"), e.getMessage());

        List<CpuLevel> x86 = List.of(CpuLevel.SCALAR, CpuLevel.AVX2);
        assertEquals(CpuLevel.AVX2, CpuLevel.configured(CpuLevel.AVX2, x86, "avx512"));
        assertThrows(IllegalArgumentException.class, () -> CpuLevel.configured(CpuLevel.AVX2, x86, "neon"));
        assertEquals(CpuLevel.SCALAR, CpuLevel.configured(CpuLevel.SCALAR, List.of(CpuLevel.SCALAR), "neon"),
                "a build with no SIMD level runs scalar whatever is asked");
    }

    @Test
    void theNativeLibraryAnswersForEveryLevel() {
        List<CpuLevel> supported = CpuLevel.supported();
        assertEquals(CpuLevel.SCALAR, supported.get(0));
        assertTrue(supported.contains(CpuLevel.detected()));
        assertTrue(supported.stream().noneMatch(CpuLevel::isNeon), "this build machine is x86-64: " + supported);
    }
}
