package dev.moe4j.bench;

import dev.moe4j.internal.nativeio.KernelContext;
import dev.moe4j.internal.nativeio.NativeKernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The price of crossing into C: an empty critical downcall, a small critical op (16-float add) with its Java-side
 * argument checks, the same on heap arrays, and a small matvec (ordinary downcall + the worker pool's dispatch) — the
 * per-op overhead the engine pays a few hundred times per token.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class FfmCallBenchmark {
    private Arena arena;
    private KernelContext ctx1;
    private KernelContext ctx2;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment out;
    private float[] ha;
    private float[] hb;
    private float[] hout;
    private MemorySegment w;
    private MemorySegment x;
    private MemorySegment y;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        a = arena.allocate(64, 64);
        b = arena.allocate(64, 64);
        out = arena.allocate(64, 64);
        ha = new float[16];
        hb = new float[16];
        hout = new float[16];
        for (int i = 0; i < 16; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, i);
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, 2 * i);
            ha[i] = i;
            hb[i] = 2 * i;
        }
        // 64 x 256 F32: small enough that the call overhead dominates
        w = arena.allocate(64L * 256 * 4, 64);
        x = arena.allocate(256L * 4, 64);
        y = arena.allocate(64L * 4, 64);
        for (int i = 0; i < 64 * 256; i++) {
            w.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.1f);
        }
        ctx1 = KernelContext.create(1);
        ctx2 = KernelContext.create(2);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ctx1.close();
        ctx2.close();
        arena.close();
    }

    @Benchmark
    public int emptyCriticalCall() {
        return NativeKernels.abiVersion();
    }

    @Benchmark
    public MemorySegment add16Native() {
        ctx1.add(a, b, 16, out);
        return out;
    }

    @Benchmark
    public float[] add16Heap() {
        ctx1.add(MemorySegment.ofArray(ha), MemorySegment.ofArray(hb), 16, MemorySegment.ofArray(hout));
        return hout;
    }

    @Benchmark
    public MemorySegment smallMatvec1Thread() {
        ctx1.matvec(0, w, 256 * 4, 64, 256, x, y);
        return y;
    }

    @Benchmark
    public MemorySegment smallMatvec2Threads() {
        ctx2.matvec(0, w, 256 * 4, 64, 256, x, y);
        return y;
    }
}
