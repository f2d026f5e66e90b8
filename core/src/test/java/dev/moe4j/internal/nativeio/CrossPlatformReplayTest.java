package dev.moe4j.internal.nativeio;

import dev.moe4j.internal.gguf.GgufFile;
import dev.moe4j.internal.gguf.GgufTensor;
import dev.moe4j.testing.GoldenFiles;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The golden models' weights through the libraries built for the platforms this machine cannot run a JDK on, as far
 * as can be checked without one: real weight rows of every golden model (every format they use, the i-quant models
 * included), products recorded here by the linux-x86_64 library's scalar level, recomputed by {@code moe4j_replay}
 * built for linux-aarch64 (under qemu-user, every NEON level) and for windows-x86_64 (under Wine, every x86 level).
 * Quantized formats must match bit for bit, F32/F16/BF16 within 1e-6 of the magnitude (native-kernels/test/replay.c).
 * The engine above the kernels is plain Java, so equal products mean the same tokens there.
 *
 * <p>Skipped where the cross builds or emulators are missing, except when {@code MOE4J_CROSS=require} (.ci/run).
 */
class CrossPlatformReplayTest {
    private static final int ROWS_PER_TENSOR = 8;
    private static Path dump;
    private static Path tampered; // the same with one bit of one recorded quantized product flipped
    private static int records;

    @BeforeAll
    static void record(@TempDir Path dir) throws IOException {
        dump = dir.resolve("golden products.bin"); // a space in the path, as Windows users have
        List<Path> models = new ArrayList<>();
        for (Path c : GoldenFiles.caseDirs()) {
            if (Files.isRegularFile(c.resolve("model.gguf"))) {
                models.add(c.resolve("model.gguf"));
            }
        }
        assertTrue(models.size() >= 10, "golden models found: " + models);
        List<byte[]> recs = new ArrayList<>();
        Random rnd = new Random(20261207);
        try (KernelContext scalar = KernelContext.create(CpuLevel.SCALAR, 1); Arena arena = Arena.ofConfined()) {
            for (Path model : models) {
                try (GgufFile f = GgufFile.open(model)) {
                    int i = 0;
                    for (GgufTensor t : f.tensors()) {
                        long[] block = NativeKernels.typeBlock(t.type().id());
                        if (t.rank() != 2 || block == null || t.dim(0) % block[0] != 0) {
                            continue;
                        }
                        int tokens = (i++ % 2 == 0) ? 1 : 3;
                        recs.add(record(scalar, arena, model.getParent().getFileName() + "/" + t.name(), t, tokens, rnd));
                    }
                }
            }
        }
        try (OutputStream raw = Files.newOutputStream(dump);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw))) {
            out.writeBytes("MOE4JRPL");
            writeIntLe(out, 1);
            writeIntLe(out, recs.size());
            for (byte[] r : recs) {
                out.write(r);
            }
        }
        records = recs.size();
        // the last float of a record is its last product; flip the lowest mantissa bit of a Q8_0 record's
        byte[] all = Files.readAllBytes(dump);
        long end = 16;
        long flip = -1;
        for (byte[] r : recs) {
            end += r.length;
            int nameLen = java.nio.ByteBuffer.wrap(r).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(0);
            int type = java.nio.ByteBuffer.wrap(r).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(4 + nameLen);
            if (type == 8 && flip < 0) {
                flip = end - 4;
            }
        }
        assertTrue(flip > 0, "a golden model has Q8_0 weights");
        all[(int) flip] ^= 1;
        tampered = dir.resolve("tampered.bin");
        Files.write(tampered, all);
    }

    private static byte[] record(KernelContext ctx, Arena arena, String name, GgufTensor t, int tokens, Random rnd) {
        long cols = t.dim(0), rows = Math.min(ROWS_PER_TENSOR, t.rows()), rb = t.rowBytes();
        MemorySegment w = t.segment().asSlice(0, rows * rb);
        MemorySegment x = arena.allocate(4 * cols * tokens, 64), y = arena.allocate(4 * rows * tokens, 64);
        for (long k = 0; k < cols * tokens; k++) {
            x.setAtIndex(ValueLayout.JAVA_FLOAT, k, (float) rnd.nextGaussian());
        }
        ctx.matmulGgml(t.type().id(), w, rb, rows, cols, x, cols, tokens, y, rows);
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + nameBytes.length + 4 + 8 * 3 + 4
                + (int) (rows * rb) + (int) (4 * cols * tokens) + (int) (4 * rows * tokens))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(nameBytes.length).put(nameBytes).putInt(t.type().id()).putLong(rows).putLong(cols).putLong(rb)
                .putInt(tokens);
        b.put(w.toArray(ValueLayout.JAVA_BYTE));
        for (long k = 0; k < cols * tokens; k++) {
            b.putFloat(x.getAtIndex(ValueLayout.JAVA_FLOAT, k));
        }
        for (long k = 0; k < rows * tokens; k++) {
            b.putFloat(y.getAtIndex(ValueLayout.JAVA_FLOAT, k));
        }
        return b.array();
    }

    private static void writeIntLe(DataOutputStream out, int v) throws IOException {
        out.writeInt(Integer.reverseBytes(v));
    }

    @Test
    void linuxAarch64ComputesTheSameProductsAtEveryNeonLevel() throws Exception {
        Path exe = crossBuild("linux-aarch64").resolve("moe4j_replay");
        String qemu = onPath("qemu-aarch64");
        List<String> command = List.of(qemu, "-L", "/usr/aarch64-linux-gnu", exe.toString());
        String out = run(exe, command, dump.toString(), Map.of("QEMU_CPU", "max"), qemu);
        assertTrue(out.contains("levels scalar neon neon_dotprod neon_i8mm:"), out);
    }

    @Test
    void windowsX8664ComputesTheSameProductsAtEveryLevel() throws Exception {
        Path exe = crossBuild("windows-x86_64").resolve("moe4j_replay.exe");
        String wine = Files.isExecutable(Path.of("/usr/lib/wine/wine64")) ? "/usr/lib/wine/wine64" : onPath("wine64");
        Path prefix = crossBuild("windows-x86_64").resolve("wineprefix");
        String out = run(exe, List.of(wine, exe.toString()), "Z:" + dump.toAbsolutePath(),
                Map.of("WINEPREFIX", prefix.toString(), "WINEDEBUG", "-all"), wine);
        assertTrue(out.contains("levels scalar avx2"), out);
    }

    /** Runs the replay on the recorded file (must pass) and on the tampered one (must fail); the first's output. */
    private static String run(Path exe, List<String> command, String file, Map<String, String> env, String emulator)
            throws Exception {
        if (!Files.isRegularFile(exe) || emulator == null) {
            String why = !Files.isRegularFile(exe) ? "no " + exe + " (native-kernels' cross build)" : "no emulator";
            if ("require".equals(System.getenv("MOE4J_CROSS"))) {
                fail(why + " and MOE4J_CROSS=require");
            }
            Assumptions.abort(why);
        }
        String out = exec(command, file, env, 0);
        assertTrue(out.contains(records + " records") && out.contains(", 0 failures"), out);
        System.err.println(exe.getFileName() + " (" + env + "): " + out.strip());
        String bad = exec(command, file.replace(dump.getFileName().toString(), tampered.getFileName().toString()),
                env, 1);
        assertTrue(bad.contains("FAIL") && bad.contains("Q8_0") || bad.contains("type 8"), bad);
        return out;
    }

    private static String exec(List<String> command, String file, Map<String, String> env, int wantStatus)
            throws Exception {
        List<String> full = new ArrayList<>(command);
        full.add(file);
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "replay finished");
        String out = new String(output, StandardCharsets.UTF_8);
        assertEquals(wantStatus, p.exitValue(), out);
        return out;
    }

    private static Path crossBuild(String platform) {
        return Path.of(System.getProperty("user.dir")).resolveSibling("native-kernels").resolve("target")
                .resolve("cmake-" + platform);
    }

    private static String onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
