package dev.moe4j.internal.nativeio;

import dev.moe4j.NativeLibraryException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Choosing CPU or CUDA: every branch of the decision with a stand-in probe, then the real probe on the CUDA library
 * built by native-kernels (when nvcc was there to build it): on a machine without a GPU it must answer "no device"
 * without crashing, and the library's CPU emulation build (same ABI, one emulated device) drives the probe's
 * "device found" path through the same FFM code.
 */
class BackendSelectorTest {
    /** Set by surefire (core/pom.xml) to what native-kernels built; the files are absent where nvcc is. */
    private static final String CUDA_LIBRARY = System.getProperty("moe4j.test.cudaLibrary", "");
    private static final String CUDA_EMU_LIBRARY = System.getProperty("moe4j.test.cudaEmuLibrary", "");

    private static final CudaProbe.Device H200 = new CudaProbe.Device(0, "NVIDIA H200", 9, 0, 132, 150_000_000_000L);

    private static CudaProbe.Result found() {
        return new CudaProbe.Result(H200, 2, null, Path.of("/lib/libmoe4j_cuda.so"));
    }

    private static CudaProbe.Result none() {
        return CudaProbe.Result.unavailable("no usable CUDA driver (status -21): cudaGetDeviceCount: ...", null);
    }

    @Test
    void modesParseInAnyCaseAndBlankIsAuto() {
        assertEquals(BackendSelector.Mode.AUTO, BackendSelector.Mode.parse(null));
        assertEquals(BackendSelector.Mode.AUTO, BackendSelector.Mode.parse(" "));
        assertEquals(BackendSelector.Mode.CPU, BackendSelector.Mode.parse("CPU"));
        assertEquals(BackendSelector.Mode.CUDA, BackendSelector.Mode.parse(" cuda "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BackendSelector.Mode.parse("gpu"));
        assertTrue(e.getMessage().contains("-Dmoe4j.backend=gpu") && e.getMessage().contains("auto, cpu, cuda or java"),
                e.getMessage());
    }

    @Test
    void forcedCpuNeverProbes() {
        BackendChoice c = BackendSelector.choose(BackendSelector.Mode.CPU, () -> {
            throw new AssertionError("probed although the CPU was forced");
        });
        assertEquals(Backend.CPU, c.backend());
        assertNull(c.device());
        assertTrue(c.reason().contains("-Dmoe4j.backend=cpu"), c.reason());
    }

    @Test
    void autoTakesAUsableDeviceAndSaysWhich() {
        AtomicInteger probes = new AtomicInteger();
        BackendChoice c = BackendSelector.choose(BackendSelector.Mode.AUTO, () -> {
            probes.incrementAndGet();
            return found();
        });
        assertEquals(1, probes.get());
        assertEquals(Backend.CUDA, c.backend());
        assertSame(H200, c.device());
        assertTrue(c.reason().contains("NVIDIA H200 (sm_90, 132 SMs, 139.7 GiB)") && c.reason().contains("of 2"),
                c.reason());
    }

    @Test
    void autoFallsBackToTheCpuWithTheProbesReason() {
        BackendChoice c = BackendSelector.choose(BackendSelector.Mode.AUTO, BackendSelectorTest::none);
        assertEquals(Backend.CPU, c.backend());
        assertTrue(c.reason().startsWith("no usable CUDA device: no usable CUDA driver (status -21)"), c.reason());
    }

    @Test
    void forcedCudaWithoutADeviceIsAnErrorNotASilentCpuRun() {
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> BackendSelector.choose(BackendSelector.Mode.CUDA, BackendSelectorTest::none));
        assertTrue(e.getMessage().contains("-Dmoe4j.backend=cuda") && e.getMessage().contains("status -21"),
                e.getMessage());
        BackendChoice c = BackendSelector.choose(BackendSelector.Mode.CUDA, BackendSelectorTest::found);
        assertEquals(Backend.CUDA, c.backend());
        assertTrue(c.reason().startsWith("forced by -Dmoe4j.backend=cuda"), c.reason());
    }

    @Test
    void aChoiceNamesItsDeviceExactlyWhenItIsCuda() {
        assertThrows(IllegalArgumentException.class, () -> new BackendChoice(Backend.CUDA, "x", null));
        assertThrows(IllegalArgumentException.class, () -> new BackendChoice(Backend.CPU, "x", H200));
    }

    @Test
    void theProcessChoiceIsMadeOnce() {
        BackendChoice first = BackendSelector.selected();
        assertNotNull(first);
        assertSame(first, BackendSelector.selected());
    }

    @Test
    void locatingTheLibrary(@TempDir Path dir) throws IOException {
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> CudaLibrary.locate(dir.resolve("nope.so").toString(), "linux-x86_64", dir));
        assertTrue(e.getMessage().contains("-Dmoe4j.cuda.library=") && e.getMessage().contains("nope.so"),
                e.getMessage());
        Path file = Files.writeString(dir.resolve("lib.so"), "x");
        assertEquals(file.toAbsolutePath(), CudaLibrary.locate(file.toString(), "linux-x86_64", dir).path());
        CudaLibrary.Location none = CudaLibrary.locate(null, "plan9-mips", dir);
        assertNull(none.path());
        assertTrue(none.missing().contains("/META-INF/native/plan9-mips-cuda/libmoe4j_cuda.so")
                && none.missing().contains("classifier cuda"), none.missing());
    }

    @Test
    void aLibraryTheLoaderRefusesIsAnAnswerNotACrash(@TempDir Path dir) {
        // (a missing file rather than a junk one: HotSpot warns on stderr about any non-ELF it is asked to load)
        CudaProbe.Result r = CudaProbe.probe(dir.resolve("libmoe4j_cuda.so"));
        assertFalse(r.usable());
        assertTrue(r.reason().contains("cannot load the moe4j CUDA library"), r.reason());
        assertEquals(Backend.CPU, BackendSelector.choose(BackendSelector.Mode.AUTO, () -> r).backend());
    }

    @Test
    void aLibraryWithoutTheCudaAbiIsRefused() {
        CudaProbe.Result r = CudaProbe.probe(NativeLibrary.path()); // libmoe4j: the CPU kernels
        assertFalse(r.usable());
        assertTrue(r.reason().contains("lacks symbol moe_cuda_abi_version"), r.reason());
    }

    @Test
    void theBuiltLibraryLoadsAndAnswers() {
        Path lib = Path.of(CUDA_LIBRARY);
        assumeTrue(!CUDA_LIBRARY.isEmpty() && Files.isRegularFile(lib), "libmoe4j_cuda not built (no nvcc)");
        CudaProbe.Result r = CudaProbe.probe(lib);
        assertEquals(lib, r.library());
        BackendChoice auto = BackendSelector.choose(BackendSelector.Mode.AUTO, () -> r);
        if (r.usable()) { // a machine with a GPU
            assertTrue(r.count() >= 1 && !r.device().name().isBlank() && r.device().totalBytes() > 0, r.toString());
            assertEquals(Backend.CUDA, auto.backend());
        } else { // no driver or no device: the answer of the library, its status and CUDA's own words
            assertEquals(0, r.count());
            assertTrue(r.reason().matches("(no usable CUDA driver \\(status -21\\)|no CUDA device \\(status -20\\)): "
                    + "moe_cuda_device_count: .*"), r.reason());
            assertEquals(Backend.CPU, auto.backend());
            assertThrows(NativeLibraryException.class,
                    () -> BackendSelector.choose(BackendSelector.Mode.CUDA, () -> r));
        }
    }

    @Test
    void theEmulatedDeviceIsFoundThroughTheSameCalls() {
        Path lib = Path.of(CUDA_EMU_LIBRARY);
        assumeTrue(!CUDA_EMU_LIBRARY.isEmpty() && Files.isRegularFile(lib), "libmoe4j_cuda_emu not built (no nvcc)");
        CudaProbe.Result r = CudaProbe.probe(lib);
        assertTrue(r.usable(), r.reason());
        assertEquals(1, r.count());
        assertEquals(new CudaProbe.Device(0, "moe4j CPU emulation", 9, 0, 1, 1L << 34), r.device());
        BackendChoice c = BackendSelector.choose(BackendSelector.Mode.AUTO, () -> r);
        assertEquals(Backend.CUDA, c.backend());
        assertTrue(c.reason().contains("moe4j CPU emulation (sm_90, 1 SMs, 16.0 GiB)"), c.reason());
    }
}
