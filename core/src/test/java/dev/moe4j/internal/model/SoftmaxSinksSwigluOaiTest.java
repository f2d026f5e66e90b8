package dev.moe4j.internal.model;

import dev.moe4j.KernelException;
import dev.moe4j.internal.nativeio.CpuLevel;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link NativeModelKernels}' softmax with attention sinks and clamped SwiGLU (gpt-oss; {@code moe_op_softmax_sinks},
 * {@code moe_op_swiglu_oai}) at every {@link CpuLevel} this machine runs, against {@link ReferenceModelKernels} (the
 * formulas in double) on fresh random inputs: scores with masks, sinks among the scores, above every score, far below
 * them and -inf; gate and up well beyond ±limit and far into the tails.
 *
 * <p>Inputs come from a new seed each run; every failure message names it, and {@code -Dmoe4j.test.seed=<seed>}
 * replays a run. Tolerances, per element, {@code |got − want| <= rel·|want| + abs} (why they are what they are):
 * <ul>
 *   <li>rel = {@value #REL} + 2<sup>-24</sup>·|a|, where a is the exponent: {@code scale·x_i − m} for the softmax,
 *       {@code alpha·g} for the SwiGLU. ggml (and so the native code) rounds that exponent to float before taking exp,
 *       an absolute error of up to 2<sup>-24</sup>·|a| in it, hence a relative error of up to that much in the result;
 *       the reference computes it in double. {@value #REL} covers the rest: exp within 1 ulp (libm or the SIMD
 *       polynomial), the double sum in another order, and 3 or 4 float roundings;</li>
 *   <li>abs = {@value #TINY} (results in the subnormal range carry no relative precision), plus for the SwiGLU
 *       {@code |g·(u + 1)|·2^-127}: where {@code e^(−alpha·g)} overflows ggml's float exp (beyond e^88.72) its formula
 *       gives 0, and the exact result is below that.</li>
 * </ul>
 * Exact properties besides: masked scores give exactly 0, a -inf sink gives bit for bit the plain softmax, a NaN or
 * +inf sink a NaN row, a row of -inf with a finite sink zeros (all the mass on the sink); gate and up beyond the limits
 * give exactly the results at the limits; out may alias gate or up.
 */
class SoftmaxSinksSwigluOaiTest {
    static final double REL = 1e-6;
    static final double TINY = 1e-37;
    static final int[] SIZES = {1, 7, 16, 64, 127, 576, 4097};
    static final long SEED = Long.getLong("moe4j.test.seed", System.nanoTime());

    static Stream<CpuLevel> levels() {
        return Arrays.stream(CpuLevel.values()).filter(l -> l.ordinal() <= CpuLevel.detected().ordinal());
    }

    private static Random random(CpuLevel level, String op) {
        return new Random(SEED ^ ((long) op.hashCode() << 8) ^ level.ordinal());
    }

    private static String where(CpuLevel level, String what) {
        return "[" + level.label() + ", seed " + SEED + " (-Dmoe4j.test.seed=" + SEED + ")] " + what;
    }

    private static MemorySegment seg(float[] a) {
        return MemorySegment.ofArray(a);
    }

    private static boolean close(float got, float want, double rel, double abs) {
        if (Float.isNaN(want) || Float.isNaN(got)) {
            return Float.isNaN(want) && Float.isNaN(got);
        }
        return got == want || Math.abs((double) got - want) <= rel * Math.abs(want) + abs;
    }

    // ---- softmax with sinks ---------------------------------------------------------------------------------------

    /** Sinks of every kind, row by row: among the scores, above every one, far below, -inf, and a wide random one. */
    private static float sinkFor(Random rnd, int row, float maxScaled) {
        return switch (row % 5) {
            case 0 -> maxScaled + (float) rnd.nextGaussian() * 2f;
            case 1 -> maxScaled + 0.5f + rnd.nextFloat() * 60f;
            case 2 -> -1e4f * (1f + rnd.nextFloat());
            case 3 -> Float.NEGATIVE_INFINITY;
            default -> (float) rnd.nextGaussian() * 40f;
        };
    }

    @ParameterizedTest
    @MethodSource("levels")
    void softmaxSinksMatchesReference(CpuLevel level) {
        Random rnd = random(level, "softmaxSinks");
        ReferenceModelKernels ref = new ReferenceModelKernels();
        try (NativeModelKernels nat = new NativeModelKernels(level, 1, false)) {
            for (int n : SIZES) {
                for (int rep = 0; rep < 3; rep++) {
                    int rows = 10;
                    float scale = 0.02f + rnd.nextFloat() * 2f;
                    float spread = (float) (0.1 * Math.pow(300, rnd.nextDouble()));
                    float[] x = new float[n * rows];
                    float[] sinks = new float[rows];
                    for (int r = 0; r < rows; r++) {
                        float max = Float.NEGATIVE_INFINITY;
                        for (int i = 0; i < n; i++) {
                            float v = (float) rnd.nextGaussian() * spread;
                            if (i > 0 && rnd.nextInt(5) == 0) {
                                v = Float.NEGATIVE_INFINITY; // a mask; entry 0 stays live
                            }
                            x[r * n + i] = v;
                            max = Math.max(max, v * scale);
                        }
                        sinks[r] = sinkFor(rnd, r, max);
                    }
                    float[] want = x.clone();
                    ref.softmaxSinks(seg(want), n, rows, scale, seg(sinks));
                    float[] got = x.clone();
                    nat.softmaxSinks(seg(got), n, rows, scale, seg(sinks));
                    String what = where(level, "softmaxSinks n=" + n + " scale=" + scale);
                    for (int r = 0; r < rows; r++) {
                        float m = sinks[r]; // the kernel's max: over the float products and the sink
                        for (int i = 0; i < n; i++) {
                            m = Math.max(m, x[r * n + i] * scale);
                        }
                        double mass = 0;
                        for (int i = 0; i < n; i++) {
                            int k = r * n + i;
                            double a = (double) (x[k] * scale) - m;
                            double rel = REL + 0x1p-24 * Math.abs(a);
                            if (x[k] == Float.NEGATIVE_INFINITY) {
                                assertEquals(0f, got[k], what + ": masked entry " + k + " must be exactly 0");
                            } else if (!close(got[k], want[k], rel, TINY)) {
                                fail(what + ": row " + r + " (sink " + sinks[r] + ") entry " + i + " score " + x[k]
                                        + " got " + got[k] + " want " + want[k] + " (rel error "
                                        + Math.abs(got[k] - want[k]) / Math.abs(want[k]) + ", tol " + rel + ")");
                            }
                            mass += got[k];
                        }
                        double sinkShare = Math.exp(sinks[r] - (double) m) / sumExp(x, r, n, scale, sinks[r], m);
                        assertEquals(1.0, mass + sinkShare, 1e-5, what + ": row " + r + " mass " + mass
                                + " plus the sink's share " + sinkShare);
                    }

                    // a -inf sink is no sink: bit for bit the plain softmax of the same level
                    float[] none = new float[rows];
                    Arrays.fill(none, Float.NEGATIVE_INFINITY);
                    float[] withNone = x.clone();
                    nat.softmaxSinks(seg(withNone), n, rows, scale, seg(none));
                    float[] plain = x.clone();
                    nat.softmax(seg(plain), n, rows, scale);
                    assertArrayEquals(plain, withNone, what + ": -inf sinks against the plain softmax");
                }
            }
        }
    }

    private static double sumExp(float[] x, int r, int n, float scale, float sink, float m) {
        double sum = Math.exp(sink - (double) m);
        for (int i = 0; i < n; i++) {
            sum += Math.exp((double) (x[r * n + i] * scale) - m);
        }
        return sum;
    }

    @ParameterizedTest
    @MethodSource("levels")
    void softmaxSinksSpecialRows(CpuLevel level) {
        ReferenceModelKernels ref = new ReferenceModelKernels();
        try (NativeModelKernels nat = new NativeModelKernels(level, 1, false)) {
            int n = 21;
            float[] x = new float[4 * n];
            Arrays.fill(x, 0, n, Float.NEGATIVE_INFINITY); // row 0: fully masked, finite sink
            for (int i = 0; i < n; i++) {
                x[n + i] = x[2 * n + i] = x[3 * n + i] = 0.4f * i - 3f;
            }
            x[3 * n + 9] = Float.NaN; // row 3: a NaN score
            float[] sinks = {2.5f, Float.NaN, Float.POSITIVE_INFINITY, 1f};
            float[] want = x.clone();
            ref.softmaxSinks(seg(want), n, 4, 0.8f, seg(sinks));
            float[] got = x.clone();
            nat.softmaxSinks(seg(got), n, 4, 0.8f, seg(sinks));
            for (int i = 0; i < n; i++) {
                assertEquals(0f, got[i], where(level, "fully masked row with a finite sink, entry " + i));
                assertTrue(Float.isNaN(got[n + i]), where(level, "NaN sink, entry " + i + " = " + got[n + i]));
                assertTrue(Float.isNaN(got[2 * n + i]), where(level, "+inf sink, entry " + i + " = " + got[2 * n + i]));
                assertTrue(Float.isNaN(got[3 * n + i]), where(level, "NaN score, entry " + i + " = " + got[3 * n + i]));
            }
            assertArrayEquals(want, got, where(level, "special rows against the reference"));

            // a row of -inf with a -inf sink has nothing to attend to: zeros, as moe_op_softmax gives (the reference's
            // double formula would give NaN there: exp(-inf - (-inf)))
            float[] empty = new float[n];
            Arrays.fill(empty, Float.NEGATIVE_INFINITY);
            nat.softmaxSinks(seg(empty), n, 1, 1f, seg(new float[] {Float.NEGATIVE_INFINITY}));
            assertArrayEquals(new float[n], empty, where(level, "-inf row with a -inf sink"));
        }
    }

    // ---- clamped SwiGLU -------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("levels")
    void swigluOaiMatchesReference(CpuLevel level) {
        Random rnd = random(level, "swigluOai");
        ReferenceModelKernels ref = new ReferenceModelKernels();
        try (NativeModelKernels nat = new NativeModelKernels(level, 1, false)) {
            for (int n : SIZES) {
                for (int rep = 0; rep < 5; rep++) {
                    // gpt-oss's constants first, then random ones (limit 0: everything clamped; negative alpha)
                    float alpha = rep == 0 ? 1.702f : rnd.nextFloat() * 4f - 1f;
                    float limit = rep == 0 ? 7f : rep == 1 ? 0f : 0.25f + rnd.nextFloat() * 20f;
                    float[] gate = new float[n];
                    float[] up = new float[n];
                    for (int i = 0; i < n; i++) {
                        // mostly within a few limits, some far out on both sides (where exp overflows or vanishes)
                        gate[i] = rnd.nextInt(8) == 0 ? rnd.nextFloat() * 240f - 120f
                                : (float) rnd.nextGaussian() * (limit + 1f) * 1.5f;
                        up[i] = rnd.nextInt(8) == 0 ? rnd.nextFloat() * 240f - 120f
                                : (float) rnd.nextGaussian() * (limit + 1f) * 1.5f;
                    }
                    float[] want = new float[n];
                    ref.swigluOai(seg(gate), seg(up), n, alpha, limit, seg(want));
                    float[] got = new float[n];
                    nat.swigluOai(seg(gate), seg(up), n, alpha, limit, seg(got));
                    String what = where(level, "swigluOai n=" + n + " alpha=" + alpha + " limit=" + limit);
                    for (int i = 0; i < n; i++) {
                        float g = Math.min(gate[i], limit);
                        float u = Math.max(-limit, Math.min(limit, up[i]));
                        double rel = REL + 0x1p-24 * Math.abs((double) alpha * g);
                        double abs = TINY + Math.abs((double) g * (u + 1.0)) * 0x1p-127;
                        if (!close(got[i], want[i], rel, abs)) {
                            fail(what + ": index " + i + " gate " + gate[i] + " up " + up[i] + " got " + got[i]
                                    + " want " + want[i] + " (tol rel " + rel + ", abs " + abs + ")");
                        }
                    }
                    float[] aliasGate = gate.clone();
                    nat.swigluOai(seg(aliasGate), seg(up), n, alpha, limit, seg(aliasGate));
                    assertArrayEquals(got, aliasGate, what + ": out = gate");
                    float[] aliasUp = up.clone();
                    nat.swigluOai(seg(gate), seg(aliasUp), n, alpha, limit, seg(aliasUp));
                    assertArrayEquals(got, aliasUp, what + ": out = up");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("levels")
    void swigluOaiClampsExactlyAtTheLimits(CpuLevel level) {
        try (NativeModelKernels nat = new NativeModelKernels(level, 1, false)) {
            float limit = 7f;
            // beyond the limits (and at them), in odd positions so SIMD tails are involved
            float[] gate = {7f, 8f, 1e30f, Float.POSITIVE_INFINITY, 2f, 2f, 2f, 2f, -3f, Float.NaN, 2f};
            float[] up = {3f, 3f, 3f, 3f, -7f, -7.5f, -1e30f, Float.NEGATIVE_INFINITY, 7f, 1f, Float.NaN};
            float[] out = new float[gate.length];
            nat.swigluOai(seg(gate), seg(up), gate.length, 1.702f, limit, seg(out));
            String what = where(level, "swigluOai at the limits");
            assertEquals(out[0], out[1], what + ": gate 8 is clamped to 7");
            assertEquals(out[0], out[2], what + ": gate 1e30 is clamped to 7");
            assertEquals(out[0], out[3], what + ": gate +inf is clamped to 7");
            assertEquals(out[4], out[5], what + ": up -7.5 is clamped to -7");
            assertEquals(out[4], out[6], what + ": up -1e30 is clamped to -7");
            assertEquals(out[4], out[7], what + ": up -inf is clamped to -7");
            assertTrue(Float.isNaN(out[9]) && Float.isNaN(out[10]), what + ": NaN gate / up give NaN");
        }
    }

    // ---- bad arguments --------------------------------------------------------------------------------------------

    private static void assertInvalid(String call, org.junit.jupiter.api.function.Executable e) {
        KernelException ex = assertThrows(KernelException.class, e, call);
        assertEquals(-1, ex.status(), call + ": " + ex.getMessage());
        assertTrue(ex.getMessage().contains(call), ex.getMessage());
    }

    @ParameterizedTest
    @MethodSource("levels")
    void badArgumentsAreReportedNotCrashes(CpuLevel level) {
        float[] f = new float[64];
        try (NativeModelKernels nat = new NativeModelKernels(level, 1, false)) {
            MemorySegment all = seg(f);
            MemorySegment sinks = seg(new float[4]);
            // rejected by the native checks (MOE_ERR_INVALID_ARG)
            assertInvalid("moe_op_softmax_sinks", () -> nat.softmaxSinks(all, 8, 1, 0f, sinks));
            assertInvalid("moe_op_softmax_sinks", () -> nat.softmaxSinks(all, 8, 1, Float.NaN, sinks));
            assertInvalid("moe_op_softmax_sinks", () -> nat.softmaxSinks(all, 0, 1, 1f, sinks));
            // sinks inside the rows they are the sinks of: x is rewritten while they are read
            assertInvalid("moe_op_softmax_sinks", () -> nat.softmaxSinks(all, 8, 4, 1f, all.asSlice(4L * 30)));
            assertInvalid("moe_op_swiglu_oai", () -> nat.swigluOai(all, all, 8, 1.702f, -1f, all));
            assertInvalid("moe_op_swiglu_oai", () -> nat.swigluOai(all, all, 8, 1.702f, Float.NaN, all));
            assertInvalid("moe_op_swiglu_oai", () -> nat.swigluOai(all, all, 8, Float.POSITIVE_INFINITY, 7f, all));
            assertInvalid("moe_op_swiglu_oai", () -> nat.swigluOai(all, all, 0, 1.702f, 7f, all));
            // sinks right after the rows are fine
            nat.softmaxSinks(all, 8, 4, 1f, all.asSlice(4L * 32));

            // rejected by the Java checks before the call: a segment smaller than the counts say
            assertThrows(IndexOutOfBoundsException.class, () -> nat.softmaxSinks(all, 8, 8, 1f, sinks));
            assertThrows(IndexOutOfBoundsException.class, () -> nat.softmaxSinks(all, 40, 2, 1f, sinks));
            assertThrows(IndexOutOfBoundsException.class, () -> nat.swigluOai(all, sinks, 8, 1.702f, 7f, all));
            assertThrows(IndexOutOfBoundsException.class, () -> nat.swigluOai(all, all, 8, 1.702f, 7f, sinks));
            assertThrows(ArithmeticException.class, () -> nat.swigluOai(all, all, 1L << 62, 1.702f, 7f, all));
        }
    }
}
