package dev.moe4j.internal.nativeio;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Kernel dispatch levels, in the order of {@code MOE_CPU_*} in moe4j.h. An x86-64 library has SCALAR, AVX2 and
 * AVX512; an AArch64 library has SCALAR, NEON, NEON_DOTPROD and NEON_I8MM. Within one architecture a later level uses
 * a superset of the instructions of an earlier one.
 */
public enum CpuLevel {
    SCALAR, AVX2, AVX512, NEON, NEON_DOTPROD, NEON_I8MM;

    /** System property that caps the level every new {@link KernelContext} uses, e.g. {@code scalar}, {@code avx2}, {@code neon}. */
    public static final String PROPERTY = "moe4j.cpu.level";

    /** The best level this machine runs. */
    public static CpuLevel detected() {
        return values()[NativeKernels.cpuDetect()];
    }

    /** The levels this machine runs, the scalar one first. */
    public static List<CpuLevel> supported() {
        return Arrays.stream(values()).filter(l -> NativeKernels.cpuSupports(l.ordinal())).toList();
    }

    /** {@link #detected()}, lowered to {@value #PROPERTY} when that is set. */
    public static CpuLevel configured() {
        return configured(detected(), supported(), System.getProperty(PROPERTY));
    }

    /**
     * The level to use: {@code forced} when this machine runs it; {@code best} when {@code forced} is unset or a
     * higher level of the same architecture (the property caps, it never raises). A SIMD level of the other
     * architecture (AVX2 asked for on ARM) is refused.
     */
    static CpuLevel configured(CpuLevel best, List<CpuLevel> supported, String forced) {
        if (forced == null || forced.isBlank()) {
            return best;
        }
        CpuLevel want = parse(forced);
        if (supported.contains(want)) {
            return want;
        }
        if (want.isNeon() == best.isNeon() || best == SCALAR) {
            return best; // a higher level of this architecture than the CPU has (or no SIMD level at all)
        }
        throw new IllegalArgumentException("-D" + PROPERTY + "=" + forced + " is not a level of this CPU's architecture"
                + " (this machine runs " + supported.stream().map(CpuLevel::label).toList() + ")");
    }

    /** Whether this is one of the AArch64 levels. */
    public boolean isNeon() {
        return this == NEON || this == NEON_DOTPROD || this == NEON_I8MM;
    }

    public static CpuLevel parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown CPU level '" + name + "' ("
                    + Arrays.stream(values()).map(CpuLevel::label).toList() + ")", e);
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
