package dev.moe4j.bench;

import dev.moe4j.internal.nativeio.CpuLevel;
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
 * Matrix × vector per weight format, through the same FFM path the engine uses. The weight matrix (default 4096 × 4096,
 * 8.5 MiB in Q4_0 up to 64 MiB in F32; use {@code -p rows=16384} to exceed the last-level cache) is streamed once per
 * operation; the {@code weightBytes} counter reports weight bytes streamed per second, to set beside the machine's memory
 * bandwidth.
 *
 * <p>{@code activations}: {@code f32} multiplies f32 activations ({@code matvec}); {@code q8} takes llama.cpp's numerics
 * ({@code matmulGgml}: the activation quantized to 8 bits once per call, then integer dot products; F16/BF16 round it to
 * f16/bf16, F32 is unchanged), what a model runs with its default options.
 *
 * <p>{@code java -jar benchmarks/target/benchmarks.jar Matvec -p type=Q4_0,Q8_0 -p threads=1,2 -p activations=f32,q8}
 *
 * <p>The 8-bit-activation GB/s of the i-quant, TQ and MXFP4 formats beside Q4_0 and Q2_K, at 1 and 2 threads:
 * {@code java -jar benchmarks/target/benchmarks.jar Matvec -p activations=q8 -p threads=1,2
 * -p type=Q4_0,Q2_K,IQ1_S,IQ1_M,IQ2_XXS,IQ2_XS,IQ2_S,IQ3_XXS,IQ3_S,TQ1_0,TQ2_0,MXFP4}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class MatvecBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
            "IQ4_NL", "IQ4_XS", "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "TQ1_0", "TQ2_0",
            "MXFP4"})
    public String type;

    @Param({"4096"})
    public int rows;

    @Param({"4096"})
    public int cols;

    @Param({"1"})
    public int threads;

    /** f32 or q8 (see the class comment). */
    @Param({"f32", "q8"})
    public String activations;

    /** Empty = the best level of this CPU. */
    @Param({""})
    public String level;

    private Arena arena;
    private KernelContext ctx;
    private GgmlType t;
    private MemorySegment w;
    private MemorySegment x;
    private MemorySegment y;
    private long rowBytes;
    private boolean q8;

    /** Bytes of weights streamed, reported by JMH as a rate. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Streamed {
        public long weightBytes;
    }

    @Setup(Level.Trial)
    public void setup() {
        t = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        rowBytes = t.bytesFor(cols);
        w = arena.allocate(rowBytes * rows, 64);
        RandomWeights.fill(t, w, (long) rows * cols, 42);
        x = arena.allocate(4L * cols, 64);
        y = arena.allocate(4L * rows, 64);
        for (int i = 0; i < cols; i++) {
            x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) Math.sin(i * 0.37));
        }
        q8 = switch (activations) {
            case "f32" -> false;
            case "q8" -> true;
            default -> throw new IllegalArgumentException("activations must be f32 or q8, got " + activations);
        };
        ctx = level.isEmpty() ? KernelContext.create(threads) : KernelContext.create(CpuLevel.parse(level), threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ctx.close();
        arena.close();
    }

    @Benchmark
    public MemorySegment matvec(Streamed s) {
        if (q8) {
            ctx.matmulGgml(t.id(), w, rowBytes, rows, cols, x, cols, 1, y, rows);
        } else {
            ctx.matvec(t.id(), w, rowBytes, rows, cols, x, y);
        }
        s.weightBytes += rowBytes * rows;
        return y;
    }
}
