package dev.moe4j.bench;

import dev.moe4j.internal.nativeio.KernelContext;
import dev.moe4j.internal.quant.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Matrix × matrix (a batch of token vectors, the prefill path): reports multiply-adds per second ({@code macs}).
 * {@code activations}: {@code f32} or {@code q8} (llama.cpp's numerics, {@code matmulGgml}), as in
 * {@link MatvecBenchmark}.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar Matmul -p type=Q4_0 -p tokens=64 -p activations=f32,q8}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class MatmulBenchmark {
    @Param({"F32", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    @Param({"2048"})
    public int rows;

    @Param({"2048"})
    public int cols;

    @Param({"64"})
    public int tokens;

    @Param({"1"})
    public int threads;

    @Param({"f32", "q8"})
    public String activations;

    private Arena arena;
    private KernelContext ctx;
    private GgmlType t;
    private MemorySegment w;
    private MemorySegment x;
    private MemorySegment y;
    private long rowBytes;
    private boolean q8;

    /** Multiply-adds done, reported by JMH as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Work {
        public long macs;
    }

    @Setup(Level.Trial)
    public void setup() {
        t = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        rowBytes = t.bytesFor(cols);
        w = arena.allocate(rowBytes * rows, 64);
        RandomWeights.fill(t, w, (long) rows * cols, 7);
        x = arena.allocate(4L * cols * tokens, 64);
        y = arena.allocate(4L * rows * tokens, 64);
        for (long i = 0; i < (long) cols * tokens; i++) {
            x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.cos(i * 0.11));
        }
        q8 = switch (activations) {
            case "f32" -> false;
            case "q8" -> true;
            default -> throw new IllegalArgumentException("activations must be f32 or q8, got " + activations);
        };
        ctx = KernelContext.create(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ctx.close();
        arena.close();
    }

    @Benchmark
    public MemorySegment matmul(Work work) {
        if (q8) {
            ctx.matmulGgml(t.id(), w, rowBytes, rows, cols, x, cols, tokens, y, rows);
        } else {
            ctx.matmul(t.id(), w, rowBytes, rows, cols, x, cols, tokens, y, rows);
        }
        work.macs += (long) rows * cols * tokens;
        return y;
    }
}
