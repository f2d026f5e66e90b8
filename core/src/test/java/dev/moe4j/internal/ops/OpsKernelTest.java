package dev.moe4j.internal.ops;

import dev.moe4j.KernelException;
import dev.moe4j.internal.nativeio.CpuLevel;
import dev.moe4j.internal.nativeio.KernelContext;
import dev.moe4j.internal.nativeio.RopeParams;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The native row/element-wise ops ({@code moe_op_*}) at every {@link CpuLevel} this machine runs, against
 * {@link ReferenceOps} on fresh random inputs of odd and even sizes, plus the argument checks.
 *
 * <p>Inputs come from a new seed each run; every failure message names it, and {@code -Dmoe4j.test.seed=<seed>}
 * replays a run. Tolerances (why they are what they are):
 * <ul>
 *   <li>add, scale, top-k: exact (one IEEE rounding, or no arithmetic at all);</li>
 *   <li>axpy: {@value #AXPY_REL} x (|a x| + |y|): SIMD levels fuse the multiply-add, the reference rounds twice;</li>
 *   <li>rmsnorm, softmax: {@value #ROW_REL} relative: libm or polynomial exp (within 1 ulp), double partial sums in
 *       another order, then two or three float roundings;</li>
 *   <li>swiglu: {@value #SWIGLU_REL} relative against the formula in double (the contract of moe_op_swiglu);</li>
 *   <li>RoPE: {@value #ROPE_REL} x (|x0| + |x1|) per rotated pair: the angles are bit-identical at every level (one
 *       shared scalar table), and only cos/sin rounding (libm vs Java) and fused rotations differ.</li>
 * </ul>
 */
class OpsKernelTest {
    static final float AXPY_REL = 2.4e-7f;
    static final float ROW_REL = 1e-6f;
    static final double SWIGLU_REL = 1e-6;
    static final float ROPE_REL = 1e-6f;
    /** Results below this are subnormal-ish and carry no relative precision. */
    static final float TINY = 1e-37f;

    static final int[] SIZES = {1, 7, 64, 127, 576, 4097};
    static final long SEED = Long.getLong("moe4j.test.seed", System.nanoTime());

    /** DeepSeek-V3 YaRN as llama.cpp passes it: factor 40, and an attn_factor that cancels YaRN's mscale on cos/sin. */
    static final RopeParams DEEPSEEK_YARN = new RopeParams(RopeParams.MODE_NORM, 10000f, 1f / 40f, 1f,
            1.0f / (1.0f + 0.1f * (float) Math.log(40f)), 32f, 1f, 4096);

    static Stream<CpuLevel> levels() {
        return Arrays.stream(CpuLevel.values()).filter(l -> l.ordinal() <= CpuLevel.detected().ordinal());
    }

    private static Random random(CpuLevel level, String op) {
        return new Random(SEED ^ ((long) op.hashCode() << 8) ^ level.ordinal());
    }

    private static String where(CpuLevel level, String what) {
        return "[" + level.label() + ", seed " + SEED + " (-Dmoe4j.test.seed=" + SEED + ")] " + what;
    }

    /** Gaussian values at a random magnitude between 1e-2 and 1e2, never all zeros. */
    private static float[] gaussian(Random rnd, int n) {
        float magnitude = (float) Math.pow(10, rnd.nextDouble() * 4 - 2);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * magnitude;
        }
        return v;
    }

    private static MemorySegment seg(float[] a) {
        return MemorySegment.ofArray(a);
    }

    private static MemorySegment seg(int[] a) {
        return MemorySegment.ofArray(a);
    }

    /** |got - want| <= rel |want| + abs, element by element; NaN must meet NaN. */
    private static void assertClose(float[] want, float[] got, float rel, float abs, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            float w = want[i];
            float g = got[i];
            boolean ok = Float.isNaN(w) ? Float.isNaN(g) : w == g || Math.abs(g - w) <= rel * Math.abs(w) + abs;
            if (!ok) {
                fail(what + ": index " + i + " got " + g + " want " + w + " (|diff| " + Math.abs(g - w) + ", rel tol "
                        + rel + ", abs tol " + abs + ")");
            }
        }
    }

    // ---- rmsnorm --------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("levels")
    void rmsnormMatchesReference(CpuLevel level) {
        Random rnd = random(level, "rmsnorm");
        try (KernelContext ctx = KernelContext.create(level, 1)) {
            for (int n : SIZES) {
                for (int rows : new int[] {1, 3}) {
                    float[] x = gaussian(rnd, n * rows);
                    float[] w = gaussian(rnd, n);
                    float eps = 1e-6f;
                    for (float[] weight : new float[][] {null, w}) {
                        float[] want = new float[n * rows];
                        ReferenceOps.rmsnorm(x, weight, n, rows, eps, want);
                        float[] got = new float[n * rows];
                        ctx.rmsnorm(seg(x), weight == null ? MemorySegment.NULL : seg(weight), n, rows, eps, seg(got));
                        String what = where(level, "rmsnorm n=" + n + " rows=" + rows + " weight=" + (weight != null));
                        assertClose(want, got, ROW_REL, 0f, what);
                        float[] inPlace = x.clone();
                        ctx.rmsnorm(seg(inPlace), weight == null ? MemorySegment.NULL : seg(weight), n, rows, eps,
                                seg(inPlace));
                        assertClose(want, inPlace, ROW_REL, 0f, what + " in place");
                    }
                }
            }
        }
    }

    // ---- softmax --------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("levels")
    void softmaxMatchesReferenceWithMasks(CpuLevel level) {
        Random rnd = random(level, "softmax");
        try (KernelContext ctx = KernelContext.create(level, 1)) {
            for (int n : SIZES) {
                int rows = 3;
                float[] x = new float[n * rows];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextGaussian() * 6f;
                }
                // row 1: a causal mask, row 2: random holes; each keeps at least its first entry
                int visible = 1 + rnd.nextInt(n);
                for (int i = visible; i < n; i++) {
                    x[n + i] = Float.NEGATIVE_INFINITY;
                }
                for (int i = 1; i < n; i++) {
                    if (rnd.nextInt(4) == 0) {
                        x[2 * n + i] = Float.NEGATIVE_INFINITY;
                    }
                }
                float scale = 0.05f + rnd.nextFloat() * 2f;
                float[] want = x.clone();
                ReferenceOps.softmax(want, n, rows, scale);
                float[] got = x.clone();
                ctx.softmax(seg(got), n, rows, scale);
                String what = where(level, "softmax n=" + n + " scale=" + scale);
                assertClose(want, got, ROW_REL, TINY, what);
                for (int i = 0; i < x.length; i++) {
                    if (x[i] == Float.NEGATIVE_INFINITY) {
                        assertEquals(0f, got[i], what + ": masked entry " + i + " must be exactly 0");
                    }
                }
                for (int r = 0; r < rows; r++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += got[r * n + i];
                    }
                    assertEquals(1.0, sum, 1e-5, what + ": row " + r + " sum");
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("levels")
    void softmaxOfFullyMaskedRowIsZeroAndNanSpreads(CpuLevel level) {
        try (KernelContext ctx = KernelContext.create(level, 1)) {
            int n = 21;
            float[] x = new float[2 * n];
            Arrays.fill(x, 0, n, Float.NEGATIVE_INFINITY);
            for (int i = 0; i < n; i++) {
                x[n + i] = i * 0.5f;
            }
            x[n + 17] = Float.NaN;
            float[] want = x.clone();
            ReferenceOps.softmax(want, n, 2, 1f);
            ctx.softmax(seg(x), n, 2, 1f);
            for (int i = 0; i < n; i++) {
                assertEquals(0f, x[i], where(level, "fully masked row, entry " + i));
                assertTrue(Float.isNaN(x[n + i]), where(level, "row with a NaN, entry " + i + " = " + x[n + i]));
            }
            assertClose(want, x, 0f, 0f, where(level, "special rows against the reference"));
        }
    }

    // ---- swiglu ---------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("levels")
    void swigluMatchesDoubleFormula(CpuLevel level) {
        Random rnd = random(level, "swiglu");
        try (KernelContext ctx = KernelContext.create(level, 1)) {
            for (int n : SIZES) {
                float[] gate = new float[n];
                float[] up = gaussian(rnd, n);
                for (int i = 0; i < n; i++) {
                    // mostly the usual range, some far into both tails (silu stays a normal float down to -87)
                    gate[i] = rnd.nextInt(10) == 0 ? rnd.nextFloat() * 160f - 80f : (float) rnd.nextGaussian() * 4f;
                }
                float[] exact = new float[n];
                for (int i = 0; i < n; i++) {
                    exact[i] = (float) (gate[i] / (1.0 + Math.exp(-(double) gate[i])) * up[i]);
                }
                float[] ref = new float[n];
                ReferenceOps.swiglu(gate, up, n, ref);
                assertClose(exact, ref, (float) SWIGLU_REL, TINY, where(level, "reference swiglu n=" + n));

                float[] got = new float[n];
                ctx.swiglu(seg(gate), seg(up), n, seg(got));
                String what = where(level, "swiglu n=" + n);
                for (int i = 0; i < n; i++) {
                    double e = gate[i] / (1.0 + Math.exp(-(double) gate[i])) * up[i];
                    double err = Math.abs(got[i] - e);
                    if (!(err <= SWIGLU_REL * Math.abs(e) + TINY)) {
                        fail(what + ": index " + i + " gate " + gate[i] + " up " + up[i] + " got " + got[i]
                                + " exact " + e + " rel error " + err / Math.abs(e));
                    }
                }
                float[] aliasGate = gate.clone();
                ctx.swiglu(seg(aliasGate), seg(up), n, seg(aliasGate));
                assertClose(got, aliasGate, 0f, 0f, what + " out = gate");
                float[] aliasUp = up.clone();
                ctx.swiglu(seg(gate), seg(aliasUp), n, seg(aliasUp));
                assertClose(got, aliasUp, 0f, 0f, what + " out = up");
            }
        }
    }

    // ---- rope -----------------------------------------------------------------------------------------------------

    /** One RoPE layout: tokens, heads, where they sit, and how many dims rotate. */
    record RopeShape(int nTokens, int nHeads, int headDim, int nRot, boolean headsInsideTokens, int padding) {
        int tokenStride() {
            return headsInsideTokens ? nHeads * headDim + padding : headDim;
        }

        int headStride() {
            return headsInsideTokens ? headDim : nTokens * headDim + padding;
        }

        int size() {
            return (nTokens - 1) * tokenStride() + (nHeads - 1) * headStride() + headDim + padding;
        }
    }

    static final RopeShape[] ROPE_SHAPES = {
        new RopeShape(6, 3, 72, 64, true, 4),     // DeepSeek's 64 rotated dims inside a longer head
        new RopeShape(4, 2, 128, 128, true, 0),   // the whole head rotates
        new RopeShape(5, 3, 2, 2, true, 0),       // a single pair
        new RopeShape(3, 2, 21, 18, true, 3),     // 9 pairs: vector tails in every level; odd head size
        new RopeShape(2, 2, 610, 600, true, 1),   // 300 pairs: more than one chunk of angles
        new RopeShape(5, 4, 64, 64, false, 7),    // tokens inside heads (a KV-cache-like layout)
        new RopeShape(1, 1, 576, 64, true, 0),    // one token, one head
    };

    static final int[] ROPE_POSITIONS = {0, 1, 2, 4095, 4096, 100000, 163839, -7};

    @ParameterizedTest
    @MethodSource("levels")
    void ropeMatchesReference(CpuLevel level) {
        Random rnd = random(level, "rope");
        try (KernelContext ctx = KernelContext.create(level, 1)) {
            for (RopeShape shape : ROPE_SHAPES) {
                for (int mode : new int[] {RopeParams.MODE_NORM, RopeParams.MODE_NEOX}) {
                    RopeParams plain = RopeParams.plain(mode, 10000f);
                    RopeParams yarn = new RopeParams(mode, DEEPSEEK_YARN.freqBase(), DEEPSEEK_YARN.freqScale(),
                            DEEPSEEK_YARN.extFactor(), DEEPSEEK_YARN.attnFactor(), DEEPSEEK_YARN.betaFast(),
                            DEEPSEEK_YARN.betaSlow(), DEEPSEEK_YARN.nCtxOrig());
                    RopeParams odd = new RopeParams(mode, 500000f, 0.25f, 0.5f, 0.9f, 16f, 2f, 8192);
                    for (RopeParams p : new RopeParams[] {plain, yarn, odd}) {
                        checkRope(ctx, rnd, level, shape, p);
                    }
                }
            }
        }
    }

    private static void checkRope(KernelContext ctx, Random rnd, CpuLevel level, RopeShape s, RopeParams p) {
        // even tokens walk through the listed positions (from a random start), odd ones are random
        int[] positions = new int[s.nTokens()];
        int offset = rnd.nextInt(ROPE_POSITIONS.length);
        for (int t = 0; t < positions.length; t++) {
            positions[t] = t % 2 == 0 ? ROPE_POSITIONS[(t / 2 + offset) % ROPE_POSITIONS.length] : rnd.nextInt(163840);
        }
        float[] x = gaussian(rnd, s.size());
        float[] want = x.clone();
        ReferenceOps.rope(want, s.nTokens(), s.tokenStride(), s.nHeads(), s.headStride(), s.nRot(), positions, p);
        float[] got = x.clone();
        ctx.rope(seg(got), s.nTokens(), s.tokenStride(), s.nHeads(), s.headStride(), s.nRot(), seg(positions), p);
        String what = where(level, "rope " + s + " " + p + " positions " + Arrays.toString(positions));

        boolean[] rotated = new boolean[x.length];
        int pairs = s.nRot() / 2;
        for (int t = 0; t < s.nTokens(); t++) {
            for (int h = 0; h < s.nHeads(); h++) {
                int head = t * s.tokenStride() + h * s.headStride();
                for (int j = 0; j < pairs; j++) {
                    int a = p.mode() == RopeParams.MODE_NEOX ? head + j : head + 2 * j;
                    int b = p.mode() == RopeParams.MODE_NEOX ? head + j + pairs : head + 2 * j + 1;
                    rotated[a] = true;
                    rotated[b] = true;
                    float tol = ROPE_REL * (Math.abs(x[a]) + Math.abs(x[b])) + TINY;
                    if (!(Math.abs(got[a] - want[a]) <= tol && Math.abs(got[b] - want[b]) <= tol)) {
                        fail(what + ": token " + t + " head " + h + " pair " + j + " got (" + got[a] + ", " + got[b]
                                + ") want (" + want[a] + ", " + want[b] + "), tolerance " + tol);
                    }
                }
            }
        }
        for (int i = 0; i < x.length; i++) {
            if (!rotated[i] && Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(x[i])) {
                fail(what + ": element " + i + " is not a rotated dim but changed from " + x[i] + " to " + got[i]);
            }
        }
    }

    // ---- top-k ----------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("levels")
    void topkMatchesReferenceWithTiesAndNan(CpuLevel level) {
        Random rnd = random(level, "topk");
        try (KernelContext ctx = KernelContext.create(level, 1)) {
            for (int n : new int[] {1, 7, 64, 127, 256, 257, 576, 4097}) {
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    int kind = rnd.nextInt(20);
                    x[i] = switch (kind) {
                        case 0 -> Float.NaN;
                        case 1 -> Float.NEGATIVE_INFINITY;
                        case 2 -> rnd.nextBoolean() ? 0f : -0f;
                        case 3, 4, 5, 6 -> rnd.nextInt(5); // many ties
                        default -> (float) rnd.nextGaussian();
                    };
                }
                for (int k : new int[] {1, 8, Math.min(n, 256), n}) {
                    if (k > n) {
                        continue;
                    }
                    int[] want = ReferenceOps.topk(x, n, k);
                    int[] idx = new int[k];
                    float[] val = new float[k];
                    ctx.topk(seg(x), n, k, seg(idx), seg(val));
                    String what = where(level, "topk n=" + n + " k=" + k);
                    if (!Arrays.equals(want, idx)) {
                        fail(what + ": got " + Arrays.toString(idx) + " want " + Arrays.toString(want));
                    }
                    for (int i = 0; i < k; i++) {
                        assertEquals(Float.floatToRawIntBits(x[want[i]]), Float.floatToRawIntBits(val[i]),
                                what + ": value " + i);
                    }
                    int[] idxOnly = new int[k];
                    ctx.topk(seg(x), n, k, seg(idxOnly), MemorySegment.NULL);
                    assertTrue(Arrays.equals(want, idxOnly), what + " without values");
                }
            }
        }
    }

    // ---- add, scale, axpy -----------------------------------------------------------------------------------------

    @ParameterizedTest
    @MethodSource("levels")
    void addScaleAxpyMatchReference(CpuLevel level) {
        Random rnd = random(level, "vector");
        try (KernelContext ctx = KernelContext.create(level, 1)) {
            for (int n : SIZES) {
                float[] a = gaussian(rnd, n);
                float[] b = gaussian(rnd, n);
                float s = (float) rnd.nextGaussian() * 3f;
                String what = where(level, "n=" + n);

                float[] want = new float[n];
                ReferenceOps.add(a, b, n, want);
                float[] got = new float[n];
                ctx.add(seg(a), seg(b), n, seg(got));
                assertClose(want, got, 0f, 0f, what + " add");
                float[] aliasA = a.clone();
                ctx.add(seg(aliasA), seg(b), n, seg(aliasA));
                assertClose(want, aliasA, 0f, 0f, what + " add out = a");
                float[] aliasB = b.clone();
                ctx.add(seg(a), seg(aliasB), n, seg(aliasB));
                assertClose(want, aliasB, 0f, 0f, what + " add out = b");

                ReferenceOps.scale(a, n, s, want);
                ctx.scale(seg(a), n, s, seg(got));
                assertClose(want, got, 0f, 0f, what + " scale");
                float[] inPlace = a.clone();
                ctx.scale(seg(inPlace), n, s, seg(inPlace));
                assertClose(want, inPlace, 0f, 0f, what + " scale in place");

                float[] yWant = b.clone();
                ReferenceOps.axpy(s, a, n, yWant);
                float[] y = b.clone();
                ctx.axpy(s, seg(a), n, seg(y));
                for (int i = 0; i < n; i++) {
                    float tol = AXPY_REL * (Math.abs(s * a[i]) + Math.abs(b[i]));
                    if (!(Math.abs(y[i] - yWant[i]) <= tol)) {
                        fail(what + " axpy: index " + i + " got " + y[i] + " want " + yWant[i] + " tolerance " + tol);
                    }
                }
            }
        }
    }

    // ---- bad arguments --------------------------------------------------------------------------------------------

    private static void assertInvalid(String call, Executable e) {
        KernelException ex = assertThrows(KernelException.class, e, call);
        assertEquals(-1, ex.status(), call + ": " + ex.getMessage());
        assertTrue(ex.getMessage().contains(call), ex.getMessage());
    }

    @ParameterizedTest
    @MethodSource("levels")
    void badArgumentsAreReportedNotCrashes(CpuLevel level) {
        float[] f = new float[64];
        float[] small = new float[3];
        int[] pos = new int[4];
        int[] idx = new int[8];
        MemorySegment none = MemorySegment.NULL;
        try (KernelContext ctx = KernelContext.create(level, 1)) {
            // rejected by the native checks (status MOE_ERR_INVALID_ARG)
            assertInvalid("moe_op_rmsnorm", () -> ctx.rmsnorm(seg(f), none, 0, 1, 1e-6f, seg(f)));
            assertInvalid("moe_op_rmsnorm", () -> ctx.rmsnorm(seg(f), none, 8, 1, -1f, seg(f)));
            assertInvalid("moe_op_rmsnorm", () -> ctx.rmsnorm(seg(f), none, 8, 1, Float.NaN, seg(f)));
            RopeParams plain = RopeParams.plain(RopeParams.MODE_NORM, 10000f);
            assertInvalid("moe_op_rope", () -> ctx.rope(seg(f), 1, 8, 1, 8, 7, seg(pos), plain));
            assertInvalid("moe_op_rope", () -> ctx.rope(seg(f), 1, 8, 1, 8, 0, seg(pos), plain));
            assertInvalid("moe_op_rope", () -> ctx.rope(seg(f), 1, 8, 1, 8, 8, seg(pos),
                    new RopeParams(1, 10000f, 1f, 0f, 1f, 32f, 1f, 0)));
            assertInvalid("moe_op_rope", () -> ctx.rope(seg(f), 1, 8, 1, 8, 8, seg(pos),
                    new RopeParams(0, -1f, 1f, 0f, 1f, 32f, 1f, 0)));
            assertInvalid("moe_op_rope", () -> ctx.rope(seg(f), 1, 8, 1, 8, 8, seg(pos),
                    new RopeParams(0, 10000f, 0f, 0f, 1f, 32f, 1f, 0)));
            assertInvalid("moe_op_rope", () -> ctx.rope(seg(f), 1, 8, 1, 8, 8, seg(pos),
                    new RopeParams(0, 10000f, 0.025f, 1f, 1f, 32f, 1f, 0))); // YaRN without n_ctx_orig
            assertInvalid("moe_op_rope", () -> ctx.rope(seg(f), 2, 16, 2, 4, 8, seg(pos), plain)); // heads overlap
            assertInvalid("moe_op_rope", () -> ctx.rope(seg(f), 2, 8, 2, 8, 8, seg(pos), plain)); // token over head
            assertInvalid("moe_op_softmax", () -> ctx.softmax(seg(f), 8, 1, 0f));
            assertInvalid("moe_op_softmax", () -> ctx.softmax(seg(f), 8, 1, Float.POSITIVE_INFINITY));
            assertInvalid("moe_op_softmax", () -> ctx.softmax(seg(f), 0, 1, 1f));
            assertInvalid("moe_op_swiglu", () -> ctx.swiglu(seg(f), seg(f), -1, seg(f)));
            assertInvalid("moe_op_topk", () -> ctx.topk(seg(f), 8, 0, seg(idx), none));
            assertInvalid("moe_op_topk", () -> ctx.topk(seg(f), 4, 5, seg(idx), none));
            assertInvalid("moe_op_add", () -> ctx.add(seg(f), seg(f), 0, seg(f)));
            assertInvalid("moe_op_scale", () -> ctx.scale(seg(f), -3, 2f, seg(f)));
            assertInvalid("moe_op_axpy", () -> ctx.axpy(2f, seg(f), 0, seg(f)));

            // counts whose byte size overflows: the Java size checks use exact arithmetic (ArithmeticException);
            // the native side refuses them too (ops_selftest.c), so neither layer can be fooled by a wrap-around
            long huge = 1L << 62;
            assertThrows(ArithmeticException.class, () -> ctx.add(seg(f), seg(f), huge, seg(f)));
            assertThrows(ArithmeticException.class, () -> ctx.scale(seg(f), huge, 2f, seg(f)));
            assertThrows(ArithmeticException.class, () -> ctx.axpy(2f, seg(f), huge, seg(f)));
            assertThrows(ArithmeticException.class, () -> ctx.swiglu(seg(f), seg(f), huge, seg(f)));
            assertThrows(ArithmeticException.class, () -> ctx.rmsnorm(seg(f), none, 1L << 31, 1L << 31, 1e-6f, seg(f)));
            assertThrows(ArithmeticException.class, () -> ctx.softmax(seg(f), 1L << 40, 1L << 22, 1f));
            assertThrows(ArithmeticException.class, () -> ctx.rope(seg(f), 2, 1L << 61, 1, 8, 8, seg(pos), plain));

            // rejected by the Java checks before the call: a segment smaller than the counts say
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.rmsnorm(seg(small), none, 8, 1, 1e-6f, seg(f)));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.rmsnorm(seg(f), seg(small), 8, 1, 1e-6f, seg(f)));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.rmsnorm(none, none, 8, 1, 1e-6f, seg(f)));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.rope(seg(f), 4, 16, 1, 16, 16, seg(new int[2]),
                    plain));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.rope(seg(small), 1, 8, 1, 8, 8, seg(pos), plain));
            assertThrows(IllegalArgumentException.class, () -> ctx.rope(seg(f), 0, 8, 1, 8, 8, seg(pos), plain));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.softmax(seg(f), 40, 2, 1f));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.swiglu(seg(f), seg(small), 8, seg(f)));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.topk(seg(f), 8, 4, seg(new int[2]), none));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.topk(seg(f), 8, 4, seg(idx), seg(small)));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.add(seg(f), seg(small), 8, seg(f)));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.scale(seg(f), 8, 2f, seg(small)));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.scale(none, 8, 2f, seg(f)));
            assertThrows(IndexOutOfBoundsException.class, () -> ctx.axpy(2f, seg(small), 8, seg(f)));

            ctx.close();
            assertThrows(IllegalStateException.class, () -> ctx.add(seg(f), seg(f), 8, seg(f)));
        }
    }
}
