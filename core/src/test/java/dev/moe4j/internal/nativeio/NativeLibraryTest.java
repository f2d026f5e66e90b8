package dev.moe4j.internal.nativeio;

import dev.moe4j.NativeLibraryException;
import dev.moe4j.NativeRuntime;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Finding, extracting and binding libmoe4j: platforms, races between threads, processes and class loaders. */
class NativeLibraryTest {

    @Test
    void aPlatformWithoutALibraryIsNamedInTheError() {
        NativeLibraryException e = assertThrows(NativeLibraryException.class,
                () -> NativeLibrary.packagedLibrary("plan9-mips"));
        assertTrue(e.getMessage().contains("plan9-mips"), e.getMessage());
        assertTrue(e.getMessage().contains(NativeLibrary.LIBRARY_PROPERTY), e.getMessage());
    }

    @Test
    void thisPlatformHasAPackagedLibrary() {
        assertEquals("linux-x86_64", NativeLibrary.platform(), "these tests run on linux-x86_64");
        byte[] lib = NativeLibrary.packagedLibrary(NativeLibrary.platform());
        assertTrue(lib.length > 1000 && lib[0] == 0x7f && lib[1] == 'E' && lib[2] == 'L' && lib[3] == 'F',
                "an ELF shared object");
    }

    @Test
    void concurrentExtractionsEndWithOneCompleteFile(@TempDir Path root) throws Exception {
        byte[] bytes = new byte[3 << 20];
        new Random(11).nextBytes(bytes);
        int n = 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return NativeLibrary.extract(bytes, root);
                }));
            }
            start.countDown();
            Path first = results.get(0).get(30, TimeUnit.SECONDS);
            for (Future<Path> f : results) {
                assertEquals(first, f.get(30, TimeUnit.SECONDS));
            }
            assertArrayEquals(bytes, Files.readAllBytes(first));
            try (Stream<Path> files = Files.list(first.getParent())) {
                assertEquals(List.of(first), files.toList(), "no temporary files left behind");
            }
        } finally {
            pool.shutdownNow();
        }
        // a second extraction of the same bytes reuses the file; different bytes go to a different directory
        assertEquals(NativeLibrary.extract(bytes, root), NativeLibrary.extract(bytes, root));
        byte[] other = bytes.clone();
        other[100] ^= 1;
        Path otherPath = NativeLibrary.extract(other, root);
        assertTrue(!otherPath.equals(NativeLibrary.extract(bytes, root)));
        assertArrayEquals(other, Files.readAllBytes(otherPath));
    }

    @Test
    void aDamagedCachedCopyIsReplaced(@TempDir Path root) throws IOException {
        byte[] bytes = new byte[4096];
        new Random(5).nextBytes(bytes);
        Path p = NativeLibrary.extract(bytes, root);
        Files.write(p, new byte[] {1, 2, 3}); // truncated, as a crash during a copy would leave it
        assertEquals(p, NativeLibrary.extract(bytes, root));
        assertArrayEquals(bytes, Files.readAllBytes(p));
    }

    @Test
    void twoProcessesExtractAndLoadAtOnce(@TempDir Path cache) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> procs = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            procs.add(new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                    "-D" + NativeLibrary.CACHE_DIR_PROPERTY + "=" + cache,
                    "-cp", System.getProperty("java.class.path"), ExtractMain.class.getName())
                    .redirectErrorStream(true).start());
        }
        List<String> paths = new ArrayList<>();
        for (Process p : procs) {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
            String out = new String(p.getInputStream().readAllBytes()).trim();
            assertEquals(0, p.exitValue(), out);
            String[] lines = out.split("\n");
            paths.add(lines[lines.length - 1].trim());
        }
        assertEquals(paths.get(0), paths.get(1));
        assertTrue(paths.get(0).startsWith(cache.toString()), paths.get(0));
    }

    @Test
    void twoClassLoadersBindTheLibraryIndependently() throws Exception {
        // System.load would refuse the second loader ("already loaded in another classloader");
        // SymbolLookup.libraryLookup in the global arena does not tie the library to a loader.
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            urls.add(Path.of(entry).toUri().toURL());
        }
        ClassLoader parent = ClassLoader.getPlatformClassLoader();
        try (URLClassLoader a = new URLClassLoader(urls.toArray(URL[]::new), parent);
             URLClassLoader b = new URLClassLoader(urls.toArray(URL[]::new), parent)) {
            Class<?> ka = Class.forName(NativeKernels.class.getName(), true, a);
            Class<?> kb = Class.forName(NativeKernels.class.getName(), true, b);
            assertNotSame(ka, kb);
            Method va = ka.getMethod("abiVersion");
            Method vb = kb.getMethod("abiVersion");
            assertEquals(NativeKernels.ABI_VERSION, va.invoke(null));
            assertEquals(NativeKernels.ABI_VERSION, vb.invoke(null));
            Object rt = Class.forName(NativeRuntime.class.getName(), true, b).getMethod("current").invoke(null);
            assertTrue(rt.toString().contains("linux-x86_64"), rt.toString());
        }
    }

    @Test
    void theLevelPropertyCapsNewContexts() {
        String old = System.getProperty(CpuLevel.PROPERTY);
        try {
            System.setProperty(CpuLevel.PROPERTY, "scalar");
            assertEquals(CpuLevel.SCALAR, CpuLevel.configured());
            try (KernelContext ctx = KernelContext.create(1)) {
                assertEquals(CpuLevel.SCALAR, ctx.level());
            }
            System.setProperty(CpuLevel.PROPERTY, "avx2");
            CpuLevel want = CpuLevel.detected().ordinal() >= CpuLevel.AVX2.ordinal() ? CpuLevel.AVX2 : CpuLevel.detected();
            assertEquals(want, CpuLevel.configured());
            System.setProperty(CpuLevel.PROPERTY, "avx1024");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, CpuLevel::configured);
            assertTrue(e.getMessage().contains("avx1024"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(CpuLevel.PROPERTY);
            } else {
                System.setProperty(CpuLevel.PROPERTY, old);
            }
        }
    }
}
